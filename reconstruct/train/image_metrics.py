"""Image losses and quality measures on (H,W,3) tensors in [0, 1]."""

from __future__ import annotations

import math

import torch
from pytorch_msssim import ssim as _ssim
from torch import Tensor


def ssim(a: Tensor, b: Tensor) -> Tensor:
    """Structural similarity of two (H,W,3) images (11x11 gaussian window, as the 3DGS paper)."""
    return _ssim(a.permute(2, 0, 1)[None], b.permute(2, 0, 1)[None], data_range=1.0, size_average=True)


def psnr(a: Tensor, b: Tensor) -> float:
    """Peak signal-to-noise ratio in dB of two images in [0, 1]."""
    mse = torch.mean((a.clamp(0, 1) - b) ** 2).item()
    return 10.0 * math.log10(1.0 / max(mse, 1e-12))


def photometric_loss(render: Tensor, target: Tensor, ssim_weight: float) -> Tensor:
    """The 3DGS loss: (1 - w) L1 + w (1 - SSIM)."""
    l1 = torch.abs(render - target).mean()
    return (1.0 - ssim_weight) * l1 + ssim_weight * (1.0 - ssim(render, target))

"""Held-out quality: render each held-out camera and compare with its masked image."""

from __future__ import annotations

from typing import Any

import torch

from twinkit.reconstruct.splats import Gaussians, camera_tensors
from twinkit.reconstruct.splats.backend import Rasterizer
from twinkit.reconstruct.train.image_metrics import psnr, ssim
from twinkit.reconstruct.train.views import View


@torch.no_grad()
def evaluate(gaussians: Gaussians, views: list[View], rasterize: Rasterizer, background: torch.Tensor,
             sh_degree: int | None = None) -> dict[str, Any]:
    """PSNR (dB) and SSIM per view and their means, against each image composited over ``background``
    with its mask, the render composited over the same colour (no exposure correction: these cameras
    were never trained on)."""
    per_psnr, per_ssim = {}, {}
    for view in views:
        cam = view.camera
        viewmat, K = camera_tensors([cam], background.device)
        out = rasterize(gaussians, viewmat, K, cam.width, cam.height, sh_degree=sh_degree, background=background)
        render, target = out.rgb[0].clamp(0, 1), view.target(background)
        per_psnr[cam.name] = psnr(render, target)
        per_ssim[cam.name] = float(ssim(render, target))
    return {"cameras": [v.camera.name for v in views], "psnr": per_psnr, "ssim": per_ssim,
            "psnr_mean": sum(per_psnr.values()) / len(views), "ssim_mean": sum(per_ssim.values()) / len(views)}

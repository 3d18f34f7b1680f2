"""Random splat scenes shared by the rasterizer benchmark and the GPU backend comparison."""

from __future__ import annotations

import math

import torch

from twinkit.reconstruct.splats import Gaussians


def blob_scene(n: int, kind: str, size: int = 256, seed: int = 0, sh_degree: int = 3,
               device: str = "cpu") -> tuple[Gaussians, torch.Tensor, torch.Tensor]:
    """``n`` Gaussians filling a 1 m ball 2.5 m in front of one camera spanning half the image width.

    ``kind`` "trained": small (about 1 cm), mostly opaque Gaussians, as after optimisation;
    "initial": larger (about 3 cm), 10 % opacity Gaussians, as at the start of training (no early stop).
    """
    gen = torch.Generator().manual_seed(seed)
    dirs = torch.randn(n, 3, generator=gen)
    means = dirs / dirs.norm(dim=1, keepdim=True) * torch.rand(n, 1, generator=gen) ** (1 / 3) * 0.5
    if kind == "trained":
        log_scales = math.log(0.01) + 0.3 * torch.randn(n, 3, generator=gen)
        logits = torch.randn(n, generator=gen) + 1.0
    elif kind == "initial":
        log_scales = torch.full((n, 3), math.log(0.03))
        logits = torch.full((n,), math.log(0.1 / 0.9))
    else:
        raise ValueError(f"unknown scene kind {kind!r}")
    g = Gaussians(means, log_scales, torch.randn(n, 4, generator=gen), logits,
                  0.3 * torch.randn(n, (sh_degree + 1) ** 2, 3, generator=gen)).to(device)
    viewmats = torch.eye(4, device=device)[None].clone()
    viewmats[0, 2, 3] = 2.5
    f = 1.25 * size  # the ball (1 m across at 2.5 m) spans half the image width
    Ks = torch.tensor([[[f, 0, size / 2], [0, f, size / 2], [0, 0, 1]]], device=device)
    return g, viewmats, Ks

"""The CPU rasterizer: gsplat's 3DGS rendering maths (EWA projection, SH colour, front-to-back alpha
compositing, "RGB+ED" output) in plain differentiable PyTorch."""

from __future__ import annotations

import torch
from torch import Tensor

from twinkit.reconstruct.splats.composite import bin_to_tiles, composite
from twinkit.reconstruct.splats.gaussians import Gaussians
from twinkit.reconstruct.splats.projection import project
from twinkit.reconstruct.splats.result import Render
from twinkit.reconstruct.splats.sh import eval_sh

TILE_SIZE = 8  # smaller than gsplat's 16: less wasted work per tile on CPU, same image (see composite.py)


def camera_centres(viewmats: Tensor) -> Tensor:
    """World positions (C,3) of cameras given world-to-camera matrices (C,4,4)."""
    rot, trans = viewmats[:, :3, :3], viewmats[:, :3, 3]
    return -torch.einsum("cji,cj->ci", rot, trans)


def rasterize(gaussians: Gaussians, viewmats: Tensor, Ks: Tensor, width: int, height: int,
              sh_degree: int | None = None, background: Tensor | None = None, near: float = 0.01,
              far: float = 1e10, eps2d: float = 0.3) -> Render:
    """Render ``gaussians`` into C pinhole cameras (``viewmats`` world-to-camera (C,4,4), OpenCV axes;
    ``Ks`` (C,3,3)). ``sh_degree`` defaults to the highest the coefficients allow; ``background`` (3,) or
    (C,3) fills where alpha < 1. Differentiable with respect to every Gaussian parameter."""
    sh_degree = gaussians.sh_degree if sh_degree is None else sh_degree
    opacities = gaussians.opacities
    proj = project(gaussians.means, gaussians.quats, gaussians.scales, opacities, viewmats, Ks, width, height,
                   eps2d=eps2d, near=near, far=far)
    dirs = gaussians.means[None] - camera_centres(viewmats)[:, None]  # (C,N,3)
    rgb = torch.clamp_min(eval_sh(sh_degree, dirs, gaussians.sh[None]) + 0.5, 0.0)  # gsplat's +0.5 offset
    features = torch.cat([rgb, proj.depths[..., None]], dim=-1)  # depth rides along as a 4th channel
    opac = opacities.expand_as(proj.depths)
    bins = bin_to_tiles(proj.means2d, proj.radii, proj.depths, width, height, TILE_SIZE)
    image, alpha = composite(proj.means2d, proj.conics, opac, features, bins, width, height, TILE_SIZE)
    color = image[..., :3]
    if background is not None:
        bg = background.to(color).reshape(-1, 1, 1, 3)
        color = color + (1.0 - alpha) * bg
    depth = image[..., 3:] / alpha.clamp_min(1e-10)
    meta = {"means2d": proj.means2d, "conics": proj.conics, "depths": proj.depths, "radii": proj.radii,
            "opacities": opac, "width": width, "height": height, "tile_size": TILE_SIZE}
    return Render(color, alpha, depth, meta)

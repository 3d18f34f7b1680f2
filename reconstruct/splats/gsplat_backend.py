"""The CUDA rasterizer: gsplat's fused kernels, called with the same parameters as the PyTorch backend."""

from __future__ import annotations

from torch import Tensor

from twinkit.reconstruct.splats.gaussians import Gaussians
from twinkit.reconstruct.splats.result import Render


def rasterize(gaussians: Gaussians, viewmats: Tensor, Ks: Tensor, width: int, height: int,
              sh_degree: int | None = None, background: Tensor | None = None, near: float = 0.01,
              far: float = 1e10, eps2d: float = 0.3) -> Render:
    """Same contract as :func:`twinkit.reconstruct.splats.torch_backend.rasterize`, on CUDA tensors."""
    from gsplat import rasterization  # imported lazily: gsplat JIT-compiles its CUDA kernels on first use

    sh_degree = gaussians.sh_degree if sh_degree is None else sh_degree
    backgrounds = None if background is None else background.to(viewmats).reshape(-1, 3).expand(len(viewmats), 3)
    image, alpha, meta = rasterization(
        gaussians.means, gaussians.quats, gaussians.scales, gaussians.opacities, gaussians.sh, viewmats, Ks,
        width, height, near_plane=near, far_plane=far, eps2d=eps2d, sh_degree=sh_degree, packed=False,
        backgrounds=backgrounds, render_mode="RGB+ED", rasterize_mode="classic")
    return Render(image[..., :3], alpha, image[..., 3:], meta)

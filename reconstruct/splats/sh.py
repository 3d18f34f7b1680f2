"""Real spherical harmonics up to degree 3, with gsplat's constants and basis order (Sloan, JCGT 2013)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from twinkit.reconstruct.splats.gaussians import SH_C0, num_sh_bases


def sh_bases(degree: int, dirs: Tensor) -> Tensor:
    """SH basis values (..., (degree+1)^2) at the directions ``dirs`` (..., 3), normalised here."""
    if not 0 <= degree <= 3:
        raise ValueError(f"SH degree must be 0..3, got {degree}")
    x, y, z = F.normalize(dirs, dim=-1).unbind(-1)
    bases = [torch.full_like(x, SH_C0)]
    if degree >= 1:
        bases += [-0.48860251190292 * y, 0.48860251190292 * z, -0.48860251190292 * x]
    if degree >= 2:
        z2, c1, s1 = z * z, x * x - y * y, 2 * x * y
        bases += [0.5462742152960395 * s1, -1.092548430592079 * z * y, 0.9461746957575601 * z2 - 0.3153915652525201,
                  -1.092548430592079 * z * x, 0.5462742152960395 * c1]
    if degree >= 3:
        c2, s2 = x * c1 - y * s1, x * s1 + y * c1
        tmp_c = -2.285228997322329 * z2 + 0.4570457994644658
        bases += [-0.5900435899266435 * s2, 1.445305721320277 * z * s1, tmp_c * y,
                  z * (1.865881662950577 * z2 - 1.119528997770346), tmp_c * x, 1.445305721320277 * z * c1,
                  -0.5900435899266435 * c2]
    return torch.stack(bases, dim=-1)


def eval_sh(degree: int, dirs: Tensor, coeffs: Tensor) -> Tensor:
    """Colour (..., 3) of SH ``coeffs`` (..., K, 3) seen along ``dirs`` (..., 3), using bands up to ``degree``."""
    k = num_sh_bases(degree)
    if coeffs.shape[-2] < k:
        raise ValueError(f"SH degree {degree} needs {k} coefficients per channel, got {coeffs.shape[-2]}")
    return torch.einsum("...k,...kc->...c", sh_bases(degree, dirs), coeffs[..., :k, :])

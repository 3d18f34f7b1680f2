"""A set of 3D Gaussians as plain tensors in gsplat's (and the original 3DGS code's) parameterisation."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import torch
from torch import Tensor

SH_C0 = 0.28209479177387814  # the degree-0 real spherical harmonic, 1 / (2 sqrt(pi))


def num_sh_bases(degree: int) -> int:
    """Number of SH coefficients per colour channel for ``degree`` (0..3)."""
    return (degree + 1) ** 2


def rgb_to_sh(rgb: Tensor) -> Tensor:
    """The degree-0 SH coefficient that renders as ``rgb`` (gsplat adds 0.5 after SH evaluation)."""
    return (rgb - 0.5) / SH_C0


@dataclass
class Gaussians:
    """N anisotropic 3D Gaussians with view-dependent colour.

    Raw (pre-activation) parameters, as optimised and as stored in a 3DGS PLY:
    ``means`` (N,3) world metres; ``log_scales`` (N,3); ``quats`` (N,4) wxyz, not necessarily unit;
    ``opacity_logits`` (N,); ``sh`` (N,K,3) SH coefficients with K = (degree+1)^2, band-major.
    """

    means: Tensor
    log_scales: Tensor
    quats: Tensor
    opacity_logits: Tensor
    sh: Tensor

    def __post_init__(self) -> None:
        n = self.means.shape[0]
        expected = {"means": (n, 3), "log_scales": (n, 3), "quats": (n, 4), "opacity_logits": (n,)}
        for name, shape in expected.items():
            if tuple(getattr(self, name).shape) != shape:
                raise ValueError(f"Gaussians.{name} has shape {tuple(getattr(self, name).shape)}, expected {shape}")
        k = self.sh.shape[1] if self.sh.dim() == 3 else -1
        if self.sh.dim() != 3 or self.sh.shape[0] != n or self.sh.shape[2] != 3 or math.isqrt(k) ** 2 != k or k > 16:
            raise ValueError(f"Gaussians.sh has shape {tuple(self.sh.shape)}, expected ({n}, K, 3), K in 1, 4, 9, 16")

    def __len__(self) -> int:
        return self.means.shape[0]

    @property
    def sh_degree(self) -> int:
        """The SH degree the coefficients allow (0..3)."""
        return math.isqrt(self.sh.shape[1]) - 1

    @property
    def scales(self) -> Tensor:
        """Standard deviations along the three principal axes (N,3)."""
        return torch.exp(self.log_scales)

    @property
    def opacities(self) -> Tensor:
        """Opacities in (0, 1) (N,)."""
        return torch.sigmoid(self.opacity_logits)

    def tensors(self) -> list[Tensor]:
        """The five parameter tensors, in field order (e.g. for an optimiser)."""
        return [getattr(self, f.name) for f in fields(self)]

    def to(self, device: torch.device | str | None = None, dtype: torch.dtype | None = None) -> "Gaussians":
        """These Gaussians on ``device`` and/or in ``dtype`` (tensors already there are shared, as Tensor.to)."""
        return Gaussians(*(t.to(device=device, dtype=dtype) for t in self.tensors()))

    def requires_grad_(self, flag: bool = True) -> "Gaussians":
        """Make every parameter a leaf that collects gradients; returns ``self``."""
        for t in self.tensors():
            t.requires_grad_(flag)
        return self

    @classmethod
    def from_points(cls, points: Tensor, rgb: Tensor, scale: float | Tensor, sh_degree: int = 3,
                    opacity: float = 0.1) -> "Gaussians":
        """Isotropic Gaussians at ``points`` (N,3) with colours ``rgb`` (N,3) in [0,1], standard deviation
        ``scale`` (metres, scalar or (N,)), identity rotation, constant ``opacity`` and zero higher SH bands."""
        n = points.shape[0]
        dtype, device = points.dtype, points.device
        log_scale = torch.log(torch.as_tensor(scale, dtype=dtype, device=device)).expand(n)
        sh = torch.zeros(n, num_sh_bases(sh_degree), 3, dtype=dtype, device=device)
        sh[:, 0] = rgb_to_sh(rgb.to(dtype))
        quats = torch.zeros(n, 4, dtype=dtype, device=device)
        quats[:, 0] = 1.0
        logit = math.log(opacity / (1.0 - opacity))
        return cls(points.clone(), log_scale[:, None].repeat(1, 3), quats,
                   torch.full((n,), logit, dtype=dtype, device=device), sh)

"""EWA projection of 3D Gaussians to screen-space 2D Gaussians, mirroring gsplat's pinhole CUDA kernel.

Written in PyTorch because gsplat's own PyTorch version (``gsplat.cuda._torch_impl``) is private API and
lacks the opacity-aware bounding box its CUDA kernel uses; the tests compare the two.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor

ALPHA_THRESHOLD = 1.0 / 255.0  # gsplat: fragments fainter than this are skipped
MAX_EXTENT = 3.33  # gsplat: bounding-box half-size in standard deviations


class Projected(NamedTuple):
    """Per camera and Gaussian: pixel centre (C,N,2), conic = upper triangle of the inverse 2D covariance
    [a, b, c] (C,N,3), camera-space depth (C,N), and integer bounding-box half-sizes in pixels (C,N,2),
    zero for culled Gaussians."""

    means2d: Tensor
    conics: Tensor
    depths: Tensor
    radii: Tensor


def quat_to_rotmat(quats: Tensor) -> Tensor:
    """Rotation matrices (...,3,3) from quaternions wxyz (...,4), normalised here."""
    w, x, y, z = F.normalize(quats, dim=-1).unbind(-1)
    return torch.stack([
        1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y),
        2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x),
        2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y),
    ], dim=-1).reshape(quats.shape[:-1] + (3, 3))


def covariances(quats: Tensor, scales: Tensor) -> Tensor:
    """World-space covariances R S S^T R^T (N,3,3)."""
    m = quat_to_rotmat(quats) * scales[..., None, :]
    return m @ m.transpose(-1, -2)


def project(means: Tensor, quats: Tensor, scales: Tensor, opacities: Tensor, viewmats: Tensor, Ks: Tensor,
            width: int, height: int, eps2d: float = 0.3, near: float = 0.01, far: float = 1e10) -> Projected:
    """Project N Gaussians into C pinhole cameras (``viewmats`` world-to-camera (C,4,4), OpenCV axes).

    ``eps2d`` is added to the 2D covariance's diagonal (the 0.3 px low-pass filter). A Gaussian is culled
    (radii 0) if its centre lies outside (near, far), its opacity is below 1/255, or its box misses the image.
    """
    rot, trans = viewmats[:, :3, :3], viewmats[:, :3, 3]
    means_c = torch.einsum("cij,nj->cni", rot, means) + trans[:, None, :]  # (C,N,3)
    covars_c = rot[:, None] @ covariances(quats, scales)[None] @ rot[:, None].transpose(-1, -2)  # (C,N,3,3)

    fx, fy, cx, cy = (Ks[:, i, j, None] for i, j in ((0, 0), (1, 1), (0, 2), (1, 2)))  # (C,1)
    x, y, z = means_c.unbind(-1)
    # Clamp the Jacobian's evaluation point to 1.3x the field of view, as the 3DGS/gsplat kernels do.
    tan_x, tan_y = 0.5 * width / fx, 0.5 * height / fy
    tx = z * torch.minimum(torch.maximum(x / z, -(cx / fx + 0.3 * tan_x)), (width - cx) / fx + 0.3 * tan_x)
    ty = z * torch.minimum(torch.maximum(y / z, -(cy / fy + 0.3 * tan_y)), (height - cy) / fy + 0.3 * tan_y)
    zeros = torch.zeros_like(z)
    jac = torch.stack([fx / z, zeros, -fx * tx / (z * z), zeros, fy / z, -fy * ty / (z * z)], -1)
    jac = jac.reshape(z.shape + (2, 3))
    cov2d = jac @ covars_c @ jac.transpose(-1, -2)
    a = cov2d[..., 0, 0] + eps2d
    b = 0.5 * (cov2d[..., 0, 1] + cov2d[..., 1, 0])
    c = cov2d[..., 1, 1] + eps2d
    det = a * c - b * b
    safe_det = torch.where(det > 0, det, torch.ones_like(det))
    conics = torch.stack([c / safe_det, -b / safe_det, a / safe_det], dim=-1)
    means2d = torch.stack([fx * x / z + cx, fy * y / z + cy], dim=-1)

    with torch.no_grad():
        opac = opacities.expand_as(z)
        # Opacity-aware extent (gsplat, after arXiv:2402.00525 B.2): beyond it alpha < 1/255 anyway.
        extent = torch.sqrt(2.0 * torch.log(opac.clamp_min(ALPHA_THRESHOLD) / ALPHA_THRESHOLD)).clamp_max(MAX_EXTENT)
        radii = torch.ceil(extent[..., None] * torch.stack([a, c], -1).clamp_min(0).sqrt())
        u, v = means2d.unbind(-1)
        visible = ((z >= near) & (z <= far) & (det > 0) & (opac >= ALPHA_THRESHOLD)
                   & ((radii[..., 0] > 0) | (radii[..., 1] > 0))
                   & (u + radii[..., 0] > 0) & (u - radii[..., 0] < width)
                   & (v + radii[..., 1] > 0) & (v - radii[..., 1] < height))
        radii = (radii * visible[..., None]).int()
    return Projected(means2d, conics, z, radii)

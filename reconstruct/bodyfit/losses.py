"""Fitting losses, in metres at the subject so that the landmark and silhouette terms weigh alike."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from twinkit.reconstruct.bodyfit.targets import Landmarks, Silhouette


def geman_mcclure(sq: torch.Tensor, scale: float) -> torch.Tensor:
    """Robust penalty of squared residuals (quadratic near 0, bounded by ``scale**2``)."""
    return sq * scale**2 / (sq + scale**2)


def landmark_loss(keypoints: torch.Tensor, target: Landmarks, scale: float | None = 0.03) -> torch.Tensor:
    """Weighted mean of squared 3D distances between anny's keypoints and the landmarks: robust
    (Geman-McClure at ``scale``), or plain least squares when ``scale`` is None (a pull that never gives up,
    for landmarks already known to be inliers)."""
    points = torch.from_numpy(target.points)
    weights = torch.from_numpy(target.weights)
    sq = ((keypoints[torch.from_numpy(target.keypoint_index)] - points) ** 2).sum(-1)
    return (weights * (sq if scale is None else geman_mcclure(sq, scale))).sum() / weights.sum()


def project(vertices: torch.Tensor, silhouette: Silhouette) -> tuple[torch.Tensor, torch.Tensor]:
    """Pinhole projection to pixels (N, 2) and depths (N,)."""
    cam = silhouette.camera
    local = vertices @ torch.from_numpy(cam.R).T + torch.from_numpy(cam.t)
    depth = local[:, 2].clamp(min=1e-3)
    K = torch.from_numpy(cam.K)
    uv = local[:, :2] / depth[:, None] @ K[:2, :2].T + K[:2, 2]
    return uv, depth


def silhouette_loss(vertices: torch.Tensor, silhouette: Silhouette, metres_per_px: float,
                    scale: float = 0.05) -> torch.Tensor:
    """Vertices projecting outside the mask (distance-map lookup) plus the mask contour's chamfer distance
    to the nearest projected vertex, both robust, in metres at the subject."""
    uv, _ = project(vertices, silhouette)
    h, w = silhouette.outside_px.shape
    grid = torch.stack([uv[:, 0] / (w - 1), uv[:, 1] / (h - 1)], -1) * 2 - 1
    outside = F.grid_sample(silhouette.outside_px[None, None], grid[None, None], mode="bilinear",
                            padding_mode="border", align_corners=True)[0, 0, 0] * metres_per_px
    nearest = torch.cdist(silhouette.contour, uv).min(dim=1).values * metres_per_px
    return geman_mcclure(outside**2, scale).mean() + geman_mcclure(nearest**2, scale).mean()

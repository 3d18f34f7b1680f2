"""Initial Gaussians on the fitted body's surface, coloured from the training images."""

from __future__ import annotations

import math

import numpy as np
import torch
import trimesh

from twinkit.reconstruct.splats import Gaussians, camera_tensors
from twinkit.reconstruct.splats.backend import Rasterizer
from twinkit.reconstruct.train.views import View

DEPTH_SCALE = 0.5  # visibility depth maps are rendered at half resolution: plenty for a z-test


def sample_body(vertices: np.ndarray, faces: np.ndarray, count: int, seed: int) -> tuple[np.ndarray, float]:
    """``count`` points spread uniformly over the body surface and their mean spacing in metres."""
    mesh = trimesh.Trimesh(np.asarray(vertices, dtype=np.float64), np.asarray(faces), process=False)
    points, _ = trimesh.sample.sample_surface(mesh, count, seed=seed)
    return points, math.sqrt(mesh.area / count)


@torch.no_grad()
def visible_colours(points: torch.Tensor, spacing: float, views: list[View], rasterize: Rasterizer) -> torch.Tensor:
    """Mean colour (N,3) of each point over the views where it is in the mask and not hidden behind
    the surface (z-test against the depth of the points rendered as opaque discs); the mean foreground
    colour for points no view sees."""
    discs = Gaussians.from_points(points, torch.zeros_like(points), spacing, sh_degree=0, opacity=0.99)
    total = torch.zeros(len(points), 3, device=points.device)
    seen = torch.zeros(len(points), device=points.device)
    for view in views:
        cam = view.camera
        small = cam.scaled(max(1, round(cam.width * DEPTH_SCALE)), max(1, round(cam.height * DEPTH_SCALE)))
        viewmat, K = camera_tensors([small], points.device, points.dtype)
        depth = rasterize(discs, viewmat, K, small.width, small.height).depth[0, ..., 0]
        cam_pts = points @ viewmat[0, :3, :3].T + viewmat[0, :3, 3]
        z = cam_pts[:, 2].clamp_min(1e-6)
        u = K[0, 0, 0] * cam_pts[:, 0] / z + K[0, 0, 2]
        v = K[0, 1, 1] * cam_pts[:, 1] / z + K[0, 1, 2]
        col, row = u.floor().long(), v.floor().long()
        inside = (cam_pts[:, 2] > 0) & (col >= 0) & (col < small.width) & (row >= 0) & (row < small.height)
        col, row = col.clamp(0, small.width - 1), row.clamp(0, small.height - 1)
        front = z <= depth[row, col] + 2.0 * spacing
        full_col = (col.float() / DEPTH_SCALE).long().clamp(0, cam.width - 1)
        full_row = (row.float() / DEPTH_SCALE).long().clamp(0, cam.height - 1)
        ok = inside & front & (view.mask[full_row, full_col, 0] > 0.5)
        total[ok] += view.image[full_row[ok], full_col[ok]]
        seen[ok] += 1
    fallback = torch.stack([(v.image * v.mask).sum((0, 1)) / v.mask.sum().clamp_min(1) for v in views]).mean(0)
    colours = total / seen.clamp_min(1)[:, None]
    colours[seen == 0] = fallback
    return colours


def init_gaussians(vertices: np.ndarray, faces: np.ndarray, views: list[View], count: int, sh_degree: int,
                   seed: int, rasterize: Rasterizer, device: torch.device) -> Gaussians:
    """Isotropic Gaussians (opacity 0.5, standard deviation half the point spacing) at ``count`` points on
    the body mesh, coloured by :func:`visible_colours` (float32, on ``device`` like the views)."""
    points, spacing = sample_body(vertices, faces, count, seed)
    points_t = torch.as_tensor(points, dtype=torch.float32, device=device)
    colours = visible_colours(points_t, spacing, views, rasterize)
    return Gaussians.from_points(points_t, colours, 0.5 * spacing, sh_degree=sh_degree, opacity=0.5)

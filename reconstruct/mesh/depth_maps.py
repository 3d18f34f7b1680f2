"""Depth and opacity of Gaussian splats rendered at the capture's (undistorted) cameras."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import trimesh

from twinkit.capture.cameras import Camera
from twinkit.reconstruct.splats import Gaussians, camera_tensors, get_rasterizer


@dataclass
class DepthMaps:
    """Per camera: expected depth along the optical axis (C,H,W) metres and accumulated opacity (C,H,W)."""

    depth: np.ndarray
    alpha: np.ndarray


def render_depth(gaussians: Gaussians, cameras: list[Camera], device: str = "auto") -> DepthMaps:
    """Render depth and alpha of ``gaussians`` at pinhole ``cameras`` of one size, one camera at a time."""
    rasterize, dev = get_rasterizer(device)
    splats = gaussians.to(dev, torch.float32)
    depths, alphas = [], []
    with torch.no_grad():
        for cam in cameras:
            viewmats, Ks = camera_tensors([cam], dev)
            out = rasterize(splats, viewmats, Ks, cam.width, cam.height, sh_degree=0)
            depths.append(out.depth[0, ..., 0].cpu().numpy())
            alphas.append(out.alpha[0, ..., 0].cpu().numpy())
    return DepthMaps(np.stack(depths), np.stack(alphas))


def surface_splats(mesh: trimesh.Trimesh, spacing: float = 0.006, opacity: float = 0.99,
                   seed: int = 0) -> Gaussians:
    """Flat, opaque Gaussians covering ``mesh``'s surface about ``spacing`` metres apart (grey, SH degree 0).

    A stand-in for trained splats (tests, benchmarks): the rendering path is the same.
    """
    count = int(np.ceil(mesh.area / spacing**2))
    points, faces = trimesh.sample.sample_surface_even(mesh, count, radius=0.5 * spacing, seed=seed)
    normals = mesh.face_normals[faces]
    # Rotation taking z to the normal: the Gaussian's thin third axis lies along the normal.
    quats = np.array([trimesh.transformations.quaternion_from_matrix(trimesh.geometry.align_vectors([0, 0, 1], n))
                      for n in normals])
    sigma = torch.tensor([0.5 * spacing, 0.5 * spacing, 0.02 * spacing], dtype=torch.float32)
    n = len(points)
    splats = Gaussians.from_points(torch.as_tensor(points, dtype=torch.float32), torch.full((n, 3), 0.5),
                                   spacing, sh_degree=0, opacity=opacity)
    splats.quats = torch.as_tensor(quats, dtype=torch.float32)
    splats.log_scales = torch.log(sigma).expand(n, 3).clone()
    return splats

"""Outline refinement (reconstruct/mesh/silhouette.py) and sub-pixel plate masks (capture/matting.py):
a surface fused a few millimetres inside the skin is moved back onto it by the masks, measured as the signed
distance to the true surface; a plate mask that runs wide is brought back to the true area."""

from __future__ import annotations

import numpy as np
import open3d as o3d
import trimesh
from scipy.ndimage import binary_closing

from twinkit.capture.cameras import PINHOLE, Camera, look_at
from twinkit.capture.matting import refine_outline
from twinkit.reconstruct.mesh import View, refine_to_silhouettes
from twinkit.reconstruct.mesh.views import pixel_rays


def cameras(size: int = 256) -> list[Camera]:
    """A studio-like rig: two rings of eight cameras 3 m from a body-sized target, at hip and head height."""
    cams = []
    for ring, height in enumerate((0.6, 1.7)):
        for i in range(8):
            a = 2 * np.pi * (i + 0.5 * ring) / 8
            R, t = look_at([3 * np.cos(a), 3 * np.sin(a), height], [0, 0, 0.9], [0, 0, 1])
            cams.append(Camera(f"c{ring}{i}", size, size, [[420, 0, size / 2], [0, 420, size / 2], [0, 0, 1]],
                               R, t, model=PINHOLE))
    return cams


def body() -> trimesh.Trimesh:
    """A torso-sized rounded shape with an elliptic cross-section (not a sphere: normals vary)."""
    mesh = trimesh.creation.capsule(height=1.2, radius=0.15, count=[48, 48])
    mesh.apply_scale([1.0, 0.7, 1.0])
    mesh.apply_translation([0, 0, 0.9])
    return mesh


def masks_of(mesh: trimesh.Trimesh, cams: list[Camera]) -> list[np.ndarray]:
    scene = o3d.t.geometry.RaycastingScene()
    scene.add_triangles(o3d.core.Tensor(mesh.vertices.astype(np.float32)), o3d.core.Tensor(mesh.faces.astype(np.uint32)))
    return [np.isfinite(scene.cast_rays(pixel_rays(cam))["t_hit"].numpy()) for cam in cams]


def signed_offset_mm(mesh: trimesh.Trimesh, truth: trimesh.Trimesh) -> float:
    """Median distance from the true surface to ``mesh``: + when ``mesh`` lies inside it."""
    points = trimesh.sample.sample_surface(truth, 3000, seed=0)[0]
    return float(-1000 * np.median(trimesh.proximity.signed_distance(mesh, points)))  # trimesh: + inside mesh


def test_outline_refinement_moves_a_shrunken_surface_back_onto_the_skin():
    truth = body()
    cams = cameras()
    views = [View(cam, np.zeros((cam.height, cam.width, 3), np.uint8), mask) for cam, mask in zip(cams, masks_of(truth, cams))]
    shrunk = trimesh.Trimesh(truth.vertices - 0.008 * truth.vertex_normals, truth.faces)
    assert 7.0 < signed_offset_mm(shrunk, truth) < 9.0
    refined, figures, _ = refine_to_silhouettes(shrunk, views)
    assert abs(signed_offset_mm(refined, truth)) < 1.5, figures
    assert figures["residual_mm_before"] > 5.0 and abs(figures["residual_mm_after"]) < 1.0


def test_outline_refinement_ignores_a_view_whose_mask_is_wrong():
    truth = body()
    cams = cameras()
    masks = masks_of(truth, cams)
    masks[0] = np.zeros_like(masks[0])
    masks[0][:, : masks[0].shape[1] // 2] = True  # a broken mask: half the frame
    views = [View(cam, np.zeros((cam.height, cam.width, 3), np.uint8), mask) for cam, mask in zip(cams, masks)]
    refined, _, _ = refine_to_silhouettes(truth, views)
    assert abs(signed_offset_mm(refined, truth)) < 2.0


def test_outline_refinement_takes_no_evidence_from_a_gap_too_narrow_to_resolve():
    """Two legs 2 cm apart (about 3 px in these views): where a mask closes such a gap, as a pixel's coverage
    may, the inner sides of the legs must not be pushed into it."""
    legs = []
    for x in (-0.085, 0.085):
        leg = trimesh.creation.capsule(height=0.7, radius=0.075, count=[32, 32])
        leg.apply_translation([x, 0, 0.6])
        legs.append(leg)
    truth = trimesh.util.concatenate(legs)
    cams = cameras()
    shut = np.ones((1, 4), bool)  # closes horizontal gaps up to 3 px, leaves the outer outline where it is
    closed = [binary_closing(m, structure=shut) for m in masks_of(truth, cams)]
    views = [View(cam, np.zeros((cam.height, cam.width, 3), np.uint8), mask) for cam, mask in zip(cams, closed)]
    refined, _, _ = refine_to_silhouettes(truth, views)
    inner = np.abs(truth.vertices[:, 0]) < 0.02  # the legs' facing sides
    moved = np.abs(refined.vertices[inner, 0]) - np.abs(truth.vertices[inner, 0])
    assert moved.min() > -0.003, f"inner sides pushed up to {-1000 * moved.min():.1f} mm into the gap"  # was 13.6


def test_plate_mask_outline_comes_back_to_half_coverage():
    size, scale = 160, 8
    yy, xx = np.mgrid[0: size * scale, 0: size * scale] / scale
    disc = ((xx - 80.3) ** 2 / 50**2 + (yy - 79.6) ** 2 / 35**2) <= 1.0
    coverage = disc.reshape(size, scale, size, scale).mean(axis=(1, 3))  # exact area per pixel
    plate = np.full((size, size, 3), (40, 90, 200), np.float32)
    person = np.array([210, 160, 120], np.float32)
    image = np.clip(coverage[..., None] * person + (1 - coverage[..., None]) * plate, 0, 255).round().astype(np.uint8)
    truth = coverage >= 0.5
    wide = np.asarray(coverage > 0.02, np.float32)  # what a plain colour-difference threshold gives
    refined = refine_outline(image, plate.astype(np.uint8), wide) >= 0.5
    iou = lambda m: (m & truth).sum() / (m | truth).sum()  # noqa: E731
    assert iou(wide > 0.5) < 0.985
    assert iou(refined) > 0.995

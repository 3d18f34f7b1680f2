"""Bake a colour texture for a UV-mapped mesh from calibrated photos.

Every texel's surface point and normal come from Open3D's attribute baking; each photo contributes where
the point is visible (z-buffer test against the mesh ray-cast from that camera, inside the subject mask),
weighted by the cosine of the viewing angle and the photo's sharpness. Empty texels (unseen surface, the
gutters between charts) are filled from their neighbours so that bilinear lookups never reach black.
"""

from __future__ import annotations

import cv2
import numpy as np
import open3d as o3d
import trimesh
from scipy.ndimage import map_coordinates

from twinkit.capture.cameras import Camera
from twinkit.core.errors import QualityError
from twinkit.reconstruct.mesh.views import View, pixel_rays

MIN_COSINE = 0.2  # grazing views smear colour across the surface: ignore them


def texel_geometry(mesh: trimesh.Trimesh, normals: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Surface point and unit normal of every texel of a ``size``² texture of ``mesh`` (with ``visual.uv``),
    each (size,size,3), NaN outside the charts. Image row 0 is v = 1 (OBJ/glTF convention)."""
    tm = o3d.t.geometry.TriangleMesh(o3d.core.Tensor(np.asarray(mesh.vertices, np.float32)),
                                     o3d.core.Tensor(np.asarray(mesh.faces, np.int64)))
    tm.vertex.normals = o3d.core.Tensor(normals.astype(np.float32))
    tm.triangle.texture_uvs = o3d.core.Tensor(np.asarray(mesh.visual.uv, np.float32)[mesh.faces])
    baked = tm.bake_vertex_attr_textures(size, {"positions", "normals"}, margin=0.0, fill=np.nan,
                                         update_material=False)
    n = baked["normals"].numpy()
    return baked["positions"].numpy(), n / np.linalg.norm(n, axis=-1, keepdims=True)


def zbuffer(scene: o3d.t.geometry.RaycastingScene, camera: Camera) -> np.ndarray:
    """Depth along the optical axis of the nearest surface at every pixel of ``camera`` (inf where none)."""
    rays = pixel_rays(camera)
    hit = scene.cast_rays(rays)["t_hit"].numpy()
    dirs_z = (rays.numpy()[..., 3:] @ camera.R.T)[..., 2]  # ray direction's component along the optical axis
    return (hit * dirs_z).astype(np.float32)


def sharpness(view: View) -> float:
    """Variance of the Laplacian of the photo inside its subject mask (a focus measure)."""
    lap = cv2.Laplacian(cv2.cvtColor(view.rgb, cv2.COLOR_RGB2GRAY), cv2.CV_32F)
    return float(lap[view.mask].var()) if view.mask.any() else 0.0


def project_colours(points: np.ndarray, normals: np.ndarray, view: View, depth: np.ndarray,
                    tolerance: float) -> tuple[np.ndarray, np.ndarray]:
    """Colours (N,3) of surface ``points`` (N,3) seen in ``view`` and their cosine weights (N,), zero where
    the point faces away, is occluded (farther than ``tolerance`` behind the z-buffer ``depth``), or falls
    outside the image or the subject mask."""
    cam = view.camera
    local = cam.to_camera(points)
    z = local[:, 2]
    uv = local[:, :2] / np.maximum(z, 1e-9)[:, None] * np.diag(cam.K)[:2] + cam.K[:2, 2]
    to_camera = cam.center - points
    cosine = np.einsum("ij,ij->i", normals, to_camera) / np.linalg.norm(to_camera, axis=1)
    px = np.round(uv).astype(np.int64)
    inside = (z > 0) & (px[:, 0] >= 0) & (px[:, 0] < cam.width) & (px[:, 1] >= 0) & (px[:, 1] < cam.height)
    # Nearest surface over the 3x3 neighbourhood: points just behind an occluding edge are rejected too.
    nearest = cv2.erode(depth, np.ones((3, 3), np.uint8))
    mask = cv2.erode(view.mask.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    ok = inside.copy()
    row, col = px[inside, 1], px[inside, 0]
    ok[inside] = mask[row, col] & (z[inside] <= nearest[row, col] + tolerance)
    weight = np.where(ok & (cosine > MIN_COSINE), cosine, 0.0)
    colours = np.zeros((len(points), 3))
    used = weight > 0
    for channel in range(3):  # bilinear lookup (cv2.remap cannot take 32k or more points in one row)
        colours[used, channel] = map_coordinates(view.rgb[..., channel], uv[used, ::-1].T, order=1)
    return colours, weight


def fill_empty(image: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Fill texels where ``known`` is false with colours pulled from the nearest known texels (push-pull).

    Hand-written: OpenCV's inpainting is far slower on a mostly empty atlas and bleeds black from it.
    """
    if known.all() or not known.any():
        return image
    weight = known.astype(np.float32)
    levels = [(image.astype(np.float32) * weight[..., None], weight)]
    while min(levels[-1][1].shape) > 1:
        colour, weight = levels[-1]
        half = ((weight.shape[1] + 1) // 2, (weight.shape[0] + 1) // 2)
        levels.append((cv2.resize(colour, half, interpolation=cv2.INTER_AREA),
                       cv2.resize(weight, half, interpolation=cv2.INTER_AREA)))
    filled = levels[-1][0] / np.maximum(levels[-1][1], 1e-12)[..., None]
    for colour, weight in reversed(levels[:-1]):
        coarse = cv2.resize(filled, (weight.shape[1], weight.shape[0]), interpolation=cv2.INTER_LINEAR)
        mean = colour / np.maximum(weight, 1e-12)[..., None]
        alpha = np.clip(4.0 * weight, 0.0, 1.0)[..., None]  # a quarter-covered texel is known enough
        filled = alpha * mean + (1.0 - alpha) * coarse
    out = image.astype(np.float32).copy()
    out[~known] = filled[~known]
    return out


def bake_texture(mesh: trimesh.Trimesh, normals: np.ndarray, views: list[View], size: int = 2048,
                 tolerance: float = 0.01, angle_power: float = 4.0) -> np.ndarray:
    """A ``size``² RGB uint8 texture for ``mesh`` (with ``visual.uv``; ``normals`` per vertex) blended from
    pinhole ``views``: weight = cos(view angle)^``angle_power`` x the view's relative sharpness."""
    points, texel_normals = texel_geometry(mesh, normals, size)
    chart = np.isfinite(points[..., 0]) & np.isfinite(texel_normals[..., 0])
    p, n = points[chart].astype(np.float64), texel_normals[chart].astype(np.float64)
    scene = o3d.t.geometry.RaycastingScene()
    scene.add_triangles(o3d.core.Tensor(np.asarray(mesh.vertices, np.float32)),
                        o3d.core.Tensor(np.asarray(mesh.faces, np.uint32)))
    focus = np.array([sharpness(v) for v in views])
    focus = focus / max(focus.max(), 1e-12)
    total, colour = np.zeros(len(p)), np.zeros((len(p), 3))
    for view, relative in zip(views, focus):
        rgb, cosine = project_colours(p, n, view, zbuffer(scene, view.camera), tolerance)
        weight = cosine**angle_power * relative
        total += weight
        colour += weight[:, None] * rgb
    seen = total > 0
    if not seen.any():
        raise QualityError("no photo sees the mesh surface: cannot bake a texture")
    texture = np.zeros((size, size, 3), np.float32)
    known = np.zeros((size, size), bool)
    rows, cols = np.nonzero(chart)
    texture[rows[seen], cols[seen]] = colour[seen] / total[seen, None]
    known[rows[seen], cols[seen]] = True
    return np.clip(np.round(fill_empty(texture, known)), 0, 255).astype(np.uint8)

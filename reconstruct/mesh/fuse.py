"""Depth maps to a closed surface: TSDF fusion (Open3D's VoxelBlockGrid), marching cubes, clean-up, decimation."""

from __future__ import annotations

import numpy as np
import open3d as o3d
import trimesh

from twinkit.capture.cameras import Camera
from twinkit.core.errors import QualityError


def fuse_depth(cameras: list[Camera], depths: np.ndarray, alphas: np.ndarray, masks: np.ndarray | None = None,
               voxel_size: float = 0.005, truncation_voxels: float = 4.0, min_alpha: float = 0.5,
               depth_max: float = 100.0, min_views: float = 1.0) -> trimesh.Trimesh:
    """TSDF-fuse per-camera depth maps (C,H,W metres along the optical axis, pinhole ``cameras``) and
    extract the zero level set where at least ``min_views`` cameras observed it.

    Surface pixels: ``alphas`` > ``min_alpha`` and inside ``masks`` (C,H,W). Pixels outside the mask
    (transparent ones when there are no masks) carve free space, so that gaps few cameras see (between
    the legs, under the arms) are not bridged; the remaining pixels say nothing.
    """
    grid = o3d.t.geometry.VoxelBlockGrid(attr_names=("tsdf", "weight"),
                                         attr_dtypes=(o3d.core.float32, o3d.core.float32),
                                         attr_channels=((1,), (1,)), voxel_size=voxel_size,
                                         block_resolution=8, block_count=100_000, device=o3d.core.Device("CPU:0"))
    solid = alphas > min_alpha
    empty = ~solid if masks is None else ~masks
    if masks is not None:
        solid &= masks
    seen = solid.reshape(len(solid), -1).any(axis=1)  # views with some surface (Open3D aborts on the others)
    if not seen.any():
        raise QualityError("depth fusion found no surface: no view has opaque splats inside its mask")
    far = 0.5 * depth_max  # "background": far behind the subject, yet a valid depth

    def image(values: np.ndarray) -> o3d.t.geometry.Image:
        return o3d.t.geometry.Image(values.astype(np.float32))

    intrinsics = [o3d.core.Tensor(cam.half_pixel_K, o3d.core.float64) for cam in cameras]
    extrinsics = [o3d.core.Tensor(cam.w2c, o3d.core.float64) for cam in cameras]
    # Allocate voxel blocks around the subject's surface as seen by every camera ...
    blocks = np.unique(np.concatenate([
        grid.compute_unique_block_coordinates(image(np.where(solid[v], depths[v], 0.0)), intrinsics[v],
                                              extrinsics[v], depth_scale=1.0, depth_max=depth_max).numpy()
        for v in np.flatnonzero(seen)]), axis=0)
    # ... then let every camera update all of them, carving with its background pixels.
    for v in range(len(cameras)):
        depth = image(np.where(solid[v], depths[v], np.where(empty[v], far, 0.0)))
        grid.integrate(o3d.core.Tensor(blocks), depth, intrinsics[v], extrinsics[v], depth_scale=1.0,
                       depth_max=depth_max, trunc_voxel_multiplier=truncation_voxels)
    surface = grid.extract_triangle_mesh(weight_threshold=min_views).to_legacy()
    mesh = canonical_order(np.asarray(surface.vertices), np.asarray(surface.triangles))
    if len(mesh.faces) == 0:
        raise QualityError("depth fusion found no surface (are the depth maps empty?)")
    return mesh


def canonical_order(vertices: np.ndarray, faces: np.ndarray) -> trimesh.Trimesh:
    """The mesh with its vertices sorted by position and its faces sorted, so that what follows (vertex
    merging, decimation) gives the same result on every run: Open3D's marching cubes emits vertices and
    triangles in whatever order its threads finish (the same splats gave thigh girths 0.3 mm apart)."""
    order = np.lexsort(vertices.T[::-1])
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    faces = rank[faces]
    faces = np.take_along_axis(faces, (faces.argmin(axis=1)[:, None] + np.arange(3)) % 3, axis=1)  # same winding
    return trimesh.Trimesh(vertices[order], faces[np.lexsort(faces.T[::-1])])


def keep_largest(mesh: trimesh.Trimesh) -> trimesh.Trimesh:
    """The connected component with the largest area (the subject; floaters and debris go)."""
    parts = mesh.split(only_watertight=False)
    return max(parts, key=lambda part: part.area) if len(parts) > 1 else mesh


def smooth(mesh: trimesh.Trimesh, iterations: int = 5) -> trimesh.Trimesh:
    """A Taubin-smoothed copy (no shrinkage): removes the marching-cubes staircase, which also lets the
    UV unwrap find fewer, larger charts."""
    smoothed = mesh.copy()
    trimesh.smoothing.filter_taubin(smoothed, iterations=iterations)
    return smoothed


def close_holes(mesh: trimesh.Trimesh, cell: float) -> trimesh.Trimesh:
    """A watertight surface through ``mesh`` (holes such as the unseen soles closed smoothly): screened
    Poisson reconstruction (Open3D) from its vertices and normals on an octree of about ``cell`` metres.

    Poisson rather than hole patching: MeshFix (pymeshfix) is GPL, and Open3D's ``fill_holes`` leaves
    non-manifold edges on fused surfaces.
    """
    points = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(np.array(mesh.vertices)))
    points.normals = o3d.utility.Vector3dVector(np.array(mesh.vertex_normals))
    scale = 1.5  # octree box / bounding box: room around the surface, so it is never clipped open
    depth = int(np.round(np.log2(scale * mesh.extents.max() / cell)))
    surface, _ = o3d.geometry.TriangleMesh.create_from_point_cloud_poisson(points, depth=depth, scale=scale,
                                                                           n_threads=1)
    return keep_largest(trimesh.Trimesh(np.asarray(surface.vertices), np.asarray(surface.triangles)))


def flatten_below(mesh: trimesh.Trimesh, up: np.ndarray, height: float) -> trimesh.Trimesh:
    """A copy with every vertex lower than ``height`` along ``up`` moved up to it: the soles, which no
    camera sees and hole closing rounds off below the lowest observed point, become flat."""
    up = np.asarray(up, dtype=np.float64) / np.linalg.norm(up)
    vertices = np.array(mesh.vertices)
    below = np.minimum(vertices @ up - height, 0.0)
    return trimesh.Trimesh(vertices - below[:, None] * up, mesh.faces, process=False)


def simplify(mesh: trimesh.Trimesh, faces: int) -> trimesh.Trimesh:
    """Quadric decimation to ``faces`` triangles (Open3D's: unlike fast-simplification's, it keeps a
    watertight surface manifold); smaller meshes pass through."""
    if len(mesh.faces) <= faces:
        return mesh
    legacy = o3d.geometry.TriangleMesh(o3d.utility.Vector3dVector(np.array(mesh.vertices)),
                                       o3d.utility.Vector3iVector(np.array(mesh.faces)))
    reduced = legacy.simplify_quadric_decimation(faces)
    return trimesh.Trimesh(np.asarray(reduced.vertices), np.asarray(reduced.triangles))

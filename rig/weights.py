"""Skin-weight transfer from the fitted body to another mesh of the same person, after Abdrashitov et al.,
"Robust Skin Weights Transfer via Weight Inpainting" (SIGGRAPH Asia 2023): closest-point matches that pass a
distance and a normal test keep the body's weights; the rest are inpainted by a Laplacian solve, then smoothed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from scipy.sparse.csgraph import connected_components


@dataclass
class TransferOptions:
    """Thresholds of the match and of the smoothing (the paper's defaults)."""

    distance: float = 0.05        # max match distance, as a fraction of the target's bounding-box diagonal
    angle_deg: float = 30.0       # max angle between the target and the matched body normal
    smooth_rings: int = 2         # rings around inpainted vertices that are smoothed too
    smooth_iterations: int = 10
    smooth_alpha: float = 0.2


@dataclass
class Transfer:
    """Transferred weights (V, J), rows summing to 1, and which target vertices were matched directly."""

    weights: np.ndarray
    matched: np.ndarray  # (V,) bool


def closest_points(points: np.ndarray, vertices: np.ndarray, faces: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each point's closest surface point on the mesh (vertices, faces): ``(face (N,), barycentric
    coordinates (N, 3), distance (N,))``; interpolate per-vertex data ``X`` as ``einsum("nk,nk...", bary, X[faces[face]])``."""
    import igl

    vertices = np.ascontiguousarray(vertices, dtype=np.float64)
    faces = np.ascontiguousarray(faces, dtype=np.int64)
    sq, face, closest = igl.point_mesh_squared_distance(np.ascontiguousarray(points, dtype=np.float64), vertices, faces)
    tri = faces[face]
    bary = igl.barycentric_coordinates(closest, vertices[tri[:, 0]], vertices[tri[:, 1]], vertices[tri[:, 2]])
    bary = np.clip(bary, 0.0, None)
    return face, bary / bary.sum(axis=1, keepdims=True), np.sqrt(sq)


def interpolate(faces: np.ndarray, face: np.ndarray, bary: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Per-vertex ``values`` (V, ...) interpolated at surface points given by face index and barycentrics."""
    return np.einsum("nk,nk...->n...", bary, values[faces[face]])


def _adjacency(faces: np.ndarray, n: int) -> sp.csr_matrix:
    i = faces[:, [0, 1, 2, 1, 2, 0]].ravel()
    j = faces[:, [1, 2, 0, 0, 1, 2]].ravel()
    a = sp.coo_matrix((np.ones(len(i)), (i, j)), shape=(n, n)).tocsr()
    a.data[:] = 1.0
    return a


def _inpaint(vertices: np.ndarray, faces: np.ndarray, weights: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Fill the unknown rows minimising tr(W' Q W), Q = L + L M^-1 L (the paper's energy), known rows fixed."""
    import robust_laplacian  # handles the non-manifold, noisy meshes that reconstruction produces

    lap, mass = robust_laplacian.mesh_laplacian(np.asarray(vertices, dtype=np.float64), np.asarray(faces))
    inv_mass = sp.diags(1.0 / np.maximum(mass.diagonal(), 1e-12))
    q = (lap + lap @ inv_mass @ lap).tocsr()
    unknown = ~known
    cols = np.flatnonzero(weights[known].any(axis=0))
    q_uu = q[unknown][:, unknown].tocsc()
    rhs = -(q[unknown][:, known] @ weights[known][:, cols])
    out = weights.copy()
    out[unknown] = 0.0
    out[np.ix_(unknown, cols)] = spla.splu(q_uu).solve(np.asarray(rhs))
    return out


def _smooth(weights: np.ndarray, faces: np.ndarray, region: np.ndarray, opts: TransferOptions) -> np.ndarray:
    """Average each region vertex's weights with its neighbours' a few times (the paper's post-smoothing)."""
    adj = _adjacency(faces, len(weights))
    for _ in range(opts.smooth_rings):
        region = region | (adj @ region.astype(float) > 0)
    degree = np.maximum(np.asarray(adj.sum(axis=1)).ravel(), 1.0)
    rows = np.flatnonzero(region)
    out = weights.copy()
    for _ in range(opts.smooth_iterations):
        mean = (adj[rows] @ out) / degree[rows, None]
        out[rows] = (1 - opts.smooth_alpha) * out[rows] + opts.smooth_alpha * mean
    return out


def _normalise(weights: np.ndarray) -> np.ndarray:
    weights = np.clip(weights, 0.0, None)
    return weights / np.maximum(weights.sum(axis=1, keepdims=True), 1e-12)


def transfer_weights(source_vertices: np.ndarray, source_faces: np.ndarray, source_weights: np.ndarray,
                     target_vertices: np.ndarray, target_faces: np.ndarray,
                     options: TransferOptions | None = None) -> Transfer:
    """Transfer per-vertex skin weights (Vs, J) from a source mesh to a target mesh in the same pose and frame.

    Target vertices whose closest source point is near (``distance``) and similarly oriented (``angle_deg``)
    take the interpolated weights; the others (hair, loose clothing, noise) are inpainted. Connected parts of
    the target with no matched vertex take their closest-point weights, since nothing constrains them.
    """
    import trimesh

    opts = options or TransferOptions()
    source = trimesh.Trimesh(source_vertices, source_faces, process=False)
    target = trimesh.Trimesh(target_vertices, target_faces, process=False)
    face, bary, distance = closest_points(target.vertices, source.vertices, source.faces)
    interpolated = interpolate(source.faces, face, bary, np.asarray(source_weights, dtype=np.float64))
    normals = interpolate(source.faces, face, bary, source.vertex_normals)
    normals /= np.maximum(np.linalg.norm(normals, axis=1, keepdims=True), 1e-12)
    diagonal = float(np.linalg.norm(np.ptp(target.vertices, axis=0)))
    cosine = np.einsum("ij,ij->i", target.vertex_normals, normals)
    matched = (distance <= opts.distance * diagonal) & (cosine >= np.cos(np.deg2rad(opts.angle_deg)))
    n_parts, part = connected_components(_adjacency(target.faces, len(target.vertices)), directed=False)
    constrained = np.bincount(part, weights=matched, minlength=n_parts) > 0
    matched |= ~constrained[part]
    weights = interpolated.copy()
    if not matched.all():
        weights = _smooth(_normalise(_inpaint(target.vertices, target.faces, weights, matched)),
                          target.faces, ~matched, opts)
    return Transfer(_normalise(weights), matched)


def limit_weights(weights: np.ndarray, count: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """The ``count`` largest weights per vertex, renormalised: ``(joint indices (V, count) int, weights
    (V, count) float)``, largest first."""
    order = np.argsort(-weights, axis=1, kind="stable")[:, :count]
    top = np.take_along_axis(weights, order, axis=1)
    return order, top / np.maximum(top.sum(axis=1, keepdims=True), 1e-12)


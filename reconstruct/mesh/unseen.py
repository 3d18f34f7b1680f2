"""Parts of the mesh no silhouette constrains take the fitted body's shape, shifted as the seen skin nearby is.

Where no view's outline touches the surface (the hollows between the thighs below the crotch, the armpits),
the fused splats keep whatever they started from or drifted to: trained splats sit some millimetres inside the
skin, and the outline refinement's smooth displacement, filled in there from around, overshoots (on virtual
bodies the inner thigh ended 5-10 mm out and the thigh girth up to +15 mm). The fitted body is a better guess
of those parts' shape, but its own size is off by as much as the surrounding seen skin shows. So the mesh's
signed distance to the body, measured where silhouettes constrain the mesh, is carried into the unseen parts as a
harmonic function (it stays within the values around it: no overshoot), and each unseen vertex moves to that
distance from the body, along the body's normal. A vertex on the outline of only one or two views counts as
unseen too: it lies at the edge of the evidence, where the field is still mostly filled in from around (on a
virtual body such vertices beside the thighs' hollow sat 1-2.5 mm outside the skin, and carried that overshoot
into the fill).

Written here because no maintained library completes a scan from a template this way; the sparse solve is
SciPy's and the distances trimesh's.
"""

from __future__ import annotations

import numpy as np
import trimesh
from scipy.sparse.linalg import spsolve

from twinkit.reconstruct.mesh.silhouette import graph_laplacian

MIN_OUTLINE_VIEWS = 3  # a vertex on the outline of fewer views (the refinement's last pass) is filled. Thigh
# girth within 8 mm on 11 virtual bodies with 1 / 2 / 3 / 4 / 5 views: 8 / 8 / 10 / 9 / 9; the unseen parts' mean
# distance to the GT skin fell on 10 of them from 1 to 3 (docs/benchmarks.md, eighth session)
MAX_SHIFT_M = 0.02  # no unseen vertex moves further: where the body and the subject differ in more than size
# (fingers, hair, clothing) the body is no guide, and a long move could fold the surface


def harmonic_fill(mesh: trimesh.Trimesh, values: np.ndarray, known: np.ndarray) -> np.ndarray:
    """``values`` kept where ``known`` and replaced elsewhere by the harmonic interpolation over ``mesh``'s edge
    graph (each unknown vertex the mean of its neighbours). Unknown parts with no known vertex keep their values."""
    filled = np.asarray(values, dtype=np.float64).copy()
    laplacian = graph_laplacian(mesh)
    reachable = np.zeros(len(filled), bool)
    labels = trimesh.graph.connected_component_labels(mesh.edges_unique, node_count=len(filled))
    reachable[np.isin(labels, np.unique(labels[known]))] = True
    unknown, fixed = np.flatnonzero(~known & reachable), np.flatnonzero(known)
    if len(unknown) and len(fixed):
        rhs = -laplacian[unknown][:, fixed] @ filled[fixed]
        filled[unknown] = spsolve(laplacian[unknown][:, unknown].tocsc(), rhs)
    return filled


def fill_unseen_from_body(mesh: trimesh.Trimesh, seen: np.ndarray, body: trimesh.Trimesh,
                          max_shift: float = MAX_SHIFT_M) -> tuple[trimesh.Trimesh, dict[str, float]]:
    """A copy of ``mesh`` whose vertices not ``seen`` (bool per vertex) lie as far outside the watertight
    ``body`` as the seen skin around them does (see the module), each placed along the body's normal at its
    nearest body point and moved ``max_shift`` at most; and figures: the unseen fraction, the mean signed change
    of distance to the body and the largest move (mm)."""
    vertices = np.asarray(mesh.vertices)
    nearest, distance, triangle = trimesh.proximity.closest_point(body, vertices)
    outside = np.where(body.contains(vertices), -distance, distance)
    target = harmonic_fill(mesh, outside, seen)
    unseen = ~np.asarray(seen, bool)
    move = np.zeros_like(vertices)
    move[unseen] = nearest[unseen] + target[unseen, None] * body.face_normals[triangle[unseen]] - vertices[unseen]
    length = np.linalg.norm(move, axis=1)
    move *= (np.minimum(length, max_shift) / np.maximum(length, 1e-12))[:, None]
    moved = trimesh.Trimesh(vertices + move, mesh.faces, process=False)
    change = target - outside
    return moved, {"unseen_fraction": round(float(unseen.mean()), 3),
                   "mean_change_mm": round(1000 * float(change[unseen].mean()), 2) if unseen.any() else 0.0,
                   "max_shift_mm": round(1000 * float(np.linalg.norm(move, axis=1).max()), 2)}

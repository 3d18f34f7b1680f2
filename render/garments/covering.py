"""Skin under the clothes: which faces of an avatar's reconstructed mesh (and which of its Gaussian splats) a
dressed outfit covers, so that a render can leave them out and the captured surface (the person's own clothes,
hair, a fitting error) never pokes through the cloth.

Garments are dressed on the fitted anny body, so coverage is decided there: an anny vertex is covered when it
lies inside a garment's capped shell (:mod:`twinkit.render.garments.shells`) and farther than a margin from
the garment's openings (skin seen through a neck or a cuff stays). Each reconstructed-mesh vertex takes the
coverage of its closest point on the anny body in the captured pose, the pose the body was fitted in; so
does each Gaussian splat's centre, so that a splat render leaves out the Gaussians under the cloth too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from twinkit.render.garments.garment import boundary_loops
from twinkit.render.garments.shells import enclosed
from twinkit.rig.weights import closest_points, interpolate

OPENING_MARGIN = 0.03  # metres from a garment's opening within which the skin stays drawn


def covered_vertices(body_vertices: np.ndarray, garments: list[tuple[np.ndarray, np.ndarray]],
                     margin: float = OPENING_MARGIN) -> np.ndarray:
    """(V,) bool: the body vertices under any of ``garments`` ((vertices, faces) each, dressed on this body)."""
    covered = np.zeros(len(body_vertices), dtype=bool)
    for vertices, faces in garments:
        rim = np.concatenate(boundary_loops(faces))
        clear = cKDTree(vertices[rim]).query(body_vertices)[0] > margin
        covered |= clear & enclosed(body_vertices, vertices, faces)
    return covered


@dataclass
class SkinMap:
    """Each point's (a reconstructed-mesh vertex's, a Gaussian splat's centre) closest point on the anny body:
    face (N,) and barycentrics (N, 3)."""

    face: np.ndarray
    bary: np.ndarray

    @classmethod
    def between(cls, mesh_vertices: np.ndarray, body_vertices: np.ndarray, body_faces: np.ndarray) -> "SkinMap":
        """The map from a mesh's vertices (or any points) to the anny body, both in the same pose and frame."""
        face, bary, _ = closest_points(mesh_vertices, body_vertices, body_faces)
        return cls(face, bary)

    def hidden_points(self, body_faces: np.ndarray, covered: np.ndarray) -> np.ndarray:
        """(N,) bool: the mapped points (mesh vertices, splat centres) whose closest body point is mostly covered
        (``covered`` (V,) from :func:`covered_vertices`)."""
        return interpolate(body_faces, self.face, self.bary, covered.astype(np.float64)) > 0.5

    def hidden_faces(self, mesh_faces: np.ndarray, body_faces: np.ndarray, covered: np.ndarray) -> np.ndarray:
        """(F,) bool: the mesh faces whose three vertices map to covered body surface (``covered`` (V,) from
        :func:`covered_vertices`)."""
        return self.hidden_points(body_faces, covered)[np.asarray(mesh_faces)].all(axis=1)

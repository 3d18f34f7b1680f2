"""Per-vertex fit maps of a dressed garment: ease (signed distance to the body), strain and contact."""

from __future__ import annotations

from dataclasses import dataclass

import igl
import numpy as np

from twinkit.render.garments.garment import edge_lengths

CONTACT_MM = 2.0  # a garment vertex closer to the skin than this touches it


@dataclass
class FitMaps:
    """Fit of one garment on one body, per garment vertex (``ease_mm``, ``strain``, ``contact``) and per
    edge (``edge_strain``). Ease is in millimetres, negative inside the body; strain is a fraction
    (length / rest length - 1; 0.05 is 5 % stretch)."""

    ease_mm: np.ndarray      # (N,)
    strain: np.ndarray       # (N,) mean strain of the edges at each vertex
    contact: np.ndarray      # (N,) bool
    edge_strain: np.ndarray  # (E,)

    @property
    def penetration_mm(self) -> float:
        """Deepest penetration into the body (mm, >= 0)."""
        return float(max(0.0, -self.ease_mm.min()))


def signed_distance_mm(points: np.ndarray, body_vertices: np.ndarray, body_faces: np.ndarray) -> np.ndarray:
    """Signed distance (mm) from ``points`` to the body surface, negative inside; the sign comes from the
    generalised winding number, which stays right on bodies that are not watertight."""
    distance, *_ = igl.signed_distance(np.ascontiguousarray(points, dtype=np.float64),
                                         np.ascontiguousarray(body_vertices, dtype=np.float64),
                                         np.ascontiguousarray(body_faces, dtype=np.int64),
                                         sign_type=igl.SIGNED_DISTANCE_TYPE_FAST_WINDING_NUMBER)
    return 1000.0 * distance


def edge_strain(vertices: np.ndarray, edges: np.ndarray, rest_lengths: np.ndarray) -> np.ndarray:
    """Per-edge strain: current length over rest length, minus one."""
    return edge_lengths(vertices, edges) / rest_lengths - 1.0


def vertex_average(values: np.ndarray, edges: np.ndarray, n_vertices: int) -> np.ndarray:
    """Average of per-edge ``values`` over the edges at each vertex (0 for a vertex on no edge)."""
    ends = edges.ravel()
    total = np.bincount(ends, weights=np.repeat(values, 2), minlength=n_vertices)
    count = np.bincount(ends, minlength=n_vertices)
    return total / np.maximum(count, 1)


def fit_maps(vertices: np.ndarray, edges: np.ndarray, rest_lengths: np.ndarray, body_vertices: np.ndarray,
             body_faces: np.ndarray, contact_mm: float = CONTACT_MM) -> FitMaps:
    """The fit maps of a garment at ``vertices`` (its mesh ``edges`` at ``rest_lengths``) on a body."""
    ease = signed_distance_mm(vertices, body_vertices, body_faces)
    per_edge = edge_strain(vertices, edges, rest_lengths)
    return FitMaps(ease_mm=ease, strain=vertex_average(per_edge, edges, len(vertices)),
                   contact=ease < contact_mm, edge_strain=per_edge)

"""The garment: one garment in one size as an open triangle surface authored on a reference anny body."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp


@dataclass
class Garment:
    """One garment in one size, as authored on its reference body (anny frame: Z up, metres).

    ``rest_lengths`` are the cloth's unstretched edge lengths; a body larger than the reference stretches
    the garment beyond them. ``regions`` map a region name (chest, waist, hip, sleeve, thigh, leg, skirt,
    hem) to a per-vertex mask. ``openings`` names the garment's intended boundary loops (neck, cuffs, hem).
    ``part`` (top, bottom or full) and ``tucked`` decide the stacking order among garments of one layer
    (see :mod:`twinkit.render.garments.stacking`).
    """

    name: str
    size: str
    vertices: np.ndarray             # (N, 3) float64
    faces: np.ndarray                # (F, 3) int64
    edges: np.ndarray                # (E, 2) int64 unique mesh edges
    rest_lengths: np.ndarray         # (E,) float64
    layer: int                       # 0 next to the skin, 1 over it
    regions: dict[str, np.ndarray]   # region -> (N,) bool
    reference: dict[str, float]      # the reference body's anny phenotype
    openings: tuple[str, ...] = ()
    part: str = "top"                # top (t-shirt, jacket), bottom (trousers, skirt) or full (dress)
    tucked: bool = False             # a top worn tucked into the bottoms of its layer

    @classmethod
    def from_mesh(cls, name: str, size: str, vertices: np.ndarray, faces: np.ndarray, layer: int,
                  regions: dict[str, np.ndarray], reference: dict[str, float],
                  openings: tuple[str, ...] = (), part: str = "top", tucked: bool = False) -> "Garment":
        """A garment whose rest state is the given mesh (rest lengths = its edge lengths)."""
        vertices = np.asarray(vertices, dtype=np.float64)
        faces = np.asarray(faces, dtype=np.int64)
        edges = unique_edges(faces)
        return cls(name, size, vertices, faces, edges, edge_lengths(vertices, edges), int(layer),
                   {k: np.asarray(v, dtype=bool) for k, v in regions.items()}, dict(reference), tuple(openings),
                   str(part), bool(tucked))


def unique_edges(faces: np.ndarray) -> np.ndarray:
    """(E, 2) sorted unique edges of a triangle mesh, in lexicographic order."""
    return edge_face_counts(faces)[0]


def edge_lengths(vertices: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """(E,) lengths of ``edges`` on ``vertices``."""
    return np.linalg.norm(vertices[edges[:, 1]] - vertices[edges[:, 0]], axis=1)


def vertex_adjacency(edges: np.ndarray, n_vertices: int) -> sp.csr_matrix:
    """(N, N) symmetric 0/1 adjacency matrix of the vertices joined by ``edges`` (E, 2), unique edges."""
    rows, cols = np.r_[edges[:, 0], edges[:, 1]], np.r_[edges[:, 1], edges[:, 0]]
    return sp.coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n_vertices, n_vertices)).tocsr()


def edge_face_counts(faces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(unique sorted edges (E, 2), number of faces on each (E,))``."""
    pairs = np.sort(np.asarray(faces, dtype=np.int64)[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2), axis=1)
    return np.unique(pairs, axis=0, return_counts=True)


def boundary_loops(faces: np.ndarray) -> list[np.ndarray]:
    """The boundary loops of a manifold triangle mesh, each an ordered array of vertex indices."""
    import igl

    faces = np.ascontiguousarray(faces, dtype=np.int64)
    return [np.asarray(loop, dtype=np.int64) for loop in igl.boundary_loop_all(faces)]

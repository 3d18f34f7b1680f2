"""Quasi-static cloth relaxation by position-based dynamics (Jacobi-averaged edge-length constraints,
a bending term that keeps the start state's local shape, mild gravity, collision projection with static friction).

Written with numpy rather than NVIDIA Warp: each step is a handful of vectorised array operations on a
few thousand vertices plus libigl's signed-distance query, fast enough on the CPU without compiling kernels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from twinkit.core.progress import progress
from twinkit.render.garments.colliders import BodyCollider
from twinkit.render.garments.garment import vertex_adjacency


EXACT_EVERY = 4  # steps between exact (winding-number) inside tests of the body; the last step is exact too
OVER_RELAXATION = 1.5  # Jacobi averaging factor (1 is the plain average; below 2 stays stable)


@dataclass
class ClothOptions:
    """Solver settings. Lengths in metres; stiffnesses are the fraction of a constraint's error fixed per pass."""

    iterations: int = 80          # outer steps (gravity, constraints, collisions)
    passes: int = 8               # constraint passes per step
    stretch: float = 1.0          # stiffness against stretching beyond the rest length
    compress: float = 0.3         # stiffness against compression (cloth buckles rather than shrinks)
    bending: float = 0.1          # pull of each vertex towards the start state's shape of its neighbourhood
    gravity: float = 0.00002      # metres a free vertex falls per step (mild: at most 1.6 mm over 80 steps)
    friction: float = 0.9         # share of a resting vertex's sliding along the surface cancelled per step
    clearance: float = 0.002      # distance kept outside the body


def _incidence(edges: np.ndarray, n: int) -> sp.csr_matrix:
    """(N, E) matrix adding an edge's correction to its first vertex and subtracting it from its second."""
    rows = np.r_[edges[:, 0], edges[:, 1]]
    cols = np.r_[np.arange(len(edges)), np.arange(len(edges))]
    values = np.r_[np.ones(len(edges)), -np.ones(len(edges))]
    return sp.coo_matrix((values, (rows, cols)), shape=(n, len(edges))).tocsr()


def _constrain(x: np.ndarray, edges: np.ndarray, rest: np.ndarray, scatter: sp.csr_matrix, step: np.ndarray,
               options: ClothOptions) -> np.ndarray:
    """One Jacobi pass of the edge-length constraints, corrections averaged per vertex and over-relaxed."""
    d = x[edges[:, 1]] - x[edges[:, 0]]
    length = np.maximum(np.linalg.norm(d, axis=1), 1e-12)
    error = length - rest
    stiffness = np.where(error > 0, options.stretch, options.compress)
    correction = (0.5 * stiffness * error / length)[:, None] * d
    return x + step[:, None] * (scatter @ correction)


def relax(vertices: np.ndarray, edges: np.ndarray, rest_lengths: np.ndarray, colliders: list[BodyCollider],
          up: np.ndarray, options: ClothOptions | None = None, label: str = "relaxing cloth") -> np.ndarray:
    """Relax cloth (vertices (N, 3), edges (E, 2), rest lengths (E,)) against ``colliders`` (inner first),
    with gravity along ``-up``; returns the relaxed vertices. Vertices resting on a surface feel no gravity
    and keep only ``1 - friction`` of their sliding along it, so garments hang on shoulders and hips."""
    opts = options or ClothOptions()
    x = np.asarray(vertices, dtype=np.float64).copy()
    adjacency = vertex_adjacency(edges, len(x))
    degree = np.maximum(np.asarray(adjacency.sum(axis=1)).ravel(), 1.0)
    scatter, step = _incidence(edges, len(x)), OVER_RELAXATION / degree
    fall = -opts.gravity * np.asarray(up, dtype=np.float64) / np.linalg.norm(up)
    umbrella = lambda p: (adjacency @ p) / degree[:, None] - p  # noqa: E731
    shape = umbrella(x)
    contact = np.zeros(len(x), dtype=bool)
    normal = np.zeros_like(x)
    for i in progress(range(opts.iterations), desc=label, unit="step"):
        before = x.copy()
        x[~contact] += fall
        for _ in range(opts.passes):
            x = _constrain(x, edges, rest_lengths, scatter, step, opts)
        x += opts.bending * (umbrella(x) - shape)
        moved = x[contact] - before[contact]
        n = normal[contact]
        x[contact] -= opts.friction * (moved - np.einsum("ij,ij->i", moved, n)[:, None] * n)
        contact[:] = False
        for collider in colliders:
            exact = i % EXACT_EVERY == 0 or i == opts.iterations - 1
            x, touched, normals = collider.project(x, opts.clearance, exact)
            normal[touched] = normals[touched]
            contact |= touched
    return x

"""Inside a garment: a garment is an open surface, so what it encloses is taken as the volume of its closed
shell, the surface with each opening (neck, hem, cuffs) capped by a fan around the opening's centroid.
A point is inside when the shell's generalized winding number there exceeds one half; how deep it is, is its
distance to the cloth itself (not to a cap).
"""

from __future__ import annotations

import numpy as np

from twinkit.render.garments.garment import boundary_loops


def capped_shell(vertices: np.ndarray, faces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(vertices, faces)`` of the garment with every boundary loop closed by a fan around its centroid,
    each cap wound like the cloth next to it (so the shell is consistently oriented)."""
    faces = np.asarray(faces, dtype=np.int64)
    directed = set(map(tuple, faces[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2).tolist()))
    points, caps = [np.asarray(vertices, dtype=np.float64)], [faces]
    count = len(points[0])
    for loop in boundary_loops(faces):
        nxt = np.roll(loop, -1)
        a, b = (nxt, loop) if (int(loop[0]), int(loop[1])) in directed else (loop, nxt)
        caps.append(np.column_stack([a, b, np.full(len(loop), count)]))
        points.append(points[0][loop].mean(axis=0, keepdims=True))
        count += 1
    return np.vstack(points), np.vstack(caps)


def enclosed(points: np.ndarray, vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """(N,) bool: the points inside the garment's capped shell."""
    import igl

    shell_vertices, shell_faces = capped_shell(vertices, faces)
    winding = igl.fast_winding_number(shell_vertices, shell_faces, np.ascontiguousarray(points, dtype=np.float64))
    return np.abs(winding) > 0.5


def penetration(points: np.ndarray, vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """(N,) metres each point lies inside the garment (its distance to the cloth; 0 outside)."""
    import igl

    points = np.ascontiguousarray(points, dtype=np.float64)
    inside = enclosed(points, vertices, faces)
    depth = np.zeros(len(points))
    if inside.any():
        squared = igl.point_mesh_squared_distance(points[inside], np.ascontiguousarray(vertices, dtype=np.float64),
                                                  np.ascontiguousarray(faces, dtype=np.int64))[0]
        depth[inside] = np.sqrt(squared)
    return depth

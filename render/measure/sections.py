"""Tape-measure girths: the convex-hull perimeter of one part of a mesh's planar cross-section.

A tape measure bridges concavities (the spine groove, the gap between the breasts), so a girth is the
perimeter of the convex hull of the section loop that encloses a given inside point (the torso, one arm,
one leg), not the length of the raw loop.
"""

from __future__ import annotations

import numpy as np
import shapely
import trimesh
from trimesh.geometry import plane_transform


def section_loops(mesh: trimesh.Trimesh, origin: np.ndarray, normal: np.ndarray,
                  ) -> tuple[list[shapely.Polygon], np.ndarray]:
    """Closed loops of ``mesh`` cut by the plane (``origin``, ``normal``) as 2D polygons in the plane's frame,
    and the 4x4 world-to-plane transform that maps them (empty list when the plane misses the mesh)."""
    to_plane = plane_transform(origin, normal)
    path = mesh.section(plane_normal=normal, plane_origin=origin)
    if path is None:
        return [], to_plane
    planar, _ = path.to_2D(to_2D=to_plane, check=False)
    return list(planar.polygons_closed), to_plane


def part_loop(mesh: trimesh.Trimesh, origin: np.ndarray, normal: np.ndarray,
              inside: np.ndarray) -> shapely.Polygon | None:
    """The section loop that encloses ``inside`` (projected onto the plane), else the nearest one; ``None``
    when the plane misses the mesh. Of nested loops the innermost enclosing one is taken."""
    loops, to_plane = section_loops(mesh, origin, normal)
    if not loops:
        return None
    point = shapely.Point(trimesh.transform_points(np.asarray(inside, dtype=float)[None], to_plane)[0, :2])
    enclosing = [p for p in loops if p.contains(point)]
    if enclosing:
        return min(enclosing, key=lambda p: p.area)
    return min(loops, key=lambda p: p.distance(point))


def girth(mesh: trimesh.Trimesh, origin: np.ndarray, normal: np.ndarray, inside: np.ndarray) -> float:
    """Tape-measure girth (metres) of the part around ``inside`` in the plane (``origin``, ``normal``);
    NaN when the plane misses the mesh."""
    loop = part_loop(mesh, origin, normal, inside)
    return float(loop.convex_hull.exterior.length) if loop is not None else float("nan")

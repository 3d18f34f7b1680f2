"""Tape-measure girths: the convex-hull perimeter of one part of a mesh's planar cross-section.

A tape measure bridges concavities (the spine groove, the gap between the breasts), so a girth is the
perimeter of the convex hull of the section loop that encloses a given inside point (the torso, one arm,
one leg), not the length of the raw loop. Sections of meshes with holes (open scans, torn seams) give open
curves: pieces whose ends lie within ``GAP_M`` are chained and closed, as a tape bridges the hole.
"""

from __future__ import annotations

import numpy as np
import shapely
import trimesh
from scipy.spatial import cKDTree
from trimesh.geometry import plane_transform

GAP_M = 0.03  # largest hole in a section that is bridged to close a loop


def section_loops(mesh: trimesh.Trimesh, origin: np.ndarray, normal: np.ndarray, gap: float = GAP_M,
                  ) -> tuple[list[shapely.Polygon], np.ndarray]:
    """Closed loops of ``mesh`` cut by the plane (``origin``, ``normal``) as 2D polygons in the plane's frame,
    and the 4x4 world-to-plane transform that maps them (empty list when the plane misses the mesh). Open
    curves are chained end to end across gaps up to ``gap`` metres and closed."""
    to_plane = plane_transform(origin, normal)
    path = mesh.section(plane_normal=normal, plane_origin=origin)
    if path is None:
        return [], to_plane
    planar, _ = path.to_2D(to_2D=to_plane, check=False)
    curves = [entity.discrete(planar.vertices) for entity in planar.entities]
    closed = [c for c in curves if len(c) > 3 and np.allclose(c[0], c[-1])]
    rings = closed + _close_gaps([c for c in curves if not np.allclose(c[0], c[-1])], gap)
    polygons = [_polygon(r) for r in rings if len(r) > 3]
    return [p for p in polygons if p.area > 0], to_plane


def _polygon(ring: np.ndarray) -> shapely.Polygon:
    """The polygon a ring bounds; a self-touching ring (a pinched section) is repaired to its largest part."""
    polygon = shapely.Polygon(ring)
    if polygon.is_valid:
        return polygon
    repaired = polygon.buffer(0)
    parts = getattr(repaired, "geoms", [repaired])
    return max(parts, key=lambda part: part.area) if len(parts) else shapely.Polygon()


def _close_gaps(curves: list[np.ndarray], gap: float) -> list[np.ndarray]:
    """Chain open 2D polylines end to end where an end lies within ``gap`` of another's, and return the
    chains whose two ends meet within ``gap`` (hand-written: trimesh's ``fill_gaps`` splits such curves
    into loose segments instead of closing them)."""
    rings, left = [], list(curves)
    while left:
        chain = left.pop(0)
        while left:
            ends = np.array([[c[0], c[-1]] for c in left]).reshape(-1, 2)
            dist, index = cKDTree(ends).query(chain[-1])
            if dist > gap or np.linalg.norm(chain[-1] - chain[0]) < min(dist, gap):
                break
            piece = left.pop(index // 2)
            chain = np.vstack([chain, piece if index % 2 == 0 else piece[::-1]])
        if np.linalg.norm(chain[-1] - chain[0]) <= gap:
            rings.append(chain)
    return rings


NESTED_FRACTION = 0.95  # a loop with this share of its area inside another counts as inside it


def _nested(inner: shapely.Polygon, outer: shapely.Polygon) -> bool:
    """Whether ``inner`` lies inside ``outer``, allowing it to poke slightly out (a scanned surface's inner
    pocket that crosses the skin)."""
    return outer.intersects(inner) and outer.intersection(inner).area >= NESTED_FRACTION * inner.area


def part_loop(mesh: trimesh.Trimesh, origin: np.ndarray, normal: np.ndarray,
              inside: np.ndarray) -> shapely.Polygon | None:
    """The section loop that encloses ``inside`` (projected onto the plane), else the nearest one; ``None``
    when the plane misses the mesh. Of nested loops the innermost enclosing outline of material is taken:
    a loop inside an odd number of others bounds a hole (an inner pocket of a scanned surface), not a part."""
    loops, to_plane = section_loops(mesh, origin, normal)
    if not loops:
        return None
    point = shapely.Point(trimesh.transform_points(np.asarray(inside, dtype=float)[None], to_plane)[0, :2])
    enclosing = [p for p in loops if p.contains(point)]
    outlines = [p for p in enclosing if sum(q is not p and _nested(p, q) for q in loops) % 2 == 0]
    if outlines or enclosing:
        return min(outlines or enclosing, key=lambda p: p.area)
    return min(loops, key=lambda p: p.distance(point))


def girth(mesh: trimesh.Trimesh, origin: np.ndarray, normal: np.ndarray, inside: np.ndarray) -> float:
    """Tape-measure girth (metres) of the part around ``inside`` in the plane (``origin``, ``normal``);
    NaN when the plane misses the mesh."""
    loop = part_loop(mesh, origin, normal, inside)
    return float(loop.convex_hull.exterior.length) if loop is not None else float("nan")

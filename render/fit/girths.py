"""Girth ease: the garment's tape girth minus the body's at each region's ISO 8559-1 measurement level.

The levels and tape rules are those of :mod:`twinkit.render.measure` (trunk girths around the spine's axis,
convex-hull perimeters; chest at the largest trunk girth below the armpits, hip at the largest trunk girth
above the crotch, thigh 2 cm below the crotch), found on the body the garment is dressed on. Two changes
for garments: the chest is searched up to 3 cm (not 1 cm) below the armpits, so that a loose garment's
sleeves, which join its body at the armpit, stay outside the tape; a sleeve is taped at the biceps, a third
of the way from the shoulder joint to the elbow (ISO's mid-arm level lies below a short sleeve's hem).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
import trimesh

from twinkit.render.measure.definitions import STEP_M, armpit_level, crotch_point
from twinkit.render.measure.landmarks import Landmarks, waist_centre
from twinkit.render.measure.sections import section_loops
from twinkit.rig.skeleton import Pose, Skeleton

CHEST_BELOW_ARMPIT_M = 0.03
BICEPS_FRACTION = 1 / 3


@dataclass(frozen=True)
class Plane:
    """A measuring plane and a point inside the part it girths (trunk, thigh or arm axis)."""

    origin: np.ndarray
    normal: np.ndarray
    inside: np.ndarray


def pose_landmarks(skeleton: Skeleton, pose: Pose, up: np.ndarray) -> Landmarks:
    """Landmarks of the avatar's anny body in ``pose`` (world frame): joint centres, the hips and knees
    (thigh and shin joints) and ``waist`` (centre of the vertex loop ``anny.Anthropometry`` measures as the waist)."""
    joints = skeleton.frames(pose)[:, :3, 3]
    points = dict(zip(skeleton.names, joints))
    for side, anny_side in (("left", "L"), ("right", "R")):
        points[f"{side}_hip"], points[f"{side}_knee"] = points[f"upperleg01.{anny_side}"], points[f"lowerleg01.{anny_side}"]
    points["waist"] = waist_centre(skeleton.body(pose))
    return Landmarks(points, up)


def enclosing_girth(mesh: trimesh.Trimesh, plane: Plane) -> float:
    """Tape girth (m) of the innermost section loop of ``mesh`` around ``plane.inside``; NaN when no loop
    encloses it (e.g. a short sleeve that does not reach the plane)."""
    loops, to_plane = section_loops(mesh, plane.origin, plane.normal)
    point = shapely.Point(trimesh.transform_points(plane.inside[None], to_plane)[0, :2])
    enclosing = [p for p in loops if p.contains(point)]
    if not enclosing:
        return float("nan")
    return float(min(enclosing, key=lambda p: p.area).convex_hull.exterior.length)


def _trunk_plane(lm: Landmarks, height: float) -> Plane:
    centre = lm.at_height("spine05", "spine01", height)
    return Plane(centre, lm.up, centre)


def _largest_trunk_plane(body: trimesh.Trimesh, lm: Landmarks, low: float, high: float) -> Plane:
    planes = [_trunk_plane(lm, z) for z in np.arange(low, high + 1e-9, STEP_M)]
    girths = [enclosing_girth(body, p) for p in planes]
    return planes[int(np.nanargmax(girths))]


def measurement_planes(body: trimesh.Trimesh, lm: Landmarks) -> dict[str, Plane]:
    """The measuring plane of each girth region (``chest``, ``waist``, ``hip``, ``thigh``, ``sleeve``)."""
    crotch = float(crotch_point(body, lm) @ lm.up)
    thigh_height = crotch - 0.02
    thigh_axis = lm.at_height("upperleg01.R", "lowerleg01.R", thigh_height)
    elbow, shoulder = lm["lowerarm01.R"], lm["upperarm01.R"]
    biceps = shoulder + BICEPS_FRACTION * (elbow - shoulder)
    return {
        "chest": _largest_trunk_plane(body, lm, lm.height("spine02"), armpit_level(body, lm) - CHEST_BELOW_ARMPIT_M),
        "waist": _trunk_plane(lm, lm.height("waist")),
        "hip": _largest_trunk_plane(body, lm, crotch + 0.01, lm.height("waist")),
        "thigh": Plane(thigh_axis, lm.up, thigh_axis),
        "sleeve": Plane(biceps, elbow - shoulder, biceps),
    }


def girth_ease_cm(garment: trimesh.Trimesh, body: trimesh.Trimesh, plane: Plane) -> float:
    """Garment girth minus body girth (cm) in ``plane``; NaN when the garment does not go round there."""
    return 100.0 * (enclosing_girth(garment, plane) - enclosing_girth(body, plane))

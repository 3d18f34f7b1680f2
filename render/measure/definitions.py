"""Body measurements on a triangle mesh plus landmarks, each defined after ISO 8559-1:2017.

Every function takes the mesh (metres, world frame) and :class:`Landmarks` of the same body and returns
metres. Horizontal planes are perpendicular to the landmarks' up axis; "height" is the coordinate along it.
Bilateral measurements are taken on the subject's right side. The acceptance tolerance of each measurement
is twice its ISO 20685-1 allowance (the standard's maximum allowable error of a scan-derived measurement:
heights, small girths and breadths 4 mm, segment lengths 5 mm, large girths 9 mm), so 8, 10, 18 mm.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import shapely
import trimesh
from trimesh.geometry import plane_transform

from twinkit.render.measure.landmarks import Landmarks
from twinkit.render.measure.sections import girth, part_loop

STEP_M = 0.005  # spacing of the horizontal sections scanned for a minimum or maximum girth


def _heights(points: np.ndarray, lm: Landmarks) -> np.ndarray:
    return np.asarray(points) @ lm.up


def _levels(lo: float, hi: float) -> np.ndarray:
    return np.arange(lo, hi + 1e-9, STEP_M)


def _torso_girth(mesh: trimesh.Trimesh, lm: Landmarks, height: float) -> float:
    """Tape girth of the trunk at ``height``: the horizontal loop around the spine's axis."""
    centre = lm.at_height("spine05", "spine01", height)
    return girth(mesh, centre, lm.up, centre)


def _loop_takes_in(loop: shapely.Polygon | None, origin: np.ndarray, normal: np.ndarray, point: np.ndarray) -> bool:
    """Whether the section ``loop`` of the plane (``origin``, ``normal``) encloses ``point`` (projected)."""
    to_plane = plane_transform(origin, normal)
    return loop is not None and loop.contains(shapely.Point(trimesh.transform_points(point[None], to_plane)[0, :2]))


def _arm_merges(mesh: trimesh.Trimesh, lm: Landmarks, height: float) -> bool:
    """Whether the trunk's loop at ``height`` takes in an upper arm (i.e. the level is above an armpit)."""
    centre = lm.at_height("spine05", "spine01", height)
    loop = part_loop(mesh, centre, lm.up, centre)
    return any(_loop_takes_in(loop, centre, lm.up, lm.at_height(f"upperarm01.{side}", f"lowerarm01.{side}", height))
               for side in ("L", "R"))


def floor_height(mesh: trimesh.Trimesh, lm: Landmarks) -> float:
    """The standing surface: the lowest point of the mesh along up (feet on the floor)."""
    return float(_heights(mesh.vertices, lm).min())


def stature(mesh: trimesh.Trimesh, lm: Landmarks) -> float:
    """ISO 8559-1:2017 stature (clause to verify): vertical distance from the standing surface to the
    top of the head (vertex) — the mesh's extent along up."""
    h = _heights(mesh.vertices, lm)
    return float(h.max() - h.min())


def waist_girth(mesh: trimesh.Trimesh, lm: Landmarks) -> float:
    """ISO 8559-1:2017 waist girth (clause to verify): horizontal girth at the natural waistline, between the lowest rib
    and the iliac crest. The waistline is anny's own (the ``waist`` landmark: centre of the vertex loop that
    ``anny.Anthropometry`` measures), so the value compares with anny's; see docs/measurements.md."""
    return _torso_girth(mesh, lm, lm.height("waist"))


def crotch_point(mesh: trimesh.Trimesh, lm: Landmarks) -> np.ndarray:
    """The crotch: lowest point of the body's mid-sagittal outline (the plane through the hip centres'
    midpoint, perpendicular to the hip axis), searched above knee level; on the landmarks' anny body when
    they have one. A scan's thighs that touch close the gap below the crotch, and no photo sees into it: on
    a plus-size virtual body the reconstructed mesh's outline put the crotch 35 mm low; anny's thighs stay
    separate surfaces, and the body refitted to the scan finds it within a millimetre."""
    mesh = lm.body if lm.body is not None else mesh
    mid = (lm["left_hip"] + lm["right_hip"]) / 2
    inside = mid - ((mid - lm["spine05"]) @ lm.left) * lm.left  # on the spine's sagittal plane

    loop = part_loop(mesh, inside, lm.left, inside)
    if loop is None:
        return mid
    outline = trimesh.transform_points(np.column_stack([np.asarray(loop.exterior.coords),
                                                        np.zeros(len(loop.exterior.coords))]),
                                       np.linalg.inv(plane_transform(inside, lm.left)))
    knee = max(lm.height("right_knee"), lm.height("left_knee"))
    above = outline[_heights(outline, lm) > knee]
    return above[int(np.argmin(_heights(above, lm)))]


def inside_leg_length(mesh: trimesh.Trimesh, lm: Landmarks) -> float:
    """ISO 8559-1:2017 inside leg length (clause to verify): vertical distance from the crotch to the
    standing surface."""
    return float(crotch_point(mesh, lm) @ lm.up) - floor_height(mesh, lm)


def hip_girth(mesh: trimesh.Trimesh, lm: Landmarks) -> float:
    """ISO 8559-1:2017 hip girth (clause to verify): horizontal girth at the level of the greatest buttock prominence
    (here the largest trunk girth between 1 cm above the crotch and the waistline)."""
    levels = _levels(float(crotch_point(mesh, lm) @ lm.up) + 0.01, lm.height("waist"))
    return float(np.nanmax([_torso_girth(mesh, lm, z) for z in levels]))


def armpit_level(mesh: trimesh.Trimesh, lm: Landmarks) -> float:
    """Lowest height above the lowest rib (``spine02``) at which the trunk's section takes in an arm."""
    top = min(lm.height("upperarm01.L"), lm.height("upperarm01.R"))
    for z in _levels(lm.height("spine02"), top):
        if _arm_merges(mesh, lm, z):
            return float(z)
    return top


def chest_girth(mesh: trimesh.Trimesh, lm: Landmarks) -> float:
    """ISO 8559-1:2017 chest girth / bust girth (clauses to verify): horizontal girth under the armpits over the
    most prominent point of the chest or bust (here the largest trunk girth from the lowest rib up to 1 cm
    below the armpits; the arms stay outside the tape)."""
    levels = _levels(lm.height("spine02"), armpit_level(mesh, lm) - 0.01)
    return float(np.nanmax([_torso_girth(mesh, lm, z) for z in levels]))


def neck_girth(mesh: trimesh.Trimesh, lm: Landmarks) -> float:
    """ISO 8559-1:2017 neck girth (clause to verify): girth of the neck just below the larynx, perpendicular to the neck
    axis (here through anny's ``neck02`` joint, normal along ``neck01`` -> ``neck03``)."""
    return girth(mesh, lm["neck02"], lm["neck03"] - lm["neck01"], lm["neck02"])


def upper_arm_girth(mesh: trimesh.Trimesh, lm: Landmarks) -> float:
    """ISO 8559-1:2017 upper arm girth (clause to verify): girth of the right upper arm perpendicular to its axis,
    midway between the shoulder joint (acromion level) and the elbow."""
    mid = (lm["upperarm01.R"] + lm["lowerarm01.R"]) / 2
    return girth(mesh, mid, lm["lowerarm01.R"] - lm["upperarm01.R"], mid)


def thigh_level(mesh: trimesh.Trimesh, lm: Landmarks) -> float:
    """Height of the thigh girth: 2 cm below the crotch."""
    return float(crotch_point(mesh, lm) @ lm.up) - 0.02


def thighs_touch(mesh: trimesh.Trimesh, lm: Landmarks) -> bool:
    """Whether ``mesh``'s section at the thigh level takes in both thighs in one loop."""
    z = thigh_level(mesh, lm)
    right, left = (lm.at_height(f"upperleg01.{s}", f"lowerleg01.{s}", z) for s in ("R", "L"))
    return _loop_takes_in(part_loop(mesh, right, lm.up, right), right, lm.up, left)


def thigh_girth(mesh: trimesh.Trimesh, lm: Landmarks) -> float:
    """ISO 8559-1:2017 thigh girth (clause to verify): horizontal girth of the right thigh at its highest level, just
    below the gluteal fold (here 2 cm below the crotch). Where the thighs touch (:func:`thighs_touch`) the
    scan cannot tell one from the other (the photos do not see between them), and the girth is taken on the
    landmarks' anny body, refitted to the scan, when they have one."""
    axis = lm.at_height("upperleg01.R", "lowerleg01.R", thigh_level(mesh, lm))
    source = lm.body if lm.body is not None and thighs_touch(mesh, lm) else mesh
    return girth(source, axis, lm.up, axis)


def skin_point(mesh: trimesh.Trimesh, lm: Landmarks, name: str) -> np.ndarray:
    """The point of ``mesh`` nearest the surface landmark ``name`` (``acromion.R``, ...): a vertex of the anny
    body the landmarks come from (:func:`~twinkit.render.measure.landmarks.surface_landmark_vertices`), carried
    to this body by anny's shared mesh."""
    closest, _, _ = trimesh.proximity.closest_point(mesh, lm[name][None])
    return closest[0]


def arm_length(mesh: trimesh.Trimesh, lm: Landmarks) -> float:
    """ISO 8559-1:2017 arm length (clause to verify): from the acromion over the elbow to the wrist, along the right
    arm (here the polyline over the skin points acromion -> radiale (outer elbow) -> stylion (outer wrist))."""
    acromion, radiale, stylion = (skin_point(mesh, lm, f"{name}.R") for name in ("acromion", "radiale", "stylion"))
    return float(np.linalg.norm(acromion - radiale) + np.linalg.norm(radiale - stylion))


def shoulder_width(mesh: trimesh.Trimesh, lm: Landmarks) -> float:
    """ISO 8559-1:2017 shoulder width (clause to verify): straight distance between the two acromions (skin
    points)."""
    return float(np.linalg.norm(skin_point(mesh, lm, "acromion.L") - skin_point(mesh, lm, "acromion.R")))


@dataclass(frozen=True)
class Definition:
    """A named measurement: its ISO 8559-1 name and clause (marked "to verify" where not checked against the
    standard's text), ISO 20685-1 allowance and function."""

    name: str
    label: str
    iso_8559_1: str
    allowance_m: float  # ISO 20685-1 maximum allowable error for its class
    measure: Callable[[trimesh.Trimesh, Landmarks], float]

    @property
    def tolerance_m(self) -> float:
        """The acceptance tolerance: twice the ISO 20685-1 allowance."""
        return 2 * self.allowance_m


DEFINITIONS: tuple[Definition, ...] = (
    Definition("stature", "Stature", "stature (clause to verify)", 0.004, stature),
    Definition("chest_girth", "Chest/bust girth", "chest girth / bust girth (clause to verify)", 0.009, chest_girth),
    Definition("waist_girth", "Waist girth", "waist girth (clause to verify)", 0.009, waist_girth),
    Definition("hip_girth", "Hip girth", "hip girth (clause to verify)", 0.009, hip_girth),
    Definition("neck_girth", "Neck girth", "neck girth (clause to verify)", 0.004, neck_girth),
    Definition("upper_arm_girth", "Upper-arm girth", "upper arm girth (clause to verify)", 0.004, upper_arm_girth),
    Definition("thigh_girth", "Thigh girth", "thigh girth (clause to verify)", 0.004, thigh_girth),
    Definition("inside_leg_length", "Inside leg length", "inside leg length (clause to verify)", 0.005,
               inside_leg_length),
    Definition("arm_length", "Arm length", "arm length (clause to verify)", 0.005, arm_length),
    Definition("shoulder_width", "Shoulder width", "shoulder width (clause to verify)", 0.004, shoulder_width),
)


def measure_mesh(mesh: trimesh.Trimesh, lm: Landmarks) -> dict[str, float]:
    """All measurements (metres) of ``mesh`` with landmarks ``lm``, by definition name."""
    return {d.name: d.measure(mesh, lm) for d in DEFINITIONS}

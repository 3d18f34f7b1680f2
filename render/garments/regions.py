"""Per-vertex garment regions from the reference body: which body part each garment vertex covers (by the
skin weights at its closest body point) and which girth band (by the heights of the body's landmarks)."""

from __future__ import annotations

import numpy as np

from twinkit.render.garments.garment import boundary_loops
from twinkit.render.garments.reference import ReferenceBody
from twinkit.rig.weights import closest_points, interpolate

BAND_HALF_WIDTH = 0.05  # metres above and below a girth level that its band takes in
HEM_DEPTH = 0.03        # metres above the lowest opening that make up the hem


def bone_group(body: ReferenceBody, prefixes: tuple[str, ...]) -> np.ndarray:
    """(J,) mask of the bones whose anny label starts with one of ``prefixes``."""
    return np.array([name.startswith(prefixes) for name in body.bone_names])


ARM_BONES = ("upperarm", "lowerarm", "wrist", "metacarpal", "finger", "thumb")
LEG_BONES = ("upperleg", "lowerleg", "foot", "toe")


def body_part_weights(points: np.ndarray, body: ReferenceBody) -> dict[str, np.ndarray]:
    """Share of arm and leg bones in the skin weights at each point's closest body point: ``{"arm", "leg"}``."""
    face, bary, _ = closest_points(points, body.vertices, body.faces)
    weights = interpolate(body.faces, face, bary, body.weights)
    return {"arm": weights[:, bone_group(body, ARM_BONES)].sum(axis=1),
            "leg": weights[:, bone_group(body, LEG_BONES)].sum(axis=1)}


def levels(body: ReferenceBody) -> dict[str, float]:
    """Heights (anny z) of the girth levels: chest (midway between the lowest rib and the shoulder joints),
    waist (anny's anthropometric waist loop), hip (the hip joints), crotch and knee."""
    from twinkit.capture.studio.body import anny_model

    waist = body.vertices[anny_model()[2].waist_vertex_indices, 2].mean()
    shoulder = (body.head("upperarm01.L")[2] + body.head("upperarm01.R")[2]) / 2
    hip = (body.head("upperleg01.L")[2] + body.head("upperleg01.R")[2]) / 2
    knee = (body.head("lowerleg01.L")[2] + body.head("lowerleg01.R")[2]) / 2
    return {"chest": float((body.head("spine02")[2] + shoulder) / 2), "waist": float(waist),
            "hip": float(hip - 0.03), "crotch": float(hip - 0.09), "knee": float(knee)}


def garment_regions(vertices: np.ndarray, faces: np.ndarray, body: ReferenceBody) -> dict[str, np.ndarray]:
    """Region masks of a garment on its reference body (chest, waist, hip, sleeve, thigh, leg, hem); regions
    no vertex falls in are left out. Below the crotch a garment is labelled by the leg it is closest to (a
    skirt's own region comes from its author)."""
    part = body_part_weights(vertices, body)
    z = vertices[:, 2]
    level = levels(body)
    arm, leg = part["arm"] > 0.5, part["leg"] > 0.5
    regions = {band: ~arm & (np.abs(z - level[band]) <= BAND_HALF_WIDTH) for band in ("chest", "waist", "hip")}
    regions["sleeve"] = arm
    regions["thigh"] = leg & (z > level["knee"]) & (z < level["crotch"])
    regions["leg"] = leg & (z <= level["knee"])
    loops = boundary_loops(faces)
    if loops:
        lowest = min(float(z[loop].mean()) for loop in loops)
        regions["hem"] = (z <= lowest + HEM_DEPTH) & ~arm
    return {name: mask for name, mask in regions.items() if mask.any()}

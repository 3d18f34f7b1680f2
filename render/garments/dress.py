"""Dress an avatar: garments moved from their reference bodies onto the avatar's fitted anny body by
surface correspondence, then relaxed with cloth physics from the skin out, in the outfit's stacking order
(:mod:`twinkit.render.garments.stacking`): each garment collides with the body and, a cloth thickness
out, with every garment under it, so no two garments interpenetrate.

The collision body is the avatar's fitted anny body (same pose, capture world frame), not its
reconstructed mesh: anny is closed and consistently oriented, so inside/outside (signed distance) is
reliable, and it is the surface the garments are bound to; the reconstructed mesh can be open, noisy or
carry hair and loose clothing, which would push garments off the skin. Where that mesh lies outside the
garments, a render hides the faces they cover (:mod:`twinkit.render.garments.covering`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from twinkit.render.garments.binding import bind, rebuild
from twinkit.render.garments.cloth import ClothOptions, relax
from twinkit.render.garments.colliders import BodyCollider, LayerCollider
from twinkit.render.garments.garment import Garment
from twinkit.render.garments.reference import reference_body
from twinkit.render.garments.regions import ARM_BONES, bone_group
from twinkit.render.garments.stacking import stacking_order
from twinkit.rig.skeleton import Pose, skeleton_from_body_json


@dataclass
class DressOptions:
    """Cloth settings and the gap kept between layers (cloth thickness, metres)."""

    cloth: ClothOptions = field(default_factory=ClothOptions)
    thickness: float = 0.004


@dataclass
class Dressed:
    """Garments relaxed on one body, all in the capture world frame of the avatar."""

    garments: list[Garment]          # in stacking order: innermost first
    vertices: list[np.ndarray]       # dressed (N_i, 3) per garment
    body_vertices: np.ndarray        # the collision body the garments were relaxed against
    body_faces: np.ndarray


def transfer(garment: Garment, body_vertices: np.ndarray, body_faces: np.ndarray) -> np.ndarray:
    """The garment rebuilt on another anny body (same topology) by correspondence with its reference body.
    Only sleeves bind to the arms, so a skirt or trouser leg that hangs by a hand does not follow it."""
    reference = reference_body(garment.reference)
    arm_vertex = reference.weights[:, bone_group(reference, ARM_BONES)].sum(axis=1) > 0.5
    off_arm = ~arm_vertex[reference.faces].any(axis=1)
    sleeve = garment.regions.get("sleeve", np.zeros(len(garment.vertices), dtype=bool))
    out = np.empty_like(garment.vertices)
    for part, allowed in ((sleeve, None), (~sleeve, off_arm)):
        if part.any():
            binding = bind(garment.vertices[part], reference.vertices, reference.faces, allowed)
            out[part] = rebuild(binding, body_vertices, body_faces)
    return out


def dress_body(body: BodyCollider, up: np.ndarray, garments: list[Garment],
               options: DressOptions | None = None) -> Dressed:
    """Dress an anny body (any phenotype and pose, any frame with ``up``; one collider serves any number of
    outfits on that body): garments in stacking order, each transferred, then relaxed against the body and
    every garment dressed before it."""
    opts = options or DressOptions()
    ordered = stacking_order(garments)
    colliders: list[BodyCollider] = [body]
    dressed: list[np.ndarray] = []
    for garment in ordered:
        start = transfer(garment, body.vertices, body.faces)
        dressed.append(relax(start, garment.edges, garment.rest_lengths, colliders, up, opts.cloth,
                             label=f"dressing {garment.name} {garment.size}"))
        colliders = [*colliders, LayerCollider(dressed[-1], garment.faces, opts.thickness)]
    return Dressed(ordered, dressed, body.vertices, body.faces)


def dress(avatar_dir: Path, garments: list[Garment], pose: Pose | None = None,
          options: DressOptions | None = None) -> Dressed:
    """Dress the avatar in ``avatar_dir`` (its ``body.json``) in ``pose`` (None: the rest A-pose)."""
    skeleton = skeleton_from_body_json(Path(avatar_dir) / "body.json")
    body = BodyCollider(skeleton.body(pose or {}), skeleton.rig.faces)
    return dress_body(body, skeleton.transform[:3, 2], garments, options)

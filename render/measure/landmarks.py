"""Anatomical landmarks for measuring: the fitted anny body's joint centres and keypoints, in the mesh's world.

Names are anny's bone names (``spine03``, ``upperarm01.R``, ...; the bone's head is its joint centre) and
anny's COCO keypoint names (``left_hip``, ...). ``.L``/``.R`` and ``left``/``right`` are the subject's sides.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from twinkit.core.atomic import read_json
from twinkit.core.errors import InputError

if TYPE_CHECKING:
    from twinkit.capture.studio.body import Body


@dataclass
class Landmarks:
    """Named 3D points (metres, world frame) and the world's unit up axis."""

    points: dict[str, np.ndarray]
    up: np.ndarray

    def __post_init__(self) -> None:
        self.points = {name: np.asarray(p, dtype=np.float64) for name, p in self.points.items()}
        self.up = np.asarray(self.up, dtype=np.float64) / np.linalg.norm(self.up)

    def __getitem__(self, name: str) -> np.ndarray:
        return self.points[name]

    def height(self, name: str) -> float:
        """Coordinate of landmark ``name`` along the up axis."""
        return float(self.points[name] @ self.up)

    @property
    def left(self) -> np.ndarray:
        """Unit vector towards the subject's left, perpendicular to up (from the right to the left hip)."""
        across = self.points["left_hip"] - self.points["right_hip"]
        across = across - (across @ self.up) * self.up
        return across / np.linalg.norm(across)

    def at_height(self, a: str, b: str, height: float) -> np.ndarray:
        """The point at ``height`` on the line through landmarks ``a`` and ``b`` (a limb or spine axis)."""
        pa, pb = self.points[a], self.points[b]
        ha, hb = pa @ self.up, pb @ self.up
        t = (height - ha) / (hb - ha) if abs(hb - ha) > 1e-9 else 0.0
        return pa + t * (pb - pa)


def waist_centre(vertices: np.ndarray) -> np.ndarray:
    """Centre of the vertex loop that ``anny.Anthropometry`` measures as the waist, on an anny-topology mesh."""
    from twinkit.capture.studio.body import anny_model  # anny model (heavy import)

    return np.asarray(vertices)[anny_model()[2].waist_vertex_indices].mean(axis=0)


def body_landmarks(body: "Body", to_world: np.ndarray | None = None, up: np.ndarray = (0.0, 0.0, 1.0),
                   ) -> Landmarks:
    """Landmarks of an anny body: joint centres (bone heads), COCO keypoints and ``waist`` (the centre of
    the vertex loop that ``anny.Anthropometry`` measures as the waist), mapped by the 4x4 ``to_world``."""
    points = {**dict(zip(body.bone_names, body.bone_heads)), **dict(zip(body.keypoint_names, body.keypoints)),
              "waist": waist_centre(body.vertices)}
    if to_world is not None:
        points = {name: to_world[:3, :3] @ p + to_world[:3, 3] for name, p in points.items()}
    return Landmarks(points, up)


def fitted_body_landmarks(body_json: str | Path, up: np.ndarray) -> Landmarks:
    """Landmarks of the fitted anny body described by an avatar's ``body.json`` (phenotype, per-bone
    rotations, anny-to-world transform), evaluated in the capture world."""
    from twinkit.capture.studio.body import PHENOTYPE_KEYS, pose_body  # anny forward pass (heavy import)

    data = read_json(body_json)
    try:
        phenotype = {k: float(data["phenotype"][k]) for k in PHENOTYPE_KEYS}
        pose = {bone: np.asarray(v, dtype=np.float64) for bone, v in data["pose"].items()}
        transform = np.asarray(data["transform"], dtype=np.float64).reshape(4, 4)
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"not an anny body description ({exc!r} missing or malformed)", body_json) from None
    if data.get("pose_parameterization", "local-ref") != "local-ref":
        raise InputError(f"unsupported pose_parameterization {data['pose_parameterization']!r}", body_json)
    return body_landmarks(pose_body(phenotype, pose, offset=np.zeros(3)), transform, up)

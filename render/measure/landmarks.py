"""Anatomical landmarks for measuring: the fitted anny body's joint centres and keypoints, in the mesh's world.

Names are anny's bone names (``spine03``, ``upperarm01.R``, ...; the bone's head is its joint centre),
anny's COCO keypoint names (``left_hip``, ...) and surface landmarks that are vertices of anny's mesh
(``acromion.L``, ...). ``.L``/``.R`` and ``left``/``right`` are the subject's sides.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import trimesh


if TYPE_CHECKING:
    from twinkit.capture.studio.body import Body


@dataclass
class Landmarks:
    """Named 3D points (metres, world frame), the world's unit up axis and, when known, the anny body they
    come from (world frame; its thighs stay separate surfaces where a scan's merge)."""

    points: dict[str, np.ndarray]
    up: np.ndarray
    body: trimesh.Trimesh | None = field(default=None, repr=False)

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


def _skin_vertex(mesh, origin: np.ndarray, direction: np.ndarray) -> int:
    """Index of the vertex of ``mesh`` nearest where the ray from ``origin`` (inside) along ``direction`` leaves
    the skin."""
    hits, _, _ = mesh.ray.intersects_location(origin[None], direction[None] / np.linalg.norm(direction))
    skin = hits[int(np.argmin(np.linalg.norm(hits - origin, axis=1)))]
    return int(np.argmin(np.linalg.norm(mesh.vertices - skin, axis=1)))


@lru_cache(maxsize=1)
def surface_landmark_vertices() -> dict[str, int]:
    """Surface landmarks as vertex indices of anny's mesh, chosen once on anny's average body (every phenotype
    key 0.5) in its rest pose (arms ~45 degrees from the body), per side ``L``/``R``:

    - ``acromion``: the skin straight above the shoulder joint (``upperarm01``'s head);
    - ``radiale``: the skin on the outer side of the elbow joint (``lowerarm01``'s head), perpendicular to the
      upper arm;
    - ``stylion``: the skin on the outer side of the wrist joint (``wrist``'s head), perpendicular to the
      forearm.

    anny's mesh has the same vertices on every body, so such a landmark lands at the same anatomical place on a
    ground-truth body and on a fitted one (the correspondence garments are carried by). A point on the skin
    moves much less with a fitted body's error than a joint inside it: silhouettes hardly tell anny's age,
    weight and muscle apart, and on bench bodies the fitted shoulder joints sat up to 1.5 cm too high
    (docs/benchmarks.md).
    """
    import trimesh

    from twinkit.capture.studio.body import PHENOTYPE_KEYS, pose_body  # anny forward pass (heavy import)

    body = pose_body({key: 0.5 for key in PHENOTYPE_KEYS}, {}, offset=np.zeros(3))
    mesh = trimesh.Trimesh(body.vertices, body.faces, process=False)
    heads = dict(zip(body.bone_names, body.bone_heads))
    up = np.array([0.0, 0.0, 1.0])  # anny's frame is Z-up
    indices = {}
    for side in ("L", "R"):
        shoulder, elbow, wrist = (heads[f"{bone}.{side}"] for bone in ("upperarm01", "lowerarm01", "wrist"))
        outward = np.array([np.sign(shoulder[0]), 0.0, 0.0])  # anny's X is the body's left-right axis
        indices[f"acromion.{side}"] = _skin_vertex(mesh, shoulder, up)
        for name, joint, axis in (("radiale", elbow, elbow - shoulder), ("stylion", wrist, wrist - elbow)):
            axis = axis / np.linalg.norm(axis)
            indices[f"{name}.{side}"] = _skin_vertex(mesh, joint, outward - (outward @ axis) * axis)
    return indices


def surface_landmarks(vertices: np.ndarray) -> dict[str, np.ndarray]:
    """The :func:`surface_landmark_vertices` of an anny-topology mesh's ``vertices``."""
    return {name: np.asarray(vertices)[index] for name, index in surface_landmark_vertices().items()}


def body_landmarks(body: "Body", to_world: np.ndarray | None = None, up: np.ndarray = (0.0, 0.0, 1.0),
                   ) -> Landmarks:
    """Landmarks of an anny body: joint centres (bone heads), COCO keypoints, surface landmarks
    (:func:`surface_landmarks`) and ``waist`` (the centre of the vertex loop that ``anny.Anthropometry``
    measures as the waist), mapped by the 4x4 ``to_world``."""
    points = {**dict(zip(body.bone_names, body.bone_heads)), **dict(zip(body.keypoint_names, body.keypoints)),
              **surface_landmarks(body.vertices), "waist": waist_centre(body.vertices)}
    vertices = body.vertices
    if to_world is not None:
        points = {name: to_world[:3, :3] @ p + to_world[:3, 3] for name, p in points.items()}
        vertices = vertices @ to_world[:3, :3].T + to_world[:3, 3]
    return Landmarks(points, up, trimesh.Trimesh(vertices, body.faces, process=False))


def fitted_body_landmarks(body_json: str | Path, up: np.ndarray) -> Landmarks:
    """Landmarks of the fitted anny body described by an avatar's ``body.json`` (phenotype, per-bone
    rotations, anny-to-world transform), evaluated in the capture world."""
    from twinkit.capture.studio.body import PHENOTYPE_KEYS, pose_body  # anny forward pass (heavy import)
    from twinkit.reconstruct.bodyfit.output import read_body_parameters  # torch (heavy import)

    phenotype, pose, transform = read_body_parameters(body_json)
    phenotype = {key: phenotype[key] for key in PHENOTYPE_KEYS}
    return body_landmarks(pose_body(phenotype, pose, offset=np.zeros(3)), transform, up)

"""The avatar's skeleton: anny's 104-bone rig at the fitted body's joints, with readable joint names."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from twinkit.reconstruct.bodyfit.output import read_body_parameters
from twinkit.rig.anny_rig import AnnyRig

Pose = dict[str, np.ndarray]  # anny bone -> rotation vector (radians, anny "local-ref")


def joint_table() -> list[dict[str, str]]:
    """Rows of ``data/skeletons/anny.json``: anny label, readable name, Mixamo / CMU-BVH / BlazePose names."""
    text = resources.files("twinkit.data").joinpath("skeletons/anny.json").read_text(encoding="utf-8")
    return json.loads(text)["joints"]


@dataclass
class Skeleton:
    """anny's rig fitted to one person, in the capture world frame (metres).

    ``bind`` holds each bone's 4x4 frame in the captured (fitted) pose, which the reconstructed meshes
    and splats are in; ``rest`` holds them in anny's rest A-pose, the pose skinning starts from (a mesh
    skinned from ``rest`` to ``frames(pose)`` is exactly anny's body in that pose). ``transform`` maps
    anny's frame to the world.
    """

    names: list[str]                 # anny bone labels
    joint_names: list[str]           # readable names, same order
    parents: np.ndarray              # (J,) parent index, -1 for the root
    bind: np.ndarray                 # (J, 4, 4) world frames in the captured pose
    rest: np.ndarray                 # (J, 4, 4) world frames in the rest A-pose
    transform: np.ndarray            # (4, 4) anny frame -> world
    phenotype: dict[str, float]
    bind_pose: Pose = field(default_factory=dict)
    rig: AnnyRig | None = field(default=None, repr=False)

    @property
    def joints(self) -> np.ndarray:
        """(J, 3) joint positions (bone heads) in the captured pose."""
        return self.bind[:, :3, 3]

    def frames(self, pose: Pose) -> np.ndarray:
        """(J, 4, 4) world bone frames of this person in ``pose``."""
        _, frames = self._rig().evaluate(pose)
        return self.transform @ frames

    def transforms(self, pose: Pose) -> np.ndarray:
        """(J, 4, 4) skinning transforms from the rest pose to ``pose`` (world frame)."""
        return self.frames(pose) @ np.linalg.inv(self.rest)

    def body(self, pose: Pose) -> np.ndarray:
        """(V, 3) vertices of the fitted anny body in ``pose``, world frame."""
        vertices, _ = self._rig().evaluate(pose)
        return vertices @ self.transform[:3, :3].T + self.transform[:3, 3]

    def _rig(self) -> AnnyRig:
        if self.rig is None:
            self.rig = AnnyRig(self.phenotype)
        return self.rig


def build_skeleton(phenotype: dict[str, float], pose: Pose, transform: np.ndarray) -> Skeleton:
    """The skeleton of a fitted anny body (phenotype, captured pose, anny-to-world 4x4)."""
    rig = AnnyRig(phenotype)
    transform = np.asarray(transform, dtype=np.float64)
    readable = {row["anny"]: row["name"] for row in joint_table()}
    _, bind = rig.evaluate(pose)
    return Skeleton(names=rig.names, joint_names=[readable.get(n, n) for n in rig.names], parents=rig.parents,
                    bind=transform @ bind, rest=transform @ rig.rest_frames, transform=transform,
                    phenotype=rig.phenotype, bind_pose=dict(pose), rig=rig)


def skeleton_from_body_json(path: str | Path) -> Skeleton:
    """:func:`build_skeleton` from ``AVATAR/body.json``."""
    return build_skeleton(*read_body_parameters(path))

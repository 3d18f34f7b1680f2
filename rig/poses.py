"""Poses: the named library in ``data/poses/`` and pose files.

A pose file is JSON ``{"name": ..., "description": ..., "rotations_deg": {joint: [x, y, z]}}``: per-joint
rotation vectors in degrees in anny's ``local-ref`` form (about the axes of anny's frame: x to the subject's
left, y backwards, z up, applied at the joint in its A-pose orientation). Joints are readable names or anny
bone labels; joints left out keep the A-pose.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np

from twinkit.core.atomic import read_json, write_json
from twinkit.core.errors import InputError
from twinkit.rig.skeleton import Pose, joint_table


def _library() -> Path:
    return Path(str(resources.files("twinkit.data").joinpath("poses")))


def pose_names() -> list[str]:
    """Names of the poses in the library."""
    return sorted(p.stem for p in _library().glob("*.json"))


def parse_pose(data: object, path: str | Path | None = None) -> Pose:
    """A pose from a pose file's parsed JSON (see the module docstring)."""
    if not isinstance(data, dict) or not isinstance(data.get("rotations_deg"), dict):
        raise InputError("not a pose file: needs an object with a 'rotations_deg' object", path)
    to_anny = {row["name"]: row["anny"] for row in joint_table()}
    to_anny.update({row["anny"]: row["anny"] for row in joint_table()})
    pose: Pose = {}
    for joint, rotation in data["rotations_deg"].items():
        if joint not in to_anny:
            raise InputError(f"unknown joint {joint!r} (use a readable name or an anny bone label)", path)
        try:
            vector = np.asarray(rotation, dtype=np.float64).reshape(3)
        except (TypeError, ValueError):
            raise InputError(f"joint {joint!r}: rotation must be 3 numbers (degrees), got {rotation!r}", path) from None
        if not np.isfinite(vector).all():
            raise InputError(f"joint {joint!r}: rotation is not finite", path)
        pose[to_anny[joint]] = np.deg2rad(vector)
    return pose


def load_pose(name_or_path: str | Path) -> Pose:
    """A library pose by name (e.g. ``"t_pose"``) or a pose file by path."""
    path = Path(name_or_path)
    if path.suffix != ".json":
        path = _library() / f"{name_or_path}.json"
        if not path.is_file():
            raise InputError(f"no such pose; the library has {', '.join(pose_names())}", name_or_path)
    return parse_pose(read_json(path), path)


def write_pose(path: str | Path, pose: Pose, name: str, description: str = "") -> Path:
    """Write ``pose`` as a pose file (readable joint names, degrees; see the module docstring), atomically."""
    readable = {row["anny"]: row["name"] for row in joint_table()}
    write_json(Path(path), {"name": name, "description": description,
                            "rotations_deg": {readable.get(bone, bone): np.round(np.rad2deg(v), 3).tolist()
                                              for bone, v in pose.items()}})
    return Path(path)

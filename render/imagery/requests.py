"""What ``twin render`` is asked for, resolved and labelled: poses (library, pose files, BVH frames) and
cameras (presets, nerfstudio camera files), each with a JSON fingerprint of everything that shapes the image."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from twinkit.capture.cameras import Camera
from twinkit.core.errors import InputError
from twinkit.render.imagery.camera_files import read_camera_file
from twinkit.render.imagery.presets import CameraPreset, camera_preset
from twinkit.rig.poses import load_pose
from twinkit.rig.skeleton import Pose, Skeleton


def file_label(text: str) -> str:
    """``text`` made safe for a file name (letters, digits, dot, dash, underscore)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-") or "unnamed"


@dataclass(frozen=True)
class PoseRequest:
    label: str
    pose: Pose

    def fingerprint(self) -> dict[str, list[float]]:
        return {bone: np.round(v, 9).tolist() for bone, v in sorted(self.pose.items())}


@dataclass(frozen=True)
class CameraRequest:
    """A preset (framed on each posed body) or a fixed camera from a file (capture world frame)."""

    label: str
    preset: CameraPreset | None = None
    camera: Camera | None = None

    def fingerprint(self) -> dict[str, Any]:
        return vars(self.preset) if self.preset else self.camera.to_dict()


def _unique(requests: list, kind: str) -> list:
    """Drop exact repeats; refuse two different requests with one label (their images would collide)."""
    seen: dict[str, Any] = {}
    for request in requests:
        if request.label in seen and seen[request.label].fingerprint() != request.fingerprint():
            raise InputError(f"two different {kind}s are both named {request.label!r}: rename one file")
        seen.setdefault(request.label, request)
    return list(seen.values())


def pose_requests(values: list[str]) -> list[PoseRequest]:
    """Library poses by name and pose files (``.json``) by path."""
    return _unique([PoseRequest(file_label(Path(v).stem), load_pose(v)) for v in values], "pose")


def bvh_pose_requests(path: Path, frames: str | None, skeleton: Skeleton) -> list[PoseRequest]:
    """The frames of a BVH motion retargeted onto the avatar, labelled ``{file stem}-{frame:04d}`` (each
    image is framed on its own, so the motion's root travel does not move the body out of view)."""
    from twinkit.rig.animate import parse_frames, retarget_checked, select_frames
    from twinkit.rig.bvh import read_bvh

    motion = read_bvh(path)
    selection = parse_frames(frames) if frames else slice(None)
    retargeted = retarget_checked(select_frames(motion, selection, path), skeleton, path)
    return [PoseRequest(f"{file_label(path.stem)}-{frame:04d}", retargeted.pose(i))
            for i, frame in enumerate(range(motion.frame_count)[selection])]


def camera_requests(values: list[str]) -> list[CameraRequest]:
    """Camera presets by name, nerfstudio camera files (``.json``) by path."""
    requests: list[CameraRequest] = []
    for value in values:
        if Path(value).suffix == ".json":
            requests += [CameraRequest(file_label(c.name), camera=c) for c in read_camera_file(value)]
        else:
            requests.append(CameraRequest(value, preset=camera_preset(value)))
    return _unique(requests, "camera")

"""The capture folder: the hand-over format from ``twin capture ingest`` to every later stage.

::

    CAPTURE/
      manifest.json        kind "capture": inputs + SHA-256, parameters, tools, world frame, cameras, frames
      cameras.json         canonical rig (OpenCV convention, metres, world up axis)
      calibration.toml     the same rig as a Pose2Sim/anipose calibration
      transforms.json      nerfstudio dataset of the key frame (opens in nerfstudio as it is)
      images/<cam>/<frame>.png   frames exactly as decoded (original size and distortion), RGB PNG
      masks/<cam>/<frame>.png    person mask, 8-bit (255 = subject)
      landmarks2d.json     per frame and camera: 33 BlazePose landmarks [x, y, confidence] (pixels)
      landmarks3d.json     per frame: 33 triangulated landmarks (world, metres), reprojection errors
      report.json, contact_sheet.png   written by ``twin capture check``

Frames are integers on the capture's common timeline (after time-offset correction), written as six
digits. Images keep their original size and distortion; ``cameras.json`` describes them exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from twinkit.capture.cameras import CAMERAS_NAME, Camera, read_cameras
from twinkit.core.atomic import read_json
from twinkit.core.errors import InputError
from twinkit.core.manifest import Manifest
from twinkit.core.progress import warn

KIND = "capture"
LANDMARKS_2D = "landmarks2d.json"
LANDMARKS_3D = "landmarks3d.json"
TRANSFORMS = "transforms.json"
CALIBRATION_TOML = "calibration.toml"
REPORT = "report.json"
CONTACT_SHEET = "contact_sheet.png"


def frame_name(frame: int) -> str:
    """File stem of a frame index: ``000012``."""
    return f"{frame:06d}"


def image_relpath(camera: str, frame: int) -> str:
    return f"images/{camera}/{frame_name(frame)}.png"


def mask_relpath(camera: str, frame: int) -> str:
    return f"masks/{camera}/{frame_name(frame)}.png"


@dataclass
class Capture:
    """A capture folder opened for reading (later stages use this, never the raw session)."""

    root: Path
    manifest: Manifest
    cameras: list[Camera]
    frames: list[int]

    @classmethod
    def open(cls, root: str | Path) -> "Capture":
        """Open and validate a capture folder; raises :class:`InputError` naming what is wrong."""
        root = Path(root)
        if not root.is_dir():
            raise InputError("capture folder not found", root)
        manifest = Manifest.read(root, kind=KIND)
        cameras = read_cameras(root / CAMERAS_NAME)
        frames = [int(f) for f in manifest.extra.get("frames", [])]
        if not frames:
            raise InputError("capture manifest lists no frames", root / "manifest.json")
        return cls(root, manifest, cameras, frames)

    @property
    def up(self) -> np.ndarray:
        """World up axis (unit vector) as recorded at ingest."""
        return np.asarray(self.manifest.extra["world"]["up"], dtype=np.float64)

    @property
    def metric(self) -> bool:
        """True when the world frame is in metres (false for SfM without a scale reference)."""
        return self.manifest.extra["world"].get("scale") == "metric"

    def camera(self, name: str) -> Camera:
        for cam in self.cameras:
            if cam.name == name:
                return cam
        raise KeyError(name)

    def image_path(self, camera: str, frame: int) -> Path:
        return self.root / image_relpath(camera, frame)

    def mask_path(self, camera: str, frame: int) -> Path:
        return self.root / mask_relpath(camera, frame)

    def landmarks2d(self) -> dict:
        return read_json(self.root / LANDMARKS_2D)

    def landmarks3d(self) -> dict:
        return read_json(self.root / LANDMARKS_3D)


def shows_subject(mask, camera: str, left_out_of: str) -> bool:
    """Whether a view's boolean subject ``mask`` (NumPy or torch) has any subject pixel. A view where the
    capture stage found nobody still shows the person in its photo, so every stage leaves it out; this warns
    that ``camera``'s view is left out of ``left_out_of``."""
    if bool(mask.any()):
        return True
    warn(f"{camera}: the subject's mask is empty; view left out of {left_out_of}")
    return False

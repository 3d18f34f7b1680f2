"""Cameras from a nerfstudio file: a ``transforms.json`` (one camera per frame) or a viewer camera path
(``camera_path``: ``camera_to_world`` and vertical ``fov`` per keyframe, ``render_width``/``render_height``).

Poses in these files are in the avatar's capture world frame (the frame of ``capture/transforms.json``),
so a capture camera can be rendered again; :func:`in_frame` moves a camera into another frame.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from twinkit.capture.cameras import CV_TO_GL, Camera
from twinkit.capture.formats import PIXEL_CENTER_SHIFT
from twinkit.capture.formats.nerfstudio import read_transforms
from twinkit.core.atomic import read_json
from twinkit.core.errors import InputError
from twinkit.core.progress import warn


def read_camera_file(path: str | Path) -> list[Camera]:
    """The cameras of a nerfstudio ``transforms.json`` or camera path, named ``{file stem}`` when there is
    one and ``{file stem}-{index:03d}`` otherwise. Lens distortion is dropped (rendering is pinhole)."""
    path = Path(path)
    data = read_json(path)
    if isinstance(data, dict) and "camera_path" in data:
        cameras = _camera_path(data, path)
    elif isinstance(data, dict) and "frames" in data:
        cameras = read_transforms(path)[0]
    else:
        raise InputError("not a nerfstudio camera file: needs 'frames' (transforms.json) or 'camera_path'", path)
    if any(np.any(cam.dist) for cam in cameras):
        warn(f"{path}: lens distortion is ignored; the images are rendered as pinhole cameras")
    names = [path.stem] if len(cameras) == 1 else [f"{path.stem}-{i:03d}" for i in range(len(cameras))]
    return [Camera(name, cam.width, cam.height, cam.K, cam.R, cam.t) for name, cam in zip(names, cameras)]


def _camera_path(data: dict, path: Path) -> list[Camera]:
    try:
        width, height = int(data["render_width"]), int(data["render_height"])
        keyframes = [(np.asarray(k["camera_to_world"], dtype=np.float64).reshape(4, 4), float(k["fov"]))
                     for k in data["camera_path"]]
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"malformed camera path ({exc!r}): needs render_width, render_height and "
                         "camera_path entries with camera_to_world (16 numbers) and fov (degrees)", path) from None
    if not keyframes:
        raise InputError("the camera path has no cameras", path)
    cameras = []
    for c2w_gl, fov in keyframes:
        if not 0.0 < fov < 180.0:
            raise InputError(f"field of view {fov} is not between 0 and 180 degrees", path)
        focal = 0.5 * height / np.tan(np.deg2rad(fov) / 2)
        K = [[focal, 0.0, width / 2 - PIXEL_CENTER_SHIFT], [0.0, focal, height / 2 - PIXEL_CENTER_SHIFT],
             [0.0, 0.0, 1.0]]
        R = (c2w_gl[:3, :3] @ CV_TO_GL).T
        camera = Camera("path", width, height, K, R, -R @ c2w_gl[:3, 3])
        camera.validate(path)
        cameras.append(camera)
    return cameras


def in_frame(camera: Camera, frame_from_world: np.ndarray) -> Camera:
    """``camera`` (posed in the world) posed in another frame, given the rigid 4x4 from world to it."""
    w2c = camera.w2c @ np.linalg.inv(frame_from_world)
    return Camera(camera.name, camera.width, camera.height, camera.K, w2c[:3, :3], w2c[:3, 3], camera.dist,
                  camera.model)

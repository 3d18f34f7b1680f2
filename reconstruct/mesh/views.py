"""The capture's key-frame photos and masks as undistorted pinhole views at a chosen resolution."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import open3d as o3d

from twinkit.capture.cameras import PINHOLE, Camera
from twinkit.capture.layout import Capture, shows_subject
from twinkit.capture.media import read_image
from twinkit.core.errors import InputError


@dataclass
class View:
    """One camera's undistorted photo: ``camera`` (pinhole, ``dist`` = 0), ``rgb`` (H,W,3) uint8 and the
    subject ``mask`` (H,W) bool, both in that pinhole camera's pixels."""

    camera: Camera
    rgb: np.ndarray
    mask: np.ndarray


def pinhole(camera: Camera, size: int | None = None) -> Camera:
    """The distortion-free camera with ``camera``'s intrinsics, scaled so its longer side is ``size`` px."""
    ideal = Camera(camera.name, camera.width, camera.height, camera.K, camera.R, camera.t, model=PINHOLE)
    if size is None:
        return ideal
    scale = size / max(camera.width, camera.height)
    return ideal.scaled(max(1, round(camera.width * scale)), max(1, round(camera.height * scale)))


def pixel_rays(camera: Camera) -> o3d.core.Tensor:
    """Open3D rays (H,W,6) through ``camera``'s pixel centres (integer pixel coordinates, OpenCV's
    convention; Open3D's own pinhole rays go through the half-integer ones)."""
    return o3d.t.geometry.RaycastingScene.create_rays_pinhole(
        o3d.core.Tensor(camera.half_pixel_K), o3d.core.Tensor(camera.w2c), camera.width, camera.height)


def load_views(capture: Capture, frame: int | None = None, size: int | None = None,
               cameras: list[str] | None = None) -> list[View]:
    """The photo and mask of every camera (or of those named in ``cameras``) at ``frame`` (default the key
    frame) as pinhole views whose longer side is ``size`` px (default: the original size)."""
    frame = capture.manifest.extra.get("key_frame", capture.frames[0]) if frame is None else frame
    if frame not in capture.frames:
        raise InputError(f"frame {frame} is not in the capture (frames {capture.frames[0]}..{capture.frames[-1]})",
                         capture.root / "manifest.json")
    unknown = sorted(set(cameras or []) - {cam.name for cam in capture.cameras})
    if unknown:
        raise InputError(f"no camera named {', '.join(unknown)} in the capture", capture.root / "cameras.json")
    views = []
    for cam in capture.cameras if cameras is None else [c for c in capture.cameras if c.name in cameras]:
        target = pinhole(cam, size)
        rgb = read_image(capture.image_path(cam.name, frame), mode="RGB")
        mask = read_image(capture.mask_path(cam.name, frame), mode="L")
        if rgb.shape[:2] != (cam.height, cam.width) or mask.shape[:2] != (cam.height, cam.width):
            raise InputError(f"image size {rgb.shape[1]}x{rgb.shape[0]} does not match camera {cam.name} "
                             f"({cam.width}x{cam.height})", capture.image_path(cam.name, frame))
        if not shows_subject(mask > 127, cam.name, "meshing and texturing"):
            continue
        views.append(View(target, cam.resample_image(rgb, target),
                          cam.resample_image(mask, target, nearest=True) > 127))
    return views

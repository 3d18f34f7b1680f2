"""Automatic framing: a pinhole camera at a preset's azimuth and elevation, at the distance that fits the
framed points (the whole posed body, or its head and shoulders) inside the image with the preset's margin.

Everything here is in the avatar's glTF frame (Y up, the body facing +z, metres, feet at y = 0).
"""

from __future__ import annotations

import numpy as np

from twinkit.capture.cameras import Camera, look_at
from twinkit.render.imagery.presets import HEAD_AND_SHOULDERS, CameraPreset

UP = np.array([0.0, 1.0, 0.0])


def view_direction(azimuth_deg: float, elevation_deg: float) -> np.ndarray:
    """Unit vector from the subject towards a camera at this azimuth (0 front, 90 the subject's left: +x)
    and elevation."""
    a, e = np.deg2rad(azimuth_deg), np.deg2rad(elevation_deg)
    return np.array([np.cos(e) * np.sin(a), np.sin(e), np.cos(e) * np.cos(a)])


def image_size(preset: CameraPreset, size: int) -> tuple[int, int]:
    """``(width, height)`` of the preset's image whose longer side is ``size`` pixels."""
    if preset.aspect >= 1.0:
        return size, max(1, round(size / preset.aspect))
    return max(1, round(size * preset.aspect)), size


def head_and_shoulders(vertices: np.ndarray, joints: dict[str, np.ndarray]) -> np.ndarray:
    """The vertices a head-and-shoulders shot frames: above the upper-chest joint and within 1.2 shoulder
    half-widths (horizontally) of the neck."""
    half_width = 0.5 * np.linalg.norm(joints["left_upper_arm"] - joints["right_upper_arm"])
    horizontal = (vertices - joints["neck"])[:, [0, 2]]
    keep = (vertices[:, 1] >= joints["upper_chest"][1]) & (np.linalg.norm(horizontal, axis=1) <= 1.2 * half_width)
    return vertices[keep]


def frame_points(points: np.ndarray, preset: CameraPreset, size: int, name: str | None = None) -> Camera:
    """The preset's camera that fits ``points`` (N, 3) with ``margin`` on every side and centres them.

    With the view rotation fixed, a camera offset (tx, ty) in its image plane and a distance D fit the
    points exactly: along x, every point needs |X - tx| <= a (z + D) with a = tan(half fov) (1 - 2 margin),
    which holds for D >= (max(X - a z) - min(X + a z)) / 2a, with tx the midpoint; the same along y.
    """
    width, height = image_size(preset, size)
    fy = 0.5 * height / np.tan(np.deg2rad(preset.fov_deg) / 2)
    fx = fy  # square pixels
    centre = 0.5 * (points.min(axis=0) + points.max(axis=0))
    R, _ = look_at(centre + view_direction(preset.azimuth_deg, preset.elevation_deg), centre, UP)
    q = (points - centre) @ R.T  # camera axes, origin at the centre
    offset, distance = np.zeros(2), 0.0
    for axis, half_px in ((0, 0.5 * width), (1, 0.5 * height)):
        a = half_px / (fx if axis == 0 else fy) * (1.0 - 2.0 * preset.margin)
        low, high = (q[:, axis] - a * q[:, 2]).max(), (q[:, axis] + a * q[:, 2]).min()
        distance = max(distance, (low - high) / (2.0 * a))
        offset[axis] = 0.5 * (low + high)
    eye = centre + R.T @ np.array([offset[0], offset[1], -distance])
    K = np.array([[fx, 0.0, (width - 1) / 2], [0.0, fy, (height - 1) / 2], [0.0, 0.0, 1.0]])
    return Camera(name or preset.name, width, height, K, R, -R @ eye)


def frame_body(vertices: np.ndarray, joints: dict[str, np.ndarray], preset: CameraPreset, size: int) -> Camera:
    """The preset's camera for a posed body (glTF frame): the whole body, or its head and shoulders."""
    points = head_and_shoulders(vertices, joints) if preset.framing == HEAD_AND_SHOULDERS else vertices
    return frame_points(points, preset, size)

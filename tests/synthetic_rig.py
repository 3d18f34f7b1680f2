"""Synthetic studio rigs and a 33-landmark skeleton with known ground truth (shared by tests)."""

from __future__ import annotations

import numpy as np

from twinkit.capture.blazepose import INDEX, MIRROR, NAMES
from twinkit.capture.cameras import Camera, look_at


def skeleton(rng: np.random.Generator, centre: tuple[float, float] = (0.0, 0.0)) -> np.ndarray:
    """A standing, person-sized 33-landmark skeleton (Z up, metres); left is +x, right is -x."""
    heights = {"nose": 1.6, "eye": 1.65, "ear": 1.62, "mouth": 1.55, "shoulder": 1.42, "elbow": 1.12,
               "wrist": 0.85, "pinky": 0.76, "index": 0.75, "thumb": 0.78, "hip": 0.95, "knee": 0.52,
               "ankle": 0.1, "heel": 0.05, "foot": 0.03}
    widths = {"eye": 0.04, "ear": 0.08, "mouth": 0.03, "shoulder": 0.2, "elbow": 0.26, "wrist": 0.3,
              "pinky": 0.32, "index": 0.31, "thumb": 0.29, "hip": 0.12, "knee": 0.13, "ankle": 0.13,
              "heel": 0.13, "foot": 0.14}
    pts = np.zeros((len(NAMES), 3))
    for j, name in enumerate(NAMES):
        part = next(k for k in heights if k in name)
        side = 1.0 if name.startswith("left") else -1.0 if name.startswith("right") else 0.0
        forward = 0.12 if part in ("foot", "nose") else -0.05 if part == "heel" else 0.0
        pts[j] = (side * widths.get(part, 0.0), forward, heights[part])
    pts[[INDEX["left_eye_inner"], INDEX["right_eye_inner"]], 0] *= 0.5
    pts += rng.normal(0, 0.03, pts.shape)
    pts[:, :2] += centre
    return pts


def ring_rig(n: int = 24, size: int = 512, distorted: tuple[int, ...] = (1, 5, 9),
             seed: int = 0) -> list[Camera]:
    """``n`` cameras on two rings around the origin looking at the body, some with lens distortion."""
    rng = np.random.default_rng(seed)
    cams = []
    for i in range(n):
        angle = 2 * np.pi * i / n + rng.uniform(-0.05, 0.05)
        height = 0.6 if i % 2 else 1.8
        eye = np.array([3.0 * np.cos(angle), 3.0 * np.sin(angle), height])
        R, t = look_at(eye, np.array([0.0, 0.0, 0.9]), np.array([0.0, 0.0, 1.0]))
        K = [[0.9 * size, 0, size / 2], [0, 0.9 * size, size / 2], [0, 0, 1]]
        dist = [-0.12, 0.03, 0.001, -0.001, 0.0] if i in distorted else [0.0] * 5
        cams.append(Camera(f"cam{i:02d}", size, size, K, R, t, dist))
    return cams


def observe(cams: list[Camera], points: np.ndarray, rng: np.random.Generator, noise_px: float = 1.0,
            confidence: float = 0.9) -> np.ndarray:
    """(V, 33, 3) noisy detections ``[x, y, confidence]`` of ``points`` in every camera."""
    out = np.zeros((len(cams), len(points), 3))
    for v, cam in enumerate(cams):
        out[v, :, :2] = cam.project(points) + rng.normal(0, noise_px, (len(points), 2))
        out[v, :, 2] = confidence
    return out


def mirror(view: np.ndarray) -> np.ndarray:
    """A detection with its left/right labels swapped (what MediaPipe does in back views)."""
    return view[list(MIRROR)]

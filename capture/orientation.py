"""Refine the cameras' orientations against the subject's 2D landmarks over every frame.

A lab calibration can disagree with the images by a fraction of a degree per camera (the rig was bumped,
the calibration was converted between tools): each view then sees the triangulated body shifted by the same
few pixels in every frame, and no body can match all views' silhouettes. The landmarks of all frames pin
that down: a bundle adjustment that rotates each camera about its centre (centres and intrinsics, i.e. the
calibration's metric frame, are kept) and moves the landmarks' 3D points. It is kept only when it explains
the observations markedly better, so an accurate calibration is left as it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np
from scipy.optimize import least_squares
from scipy.sparse import lil_matrix

from twinkit.capture.cameras import Camera

MIN_CONFIDENCE = 0.5  # 2D landmarks at least this confident enter the adjustment
NOISE_PX = 5.0        # robust scale of a landmark's pixel error (soft-L1 beyond it)
MIN_GAIN = 0.2        # the refinement is kept when it lowers the median error by at least this share


@dataclass
class OrientationRefinement:
    """The cameras after refinement (the input cameras when not ``applied``) and what it changed."""

    cameras: list[Camera]
    applied: bool
    median_px_before: float
    median_px_after: float
    corrections_deg: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict:
        def px(value: float) -> float | None:
            return round(value, 2) if np.isfinite(value) else None

        return {"applied": self.applied, "median_px_before": px(self.median_px_before),
                "median_px_after": px(self.median_px_after),
                "corrections_deg": {k: round(v, 3) for k, v in self.corrections_deg.items()}}


def rotated(camera: Camera, rotvec: np.ndarray) -> Camera:
    """``camera`` turned about its own centre by the camera-frame rotation vector ``rotvec``."""
    R = cv2.Rodrigues(np.asarray(rotvec, np.float64))[0] @ camera.R
    return Camera(camera.name, camera.width, camera.height, camera.K, R, -R @ camera.center, camera.dist,
                  camera.model)


def _observations(cameras: list[Camera], lm2d: dict, lm3d: dict) -> tuple[np.ndarray, np.ndarray]:
    """Rows ``[camera, point, x, y, confidence]`` of the confident 2D landmarks each triangulated point was
    made from, and those points (P, 3)."""
    rows, points = [], []
    for frame, record in sorted(lm3d.items()):
        for j in np.nonzero(np.isfinite(record["points"]).all(axis=1))[0]:
            seen = [(i, lm2d[frame][c.name][j]) for i, c in enumerate(cameras)
                    if lm2d[frame].get(c.name) is not None and record["inliers"][c.name][j]
                    and lm2d[frame][c.name][j, 2] >= MIN_CONFIDENCE]
            if len(seen) < 2:
                continue
            rows += [(i, len(points), x, y, conf) for i, (x, y, conf) in seen]
            points.append(record["points"][j])
    return np.array(rows, np.float64).reshape(-1, 5), np.array(points, np.float64).reshape(-1, 3)


def refine_orientations(cameras: list[Camera], lm2d: dict, lm3d: dict) -> OrientationRefinement:
    """Bundle-adjust the orientations of ``cameras`` on the landmarks: ``lm2d[frame][camera]`` (33, 3)
    ``[x, y, confidence]`` pixels (None: not seen) and ``lm3d[frame]`` with ``points`` (33, 3) and per-camera
    ``inliers`` (33,) as triangulated from them."""
    obs, X0 = _observations(cameras, lm2d, lm3d)
    n_cam = len(cameras)
    if len(obs) < 6 * n_cam or len(np.unique(obs[:, 0])) < n_cam:  # a view without landmarks: nothing to pin
        median = float("nan")
        return OrientationRefinement(list(cameras), False, median, median)
    cam_of, point_of = obs[:, 0].astype(int), obs[:, 1].astype(int)
    sqrt_w = np.sqrt(obs[:, 4:5])

    def residuals(params: np.ndarray) -> np.ndarray:
        X = params[3 * n_cam:].reshape(-1, 3)
        out = np.empty((len(obs), 2))
        for i, cam in enumerate(cameras):
            rows = cam_of == i
            out[rows] = rotated(cam, params[3 * i:3 * i + 3]).project(X[point_of[rows]]) - obs[rows, 2:4]
        return (out * sqrt_w).ravel()

    # Each residual depends on its camera's 3 angles and its point's 3 coordinates: a sparse Jacobian.
    sparsity = lil_matrix((2 * len(obs), 3 * n_cam + X0.size), dtype=np.int8)
    for k, (i, p) in enumerate(zip(cam_of, point_of)):
        sparsity[2 * k:2 * k + 2, 3 * i:3 * i + 3] = 1
        sparsity[2 * k:2 * k + 2, 3 * n_cam + 3 * p:3 * n_cam + 3 * p + 3] = 1
    start = np.concatenate([np.zeros(3 * n_cam), X0.ravel()])
    solution = least_squares(residuals, start, jac_sparsity=sparsity, loss="soft_l1", f_scale=NOISE_PX,
                             x_scale="jac")

    def median_px(params: np.ndarray) -> float:
        return float(np.median(np.linalg.norm(residuals(params).reshape(-1, 2) / sqrt_w, axis=1)))

    before, after = median_px(start), median_px(solution.x)
    applied = after <= (1 - MIN_GAIN) * before
    refined = [rotated(c, solution.x[3 * i:3 * i + 3]) for i, c in enumerate(cameras)] if applied else list(cameras)
    degrees = {c.name: float(np.degrees(np.linalg.norm(solution.x[3 * i:3 * i + 3])))
               for i, c in enumerate(cameras)}
    return OrientationRefinement(refined, applied, before, after, degrees)

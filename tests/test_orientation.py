"""Camera orientation refinement on the subject's landmarks (twinkit.capture.orientation): a rig whose
calibration is turned by about a degree per camera is brought back to within a few pixels; an accurate
calibration is left as it is."""

from __future__ import annotations

import numpy as np

from twinkit.capture.cameras import Camera, look_at
from twinkit.capture.orientation import refine_orientations, rotated
from twinkit.capture.triangulation import triangulate


def _rig(count: int = 4) -> list[Camera]:
    """``count`` portrait cameras 3.5 m around a standing person, like a small lab capture."""
    cams = []
    for i, angle in enumerate(np.linspace(0, 2 * np.pi, count, endpoint=False) + 0.3):
        eye = np.array([3.5 * np.cos(angle), 3.5 * np.sin(angle), 1.2])
        R, t = look_at(eye, np.array([0.0, 0.0, 0.9]), np.array([0.0, 0.0, 1.0]))
        cams.append(Camera(f"cam{i}", 1080, 1920, [[1680, 0, 540], [0, 1680, 960], [0, 0, 1]], R, t,
                           [-0.01, 0.002, 0, 0, 0]))
    return cams


def _landmarks(cameras: list[Camera], seen_by: list[Camera], frames: int = 8, noise_px: float = 3.0,
               seed: int = 0):
    """Landmarks of a person moving about, as ``seen_by`` observes them (2D noise), triangulated with
    ``cameras``; returns ``lm2d``, ``lm3d`` and the true points per frame."""
    rng = np.random.default_rng(seed)
    lm2d, lm3d, truth = {}, {}, {}
    for f in range(frames):
        points = rng.normal([0, 0, 0.9], [0.15, 0.15, 0.45], (33, 3))
        views = {}
        for cam in seen_by:
            xy = cam.project(points) + rng.normal(0, noise_px, (33, 2))
            views[cam.name] = np.column_stack([xy, np.full(33, 0.9)])
        result = triangulate(cameras, np.stack([views[c.name] for c in cameras]), fix_swaps=False)
        lm2d[f], truth[f] = views, points
        lm3d[f] = {"points": result.points, "inliers": {c.name: result.inliers[i] for i, c in enumerate(cameras)}}
    return lm2d, lm3d, truth


def _mean_error_px(cameras: list[Camera], truth: list[Camera], points: np.ndarray) -> float:
    return float(np.mean([np.linalg.norm(c.project(points) - t.project(points), axis=1).mean()
                          for c, t in zip(cameras, truth)]))


def test_turned_cameras_are_brought_back_to_the_images():
    true = _rig()
    rng = np.random.default_rng(1)
    calibrated = [rotated(c, rng.normal(0, np.radians(0.7), 3)) for c in true]  # a bumped rig
    lm2d, lm3d, truth = _landmarks(calibrated, true)
    probe = np.concatenate(list(truth.values()))
    before = _mean_error_px(calibrated, true, probe)
    result = refine_orientations(calibrated, lm2d, lm3d)
    after = _mean_error_px(result.cameras, true, probe)
    print(f"turned rig: {before:.1f} px -> {after:.1f} px off the true cameras; landmark median "
          f"{result.median_px_before:.1f} -> {result.median_px_after:.1f} px; {result.corrections_deg}")
    assert result.applied
    assert before > 15.0 and after <= 3.0
    assert all(np.allclose(c.center, t.center) and np.array_equal(c.K, t.K) for c, t in zip(result.cameras, calibrated))


def test_an_accurate_calibration_is_left_as_it_is():
    true = _rig()
    lm2d, lm3d, _ = _landmarks(true, true, seed=2)
    result = refine_orientations(true, lm2d, lm3d)
    assert not result.applied
    assert all(c is t for c, t in zip(result.cameras, true))
    assert result.median_px_after <= result.median_px_before

"""SfM on the uncalibrated virtual studio against its ground-truth rig, and the similarity helpers used to
bring an SfM solution into metres and to compare it with ground truth."""

from __future__ import annotations

import time

import cv2
import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from twinkit.capture.cameras import Camera, look_at, read_cameras
from twinkit.capture.sfm import (align_similarity, apply_similarity, scale_from_distance, scale_from_height,
                                 solve_cameras)
from twinkit.core.errors import InputError, QualityError


def _rig(n: int = 6) -> list[Camera]:
    cams = []
    for i in range(n):
        a = 2 * np.pi * i / n
        R, t = look_at([3 * np.cos(a), 3 * np.sin(a), 1.2 + 0.1 * i], [0, 0, 1], [0, 0, 1])
        cams.append(Camera(f"cam{i}", 640, 480, [[800, 0, 320], [0, 800, 240], [0, 0, 1]], R, t))
    return cams


def test_similarity_round_trip_keeps_projections():
    cams = _rig()
    s, R, t = 0.37, Rotation.from_rotvec([0.3, -1.2, 0.5]).as_matrix(), np.array([1.0, -2.0, 0.5])
    moved = apply_similarity(cams, s, R, t)
    pts = np.random.default_rng(0).uniform(-0.5, 0.5, (100, 3)) + [0, 0, 1]
    for a, b in zip(cams, moved):  # the same scene, moved with the cameras, projects identically
        assert np.nanmax(np.abs(a.project(pts) - b.project(s * pts @ R.T + t))) < 1e-6
        assert np.allclose(b.center, s * R @ a.center + t)
    s2, R2, t2 = align_similarity([c.center for c in moved], [c.center for c in cams])
    back = apply_similarity(moved, s2, R2, t2)
    err_cm = 100 * max(np.linalg.norm(a.center - b.center) for a, b in zip(cams, back))
    assert err_cm < 1e-6 and s2 == pytest.approx(1 / s)


def test_align_similarity_with_noise_is_least_squares():
    rng = np.random.default_rng(1)
    src = rng.normal(size=(50, 3))
    R = Rotation.random(random_state=2).as_matrix()
    dst = 2.0 * src @ R.T + [0.1, 0.2, 0.3] + rng.normal(scale=0.005, size=(50, 3))
    s, R2, t = align_similarity(src, dst)
    assert s == pytest.approx(2.0, rel=0.01) and np.degrees(Rotation.from_matrix(R2 @ R.T).magnitude()) < 0.5
    assert np.sqrt(np.mean(np.sum((s * src @ R2.T + t - dst) ** 2, axis=1))) < 0.01


def test_scale_helpers():
    cams = _rig()
    d = np.linalg.norm(cams[0].center - cams[3].center)  # opposite cameras: 6 m apart horizontally
    assert scale_from_distance(cams, "cam0", "cam3", 2 * d) == pytest.approx(2.0)
    assert scale_from_height(0.5, 1.75) == pytest.approx(3.5)
    with pytest.raises(InputError, match="camX"):
        scale_from_distance(cams, "cam0", "camX", 1.0)
    with pytest.raises(InputError):
        scale_from_height(-1.0, 1.7)


def test_solve_cameras_refuses_bad_input(tmp_path):
    rng = np.random.default_rng(0)
    paths = {}
    for name, size in (("a", 96), ("b", 128)):
        paths[name] = tmp_path / f"{name}.png"
        cv2.imwrite(str(paths[name]), rng.integers(0, 256, (size, size, 3), dtype=np.uint8))
    with pytest.raises(InputError, match="at least 2"):
        solve_cameras({"a": paths["a"]}, tmp_path / "one")
    with pytest.raises(InputError, match="one size"):
        solve_cameras(paths, tmp_path / "sizes", shared_intrinsics=True)
    with pytest.raises(QualityError):  # unrelated noise images: nothing to reconstruct
        solve_cameras(paths, tmp_path / "noise")
    assert all(p.is_file() for p in paths.values())  # inputs untouched


@pytest.fixture(scope="module")
def uncalibrated_session(tmp_path_factory):
    from twinkit.capture.studio.session import StudioOptions, simulate

    return simulate(tmp_path_factory.mktemp("sfm") / "session", StudioOptions(format="uncalibrated"))


@pytest.mark.slow
def test_sfm_solves_the_virtual_studio(uncalibrated_session, tmp_path):
    """Acceptance: >= 90% of the 24 views registered, camera centres within 2 cm of GT after alignment."""
    images = {d.name: d / "000000.png" for d in sorted((uncalibrated_session / "images").iterdir())}
    gt = {c.name: c for c in read_cameras(uncalibrated_session / "gt" / "cameras.json")}
    clock = time.perf_counter()
    cams, registered, report = solve_cameras(images, tmp_path / "sfm")
    seconds = time.perf_counter() - clock
    assert len(registered) >= 0.9 * len(images) and report["registered"] == len(registered)
    s, R, t = align_similarity([c.center for c in cams], [gt[c.name].center for c in cams])
    aligned = apply_similarity(cams, s, R, t)
    err_cm = [100 * np.linalg.norm(c.center - gt[c.name].center) for c in aligned]
    rot_err = [np.degrees(Rotation.from_matrix(c.R @ gt[c.name].R.T).magnitude()) for c in aligned]
    focal_err = [abs(c.K[0, 0] / gt[c.name].K[0, 0] - 1) for c in cams]
    print(f"SfM: {len(registered)}/{len(images)} registered in {seconds:.0f} s, centre error mean "
          f"{np.mean(err_cm):.2f} max {np.max(err_cm):.2f} cm, rotation error max {max(rot_err):.2f} deg, "
          f"focal error max {100 * max(focal_err):.1f}%")
    assert max(err_cm) <= 2.0
    assert max(rot_err) < 0.5 and max(focal_err) < 0.03
    assert np.degrees(np.arccos(R[2, 2])) < 1.0  # the solved world's +Z is the studio's up

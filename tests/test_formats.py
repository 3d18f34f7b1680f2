"""Round trips and bad-input handling of the nerfstudio, COLMAP and Pose2Sim readers/writers."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from twinkit.capture.cameras import OPENCV, OPENCV_FISHEYE, PINHOLE, Camera, look_at
from twinkit.capture.formats import camera_names, colmap, nerfstudio, pose2sim
from twinkit.core.errors import InputError

SHARED_TOML = Path(__file__).resolve().parents[2] / "shared/captures/pose2sim-balancing/calibration.toml"


def _rig(models: list[str], shared: bool = False, seed: int = 0) -> list[Camera]:
    """Cameras on a ring around the origin, Z up; random intrinsics unless ``shared``."""
    rng = np.random.default_rng(seed)
    cams = []
    for i, model in enumerate(models):
        a = 2 * np.pi * i / len(models)
        R, t = look_at([3 * np.cos(a), 3 * np.sin(a), 1.5 + 0.1 * i], [0, 0, 1], [0, 0, 1])
        r = np.random.default_rng(seed) if shared else rng
        f = r.uniform(800, 1200)
        K = [[f, 0, r.uniform(300, 340)], [0, f * r.uniform(0.98, 1.02), r.uniform(220, 260)], [0, 0, 1]]
        n = 4 if model == OPENCV_FISHEYE else 5
        cams.append(Camera(f"cam{i:02d}", 640, 480, K, R, t, r.uniform(-0.05, 0.05, n), model))
    return cams


def _max_px_diff(a: list[Camera], b: list[Camera]) -> float:
    pts = np.random.default_rng(1).uniform([-1, -1, 0], [1, 1, 2], (200, 3))
    assert [c.name for c in a] == [c.name for c in b]
    assert all(c.model == d.model or {c.model, d.model} == {PINHOLE, OPENCV} for c, d in zip(a, b))
    return max(float(np.nanmax(np.abs(c.project(pts) - d.project(pts)))) for c, d in zip(a, b))


MODEL_SETS = [[OPENCV] * 4, [PINHOLE] * 3, [OPENCV_FISHEYE] * 3, [OPENCV, PINHOLE, OPENCV_FISHEYE]]


# ---- nerfstudio ---------------------------------------------------------------------------------
@pytest.mark.parametrize("models", MODEL_SETS)
@pytest.mark.parametrize("shared", [True, False])
def test_nerfstudio_round_trip(tmp_path, models, shared):
    cams = _rig(models, shared=shared)
    images = [tmp_path / "images" / f"{c.name}.png" for c in cams]
    masks = [tmp_path / "masks" / f"{c.name}.png" for c in cams]
    nerfstudio.write_transforms(tmp_path / "transforms.json", cams, images, masks)
    data = json.loads((tmp_path / "transforms.json").read_text())
    assert ("fl_x" in data) == shared and ("fl_x" in data["frames"][0]) != shared
    back, back_images, back_masks = nerfstudio.read_transforms(tmp_path / "transforms.json")
    assert _max_px_diff(cams, back) < 1e-6
    assert back_images == images and back_masks == masks


def test_nerfstudio_pose_is_opengl_camera_to_world(tmp_path):
    cam = _rig([PINHOLE])[0]
    nerfstudio.write_transforms(tmp_path / "transforms.json", [cam], [tmp_path / "a.png"])
    m = np.asarray(json.loads((tmp_path / "transforms.json").read_text())["frames"][0]["transform_matrix"])
    assert np.allclose(m[:3, 3], cam.center)
    assert np.allclose(m[:3, 2], -cam.R[2])  # OpenGL cameras look down -z
    assert json.loads((tmp_path / "transforms.json").read_text())["cx"] == pytest.approx(cam.K[0, 2] + 0.5)


def test_nerfstudio_applied_transform_is_undone(tmp_path):
    cams = _rig([OPENCV] * 3)
    nerfstudio.write_transforms(tmp_path / "transforms.json", cams, [f"images/{c.name}.png" for c in cams])
    data = json.loads((tmp_path / "transforms.json").read_text())
    applied = np.array([[1.0, 0, 0, 0.2], [0, 0, 1, -0.1], [0, -1, 0, 0.3]])  # ns-process-data style
    A = np.vstack([applied, [0, 0, 0, 1]])
    for f in data["frames"]:
        f["transform_matrix"] = (A @ np.asarray(f["transform_matrix"])).tolist()
    data["applied_transform"] = applied.tolist()
    (tmp_path / "transforms.json").write_text(json.dumps(data))
    back, _, _ = nerfstudio.read_transforms(tmp_path / "transforms.json")
    assert _max_px_diff(cams, back) < 1e-6


def test_camera_names_from_folders_and_stems():
    assert camera_names(["images/cam01.png", "images/cam02.png"]) == ["cam01", "cam02"]
    assert camera_names(["images/cam01/000012.png", "images/cam02/000012.png"]) == ["cam01", "cam02"]
    assert camera_names(["cam01/0.png", "cam01/1.png"]) == ["cam01/0", "cam01/1"]


def _write_bad(tmp_path: Path, edit) -> Path:
    cams = _rig([OPENCV] * 2, shared=True)
    path = tmp_path / "transforms.json"
    nerfstudio.write_transforms(path, cams, [f"images/{c.name}.png" for c in cams])
    data = json.loads(path.read_text())
    edit(data)
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize("edit, message", [
    (lambda d: d["frames"][0].update(file_path="../outside.png"), "outside"),
    (lambda d: d["frames"][0].update(file_path="/etc/passwd"), "outside"),
    (lambda d: d["frames"][1].update(mask_path="../m.png"), "outside"),
    (lambda d: d.pop("fl_x"), "fl_x"),
    (lambda d: d["frames"][0].pop("transform_matrix"), "transform_matrix"),
    (lambda d: d["frames"][0].update(transform_matrix=[[1, 0], [0, 1]]), "shape"),
    (lambda d: d["frames"][0]["transform_matrix"][0].__setitem__(0, "x"), "malformed"),
    (lambda d: d["frames"][0]["transform_matrix"][1].__setitem__(1, 3.0), "orthonormal"),
    (lambda d: d.update(fl_x=0.0), "singular"),
    (lambda d: d.update(w="wide"), "malformed"),
    (lambda d: d.update(camera_model="EQUIRECTANGULAR"), "not supported"),
    (lambda d: d.update(frames=[]), "frames"),
    (lambda d: d.update(applied_transform=[[0, 0, 0, 0]] * 3), "applied_transform"),
])
def test_nerfstudio_bad_input(tmp_path, edit, message):
    path = _write_bad(tmp_path, edit)
    with pytest.raises(InputError, match=message) as info:
        nerfstudio.read_transforms(path)
    assert info.value.path == path


def test_nerfstudio_nan_and_corrupt_json(tmp_path):
    path = _write_bad(tmp_path, lambda d: None)
    path.write_text(path.read_text().replace('"fl_y": ', '"fl_y": NaN, "x": ', 1))
    with pytest.raises(InputError, match="NaN") as info:
        nerfstudio.read_transforms(path)
    assert info.value.path == path
    path.write_text("{ not json")
    with pytest.raises(InputError, match="JSON"):
        nerfstudio.read_transforms(path)


# ---- COLMAP -------------------------------------------------------------------------------------
@pytest.mark.parametrize("binary", [False, True])
@pytest.mark.parametrize("models", MODEL_SETS)
def test_colmap_round_trip(tmp_path, models, binary):
    cams = _rig(models)
    cams[0].dist[-1] = 0.0 if cams[0].model == OPENCV else cams[0].dist[-1]  # exercise OPENCV and FULL_OPENCV
    names = [f"{c.name}.jpg" for c in cams]
    colmap.write_model(tmp_path, cams, names, binary=binary)
    ext = ".bin" if binary else ".txt"
    assert {p.name for p in tmp_path.iterdir()} == {f"{s}{ext}" for s in ("cameras", "images", "points3D")}
    back, back_names = colmap.read_model(tmp_path)
    assert back_names == names
    assert _max_px_diff(cams, back) < 1e-6


def _cameras_txt(tmp_path: Path, line: str) -> Path:
    cam = _rig([PINHOLE])[0]
    colmap.write_model(tmp_path, [cam], ["cam00.png"])
    (tmp_path / "cameras.txt").write_text(line + "\n")
    return tmp_path


@pytest.mark.parametrize("line, K, dist", [
    ("1 SIMPLE_PINHOLE 640 480 900 320.5 240.5", [900, 900, 320, 240], [0] * 5),
    ("1 SIMPLE_RADIAL 640 480 900 320.5 240.5 0.1", [900, 900, 320, 240], [0.1, 0, 0, 0, 0]),
    ("1 RADIAL 640 480 900 320.5 240.5 0.1 -0.02", [900, 900, 320, 240], [0.1, -0.02, 0, 0, 0]),
    ("1 OPENCV 640 480 900 910 320.5 240.5 0.1 -0.02 0.001 0.002", [900, 910, 320, 240],
     [0.1, -0.02, 0.001, 0.002, 0]),
])
def test_colmap_reads_simple_models(tmp_path, line, K, dist):
    cams, _ = colmap.read_model(_cameras_txt(tmp_path, line))
    c = cams[0]
    assert np.allclose([c.K[0, 0], c.K[1, 1], c.K[0, 2], c.K[1, 2]], K)
    assert np.allclose(c.dist[: len(dist)], dist)


@pytest.mark.parametrize("line, message", [
    ("1 FOV 640 480 900 900 320 240 0.1", "FOV"),
    ("1 PINHOLE 640 480 0 900 320 240", "singular"),
    ("1 PINHOLE 640 480 nan 900 320 240", "cameras.txt.*VerifyParams"),
    ("1 PINHOLE 640 480 900", "cannot read"),
])
def test_colmap_bad_cameras(tmp_path, line, message):
    folder = _cameras_txt(tmp_path, line)
    with pytest.raises(InputError, match=message) as info:
        colmap.read_model(folder)
    assert folder in (info.value.path, info.value.path.parent)


def test_colmap_missing_or_truncated(tmp_path):
    with pytest.raises(InputError, match="no COLMAP model") as info:
        colmap.read_model(tmp_path)
    assert info.value.path == tmp_path
    colmap.write_model(tmp_path, _rig([OPENCV] * 2), ["a.png", "b.png"], binary=True)
    data = (tmp_path / "images.bin").read_bytes()
    (tmp_path / "images.bin").write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="cannot read") as info:
        colmap.read_model(tmp_path)
    assert info.value.path == tmp_path


# ---- Pose2Sim / anipose ------------------------------------------------------------------------
@pytest.mark.parametrize("models", MODEL_SETS)
def test_pose2sim_round_trip(tmp_path, models):
    cams = _rig(models)
    pose2sim.write_calibration(tmp_path / "calibration.toml", cams)
    back = pose2sim.read_calibration(tmp_path / "calibration.toml")
    assert _max_px_diff(cams, back) < 1e-6


@pytest.mark.shared
@pytest.mark.skipif(not SHARED_TOML.is_file(), reason="../shared capture not present")
def test_pose2sim_reads_real_calibration(tmp_path):
    cams = pose2sim.read_calibration(SHARED_TOML)
    assert [c.name for c in cams] == ["cam01", "cam02", "cam03", "cam04"]
    assert all((c.width, c.height) == (1088, 1920) for c in cams)
    # the README: Z-up world, origin on the treadmill, cameras ~2-4 m away and above the floor
    centers = np.array([c.center for c in cams])
    assert np.all(centers[:, 2] > 1.0) and np.all(np.linalg.norm(centers[:, :2], axis=1) > 1.5)
    # each camera sees the treadmill origin near its image centre region (K plausible)
    for c in cams:
        u, v = c.project(np.array([[0.0, 0.0, 1.0]]))[0]
        assert 0 <= u < c.width and 0 <= v < c.height
    pose2sim.write_calibration(tmp_path / "c.toml", cams)
    assert _max_px_diff(cams, pose2sim.read_calibration(tmp_path / "c.toml")) < 1e-6


GOOD_CAMERA = """[cam01]
name = "cam01"
size = [640, 480]
matrix = [[900.0, 0.0, 320.0], [0.0, 900.0, 240.0], [0.0, 0.0, 1.0]]
distortions = [0.0, 0.0, 0.0, 0.0]
rotation = [0.1, 0.2, 0.3]
translation = [0.0, 0.0, 3.0]
fisheye = false
"""


@pytest.mark.parametrize("text, message", [
    (GOOD_CAMERA.replace("size = [640, 480]\n", ""), "no size"),
    (GOOD_CAMERA.replace("[900.0, 0.0, 320.0]", "[0.0, 0.0, 320.0]"), "singular"),
    (GOOD_CAMERA.replace("rotation = [0.1, 0.2, 0.3]", "rotation = [nan, 0.2, 0.3]"), "NaN"),
    (GOOD_CAMERA.replace("translation = [0.0, 0.0, 3.0]", "translation = [0.0, 3.0]"), "malformed"),
    (GOOD_CAMERA.replace("size = [640, 480]", 'size = ["a", 480]'), "malformed"),
    (GOOD_CAMERA.replace("fisheye = false", 'fisheye = "no"'), "fisheye"),
    (GOOD_CAMERA.replace("[0.0, 0.0, 0.0, 0.0]", "[0.0, 0.0, 0.0, 0.0, 0.0, 0.0]"), "distortion"),
    (GOOD_CAMERA + GOOD_CAMERA.replace("[cam01]", "[cam02]"), "duplicate"),
    ("[metadata]\nerror = 0.0\n", "no cameras"),
    ("cam01 = 3\n", "not a table"),
    ("[cam01\n", "TOML"),
])
def test_pose2sim_bad_input(tmp_path, text, message):
    path = tmp_path / "calibration.toml"
    path.write_text(text)
    with pytest.raises(InputError, match=message) as info:
        pose2sim.read_calibration(path)
    assert info.value.path == path


def test_pose2sim_good_camera_and_metadata_table(tmp_path):
    path = tmp_path / "calibration.toml"
    path.write_text(GOOD_CAMERA + "\n[metadata]\nadjusted = false\nerror = 0.0\n")
    (cam,) = pose2sim.read_calibration(path)
    assert cam.name == "cam01" and np.allclose(cam.center, -cam.R.T @ [0, 0, 3])

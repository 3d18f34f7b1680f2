"""Session detection, calibration/media reconciliation and bad-input handling of open_source."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from twinkit.capture.cameras import OPENCV, Camera, look_at
from twinkit.capture.formats import colmap, nerfstudio, pose2sim
from twinkit.capture.sources import estimate_up, open_source
from twinkit.core.errors import InputError
from twinkit.core.hashing import sha256_tree

_spec = importlib.util.spec_from_file_location("test_media", Path(__file__).with_name("test_media.py"))
_media_tests = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_media_tests)
encode_clip = _media_tests.encode_clip
SHARED = Path(__file__).resolve().parents[2] / "shared/captures/pose2sim-balancing"


def _rig(n: int, w: int = 64, h: int = 48) -> list[Camera]:
    cams = []
    for i in range(n):
        a = 2 * np.pi * i / n
        R, t = look_at([3 * np.cos(a), 3 * np.sin(a), 1.6], [0, 0, 1], [0, 0, 1])
        cams.append(Camera(f"cam{i:02d}", w, h, [[60, 0, 31.5], [0, 60, 23.5], [0, 0, 1]], R, t,
                           [0.01, 0, 0, 0, 0], OPENCV))
    return cams


def _png(path: Path, w: int = 64, h: int = 48) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.zeros((h, w, 3), np.uint8)).save(path)
    return path


def test_pose2sim_videos_crop_drop_and_untouched_inputs(tmp_path):
    cams = _rig(4)
    pose2sim.write_calibration(tmp_path / "calibration.toml", cams)
    (tmp_path / "videos").mkdir()
    encode_clip(tmp_path / "videos/cam00.mp4", n=5)
    encode_clip(tmp_path / "videos/cam01.mp4", n=5, size=(64, 48))
    encode_clip(tmp_path / "videos/cam02.mp4", n=5, size=(128, 96))  # uniform 2x: K scaled
    _png(tmp_path / "background/cam00.png")
    before = sha256_tree(tmp_path)
    src = open_source(tmp_path)
    assert sha256_tree(tmp_path) == before
    assert src.format == "pose2sim" and src.scale == "metric" and np.allclose(src.up, [0, 0, 1])
    assert [v.camera.name for v in src.views] == ["cam00", "cam01", "cam02"]  # cam03 has no media
    assert any("cam03" in n for n in src.notes)
    scaled = src.views[2].camera
    assert (scaled.width, scaled.height) == (128, 96) and scaled.K[0, 0] == pytest.approx(120)
    assert any("uniformly scaled by 2.0000" in n for n in src.notes)
    assert src.plates == {"cam00": tmp_path / "background/cam00.png"}
    assert set(src.input_files) == {tmp_path / "calibration.toml", tmp_path / "background/cam00.png",
                                    *(tmp_path / f"videos/cam0{i}.mp4" for i in range(3))}


def test_small_size_difference_keeps_K_and_notes_it(tmp_path):
    cams = _rig(2, w=64)
    pose2sim.write_calibration(tmp_path / "calibration.toml", cams)
    for c in cams:
        _png(tmp_path / "images" / c.name / "000000.png", w=63)  # 1.6% narrower
    src = open_source(tmp_path)
    assert all(v.camera.width == 63 and np.array_equal(v.camera.K, cams[0].K) for v in src.views)
    assert sum("top-left 63x48" in n for n in src.notes) == 2


@pytest.mark.parametrize("size, message", [((40, 48), "does not match"), ((64, 40), "does not match")])
def test_size_mismatch_is_an_error(tmp_path, size, message):
    cams = _rig(2)
    pose2sim.write_calibration(tmp_path / "calibration.toml", cams)
    for c in cams:
        _png(tmp_path / "images" / c.name / "000000.png", *size)
    with pytest.raises(InputError, match=message) as info:
        open_source(tmp_path)
    assert info.value.path.name == "000000.png"


def test_too_few_matched_cameras(tmp_path):
    pose2sim.write_calibration(tmp_path / "calibration.toml", _rig(3))
    _png(tmp_path / "images/cam00/0.png")
    _png(tmp_path / "images/camXX/0.png")
    with pytest.raises(InputError, match=r"only 1 camera.*camXX") as info:
        open_source(tmp_path)
    assert info.value.path == tmp_path / "calibration.toml"


def test_nerfstudio_source_estimates_up_and_refuses_escapes(tmp_path):
    cams = _rig(3)
    paths = [_png(tmp_path / "images" / f"{c.name}.png") for c in cams]
    nerfstudio.write_transforms(tmp_path / "transforms.json", cams, paths)
    src = open_source(tmp_path)
    assert src.format == "nerfstudio" and src.scale == "arbitrary"
    assert np.degrees(np.arccos(src.up @ [0, 0, 1])) < 10  # cameras tilt down a little: up is near +Z
    assert np.allclose(src.up, estimate_up(cams))
    text = (tmp_path / "transforms.json").read_text().replace("images/cam00.png", "../cam00.png")
    (tmp_path / "transforms.json").write_text(text)
    with pytest.raises(InputError, match="outside") as info:
        open_source(tmp_path)
    assert info.value.path == tmp_path / "transforms.json"


def test_colmap_source(tmp_path):
    cams = _rig(3)
    for c in cams:
        _png(tmp_path / "images" / f"{c.name}.png")
    colmap.write_model(tmp_path / "sparse/0", cams, [f"{c.name}.png" for c in cams], binary=True)
    src = open_source(tmp_path)
    assert src.format == "colmap" and [v.camera.name for v in src.views] == [c.name for c in cams]
    assert all(np.allclose(v.camera.center, c.center) for v, c in zip(src.views, cams))


def test_uncalibrated_and_empty(tmp_path):
    with pytest.raises(InputError, match="empty") as info:
        open_source(tmp_path)
    assert info.value.path == tmp_path
    for i in range(3):
        _png(tmp_path / "images" / f"view{i}.jpg")
    src = open_source(tmp_path)
    assert src.format == "uncalibrated" and src.scale == "arbitrary" and len(src.views) == 3
    with pytest.raises(InputError, match="not found"):
        open_source(tmp_path / "missing")


def test_nan_calibration_names_the_file(tmp_path):
    pose2sim.write_calibration(tmp_path / "calibration.toml", _rig(2))
    text = (tmp_path / "calibration.toml").read_text().replace("60.0", "nan", 1)
    (tmp_path / "calibration.toml").write_text(text)
    with pytest.raises(InputError, match="NaN") as info:
        open_source(tmp_path)
    assert info.value.path == tmp_path / "calibration.toml"


@pytest.mark.shared
@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared capture not present")
def test_real_pose2sim_session():
    before = sha256_tree(SHARED)
    src = open_source(SHARED)
    assert sha256_tree(SHARED) == before
    sizes = {v.camera.name: (v.camera.width, v.camera.height) for v in src.views}
    assert sizes == {"cam01": (1080, 1920), "cam02": (1080, 1920), "cam03": (1088, 1920), "cam04": (1088, 1920)}
    assert sum("top-left 1080x1920" in n for n in src.notes) == 2

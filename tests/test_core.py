"""Foundations: atomic output, manifests, the camera model, and the CLI's error contract."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from twinkit.capture.cameras import OPENCV_FISHEYE, Camera, look_at, read_cameras, write_cameras
from twinkit.cli.main import twin
from twinkit.core.atomic import commit_output, prepare_output, staging_dir, write_json
from twinkit.core.errors import InputError
from twinkit.core.manifest import Manifest


def _camera(dist=(0.0, 0.0, 0.0, 0.0, 0.0), model="OPENCV") -> Camera:
    R, t = look_at([3.0, 0.5, 1.2], [0.0, 0.0, 0.9], [0.0, 0.0, 1.0])
    K = [[800.0, 0, 320.5], [0, 805.0, 241.0], [0, 0, 1]]
    return Camera("cam00", 640, 480, K, R, t, dist, model)


def test_atomic_output_never_leaves_half_written_folder(tmp_path):
    out = tmp_path / "result"
    stage = prepare_output(out, overwrite=False)
    (stage / "a.txt").write_text("x")
    assert not out.exists(), "nothing may appear at the final path before commit"
    commit_output(out)
    assert (out / "a.txt").read_text() == "x" and not staging_dir(out).exists()
    with pytest.raises(InputError, match="already exists"):
        prepare_output(out, overwrite=False)


def test_manifest_round_trip_and_corruption(tmp_path):
    Manifest(kind="capture", inputs={"a.png": "00" * 32}, parameters={"fps": 2.0},
             extra={"twin_id": "abc"}).write(tmp_path)
    m = Manifest.read(tmp_path, kind="capture")
    assert m.inputs == {"a.png": "00" * 32} and m.extra["twin_id"] == "abc" and "python" in m.tools
    with pytest.raises(InputError, match="expected a avatar folder"):
        Manifest.read(tmp_path, kind="avatar")
    (tmp_path / "manifest.json").write_text('{"schema_version": 1, "kind": "capture"')
    with pytest.raises(InputError, match="not valid JSON") as info:
        Manifest.read(tmp_path)
    assert info.value.path == tmp_path / "manifest.json"


def test_projection_matches_pinhole_maths():
    cam = _camera()
    pts = np.random.default_rng(0).normal([0, 0, 1], 0.3, size=(50, 3))
    x = cam.to_camera(pts)
    expected = (x[:, :2] / x[:, 2:]) * [cam.K[0, 0], cam.K[1, 1]] + cam.K[:2, 2]
    np.testing.assert_allclose(cam.project(pts), expected, atol=1e-9)
    np.testing.assert_allclose(cam.center, [3.0, 0.5, 1.2], atol=1e-12)


@pytest.mark.parametrize("dist,model", [((-0.12, 0.03, 0.001, -0.0005, 0.0), "OPENCV"),
                                        ((0.05, -0.01, 0.002, 0.0), OPENCV_FISHEYE)])
def test_undistortion_inverts_distortion(dist, model):
    cam = _camera(dist, model)
    pinhole = Camera("p", cam.width, cam.height, cam.K, cam.R, cam.t)
    pts = np.random.default_rng(1).normal([0, 0, 1], 0.3, size=(50, 3))
    undistorted = cam.undistort_pixels(cam.project(pts))
    assert np.max(np.abs(undistorted - pinhole.project(pts))) < 1e-3  # pixels


def test_camera_validation_names_file(tmp_path):
    path = tmp_path / "cameras.json"
    write_cameras(path, [_camera()], up=[0, 0, 1])
    assert read_cameras(path)[0].name == "cam00"
    data = json.loads(path.read_text())
    data["cameras"][0]["K"][0][0] = float("nan")
    path.write_text(json.dumps(data).replace("NaN", "NaN"))
    with pytest.raises(InputError, match="NaN") as info:
        read_cameras(path)
    assert info.value.path == path
    data["cameras"][0]["K"] = [[0, 0, 0], [0, 0, 0], [0, 0, 1]]
    write_json(path, data)
    with pytest.raises(InputError, match="singular"):
        read_cameras(path)


def test_scaled_camera_projects_consistently():
    cam = _camera()
    half = cam.scaled(320, 240)
    pts = np.array([[0.1, 0.2, 1.0], [-0.2, 0.1, 1.5]])
    # Pixel centres at integers: pixel i of the half-size image covers pixels 2i and 2i+1, centred at 2i+0.5.
    np.testing.assert_allclose(half.project(pts), (cam.project(pts) + 0.5) / 2 - 0.5, atol=1e-9)


def test_cli_reports_bad_input_with_path_and_exit_code(tmp_path):
    result = CliRunner().invoke(twin, ["capture", "check", str(tmp_path)])
    assert result.exit_code == 2
    assert "manifest.json" in result.output and "not found" in result.output


def test_cli_version_and_help():
    runner = CliRunner()
    assert runner.invoke(twin, ["--version"]).output.startswith("twin, version")
    for args in (["--help"], ["capture", "--help"], ["capture", "ingest", "--help"],
                 ["capture", "check", "--help"]):
        result = runner.invoke(twin, args)
        assert result.exit_code == 0, result.output

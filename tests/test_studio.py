"""The virtual studio: camera conventions (masks vs projected GT mesh), keypoints, determinism, GT facts."""

from __future__ import annotations

import json
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
import trimesh
from click.testing import CliRunner

from twinkit.capture.cameras import read_cameras
from twinkit.capture.formats import colmap, nerfstudio, pose2sim
from twinkit.capture.studio.session import StudioOptions, simulate
from twinkit.cli.main import twin

SMALL = dict(seed=3, cameras=6, rings=2, size=256, distortion=0.06, bystander=True)


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return simulate(tmp_path_factory.mktemp("studio") / "session", StudioOptions(**SMALL))


def _mask(session: Path, cam: str) -> np.ndarray:
    return cv2.imread(str(session / "gt" / "masks" / cam / "000000.png"), cv2.IMREAD_GRAYSCALE) > 0


def _keypoints(session: Path) -> np.ndarray:
    return np.array(list(json.loads((session / "gt" / "keypoints_coco.json").read_text())["keypoints"].values()))


def test_mask_matches_projected_mesh(session: Path) -> None:
    mesh = trimesh.load(session / "gt" / "body.ply", process=False)
    cameras = read_cameras(session / "gt" / "cameras.json")
    assert any(np.any(c.dist) for c in cameras), "the test rig should exercise lens distortion"
    for cam in cameras:
        # Rasterise the projected triangles 8x finer and keep the samples at pixel centres.
        fine = np.zeros((cam.height * 8, cam.width * 8), np.uint8)
        for triangle in np.round(cam.project(mesh.vertices)[mesh.faces] * 8 * 16).astype(np.int32):
            cv2.fillConvexPoly(fine, triangle, 1, shift=4)
        raster = fine[::8, ::8] > 0
        mask = _mask(session, cam.name)
        iou = (mask & raster).sum() / (mask | raster).sum()
        assert iou >= 0.97, f"{cam.name}: IoU {iou:.3f}"


def test_keypoints_project_inside_masks(session: Path) -> None:
    keypoints = _keypoints(session)
    for cam in read_cameras(session / "gt" / "cameras.json"):
        grown = cv2.dilate(_mask(session, cam.name).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
        px = np.round(cam.project(keypoints)).astype(int)
        assert np.all((px >= 0) & (px < [cam.width, cam.height])), cam.name
        inside = grown[px[:, 1], px[:, 0]]
        assert inside.all(), f"{cam.name}: {int((~inside).sum())} keypoints outside the mask"


def test_ground_truth_is_plausible(session: Path) -> None:
    mesh = trimesh.load(session / "gt" / "body.ply", process=False)
    measurements = json.loads((session / "gt" / "measurements.json").read_text())
    lo, hi = mesh.vertices.min(axis=0), mesh.vertices.max(axis=0)
    assert abs(lo[2]) < 1e-9, "feet on the floor"
    assert np.allclose((lo[:2] + hi[:2]) / 2, 0, atol=1e-9), "centred over the origin"
    assert abs(measurements["stature_m"] - (hi[2] - lo[2])) < 0.005
    assert 1.4 < measurements["stature_m"] < 2.0
    assert 40 < measurements["mass_kg"] < 130
    phenotype = json.loads((session / "gt" / "phenotype.json").read_text())
    assert set(phenotype) == {"gender", "age", "muscle", "weight", "height", "proportions"}


def test_bystander_outside_the_ring_and_seen(session: Path) -> None:
    facts = json.loads((session / "gt" / "bystander.json").read_text())
    position = np.array(facts["position"])
    cameras = read_cameras(session / "gt" / "cameras.json")
    assert np.linalg.norm(position[:2]) > max(np.linalg.norm(c.center[:2]) for c in cameras)
    seen = [c.name for c in cameras
            if np.all((p := c.project(position + [0, 0, 1.0])[0]) >= 0) and np.all(p < [c.width, c.height])]
    assert 0 < len(seen) < len(cameras)


def test_same_seed_same_bytes(session: Path, tmp_path: Path) -> None:
    again = simulate(tmp_path / "again", StudioOptions(**SMALL))
    for rel in ("images/cam00/000000.png", "images/cam04/000000.png", "background/cam02.png",
                "gt/masks/cam05/000000.png", "gt/body.ply"):
        assert (again / rel).read_bytes() == (session / rel).read_bytes(), rel
    other = simulate(tmp_path / "other", StudioOptions(**{**SMALL, "seed": 4}))
    assert (other / "images/cam00/000000.png").read_bytes() != (session / "images/cam00/000000.png").read_bytes()


def test_formats_carry_the_gt_rig(tmp_path: Path) -> None:
    base = dict(seed=1, cameras=2, rings=1, size=128)
    readers = {"nerfstudio": lambda s: nerfstudio.read_transforms(s / "transforms.json")[0],
               "colmap": lambda s: colmap.read_model(s / "sparse" / "0")[0],
               "pose2sim": lambda s: pose2sim.read_calibration(s / "calibration.toml")}
    for fmt, read in readers.items():
        s = simulate(tmp_path / fmt, StudioOptions(**base, format=fmt))
        truth = read_cameras(s / "gt" / "cameras.json")
        points = _keypoints(s)
        for got, want in zip(read(s), truth):
            error = np.abs(got.project(points) - want.project(points)).max()
            assert error < 1e-3, f"{fmt} {want.name}: {error:.2e} px"
    bare = simulate(tmp_path / "bare", StudioOptions(**base, format="uncalibrated"))
    assert sorted(p.name for p in bare.iterdir()) == ["background", "gt", "images"]


def test_video_clips_and_offsets(tmp_path: Path) -> None:
    s = simulate(tmp_path / "video", StudioOptions(seed=2, cameras=3, rings=1, size=128, video_seconds=0.4,
                                                   fps=10, desync=3))
    offsets = json.loads((s / "gt" / "time_offsets.json").read_text())["offsets"]
    frames = json.loads((s / "gt" / "keypoints_coco_frames.json").read_text())["frames"]
    assert len(frames) == 4 + 3 and all(0 <= o <= 3 for o in offsets.values())
    for cam, offset in offsets.items():
        with av.open(str(s / "videos" / f"{cam}.mp4")) as clip:
            decoded = [f.to_ndarray(format="rgb24") for f in clip.decode(video=0)]
        assert len(decoded) == 4
        if offset == 0:  # world frame 0 is the still's pose; mid-clip (world frame 3) the arms are up
            still = cv2.cvtColor(cv2.imread(str(s / "images" / cam / "000000.png")), cv2.COLOR_BGR2RGB)
            first, middle = (np.abs(decoded[i].astype(float) - still).mean() for i in (0, 3))
            assert first < 6.0 and middle > 1.1 * first, (first, middle)
    assert pose2sim.read_calibration(s / "calibration.toml")


def test_cli_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    bad = runner.invoke(twin, ["capture", "simulate", "-o", str(tmp_path / "x"), "--phenotype", "age=2"])
    assert bad.exit_code == 2 and "age=2" in bad.output
    (tmp_path / "exists").mkdir()
    taken = runner.invoke(twin, ["capture", "simulate", "-o", str(tmp_path / "exists"), "--cameras", "1",
                                 "--rings", "1", "--size", "64"])
    assert taken.exit_code == 2 and "already exists" in taken.output

"""End to end: virtual studio -> ingest -> check, measured against the studio's ground truth."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
from click.testing import CliRunner

from conftest import SHARED
from twinkit.capture import blazepose
from twinkit.capture.cameras import read_cameras
from twinkit.capture.check import check_capture, reprojection_errors
from twinkit.capture.formats import colmap, pose2sim
from twinkit.capture.ingest import IngestOptions, ingest
from twinkit.capture.landmarks_io import read_landmarks2d, read_landmarks3d
from twinkit.capture.layout import Capture
from twinkit.capture.studio.evaluate import body_fit_error_cm, capture_quality, limb_errors_cm
from twinkit.capture.studio.session import StudioOptions, simulate
from twinkit.cli.main import twin
from twinkit.core.errors import InputError
from twinkit.core.hashing import sha256_tree

pytestmark = pytest.mark.slow


def _hardlinked_copy(src: Path, dst: Path, skip: tuple[str, ...] = ()) -> Path:
    """A copy of a session whose media are hard links (cheap, and still inside the new folder)."""
    shutil.copytree(src, dst, copy_function=os.link,
                    ignore=lambda d, names: [n for n in names if n in skip])
    return dst


def test_virtual_capture_meets_acceptance(virtual_session: Path, virtual_capture: Path) -> None:
    figures = capture_quality(virtual_session, virtual_capture)
    assert figures["median_mask_iou"] >= 0.95, figures
    assert figures["limb_error_cm_mean"] <= 3.0, figures
    manifest = json.loads((virtual_capture / "manifest.json").read_text())
    assert manifest["summary"]["views_with_subject"] >= 23
    assert manifest["world"]["scale"] == "metric" and manifest["world"]["up"] == pytest.approx([0, 0, 1], abs=1e-6)
    # the manifest's input hashes are the session's files, unchanged by the run
    assert all(sha256_tree(virtual_session / rel)[Path(rel).name] == digest
               for rel, digest in manifest["inputs"].items())
    # nerfstudio dataset of the capture: one frame per camera, masks included, metric units declared
    transforms = json.loads((virtual_capture / "transforms.json").read_text())
    assert len(transforms["frames"]) == 24 and transforms["units"] == "m"
    assert all((virtual_capture / f["mask_path"]).exists() for f in transforms["frames"])


def test_every_input_format_gives_the_same_cameras(virtual_session: Path, virtual_capture: Path,
                                                   tmp_path: Path) -> None:
    reference = read_cameras(virtual_capture / "cameras.json")
    names = [f"images/{c.name}/000000.png" for c in reference]
    as_colmap = _hardlinked_copy(virtual_session, tmp_path / "colmap", skip=("transforms.json", "gt"))
    colmap.write_model(as_colmap / "sparse" / "0", reference, [n.removeprefix("images/") for n in names],
                       binary=True)
    as_pose2sim = _hardlinked_copy(virtual_session, tmp_path / "pose2sim", skip=("transforms.json", "gt"))
    pose2sim.write_calibration(as_pose2sim / "calibration.toml", reference)
    points = np.random.default_rng(0).uniform([-0.5, -0.5, 0.0], [0.5, 0.5, 1.9], size=(500, 3))
    for session, units in ((as_colmap, "m"), (as_pose2sim, None)):
        capture = ingest(session, tmp_path / f"{session.name}-capture", IngestOptions(units=units))
        cams = read_cameras(capture / "cameras.json")
        assert [c.name for c in cams] == [c.name for c in reference]
        worst = max(np.nanmax(np.abs(a.project(points) - b.project(points))) for a, b in zip(cams, reference))
        assert worst < 0.5, f"{session.name}: cameras differ by {worst:.3f} px"


def test_check_passes_a_good_capture_and_flags_a_blurred_camera(virtual_capture: Path, tmp_path: Path) -> None:
    report = check_capture(Capture.open(virtual_capture))
    assert report["verdict"] in ("pass", "warn") and len(report["usable_cameras"]) == 24
    errors = reprojection_errors(Capture.open(virtual_capture), "cam00",
                                 read_landmarks2d(virtual_capture / "landmarks2d.json"),
                                 read_landmarks3d(virtual_capture / "landmarks3d.json"))
    assert np.median(errors) < 8.0  # px, 512 px images
    blurred = _hardlinked_copy(virtual_capture, tmp_path / "blurred")
    image = blurred / "images" / "cam05" / "000000.png"
    rgb = cv2.imread(str(image))
    image.unlink()  # break the hard link before writing
    cv2.imwrite(str(image), cv2.GaussianBlur(rgb, (0, 0), 6))
    rows = {r["camera"]: r for r in check_capture(Capture.open(blurred))["cameras"]}
    assert not rows["cam05"]["usable"] and any("blurred" in p for p in rows["cam05"]["problems"])
    assert sum(not r["usable"] for r in rows.values()) == 1
    result = CliRunner().invoke(twin, ["-q", "capture", "check", str(blurred), "--min-cameras", "24"])
    assert result.exit_code == 4 and "usable camera" in result.output
    assert (blurred / "report.json").exists() and (blurred / "contact_sheet.png").stat().st_size > 10_000


def test_unsynchronised_video_is_aligned(tmp_path: Path) -> None:
    session = simulate(tmp_path / "video", StudioOptions(seed=5, cameras=8, size=320, format="pose2sim",
                                                         video_seconds=1.0, desync=3))
    capture = ingest(session, tmp_path / "capture")
    manifest = json.loads((capture / "manifest.json").read_text())
    truth = json.loads((session / "gt" / "time_offsets.json").read_text())["offsets"]
    ref = manifest["cameras"][0]
    # ingest: timeline t = sample - offset; truth: video frame i shows world frame i + offset
    expected = {cam: -(off - truth[ref]) for cam, off in truth.items()}
    assert manifest["time_offsets_frames"] == expected
    gt_frames = json.loads((session / "gt" / "keypoints_coco_frames.json").read_text())["frames"]
    lm3d = read_landmarks3d(capture / "landmarks3d.json")
    errors = []
    for t, result in lm3d.items():
        gt = gt_frames[t + truth[ref]]
        gt = gt["keypoints"] if "keypoints" in gt else gt
        errors += [np.linalg.norm(result["points"][blazepose.INDEX[n]] - np.asarray(gt[n])) for n in blazepose.LIMBS]
    assert len(lm3d) >= 25 and 100 * np.nanmean(errors) <= 3.0
    # the same offsets given by the session (time_offsets.json) instead of estimated
    given = _hardlinked_copy(session, tmp_path / "given", skip=("gt",))
    (given / "time_offsets.json").write_text(json.dumps({"units": "frames", "offsets": truth}))
    capture = ingest(given, tmp_path / "capture-given", IngestOptions(sync="none"))
    assert json.loads((capture / "manifest.json").read_text())["time_offsets_frames"] == expected


def test_interrupted_ingest_resumes_without_redoing_work(tmp_path: Path, monkeypatch) -> None:
    from twinkit.capture import pose2d, segmentation

    session = simulate(tmp_path / "s", StudioOptions(seed=2, cameras=6, size=256))
    calls = {"segment": 0, "detect": 0}
    real_segment, real_detect = segmentation.PersonSegmenter.segment, pose2d.PoseDetector.detect

    def flaky_segment(self, *args, **kwargs):
        calls["segment"] += 1
        if calls["segment"] == 4:
            raise KeyboardInterrupt
        return real_segment(self, *args, **kwargs)

    def counted_detect(self, *args, **kwargs):
        calls["detect"] += 1
        return real_detect(self, *args, **kwargs)

    monkeypatch.setattr(segmentation.PersonSegmenter, "segment", flaky_segment)
    monkeypatch.setattr(pose2d.PoseDetector, "detect", counted_detect)
    out = tmp_path / "capture"
    with pytest.raises(KeyboardInterrupt):
        ingest(session, out)
    assert not out.exists() and (tmp_path / "capture.partial").is_dir()
    assert calls == {"segment": 4, "detect": 6}
    ingest(session, out)
    assert calls["detect"] == 6, "detections must come from the interrupted run's cache"
    assert calls["segment"] == 4 + 3, "the 3 finished masks must not be redone"
    assert not (tmp_path / "capture.partial").exists()
    assert limb_errors_cm(session, out)["left_knee"] < 5


def test_bad_sessions_get_clear_errors_and_inputs_stay_untouched(virtual_session: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    corrupt = _hardlinked_copy(virtual_session, tmp_path / "corrupt", skip=("gt",))
    bad = corrupt / "images" / "cam07" / "000000.png"
    data = bad.read_bytes()
    bad.unlink()
    bad.write_bytes(data[: len(data) // 3])
    empty = tmp_path / "empty"
    empty.mkdir()
    nobody = _hardlinked_copy(virtual_session, tmp_path / "nobody", skip=("gt",))
    for cam in (nobody / "images").iterdir():
        (cam / "000000.png").unlink()
        os.link(nobody / "background" / f"{cam.name}.png", cam / "000000.png")
    cases = [(corrupt, "cam07/000000.png"), (empty, "empty"), (nobody, "no person")]
    for session, expected in cases:
        before = sha256_tree(session)
        result = runner.invoke(twin, ["capture", "ingest", str(session), "-o", str(tmp_path / f"{session.name}-out")])
        assert result.exit_code == 2, result.output
        assert expected in result.output and "Traceback" not in result.output
        assert sha256_tree(session) == before
        assert not (tmp_path / f"{session.name}-out").exists()
    with pytest.raises(InputError, match="inside the session"):
        ingest(virtual_session, virtual_session / "capture")


@pytest.mark.shared
@pytest.mark.skipif(not (SHARED / "captures" / "pose2sim-balancing").is_dir(), reason="../shared is absent")
def test_real_four_camera_capture(tmp_path: Path) -> None:
    session = SHARED / "captures" / "pose2sim-balancing"
    before = sha256_tree(session)
    capture = ingest(session, tmp_path / "real", IngestOptions(fps=6.0))
    assert sha256_tree(session) == before
    cap = Capture.open(capture)
    lm2d, lm3d = read_landmarks2d(capture / "landmarks2d.json"), read_landmarks3d(capture / "landmarks3d.json")
    views = [lm2d[t][c.name] for t in cap.frames for c in cap.cameras]
    assert np.mean([v is not None for v in views]) >= 0.95
    # as the shared README measures a plain pipeline: over the views each landmark was triangulated from
    used = np.concatenate([reprojection_errors(cap, c.name, lm2d, lm3d, inliers_only=True) for c in cap.cameras])
    assert np.median(used) <= 12.0 and np.percentile(used, 90) <= 30.0, (np.median(used), np.percentile(used, 90))
    # a bystander chosen in some view would put that camera's errors in the hundreds of pixels
    per_camera = {c.name: reprojection_errors(cap, c.name, lm2d, lm3d) for c in cap.cameras}
    assert max(np.median(e) for e in per_camera.values()) < 25.0


def test_reconstruct_body_cli_meets_fit_acceptance(virtual_session: Path, virtual_capture: Path,
                                                   tmp_path: Path) -> None:
    result = CliRunner().invoke(twin, ["-q", "reconstruct", "body", str(virtual_capture), "-o",
                                       str(tmp_path / "avatar")])
    assert result.exit_code == 0, result.output
    assert body_fit_error_cm(virtual_session, tmp_path / "avatar") <= 1.5
    stature = json.loads((virtual_session / "gt" / "measurements.json").read_text())["stature_m"]
    assert abs(json.loads((tmp_path / "avatar" / "body.json").read_text())["stature_m"] - stature) <= 0.01
    manifest = json.loads((tmp_path / "avatar" / "manifest.json").read_text())
    assert manifest["kind"] == "avatar"
    assert manifest["twin_id"] == json.loads((virtual_capture / "manifest.json").read_text())["twin_id"]

"""`twin reconstruct CAPTURE -o AVATAR`: the whole stage on the virtual capture, a killed run, bad input."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from twinkit.capture.studio.evaluate import body_fit_error_cm, mesh_chamfer_mm
from twinkit.cli.main import twin
from twinkit.reconstruct import pipeline
from twinkit.reconstruct.pipeline import reconstruct_avatar


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, copy_function=os.link)
    return dst


@pytest.mark.slow
def test_preview_avatar_meets_acceptance_and_resumes_after_a_kill(virtual_session: Path, virtual_capture: Path,
                                                                   tmp_path: Path, monkeypatch) -> None:
    out = tmp_path / "avatar"

    def killed(*args, **kwargs):
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(pipeline, "train_splats", killed)
        with pytest.raises(KeyboardInterrupt):
            reconstruct_avatar(virtual_capture, out)
    partial = tmp_path / "avatar.partial"
    assert not out.exists() and (partial / "body.json").exists()
    fitted = json.loads((partial / "body.json").read_text())
    assert "surface" not in fitted["losses"]
    reconstruct_avatar(virtual_capture, out)
    refitted = json.loads((out / "body.json").read_text())
    assert refitted["timings_s"]["silhouettes"] == fitted["timings_s"]["silhouettes"], \
        "the silhouette fit must not be redone on resume"
    assert "surface" in refitted["losses"], "the mesh stage refits the body to the reconstructed skin"
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["held_out"]["psnr_mean"] >= 28.0, metrics["held_out"]
    assert body_fit_error_cm(virtual_session, out) <= 0.5  # the issue asks 1.5; the refit reaches ~0.13
    assert mesh_chamfer_mm(virtual_session, out) <= 10.0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["twin_id"] == json.loads((virtual_capture / "manifest.json").read_text())["twin_id"]
    assert {"body.json", "splats.ply", "metrics.json", "mesh.glb", "mesh.obj"} <= set(manifest["contents"])


def test_bad_captures_are_refused_with_the_file_named(virtual_capture: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    few = _copy(virtual_capture, tmp_path / "few")
    cameras = json.loads((few / "cameras.json").read_text())
    cameras["cameras"] = cameras["cameras"][:6]
    (few / "cameras.json").unlink()
    (few / "cameras.json").write_text(json.dumps(cameras))
    corrupt = _copy(virtual_capture, tmp_path / "corrupt")
    (corrupt / "manifest.json").unlink()
    (corrupt / "manifest.json").write_text("{ not json")
    bare = _copy(virtual_capture, tmp_path / "bare")
    (bare / "landmarks3d.json").unlink()
    for capture, expected in ((few, "needs at least 8 cameras"), (corrupt, "not valid JSON"),
                              (bare, "no 3D landmarks")):
        result = runner.invoke(twin, ["reconstruct", str(capture), "-o", str(tmp_path / f"{capture.name}-avatar")])
        assert result.exit_code == 2, result.output
        assert expected in result.output and str(capture) in result.output
        assert not (tmp_path / f"{capture.name}-avatar").exists()


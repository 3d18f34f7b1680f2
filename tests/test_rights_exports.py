"""Licensing of the commands that take the twin out of its folder: `twin measure -o` (a measurement report for a
brand) and `twin rig pose` (a posed mesh). The in-folder QA step `twin measure AVATAR` needs no licence."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import numpy as np
import pytest
import trimesh
from click.testing import CliRunner
from licensing import license_twin

from twinkit.cli.main import twin
from twinkit.core.hashing import sha256_file
from twinkit.rights.db import Registry
from twinkit.rights.licences import list_licences, revoke_licence
from twinkit.rights.models import LedgerRow

PHENOTYPE = dict(gender=0.8, age=0.75, muscle=0.5, weight=0.65, height=0.5, proportions=0.35)


@pytest.fixture(scope="module")
def avatar_template(tmp_path_factory) -> tuple[Path, object]:
    """An avatar folder holding an anny body in its rest pose (body.json, body.ply, manifest with a twin id),
    and that body (ground truth: anny's own anthropometry)."""
    from twinkit.capture.studio.body import pose_body

    body = pose_body(PHENOTYPE, {})
    avatar = tmp_path_factory.mktemp("template") / "avatar"
    avatar.mkdir()
    trimesh.Trimesh(body.vertices, body.faces, process=False).export(avatar / "body.ply")
    transform = np.eye(4)
    transform[:3, 3] = body.offset
    (avatar / "body.json").write_text(json.dumps({"phenotype": body.phenotype, "pose_parameterization": "local-ref",
                                                  "pose": {}, "transform": transform.tolist()}))
    (avatar / "manifest.json").write_text(json.dumps({
        "schema_version": 1, "kind": "avatar", "inputs": {}, "parameters": {}, "twin_id": str(uuid.uuid4()),
        "gltf_from_world": [[1, 0, 0, 0], [0, 0, 1, 0], [0, -1, 0, 0], [0, 0, 0, 1]]}))
    return avatar, body


@pytest.fixture
def avatar(avatar_template, tmp_path) -> Path:
    """A fresh copy of the template avatar (each test gets its own twin registry)."""
    import shutil

    return Path(shutil.copytree(avatar_template[0], tmp_path / "avatar"))


def _ledger(db_url: str) -> list[LedgerRow]:
    with Registry.open(db_url).session() as session:
        return session.query(LedgerRow).order_by(LedgerRow.seq).all()


def test_measure_is_qa_in_the_folder_and_a_licensed_delivery_with_o(avatar, avatar_template, tmp_path):
    _, body = avatar_template
    runner = CliRunner()
    # QA: no licence, no registry; the measurements stay in the avatar folder
    done = runner.invoke(twin, ["measure", str(avatar)])
    assert done.exit_code == 0, done.output
    qa = json.loads((avatar / "measurements.json").read_text())["measurements"]
    assert abs(qa["stature"]["value"] - body.measurements["stature_m"]) < 0.005  # metres, against anny's own

    report = tmp_path / "delivery" / "measurements.json"
    (avatar / "measurements.json").unlink()
    refused = runner.invoke(twin, ["measure", str(avatar), "-o", str(report)])
    assert refused.exit_code == 3 and "--licensee and --use" in refused.output, refused.output
    assert not report.exists() and not (avatar / "measurements.json").exists()  # refused before any work

    licence = license_twin(avatar, tmp_path / "registry.db", use="fit-testing")
    db_url = licence[1]
    wrong_use = [*licence[:-1], "marketing"]
    refused = runner.invoke(twin, ["measure", str(avatar), "-o", str(report), *wrong_use])
    assert refused.exit_code == 3 and "fit-testing use" in refused.output, refused.output
    refused = runner.invoke(twin, ["measure", str(avatar), "-o", str(report), *licence[:2], "--licensee", "Other",
                                   "--use", "fit-testing"])
    assert refused.exit_code == 3 and "holds no licence" in refused.output, refused.output
    assert not report.exists() and _ledger(db_url) == []
    stray = runner.invoke(twin, ["measure", str(avatar), *licence])
    assert stray.exit_code == 2 and "-o REPORT.json" in stray.output, stray.output

    done = runner.invoke(twin, ["measure", str(avatar), "-o", str(report), *licence, "--territory", "FR"])
    assert done.exit_code == 0, done.output
    delivered = json.loads(report.read_text())
    rows = _ledger(db_url)
    assert [(r.output_sha256, r.entry_id, r.use, r.territories) for r in rows] == [
        (sha256_file(report), delivered["rights"]["ledger_entry"], "fit-testing", ["FR"])]
    assert delivered["measurements"] == qa  # the delivery is the QA measurement, nothing else
    assert sorted(p.name for p in report.parent.iterdir()) == ["measurements.json"]  # no staged leftovers

    db = Registry.open(db_url)
    revoke_licence(db, list_licences(db)[0].id)
    report.unlink()
    refused = runner.invoke(twin, ["measure", str(avatar), "-o", str(report), *licence])
    assert refused.exit_code == 3 and "was revoked" in refused.output and not report.exists()


def test_rig_pose_is_a_licensed_export(avatar, tmp_path):
    from twinkit.rig.poses import load_pose
    from twinkit.rig.skeleton import skeleton_from_body_json

    runner = CliRunner()
    out = tmp_path / "export" / "seated.ply"
    refused = runner.invoke(twin, ["rig", "pose", str(avatar), "seated", "-o", str(out)])
    assert refused.exit_code == 2 and "--licensee" in refused.output  # click: the licence options are required
    licence = license_twin(avatar, tmp_path / "registry.db")
    refused = runner.invoke(twin, ["rig", "pose", str(avatar), "seated", "-o", str(out), *licence[:2],
                                   "--licensee", "Other", "--use", "marketing"])
    assert refused.exit_code == 3 and not out.exists(), refused.output

    done = runner.invoke(twin, ["rig", "pose", str(avatar), "seated", "-o", str(out), *licence])
    assert done.exit_code == 0, done.output
    expected = skeleton_from_body_json(avatar / "body.json").body(load_pose("seated"))
    assert np.abs(trimesh.load(out, process=False).vertices - expected).max() < 1e-5  # metres; body.ply is float32
    assert [(r.output_sha256, r.licensee, r.use) for r in _ledger(licence[1])] == [
        (sha256_file(out), "Brand", "marketing")]
    assert sorted(p.name for p in out.parent.iterdir()) == ["seated.ply"]

    db = Registry.open(licence[1])
    revoke_licence(db, list_licences(db)[0].id)  # revocation takes effect at once
    again = tmp_path / "export" / "again.ply"
    refused = runner.invoke(twin, ["rig", "pose", str(avatar), "seated", "-o", str(again), *licence])
    assert refused.exit_code == 3 and "was revoked" in refused.output and not again.exists()
    assert len(_ledger(licence[1])) == 1

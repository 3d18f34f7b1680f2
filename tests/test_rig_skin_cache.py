"""Skin weights computed once: `rig_avatar` stores the transfer in AVATAR/skin_weights.npz and `avatar_rig`
reuses it only while the mesh, body.json and options it was computed from are unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import trimesh

pytest.importorskip("igl")
pytest.importorskip("robust_laplacian")

PHENOTYPE = {"gender": 0.3, "age": 0.6, "muscle": 0.5, "weight": 0.55, "height": 0.6, "proportions": 0.5}


@pytest.fixture(scope="module")
def rigged(tmp_path_factory) -> tuple[Path, np.ndarray]:
    """A rigged avatar folder (body.ply as its mesh, Y-up glTF frame in the manifest) and its freshly
    transferred weights."""
    from twinkit.capture.studio.body import studio_pose
    from twinkit.core.manifest import Manifest
    from twinkit.reconstruct.bodyfit import BodyFit, write_body
    from twinkit.rig.avatar import gltf_from_world, rig_avatar
    from twinkit.rig.skeleton import build_skeleton
    from twinkit.rig.weights import transfer_weights

    transform = np.eye(4)
    transform[:3, 3] = [0.2, 0.1, 0.0]
    skeleton = build_skeleton(PHENOTYPE, studio_pose(1), transform)
    body = skeleton.body(skeleton.bind_pose)
    avatar = tmp_path_factory.mktemp("skin") / "avatar"
    write_body(avatar, BodyFit(phenotype=skeleton.phenotype, pose=skeleton.bind_pose, transform=transform,
                               vertices=body, faces=skeleton.rig.faces, keypoints=np.zeros((0, 3)),
                               keypoint_names=[], stature_m=1.7, frame=0))
    Manifest(kind="avatar", extra={"gltf_from_world": gltf_from_world(skeleton, body).tolist()}).write(avatar)
    rig_avatar(avatar)
    stored = trimesh.load(avatar / "body.ply", process=False).vertices  # as float32 PLY stores them
    fresh = transfer_weights(body, skeleton.rig.faces, skeleton.rig.weights, stored, skeleton.rig.faces)
    return avatar, fresh.weights


def _copy(avatar: Path, tmp_path: Path) -> Path:
    import shutil

    return Path(shutil.copytree(avatar, tmp_path / "avatar"))


def _transfers(monkeypatch) -> list[int]:
    """Count the calls of the transfer behind `avatar_rig`."""
    import twinkit.rig.avatar as module

    calls, real = [], module.transfer_weights
    monkeypatch.setattr(module, "transfer_weights", lambda *a, **k: calls.append(1) or real(*a, **k))
    return calls


def test_rig_stores_the_weights_and_their_sources(rigged):
    from twinkit.core.hashing import sha256_file
    from twinkit.rig.skin_cache import SKIN_WEIGHTS

    avatar, fresh = rigged
    assert SKIN_WEIGHTS in json.loads((avatar / "manifest.json").read_text())["contents"]
    with np.load(avatar / SKIN_WEIGHTS) as stored:
        assert str(stored["mesh"]) == "body.ply"
        assert str(stored["mesh_sha256"]) == sha256_file(avatar / "body.ply")
        assert str(stored["body_sha256"]) == sha256_file(avatar / "body.json")
        assert tuple(stored["weights_shape"]) == fresh.shape and stored["matched"].shape == (len(fresh),)


def test_avatar_rig_reuses_matching_weights_exactly(rigged, monkeypatch):
    from twinkit.rig.avatar import avatar_rig

    avatar, fresh = rigged
    calls = _transfers(monkeypatch)
    _, mesh, transfer = avatar_rig(avatar)
    assert not calls
    assert np.abs(transfer.weights - fresh).max() == 0.0  # stored losslessly
    assert transfer.weights.shape == (len(mesh.vertices), fresh.shape[1]) and transfer.matched.all()


def test_changed_sources_or_options_recompute(rigged, monkeypatch, tmp_path, capsys):
    """An edited mesh (1 cm of shrink, same vertex count), a rewritten body.json, other options or a corrupt
    file: the weights are recomputed, with a message, and equal a fresh transfer of what is there now."""
    import twinkit.core.progress as progress
    from twinkit.rig.avatar import avatar_rig
    from twinkit.rig.skin_cache import SKIN_WEIGHTS
    from twinkit.rig.weights import TransferOptions

    monkeypatch.setattr(progress, "_verbosity", 2)
    avatar, fresh = _copy(rigged[0], tmp_path), rigged[1]
    calls = _transfers(monkeypatch)

    mesh = trimesh.load(avatar / "body.ply", process=False)
    mesh.vertices -= 0.01 * mesh.vertex_normals
    mesh.export(avatar / "body.ply")
    _, _, transfer = avatar_rig(avatar)
    assert len(calls) == 1 and "mesh_sha256 changed" in capsys.readouterr().err
    assert np.abs(transfer.weights - fresh).max() > 1e-3  # the stored weights were not taken

    (avatar / "body.json").write_text(json.dumps(json.loads((avatar / "body.json").read_text())))
    avatar_rig(avatar)
    assert len(calls) == 2 and "body_sha256 changed" in capsys.readouterr().err

    avatar, calls[:] = _copy(rigged[0], tmp_path / "b"), []
    _, _, transfer = avatar_rig(avatar, TransferOptions(distance=0.01))
    assert len(calls) == 1 and "options changed" in capsys.readouterr().err

    (avatar / SKIN_WEIGHTS).write_bytes(b"not an npz")
    _, _, transfer = avatar_rig(avatar)
    assert len(calls) == 2 and np.abs(transfer.weights - fresh).max() == 0.0

    (avatar / SKIN_WEIGHTS).unlink()
    avatar_rig(avatar)
    assert len(calls) == 3 and "skin_weights.npz not found" in capsys.readouterr().err

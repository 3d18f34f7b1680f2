"""Rigged glTF export: Khronos validator, skin round trip against the captured mesh, the avatar folder."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import trimesh

from twinkit.core.errors import InputError

pytest.importorskip("igl")
pytest.importorskip("robust_laplacian")
pygltflib = pytest.importorskip("pygltflib")

ROOT = Path(__file__).resolve().parents[1]
VALIDATOR = ROOT / "node_modules" / "gltf-validator"
PHENOTYPE = {"gender": 0.7, "age": 0.75, "muscle": 0.5, "weight": 0.4, "height": 0.35, "proportions": 0.5}


def validate(path: Path) -> dict:
    """The Khronos glTF validator's report (npm package gltf-validator, run through node)."""
    if shutil.which("node") is None or not VALIDATOR.is_dir():
        pytest.skip("glTF validator absent: run `npm install --no-save gltf-validator@2.0.0-dev.3.10` "
                    "in the repository root (needs node)")
    script = ("const v = require(process.argv[1]); const fs = require('fs');"
              "v.validateBytes(new Uint8Array(fs.readFileSync(process.argv[2])))"
              ".then(r => console.log(JSON.stringify(r.issues)))")
    done = subprocess.run(["node", "-e", script, str(VALIDATOR), str(path)], capture_output=True, text=True,
                          check=True, timeout=120)
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def fitted():
    """A fitted body (skeleton) placed in a tilted capture world, and its body mesh in the captured pose."""
    from scipy.spatial.transform import Rotation

    from twinkit.capture.studio.body import studio_pose
    from twinkit.rig.skeleton import build_skeleton

    transform = np.eye(4)
    transform[:3, :3] = Rotation.from_euler("xz", [12, 30], degrees=True).as_matrix()
    transform[:3, 3] = [0.4, -0.2, 1.1]
    skeleton = build_skeleton(PHENOTYPE, studio_pose(3), transform)
    return skeleton, skeleton.body(skeleton.bind_pose)


def _png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(buffer, "PNG")
    return buffer.getvalue()


def _skinned_in_gltf(path: Path, local: np.ndarray) -> np.ndarray:
    """Skin the GLB's mesh with per-node local 4x4 transforms ``local`` (J, 4, 4), as a glTF viewer would."""
    gltf = pygltflib.GLTF2.load(path)
    blob = gltf.binary_blob()

    def read(index: int, dtype, width: int) -> np.ndarray:
        acc = gltf.accessors[index]
        view = gltf.bufferViews[acc.bufferView]
        return np.frombuffer(blob, dtype, acc.count * width, view.byteOffset).reshape(acc.count, width)

    attrs = gltf.meshes[0].primitives[0].attributes
    skin = gltf.skins[0]
    parents = {c: i for i, n in enumerate(gltf.nodes) for c in (n.children or [])}
    world = {}

    def global_of(j: int) -> np.ndarray:
        if j not in world:
            world[j] = local[j] if j not in parents else global_of(parents[j]) @ local[j]
        return world[j]

    ibm = read(skin.inverseBindMatrices, np.float32, 16).reshape(-1, 4, 4).transpose(0, 2, 1)
    joint_mats = np.stack([global_of(j) for j in skin.joints]) @ ibm
    joints, weights = read(attrs.JOINTS_0, np.uint8, 4), read(attrs.WEIGHTS_0, np.float32, 4)
    positions = read(attrs.POSITION, np.float32, 3).astype(np.float64)
    blended = np.einsum("vk,vkij->vij", weights, joint_mats[joints])
    return np.einsum("vij,vj->vi", blended[:, :3, :3], positions) + blended[:, :3, 3]


def test_glb_passes_the_khronos_validator_and_skins_back_to_the_captured_mesh(tmp_path, fitted):
    from twinkit.rig.avatar import gltf_from_world
    from twinkit.rig.gltf import export_glb
    from twinkit.rig.posing import rest_vertices
    from twinkit.rig.weights import limit_weights

    skeleton, body = fitted
    to_gltf = gltf_from_world(skeleton, body)
    indices, weights = limit_weights(skeleton.rig.weights, 4)
    rest = rest_vertices(body, skeleton.rig.weights, skeleton)
    uv = np.random.default_rng(1).uniform(0, 1, (len(body), 2))
    path = tmp_path / "avatar.glb"
    export_glb(path, rest, skeleton.rig.faces, indices, weights, skeleton, to_gltf, uv=uv, texture_png=_png())

    issues = validate(path)
    assert issues["numErrors"] == 0, issues["messages"][:5]
    assert issues["numWarnings"] == 0, issues["messages"][:5]

    # the node tree holds the rest pose: skinning with it gives the rest mesh back
    frames = to_gltf @ skeleton.rest
    local = np.stack([f if p < 0 else np.linalg.inv(frames[p]) @ f for f, p in zip(frames, skeleton.parents)])
    rest_gltf = rest @ to_gltf[:3, :3].T + to_gltf[:3, 3]
    assert np.abs(_skinned_in_gltf(path, local) - rest_gltf).max() < 1e-4
    # posed by the captured frames, the 4-weight skin lands on the captured body (glTF frame: Y up, feet y=0)
    frames = to_gltf @ skeleton.bind
    local = np.stack([f if p < 0 else np.linalg.inv(frames[p]) @ f for f, p in zip(frames, skeleton.parents)])
    captured = _skinned_in_gltf(path, local)
    expected = body @ to_gltf[:3, :3].T + to_gltf[:3, 3]
    error = np.linalg.norm(captured - expected, axis=1)
    assert error.mean() < 0.002, f"mean {error.mean() * 1000:.2f} mm"
    assert abs(expected[:, 1].min()) < 1e-9 and expected[:, 1].max() > 1.4  # feet on y=0, head up y
    head = frames[skeleton.names.index("head"), :3, 3]
    nose = expected[np.argmin(np.linalg.norm(expected - (head + [0, 0.1, 0.2]), axis=1))]
    assert nose[2] > head[2]  # the face looks along +z


def _avatar(tmp_path: Path, fitted, textured: bool) -> Path:
    """An avatar folder as `twin reconstruct` leaves it: manifest, body.json/ply and (optionally) mesh.glb."""
    from twinkit.core.manifest import Manifest
    from twinkit.reconstruct.bodyfit import BodyFit, write_body
    from twinkit.rig.avatar import gltf_from_world

    skeleton, body = fitted
    avatar = tmp_path / "avatar"
    fit = BodyFit(phenotype=skeleton.phenotype, pose=skeleton.bind_pose, transform=skeleton.transform,
                  vertices=body, faces=skeleton.rig.faces, keypoints=np.zeros((0, 3)), keypoint_names=[],
                  stature_m=1.7, frame=0)
    write_body(avatar, fit)
    to_gltf = gltf_from_world(skeleton, body)
    extra = {"gltf_from_world": to_gltf.tolist()}
    if textured:  # a reconstructed-mesh stand-in: subdivided body with UVs and a texture, in the glTF frame
        from PIL import Image

        vertices, faces = trimesh.remesh.subdivide(body, skeleton.rig.faces)
        vertices = vertices @ to_gltf[:3, :3].T + to_gltf[:3, 3]
        uv = (vertices[:, [0, 1]] - vertices[:, [0, 1]].min(0)) / np.ptp(vertices[:, [0, 1]], axis=0)
        image = Image.open(io.BytesIO(_png()))
        visual = trimesh.visual.TextureVisuals(uv=uv, material=trimesh.visual.material.PBRMaterial(
            baseColorTexture=image))
        trimesh.Trimesh(vertices, faces, visual=visual, process=False).export(avatar / "mesh.glb")
    Manifest(kind="avatar", extra=extra).write(avatar)
    return avatar


def test_rig_avatar_writes_a_valid_textured_glb_and_rig_json(tmp_path, fitted):
    from twinkit.rig.avatar import rig_avatar

    avatar = _avatar(tmp_path, fitted, textured=True)
    glb = rig_avatar(avatar)
    assert validate(glb)["numErrors"] == 0
    gltf = pygltflib.GLTF2.load(glb)
    assert len(gltf.images) == 1 and gltf.meshes[0].primitives[0].attributes.TEXCOORD_0 is not None
    assert len(gltf.skins[0].joints) == 104
    source = trimesh.load(avatar / "mesh.glb", force="mesh", process=False)
    rigged = trimesh.load(glb, force="mesh", process=False)
    assert np.abs(rigged.visual.uv - source.visual.uv).max() < 1e-6  # texture coordinates carried over
    rig = json.loads((avatar / "rig.json").read_text())
    skeleton, _ = fitted
    joints = np.array([np.array(j["bind"])[:3, 3] for j in rig["joints"]])
    assert np.abs(joints - skeleton.joints).max() < 1e-9
    assert rig["mesh"] == "mesh.glb" and rig["skin"]["matched_fraction"] > 0.8
    assert {"rig.json", "avatar.glb"} <= set(json.loads((avatar / "manifest.json").read_text())["contents"])


def test_rig_avatar_without_mesh_rigs_the_body(tmp_path, fitted):
    from twinkit.rig.avatar import rig_avatar

    avatar = _avatar(tmp_path, fitted, textured=False)
    assert validate(rig_avatar(avatar))["numErrors"] == 0
    assert json.loads((avatar / "rig.json").read_text())["mesh"] == "body.ply"


def test_bad_avatar_inputs_are_clear_errors(tmp_path, fitted):
    from twinkit.rig.avatar import rig_avatar

    avatar = _avatar(tmp_path, fitted, textured=False)
    (avatar / "mesh.glb").write_bytes(b"not a glb")
    with pytest.raises(InputError, match="cannot read the mesh") as caught:
        rig_avatar(avatar)
    assert caught.value.path == avatar / "mesh.glb"
    (avatar / "body.json").write_text('{"phenotype": {}}')
    with pytest.raises(InputError, match="not a body fit") as caught:
        rig_avatar(avatar)
    assert caught.value.path == avatar / "body.json"
    assert not (avatar / "avatar.glb").exists()


def test_cli_rigs_and_poses_an_avatar(tmp_path, fitted):
    from click.testing import CliRunner

    from licensing import license_twin

    from twinkit.core.manifest import Manifest
    from twinkit.rig.cli import rig
    from twinkit.rig.poses import load_pose

    avatar = _avatar(tmp_path, fitted, textured=False)
    manifest = Manifest.read(avatar)
    manifest.extra["twin_id"] = "00000000-0000-0000-0000-000000000005"
    manifest.write(avatar)
    licence = license_twin(avatar, tmp_path / "registry.db")  # the posed mesh is an export of the twin
    runner = CliRunner()
    done = runner.invoke(rig, [str(avatar)])  # `twin rig AVATAR` is `twin rig build AVATAR`
    assert done.exit_code == 0, done.output
    assert validate(avatar / "avatar.glb")["numErrors"] == 0
    out = tmp_path / "seated.ply"
    done = runner.invoke(rig, ["pose", str(avatar), "seated", "-o", str(out), *licence])
    assert done.exit_code == 0, done.output
    skeleton, _ = fitted
    posed = trimesh.load(out, process=False).vertices
    assert np.abs(posed - skeleton.body(load_pose("seated"))).max() < 1e-5  # body.ply holds float32

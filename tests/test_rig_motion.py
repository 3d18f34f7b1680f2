"""BVH motion: reading, retargeting onto the avatar (against the motion's own forward kinematics and anny's),
the animated GLB (Khronos validator, clip against the posed skeleton), bad input and the CLI."""

from __future__ import annotations

import logging
import time
import uuid
from pathlib import Path

import numpy as np
import pytest
import trimesh
from click.testing import CliRunner
from conftest import SHARED
from scipy.spatial.transform import Rotation
from test_rig_gltf import PHENOTYPE, validate

from twinkit.core.errors import InputError

pygltflib = pytest.importorskip("pygltflib")

CMU = SHARED / "motion" / "cmu_01_01_hop.bvh"
ORDERS = ("ZYX", "XYZ", "YZX", "ZXY")
# anny's axes (x the subject's left, y backwards, z up) to a Y-up BVH's (x left, y up, z forward)
ANNY_TO_BVH = np.array([[1.0, 0, 0], [0, 0, 1], [0, -1, 0]])
CM = 100.0  # the synthetic BVH is in centimetres


@pytest.fixture(scope="module")
def skeleton():
    """An avatar skeleton placed in a tilted capture world."""
    from twinkit.rig.skeleton import build_skeleton

    transform = np.eye(4)
    transform[:3, :3] = Rotation.from_euler("xz", [12, 30], degrees=True).as_matrix()
    transform[:3, 3] = [0.4, -0.2, 1.1]
    return build_skeleton(PHENOTYPE, {}, transform)


def write_bvh(path: Path, names: list[str], parents: list[int], offsets: np.ndarray, orders: list[str],
              values: np.ndarray, frame_time: float = 1 / 30) -> None:
    """A BVH file: the root has position channels, every joint rotation channels in its Euler order; ``values``
    (F, 3 + 3J) hold the root position, then each joint's angles in ``names`` order (written depth first)."""
    lines = ["HIERARCHY"]

    def joint(j: int, depth: int) -> None:
        pad = "  " * depth
        order.append(j)
        lines.append(f"{pad}{'ROOT' if parents[j] < 0 else 'JOINT'} {names[j]}")
        lines.append(f"{pad}{{")
        lines.append(f"{pad}  OFFSET {' '.join(f'{v:.9f}' for v in offsets[j])}")
        channels = (["Xposition", "Yposition", "Zposition"] if parents[j] < 0 else []) + \
                   [f"{axis}rotation" for axis in orders[j]]
        lines.append(f"{pad}  CHANNELS {len(channels)} {' '.join(channels)}")
        children = [c for c in range(len(names)) if parents[c] == j]
        for c in children:
            joint(c, depth + 1)
        if not children:
            lines.extend([f"{pad}  End Site", f"{pad}  {{", f"{pad}    OFFSET 0 1 0", f"{pad}  }}"])
        lines.append(f"{pad}}}")

    order: list[int] = []
    joint(0, 0)
    columns = [np.arange(3)] + [3 + 3 * j + np.arange(3) for j in order]
    values = values[:, np.concatenate(columns)]
    lines.extend(["MOTION", f"Frames: {len(values)}", f"Frame Time: {frame_time:.6f}"])
    lines.extend(" ".join(f"{v:.9f}" for v in row) for row in values)
    path.write_text("\n".join(lines) + "\n")


def avatar_like_bvh(path: Path, skeleton, convention: str, frames: int = 6, prefix: str = "",
                    seed: int = 0, rest_turn_deg: float = 0.0) -> dict:
    """A BVH of the avatar's own skeleton (its mapped joints, reference A-pose as the rest pose, Y up,
    centimetres) with known random rotations; returns what was written. ``rest_turn_deg`` turns the rest
    direction of every bone that is its parent's only child (the limbs) by that angle about a random axis,
    as a T-pose rest differs from the avatar's A-pose."""
    from twinkit.rig.skeleton import joint_table

    column = {row["anny"]: row[convention] for row in joint_table() if convention in row}
    anny_to_world = skeleton.transform
    reference = np.linalg.inv(anny_to_world) @ skeleton.frames({})
    bones = [j for j, name in enumerate(skeleton.names) if name in column]  # parents come first
    nearest = {}
    for j in bones:
        p = skeleton.parents[j]
        while p >= 0 and p not in bones:
            p = skeleton.parents[p]
        nearest[j] = bones.index(p) if p >= 0 else -1
    heads = reference[bones, :3, 3] @ ANNY_TO_BVH.T * CM
    floor = _anny_positions(skeleton, skeleton.body({}))[:, 2].min()
    heads[:, 1] -= floor * CM  # the BVH floor (y = 0) under the avatar's feet
    parents = [nearest[j] for j in bones]
    offsets = np.stack([heads[i] - (heads[p] if p >= 0 else 0) for i, p in enumerate(parents)])
    offsets[0] = 0.0  # the root's place comes from its position channels
    orders = [ORDERS[i % len(ORDERS)] for i in range(len(bones))]
    rng = np.random.default_rng(seed)
    for i, p in enumerate(parents):
        if p >= 0 and parents.count(p) == 1:
            axis = rng.normal(size=3)
            offsets[i] = Rotation.from_rotvec(axis / np.linalg.norm(axis) * np.radians(rest_turn_deg)).apply(offsets[i])
    rotvecs = rng.normal(0, 0.35, (frames, len(bones), 3))
    root = heads[0] + np.cumsum(rng.normal(0, 3.0, (frames, 3)), axis=0) * [1, 0.3, 1]
    values = np.concatenate([root] + [Rotation.from_rotvec(rotvecs[:, i]).as_euler(order, degrees=True)
                                      for i, order in enumerate(orders)], axis=1)
    names = [prefix + column[skeleton.names[j]] for j in bones]
    write_bvh(path, names, parents, offsets, orders, values)
    return {"names": names, "bones": bones, "parents": parents, "floor": floor}


def _anny_positions(skeleton, world: np.ndarray) -> np.ndarray:
    """World points (..., 3), or the positions of world frames (..., 4, 4), in anny's frame."""
    points = world[..., :3, 3] if world.shape[-2:] == (4, 4) else world
    world_to_anny = np.linalg.inv(skeleton.transform)
    return points @ world_to_anny[:3, :3].T + world_to_anny[:3, 3]


def test_bvh_reader_composes_channels_in_file_order(tmp_path):
    from twinkit.rig.bvh import read_bvh

    path = tmp_path / "two.bvh"
    path.write_text("HIERARCHY\nROOT Hips\n{\n OFFSET 0 0 0\n CHANNELS 6 Xposition Yposition Zposition Zrotation "
                    "Xrotation Yrotation\n JOINT Chest\n {\n  OFFSET 0 10 0\n  CHANNELS 3 Yrotation Xrotation "
                    "Zrotation\n  End Site\n  {\n   OFFSET 0 5 0\n  }\n }\n}\nMOTION\nFrames: 2\n"
                    "Frame Time: 0.04\n1 2 3 90 0 0 0 0 0\n1 2 3 90 90 0 0 0 0\n")
    bvh = read_bvh(path)
    assert bvh.names == ["Hips", "Chest"] and bvh.parents.tolist() == [-1, 0] and bvh.fps == 25
    assert np.allclose(bvh.end_sites[1], [0, 5, 0]) and np.isnan(bvh.end_sites[0]).all()
    chest = bvh.world()[:, 1, :3, 3]
    # Z 90: the chest offset (0, 10, 0) turns to -x; then Z 90 and X 90 compose as Rz @ Rx (the channel
    # order, each about the already-turned axes): Rx takes +y to +z, Rz leaves it
    assert np.allclose(chest, [[-9, 2, 3], [1, 2, 13]])


@pytest.mark.parametrize("convention, prefix, rest_turn", [("cmu_bvh", "", 0.0), ("mixamo", "mixamorig:", 0.0),
                                                         ("cmu_bvh", "", 50.0)])
def test_round_trip_matches_the_motions_forward_kinematics(tmp_path, skeleton, convention, prefix, rest_turn):
    """The avatar follows a motion of its own skeleton, also when the motion's rest pose differs (limbs
    turned 50 degrees): mapped joints land on the motion's own forward kinematics, scaled."""
    from twinkit.rig.bvh import read_bvh
    from twinkit.rig.retarget import posed_frames, retarget

    written = avatar_like_bvh(tmp_path / "motion.bvh", skeleton, convention, prefix=prefix, rest_turn_deg=rest_turn)
    bvh = read_bvh(tmp_path / "motion.bvh")
    order = [bvh.names.index(n) for n in written["names"]]
    assert [bvh.names[p] if p >= 0 else None for p in bvh.parents[order]] == \
        [written["names"][p] if p >= 0 else None for p in written["parents"]]
    motion = retarget(bvh, skeleton, tmp_path / "motion.bvh")
    assert abs(motion.scale * CM - 1) < 1e-6  # the leg-length ratio recovers the centimetres
    assert len(motion.mapped) == len(written["bones"])

    posed = _anny_positions(skeleton, posed_frames(skeleton, motion))[:, written["bones"]]
    expected = bvh.world()[:, order][..., :3, 3] / CM @ ANNY_TO_BVH  # BVH axes -> anny axes, metres
    # one offset for all: the motion starts where the avatar stands, its floor on the avatar's floor
    offset = (posed - expected).mean(axis=(0, 1))
    assert abs(offset[2] - written["floor"]) < 1e-6
    error = np.linalg.norm(posed - expected - offset, axis=-1)
    print(f"{convention}, rest turned {rest_turn:.0f} deg: joint position error mean {error.mean() * 100:.1e} cm, "
          f"max {error.max() * 100:.1e} cm over {error.size} joints")
    assert error.mean() < 0.01 and error.max() < 0.02  # metres: 1 cm, 2 cm
    # the batched kinematics are anny's: each frame's pose through anny lands on the same frames
    for frame in (0, motion.frame_count - 1):
        truth = skeleton.frames(motion.pose(frame))
        truth[:, :3, 3] += motion.translations[frame]
        assert np.abs(posed_frames(skeleton, motion)[frame] - truth).max() < 1e-9


def test_unknown_joints_are_listed_once_and_the_rest_is_retargeted(tmp_path, skeleton, caplog):
    from twinkit.rig.bvh import read_bvh
    from twinkit.rig.retarget import posed_frames, retarget

    path = tmp_path / "motion.bvh"
    written = avatar_like_bvh(path, skeleton, "cmu_bvh")
    path.write_text(path.read_text().replace("LThumb", "LeftTail").replace("RThumb", "RightWing"))
    bvh = read_bvh(path)
    with caplog.at_level(logging.WARNING, logger="twinkit"):
        motion = retarget(bvh, skeleton, path)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "LeftTail, RightWing" in warnings[0] and str(path) in warnings[0]
    kept = [i for i, n in enumerate(written["names"]) if n in motion.mapped]
    assert len(kept) == len(written["bones"]) - 2
    posed = _anny_positions(skeleton, posed_frames(skeleton, motion))[:, [written["bones"][i] for i in kept]]
    expected = bvh.world()[:, [bvh.names.index(written["names"][i]) for i in kept]][..., :3, 3] / CM @ ANNY_TO_BVH
    offset = (posed - expected).mean(axis=(0, 1))
    assert np.linalg.norm(posed - expected - offset, axis=-1).mean() < 0.01


def test_motion_with_no_known_joint_is_an_input_error(tmp_path, skeleton):
    from twinkit.rig.bvh import read_bvh
    from twinkit.rig.retarget import retarget

    path = tmp_path / "robot.bvh"
    write_bvh(path, ["Base", "Arm", "Claw"], [-1, 0, 1], np.array([[0, 0, 0], [0, 10, 0], [0, 10, 0.0]]),
              ["ZYX"] * 3, np.zeros((2, 12)))
    with pytest.raises(InputError, match="none of the motion's joints") as caught:
        retarget(read_bvh(path), skeleton, path)
    assert caught.value.path == path


@pytest.mark.parametrize("cut, problem", [
    (lambda text: text[:text.rindex("\n", 0, len(text) - 1) - 20], "truncated: .* values for 6 frames"),
    (lambda text: text[:text.index("MOTION")], "no MOTION section"),
    (lambda text: text.replace("Frames: 6", ""), "Frames: N"),
    (lambda text: text[:text.index("Frame Time")], "Frame Time"),
    (lambda text: text[:len(text) // 4], "ends early|no MOTION"),
    (lambda text: text.replace("OFFSET", "OFSET", 1), "expected 'OFFSET'"),
])
def test_bad_bvh_files_are_clear_input_errors(tmp_path, skeleton, cut, problem):
    from twinkit.rig.bvh import read_bvh

    path = tmp_path / "motion.bvh"
    avatar_like_bvh(path, skeleton, "cmu_bvh")
    path.write_text(cut(path.read_text()))
    with pytest.raises(InputError, match=problem) as caught:
        read_bvh(path)
    assert caught.value.path == path


def _glb_joint_positions(path: Path, times: int) -> np.ndarray:
    """(F, J, 3) joint node positions of a GLB's first animation at each of its key times, as a glTF viewer
    evaluates them (channels over the nodes' rest TRS)."""
    gltf = pygltflib.GLTF2.load(path)
    blob = gltf.binary_blob()

    def read(index: int, width: int) -> np.ndarray:
        acc = gltf.accessors[index]
        view = gltf.bufferViews[acc.bufferView]
        return np.frombuffer(blob, np.float32, acc.count * width, view.byteOffset).reshape(acc.count, width)

    joints = gltf.skins[0].joints
    rotation = np.array([[gltf.nodes[j].rotation for j in joints]] * times, np.float64)
    translation = np.array([[gltf.nodes[j].translation for j in joints]] * times, np.float64)
    for channel in gltf.animations[0].channels:
        turns = channel.target.path == "rotation"
        output = read(gltf.animations[0].samplers[channel.sampler].output, 4 if turns else 3)
        (rotation if turns else translation)[:, channel.target.node] = output
    local = np.zeros((times, len(joints), 4, 4))
    local[..., :3, :3] = Rotation.from_quat(rotation.reshape(-1, 4)).as_matrix().reshape(times, -1, 3, 3)
    local[..., :3, 3] = translation
    local[..., 3, 3] = 1
    parents = {c: i for i, n in enumerate(gltf.nodes) for c in (n.children or [])}
    world = np.empty_like(local)
    for j in range(len(joints)):  # the skeleton's parents come first
        world[:, j] = local[:, j] if j not in parents else world[:, parents[j]] @ local[:, j]
    return world[..., :3, 3]


@pytest.mark.shared
def test_cmu_hop_retargets_without_flips_feet_on_the_floor_and_exports_a_valid_clip(tmp_path, skeleton):
    from twinkit.rig.avatar import gltf_from_world
    from twinkit.rig.bvh import read_bvh
    from twinkit.rig.gltf import export_glb
    from twinkit.rig.posing import rest_vertices
    from twinkit.rig.retarget import joint_steps, max_step_bound, motion_clip, posed_frames, retarget
    from twinkit.rig.weights import limit_weights

    if not CMU.is_file():
        pytest.skip(f"{CMU} absent")
    # frame 0 of the cgspeed CMU conversions is the T-pose reference, not motion: take the 120 after it
    bvh = read_bvh(CMU)
    assert bvh.frame_count == 2752 and len(bvh.names) == 31 and abs(bvh.fps - 120) < 0.01
    body = skeleton.body({})
    to_gltf = gltf_from_world(skeleton, body)
    indices, weights = limit_weights(skeleton.rig.weights, 4)
    rest = rest_vertices(body, skeleton.rig.weights, skeleton)
    start = time.perf_counter()
    motion = retarget(bvh.frames(1, 121), skeleton, CMU)
    clip = motion_clip("hop", motion, skeleton, to_gltf)
    export_glb(tmp_path / "hop.glb", rest, skeleton.rig.faces, indices, weights, skeleton, to_gltf, animations=[clip])
    seconds = time.perf_counter() - start
    steps = joint_steps(motion)
    frame, joint = np.unravel_index(np.argmax(steps), steps.shape)
    print(f"CMU 01_01: retarget 120 frames + GLB export {seconds:.2f} s; largest joint turn between frames "
          f"{steps.max():.2f} deg ({motion.bones[joint]}, frame {frame}); bound {max_step_bound(motion.fps):.0f} deg")
    assert steps.max() < max_step_bound(motion.fps)
    assert set(bvh.names) - set(motion.mapped) == {"LFingers", "RFingers"}

    # standing in the first frame: the posed body's lowest point is on the avatar's floor
    floor = _anny_positions(skeleton, body)[:, 2].min()
    gap = _anny_positions(skeleton, skeleton.body(motion.pose(0)) + motion.translations[0])[:, 2].min() - floor
    print(f"first frame: lowest body point {gap * 100:.2f} cm above the floor")
    assert abs(gap) < 0.03

    issues = validate(tmp_path / "hop.glb")
    assert issues["numErrors"] == 0, issues["messages"][:5]
    assert issues["numWarnings"] == 0, issues["messages"][:5]
    assert (np.einsum("fjk,fjk->fj", clip.rotations[1:], clip.rotations[:-1]) >= 0).all()  # no sign flips
    played = _glb_joint_positions(tmp_path / "hop.glb", motion.frame_count)
    expected = posed_frames(skeleton, motion)[..., :3, 3] @ to_gltf[:3, :3].T + to_gltf[:3, 3]
    error = np.linalg.norm(played - expected, axis=-1)
    print(f"GLB clip vs posed skeleton: mean {error.mean() * 1000:.3f} mm, max {error.max() * 1000:.3f} mm")
    assert error.max() < 0.001


def _avatar(tmp_path: Path, skeleton) -> Path:
    """An avatar folder (body.json, body.ply, manifest with a twin id) of the test skeleton."""
    from twinkit.core.atomic import write_json
    from twinkit.core.manifest import Manifest
    from twinkit.rig.avatar import gltf_from_world

    avatar = tmp_path / "avatar"
    avatar.mkdir()
    body = skeleton.body({})
    write_json(avatar / "body.json", {"phenotype": skeleton.phenotype, "pose": {}, "pose_parameterization": "local-ref",
                                      "transform": skeleton.transform.tolist()})
    trimesh.Trimesh(body, skeleton.rig.faces, process=False).export(avatar / "body.ply")
    Manifest(kind="avatar", extra={"gltf_from_world": gltf_from_world(skeleton, body).tolist(),
                                   "twin_id": str(uuid.UUID(int=4))}).write(avatar)
    return avatar


def test_cli_animates_and_poses_from_bvh_with_licence_and_clear_exit_codes(tmp_path, skeleton):
    from licensing import license_twin

    from twinkit.cli.main import twin
    from twinkit.core.hashing import sha256_file
    from twinkit.rig.animate import bvh_pose
    from twinkit.rights.db import Registry
    from twinkit.rights.models import LedgerRow

    avatar = _avatar(tmp_path, skeleton)
    motion = tmp_path / "motion.bvh"
    avatar_like_bvh(motion, skeleton, "cmu_bvh", frames=5)
    licence = license_twin(avatar, tmp_path / "registry.db")
    runner = CliRunner()
    out = tmp_path / "animated.glb"

    # no licence for this licensee: exit 3 before any work, nothing written
    done = runner.invoke(twin, ["rig", "animate", str(avatar), str(motion), "-o", str(out), "--db",
                                licence[1], "--licensee", "Other", "--use", "marketing"])
    assert done.exit_code == 3, done.output
    assert not out.exists()
    # a truncated motion: exit 2 naming the file, nothing (not even a partial file) written
    truncated = tmp_path / "truncated.bvh"
    truncated.write_text(motion.read_text()[:-200])
    done = runner.invoke(twin, ["rig", "animate", str(avatar), str(truncated), "-o", str(out)] + licence)
    assert done.exit_code == 2 and str(truncated) in done.output and "truncated" in done.output, done.output
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("animated")) == []
    # an empty frame range: exit 2
    done = runner.invoke(twin, ["rig", "animate", str(avatar), str(motion), "-o", str(out), "--frames", "7:9"]
                         + licence)
    assert done.exit_code == 2 and "select none" in done.output, done.output

    done = runner.invoke(twin, ["rig", "animate", str(avatar), str(motion), "-o", str(out), "--frames", "1:",
                                "--name", "walk"] + licence)
    assert done.exit_code == 0, done.output
    assert validate(out)["numErrors"] == 0
    gltf = pygltflib.GLTF2.load(out)
    assert [a.name for a in gltf.animations] == ["walk"]
    assert gltf.accessors[gltf.animations[0].samplers[0].input].count == 4  # frames 1..4
    with Registry.open(licence[1]).session() as session:  # the export is in the ledger
        assert sha256_file(out) in [row.output_sha256 for row in session.query(LedgerRow)]

    # pose from a frame of the motion: the body in that pose, at the motion's height above the floor
    posed = tmp_path / "frame3.ply"
    done = runner.invoke(twin, ["rig", "pose", str(avatar), "--bvh", str(motion), "--frame", "3", "-o", str(posed)]
                         + licence)
    assert done.exit_code == 0, done.output
    pose, shift = bvh_pose(motion, skeleton, 3)
    expected = skeleton.body(pose) + shift
    assert np.abs(trimesh.load(posed, process=False).vertices - expected).max() < 1e-5  # body.ply is float32
    for args, problem in [([], "give one of POSE"), (["seated", "--bvh", str(motion)], "give one of POSE"),
                          (["--bvh", str(motion), "--frame", "9"], "select none")]:
        done = runner.invoke(twin, ["rig", "pose", str(avatar), *args, "-o", str(tmp_path / "x.ply"), *licence])
        assert done.exit_code == 2 and problem in done.output, done.output
    # a pose file naming no joint the avatar has: exit 2 naming the file and the joint
    bad = tmp_path / "bad_pose.json"
    bad.write_text('{"rotations_deg": {"tail": [0, 0, 10]}}')
    done = runner.invoke(twin, ["rig", "pose", str(avatar), str(bad), "-o", str(tmp_path / "x.ply"), *licence])
    assert done.exit_code == 2 and str(bad) in done.output and "unknown joint 'tail'" in done.output, done.output
    assert not (tmp_path / "x.ply").exists()

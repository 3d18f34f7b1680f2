"""Rig: skeleton, skin-weight transfer, posing, rest pose and splat binding, measured against anny ground truth.

The "fitted" body is the true person with fit-sized errors (phenotype +-0.01, bone rotations ~0.6 degrees,
placement 3 mm; the real fit on the virtual studio has 0.9 cm joint error). The stand-in for a reconstructed
mesh is the true surface subdivided, with 0.5 mm noise, a 6 cm hair bun and a separate hair clip.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import trimesh

from twinkit.core.errors import InputError

pytest.importorskip("igl")
pytest.importorskip("robust_laplacian")

TRUE_PHENOTYPE = {"gender": 0.3, "age": 0.8, "muscle": 0.35, "weight": 0.47, "height": 0.41, "proportions": 0.32}
NOVEL_POSES = ("t_pose", "seated", "arms_raised", "runway_stride", "hands_on_hips")


def _anny_pose(pose: dict) -> dict:
    return pose or {"root": np.zeros(3)}  # anny's dict input needs one entry


@pytest.fixture(scope="module")
def truth():
    from twinkit.capture.studio.body import pose_body, studio_pose

    return pose_body(TRUE_PHENOTYPE, studio_pose(7))


@pytest.fixture(scope="module")
def skeleton(truth):
    from twinkit.capture.studio.body import studio_pose
    from twinkit.rig.skeleton import build_skeleton

    rng = np.random.default_rng(1)
    phenotype = {k: v + rng.choice([-0.01, 0.01]) for k, v in TRUE_PHENOTYPE.items()}
    pose = {bone: v + rng.normal(0, 0.006, 3) for bone, v in studio_pose(7).items()}
    transform = np.eye(4)
    transform[:3, 3] = truth.offset + [0.003, -0.002, 0.002]
    return build_skeleton(phenotype, pose, transform)


@pytest.fixture(scope="module")
def scan(truth):
    """(vertices, faces, on_body mask, bun mask, clip mask) of the reconstructed-mesh stand-in."""
    rng = np.random.default_rng(0)
    vertices, faces = trimesh.remesh.subdivide(truth.vertices, truth.faces)
    normals = trimesh.Trimesh(vertices, faces, process=False).vertex_normals
    centre = truth.bone_heads[truth.bone_names.index("head")] + [0.0, 0.09, 0.06]
    bump = np.clip(1 - np.linalg.norm(vertices - centre, axis=1) / 0.07, 0, 1) ** 2
    vertices = vertices + normals * (rng.normal(0, 0.0005, (len(vertices), 1)) + 0.06 * bump[:, None])
    clip = trimesh.creation.icosphere(2, 0.02)
    clip.apply_translation(centre + [0.0, 0.07, 0.0])
    n, m = len(vertices), len(clip.vertices)
    return (np.vstack([vertices, clip.vertices]), np.vstack([faces, clip.faces + n]),
            np.r_[bump == 0, np.zeros(m, bool)], np.r_[bump > 0.2, np.zeros(m, bool)], np.r_[np.zeros(n, bool), np.ones(m, bool)])


@pytest.fixture(scope="module")
def transfer(skeleton, scan):
    from twinkit.rig.weights import transfer_weights

    return transfer_weights(skeleton.body(skeleton.bind_pose), skeleton.rig.faces, skeleton.rig.weights,
                            scan[0], scan[1])


def _surface_distance(points: np.ndarray, vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    import igl

    return np.sqrt(igl.point_mesh_squared_distance(points, vertices, faces)[0])


def _true_posed(truth, pose):
    from twinkit.capture.studio.body import pose_body

    return pose_body(TRUE_PHENOTYPE, _anny_pose(pose), offset=truth.offset)


def test_skeleton_joints_match_truth(truth, skeleton):
    error = np.linalg.norm(skeleton.joints - truth.bone_heads, axis=1)
    print(f"joints: mean error {error.mean() * 100:.2f} cm")
    assert error.mean() < 0.02, f"mean joint error {error.mean() * 100:.2f} cm"
    assert len(skeleton.names) == 104 and skeleton.parents[0] == -1
    assert skeleton.joint_names[skeleton.names.index("upperarm01.L")] == "left_upper_arm"


def test_skinning_with_anny_weights_reproduces_anny(skeleton):
    from twinkit.rig.posing import pose_mesh
    from twinkit.rig.poses import load_pose

    pose = load_pose("arms_raised")
    posed = pose_mesh(skeleton.body(skeleton.bind_pose), skeleton.rig.weights, skeleton, pose)
    assert np.abs(posed - skeleton.body(pose)).max() < 1e-9


@pytest.mark.parametrize("name", NOVEL_POSES)
def test_posed_scan_matches_true_posed_body(truth, skeleton, scan, transfer, name):
    from twinkit.rig.posing import pose_mesh
    from twinkit.rig.poses import load_pose

    pose = load_pose(name)
    posed = pose_mesh(scan[0], transfer.weights, skeleton, pose)
    expected = _true_posed(truth, pose)
    distance = _surface_distance(posed[scan[2]], expected.vertices, expected.faces)
    print(f"{name}: mean distance {distance.mean() * 100:.2f} cm")
    assert distance.mean() < 0.015, f"{name}: mean distance {distance.mean() * 100:.2f} cm"
    # hair moves rigidly with the head: its distance to the head joint is kept within 5 mm
    head = skeleton.names.index("head")
    before = np.linalg.norm(scan[0][scan[3] | scan[4]] - skeleton.joints[head], axis=1)
    after = np.linalg.norm(posed[scan[3] | scan[4]] - skeleton.frames(pose)[head, :3, 3], axis=1)
    assert np.abs(after - before).max() < 0.005


def test_unmatched_vertices_are_inpainted_not_dropped(scan, transfer):
    assert transfer.matched[scan[2]].mean() > 0.5
    assert not transfer.matched[scan[3]].all(), "the hair bun should fail the distance/normal test"
    assert np.allclose(transfer.weights.sum(axis=1), 1.0) and (transfer.weights >= 0).all()


def _bend(skeleton, bone: str, end: str, degrees: float) -> dict:
    """Rotate ``bone`` (lowerarm01/lowerleg01) about the hinge axis so that its segment (head to ``end``)
    turns ``degrees`` away from the segment above it (upperarm01/upperleg01 head to this head)."""
    _, frames = skeleton.rig.evaluate({})
    head = {n: frames[skeleton.names.index(n), :3, 3] for n in (bone, end, bone.replace("lower", "upper"))}
    axis = np.cross(head[bone] - head[bone.replace("lower", "upper")], head[end] - head[bone])
    return {bone: axis / np.linalg.norm(axis) * np.deg2rad(degrees)}


@pytest.mark.parametrize("joint", [("lowerarm01.L", "wrist.L"), ("lowerleg01.R", "foot.R")])
def test_volume_kept_at_90_degree_bend(truth, skeleton, scan, transfer, joint):
    from twinkit.rig.posing import pose_mesh

    rest_vertices = pose_mesh(scan[0], transfer.weights, skeleton, {})
    bent_vertices = pose_mesh(scan[0], transfer.weights, skeleton, _bend(skeleton, joint[0], joint[1], 90))
    moved = np.linalg.norm(bent_vertices - rest_vertices, axis=1) > 1e-4
    assert moved.sum() > 1000, "the bend did not move the limb"
    v0 = trimesh.Trimesh(rest_vertices, scan[1], process=False).volume
    v1 = trimesh.Trimesh(bent_vertices, scan[1], process=False).volume
    assert abs(v1 / v0 - 1) < 0.05, f"body volume change {100 * (v1 / v0 - 1):.2f}%"
    # stricter: against the moving part's own volume (its faces' signed tetrahedra about the joint), the
    # change matches what anny's own skinning does to the true body (LBS loses some volume in a bend)
    faces = scan[1][moved[scan[1]].all(axis=1)]
    pivot = skeleton.frames({})[skeleton.names.index(joint[0]), :3, 3]
    a, b, c = (rest_vertices[faces[:, k]] - pivot for k in range(3))
    limb = abs(np.einsum("ij,ij->i", a, np.cross(b, c)).sum() / 6)
    true_change = (trimesh.Trimesh(_true_posed(truth, _bend(skeleton, joint[0], joint[1], 90)).vertices, truth.faces).volume
                   - trimesh.Trimesh(_true_posed(truth, {}).vertices, truth.faces).volume)
    print(f"{joint[0]}: body {100 * (v1 / v0 - 1):.2f}%, limb {100 * (v1 - v0) / limb:.2f}% (anny {100 * true_change / limb:.2f}%)")
    assert abs(v1 - v0 - true_change) / limb < 0.02


def test_four_weights_per_vertex_keep_the_pose(skeleton, scan, transfer):
    from twinkit.rig.posing import pose_mesh
    from twinkit.rig.poses import load_pose
    from twinkit.rig.weights import limit_weights

    index, weight = limit_weights(transfer.weights, 4)
    assert index.shape == (len(scan[0]), 4) and np.allclose(weight.sum(axis=1), 1.0)
    pose = load_pose("seated")
    full = pose_mesh(scan[0], transfer.weights, skeleton, pose)
    dense = np.zeros_like(transfer.weights)
    np.put_along_axis(dense, index, weight, axis=1)
    four = pose_mesh(scan[0], dense, skeleton, pose)
    assert np.linalg.norm(full - four, axis=1).mean() < 0.003


def test_rest_pose_by_inverse_skinning(truth, skeleton, scan, transfer):
    from twinkit.capture.studio.body import anny_model
    from twinkit.rig.posing import rest_vertices
    from twinkit.rig.skinning import skin_points

    rest = rest_vertices(scan[0], transfer.weights, skeleton)
    to_bind = skeleton.bind @ np.linalg.inv(skeleton.rest)
    assert np.abs(skin_points(rest, transfer.weights, to_bind) - scan[0]).max() < 1e-9
    import torch

    with torch.no_grad():  # the true body in anny's rest pose, placed like the truth
        true_rest = anny_model()[0](None, phenotype_kwargs=TRUE_PHENOTYPE)["rest_vertices"][0].numpy() + truth.offset
    expected = trimesh.Trimesh(true_rest, truth.faces, process=False)
    distance = _surface_distance(rest[scan[2]], expected.vertices, expected.faces)
    print(f"rest pose: mean distance {distance.mean() * 100:.2f} cm")
    assert distance.mean() < 0.015, f"rest pose mean distance {distance.mean() * 100:.2f} cm"


def test_splats_follow_the_skin(truth, skeleton):
    import torch

    from twinkit.reconstruct.splats import Gaussians
    from twinkit.rig.poses import load_pose
    from twinkit.rig.splats import bind_splats, pose_splats

    surface = trimesh.Trimesh(truth.vertices, truth.faces, process=False)
    points, face = trimesh.sample.sample_surface_even(surface, 3000, seed=0)
    keep = surface.face_normals[face][:, 2] > -0.9  # the disc rotation below degenerates for normals near -z
    points, normals = points[keep], surface.face_normals[face][keep]
    # each splat's local z axis along the surface normal (a flat disc on the skin)
    z = torch.from_numpy(normals)
    quats = torch.cat([1 + z[:, 2:3], -z[:, 1:2], z[:, 0:1], torch.zeros(len(z), 1)], 1)  # rotates +z onto n
    n = len(points)
    splats = Gaussians(torch.from_numpy(points).float(), torch.full((n, 3), -5.0), quats.float(),
                       torch.zeros(n), torch.zeros(n, 1, 3))
    weights = bind_splats(points, skeleton.body(skeleton.bind_pose), skeleton.rig.faces, skeleton.rig.weights)
    pose = load_pose("arms_raised")
    posed = pose_splats(splats, weights, skeleton, pose)
    expected = _true_posed(truth, pose)
    target = trimesh.Trimesh(expected.vertices, expected.faces, process=False)
    means = posed.means.double().numpy()
    distance = _surface_distance(means, expected.vertices, expected.faces)
    print(f"splats: mean distance {distance.mean() * 100:.2f} cm")
    assert distance.mean() < 0.015
    from twinkit.reconstruct.splats.projection import quat_to_rotmat

    axis = quat_to_rotmat(posed.quats.double())[:, :, 2].numpy()
    _, _, tri = trimesh.proximity.closest_point(target, means)
    angle = np.degrees(np.arccos(np.clip(np.einsum("ij,ij->i", axis, target.face_normals[tri]), -1, 1)))
    moved = np.linalg.norm(means - points, axis=1) > 0.1  # the raised arms
    print(f"splats: {moved.sum()} moved > 10 cm, their normal angle median {np.median(angle[moved]):.1f} deg")
    assert moved.sum() > 200 and np.median(angle[moved]) < 10


def test_pose_library_has_the_named_poses():
    from twinkit.rig.poses import load_pose, pose_names

    names = pose_names()
    for wanted in ("a_pose", "t_pose", "relaxed_stand", "runway_stride", "hands_on_hips", "arms_crossed",
                   "seated", "three_quarter_turn", "arms_raised", "walking_contact"):
        assert wanted in names
    assert load_pose("a_pose") == {}
    assert np.allclose(np.rad2deg(load_pose("t_pose")["upperarm01.L"]), [0, -49, 0])


@pytest.mark.parametrize("content, problem", [
    ("{", "not valid JSON"),
    ('{"rotations_deg": {"left_tail": [0, 0, 0]}}', "unknown joint 'left_tail'"),
    ('{"rotations_deg": {"left_forearm": [0, 1]}}', "3 numbers"),
    ('{"pose": {}}', "not a pose file"),
])
def test_bad_pose_files_are_clear_input_errors(tmp_path, content, problem):
    from twinkit.rig.poses import load_pose

    path = tmp_path / "pose.json"
    path.write_text(content)
    with pytest.raises(InputError, match=problem) as caught:
        load_pose(path)
    assert caught.value.path == path
    with pytest.raises(InputError, match="no such pose"):
        load_pose("moonwalk")


def test_pose_file_accepts_readable_and_anny_names(tmp_path):
    from twinkit.rig.poses import load_pose

    path = tmp_path / "mine.json"
    path.write_text(json.dumps({"rotations_deg": {"left_forearm": [0, 0, 90], "head": [10, 0, 0]}}))
    pose = load_pose(path)
    assert set(pose) == {"lowerarm01.L", "head"} and np.isclose(pose["lowerarm01.L"][2], np.pi / 2)


@pytest.mark.slow
def test_rig_of_a_real_fit_poses_like_the_truth(virtual_session, virtual_capture):
    """Acceptance on the virtual studio: the body fitted from the capture, rigged, against anny's truth."""
    from twinkit.capture.layout import Capture
    from twinkit.capture.studio.body import pose_body
    from twinkit.core.atomic import read_json
    from twinkit.reconstruct.bodyfit import fit_body
    from twinkit.rig.posing import pose_mesh
    from twinkit.rig.poses import load_pose
    from twinkit.rig.skeleton import build_skeleton
    from twinkit.rig.weights import transfer_weights

    fit = fit_body(Capture.open(virtual_capture))
    skeleton = build_skeleton(fit.phenotype, fit.pose, fit.transform)
    gt = virtual_session / "gt"
    true_joints = read_json(gt / "joints.json")["joints"]
    error = np.linalg.norm(skeleton.joints - np.array([true_joints[n] for n in skeleton.names]), axis=1)
    assert error.mean() < 0.02, f"joints: mean error {error.mean() * 100:.2f} cm"
    phenotype = read_json(gt / "phenotype.json")
    # the truth's placement: its root joint does not move with the pose
    offset = np.array(true_joints["root"]) - pose_body(phenotype, {"root": np.zeros(3)}, np.zeros(3)).bone_heads[0]
    truth = trimesh.load(gt / "body.ply", process=False)
    transfer = transfer_weights(fit.vertices, fit.faces, skeleton.rig.weights, truth.vertices, truth.faces)
    for name in NOVEL_POSES:
        pose = load_pose(name)
        expected = pose_body(phenotype, _anny_pose(pose), offset=offset)
        posed = pose_mesh(truth.vertices, transfer.weights, skeleton, pose)
        distance = _surface_distance(posed, expected.vertices, expected.faces)
        print(f"{name}: {distance.mean() * 100:.2f} cm")
        assert distance.mean() < 0.015, f"{name}: mean distance {distance.mean() * 100:.2f} cm"

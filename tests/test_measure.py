"""ISO 8559-1 measurements (twinkit.render.measure) checked against anny's anthropometry, analytic shapes and
remeshing; the virtual bodies need no images (anny forward passes only)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import shapely
import trimesh

from twinkit.core.errors import InputError
from twinkit.render.measure import DEFINITIONS, Landmarks, body_landmarks, girth, measure_avatar, measure_mesh
from twinkit.render.measure.definitions import stature

UP = np.array([0.0, 0.0, 1.0])
PHENOTYPES = [  # varied adults: male/female, light/heavy, short/tall
    dict(gender=0.0, age=0.7, muscle=0.6, weight=0.7, height=0.45, proportions=0.5),
    dict(gender=1.0, age=0.65, muscle=0.4, weight=0.35, height=0.3, proportions=0.4),
    dict(gender=0.3, age=0.85, muscle=0.3, weight=0.6, height=0.25, proportions=0.65),
    dict(gender=0.8, age=0.75, muscle=0.5, weight=0.65, height=0.5, proportions=0.35),
]


@pytest.fixture(scope="module")
def bodies():
    from twinkit.capture.studio.body import pose_body, studio_pose

    out = []
    for seed, phenotype in enumerate(PHENOTYPES):
        body = pose_body(phenotype, studio_pose(seed))
        out.append((body, trimesh.Trimesh(body.vertices, body.faces, process=False), body_landmarks(body)))
    return out


def test_stature_and_waist_match_anny_anthropometry(bodies):
    from twinkit.capture.studio.body import anny_model

    waist_loop = anny_model()[2].waist_vertex_indices
    for body, mesh, lm in bodies:
        assert abs(stature(mesh, lm) - body.measurements["stature_m"]) < 0.004
        ours = measure_mesh(mesh, lm)["waist_girth"]
        # Like with like: anny's waist loop laid flat in the horizontal plane and taped (convex hull).
        flat = shapely.MultiPoint(body.vertices[waist_loop][:, :2]).convex_hull.exterior.length
        assert abs(ours - flat) < 0.009, (ours, flat)
        # anny's own figure walks its saddle-shaped loop in 3D: up to ~2 cm longer than a horizontal tape.
        assert -0.025 < ours - body.measurements["waist_circumference_m"] < 0.003


def test_measurements_are_plausible_and_ordered(bodies):
    for body, mesh, lm in bodies:
        m = measure_mesh(mesh, lm)
        assert set(m) == {d.name for d in DEFINITIONS}
        assert m["hip_girth"] > m["waist_girth"] and m["chest_girth"] > m["waist_girth"]
        assert m["thigh_girth"] > m["upper_arm_girth"] > 0.15 and 0.25 < m["neck_girth"] < 0.5
        assert 0.40 < m["inside_leg_length"] / m["stature"] < 0.52
        assert 0.28 < m["shoulder_width"] < 0.45 and 0.45 < m["arm_length"] < 0.65


def test_girths_stable_under_remeshing(bodies):
    body, mesh, lm = bodies[0]
    fine = mesh.subdivide()
    before, after = measure_mesh(mesh, lm), measure_mesh(fine, lm)
    for name in before:
        assert abs(before[name] - after[name]) < 0.002, name


def test_shoulder_points_follow_the_skin_not_the_joints(bodies):
    """A fitted body's shoulder joints can sit ~1.5 cm too high and its skin stand ~1 cm off the reconstructed
    one (bench bodies). The shoulder points are skin landmarks taken to the measured mesh's nearest point, so
    neither error moves shoulder width by more than 1.5 mm (a point straight above the joint moved up to
    ~1.5 cm per side)."""
    from twinkit.render.measure.definitions import shoulder_width

    for body, mesh, lm in bodies:
        truth = shoulder_width(mesh, lm)
        raised = dict(lm.points)
        for side in "LR":
            raised[f"upperarm01.{side}"] = lm[f"upperarm01.{side}"] + 0.015 * lm.up
        assert abs(shoulder_width(mesh, Landmarks(raised, lm.up)) - truth) < 0.0015
        standing_off = dict(lm.points)
        for side in "LR":
            vertex = int(np.argmin(np.linalg.norm(mesh.vertices - lm[f"acromion.{side}"], axis=1)))
            standing_off[f"acromion.{side}"] = lm[f"acromion.{side}"] + 0.01 * mesh.vertex_normals[vertex]
        assert abs(shoulder_width(mesh, Landmarks(standing_off, lm.up)) - truth) < 0.0015


def _elliptic_cylinder(a: float, b: float, height: float, centre=(0.0, 0.0)) -> trimesh.Trimesh:
    mesh = trimesh.creation.cylinder(radius=1.0, height=height, sections=512)
    mesh.apply_scale([a, b, 1.0])
    mesh.apply_translation([centre[0], centre[1], height / 2])
    return mesh


def test_girth_of_an_analytic_trunk_with_an_arm_beside_it():
    a, b = 0.16, 0.11  # a 1.0 m "trunk" with an elliptic section, and a 4 cm "arm" 1 cm from its side
    trunk = _elliptic_cylinder(a, b, 1.0)
    arm = _elliptic_cylinder(0.04, 0.04, 0.8, centre=(a + 0.05, 0.0))
    scene = trimesh.util.concatenate([trunk, arm])
    h = (a - b) ** 2 / (a + b) ** 2  # Ramanujan's ellipse perimeter
    ellipse = math.pi * (a + b) * (1 + 3 * h / (10 + math.sqrt(4 - 3 * h)))
    assert abs(girth(scene, np.array([0, 0, 0.5]), UP, np.array([0, 0, 0.5])) - ellipse) < 0.001
    arm_axis = np.array([a + 0.05, 0, 0.5])
    assert abs(girth(scene, arm_axis, UP, arm_axis) - 2 * math.pi * 0.04) < 0.001
    lm = Landmarks({"spine05": [0, 0, 0.2]}, UP)
    assert abs(stature(scene, lm) - 1.0) < 1e-9


def test_avatar_folder_measured_and_bad_input_named(tmp_path: Path, bodies):
    from twinkit.capture.studio.body import studio_pose

    body, mesh, lm = bodies[1]
    avatar = tmp_path / "avatar"
    avatar.mkdir()
    mesh.export(avatar / "body.ply")
    transform = np.eye(4)
    transform[:3, 3] = body.offset
    (avatar / "body.json").write_text(json.dumps({
        "phenotype": body.phenotype, "pose_parameterization": "local-ref",
        "pose": {k: v.tolist() for k, v in studio_pose(1).items()},
        "transform": transform.tolist()}))
    (avatar / "manifest.json").write_text(json.dumps({
        "schema_version": 1, "kind": "avatar", "inputs": {}, "parameters": {},
        "gltf_from_world": [[1, 0, 0, 0], [0, 0, 1, 0], [0, -1, 0, 0], [0, 0, 0, 1]]}))
    document = measure_avatar(avatar)
    expected = measure_mesh(mesh, lm)
    for name, entry in document["measurements"].items():
        assert abs(entry["value"] - expected[name]) < 1e-4, (name, entry["value"], expected[name])
        assert entry["iso_8559_1"]
    (avatar / "body.json").write_text("{}")
    with pytest.raises(InputError, match="not an anny body"):
        measure_avatar(avatar)
    with pytest.raises(InputError, match="mesh not found"):
        measure_avatar(avatar, "mesh.obj")


def _cylinder(radius: float, height: float) -> trimesh.Trimesh:
    mesh = trimesh.creation.cylinder(radius=radius, height=height, sections=128).subdivide_to_size(0.03)
    return mesh.apply_translation([0.0, 0.0, height / 2])


def test_girth_bridges_a_hole_in_the_surface():
    whole = _cylinder(0.15, 1.0)
    centres = whole.triangles_center  # cut a window ~2 cm wide, 10 cm tall through the side at the section level
    window = (np.abs(centres[:, 2] - 0.5) < 0.05) & (centres[:, 0] > 0.1) & (np.abs(centres[:, 1]) < 0.008)
    holed = trimesh.Trimesh(whole.vertices, whole.faces[~window], process=False)
    assert not holed.is_watertight
    axis = np.array([0.0, 0.0, 0.5])
    assert abs(girth(holed, axis, UP, axis) - 2 * math.pi * 0.15) < 0.001


def test_avatar_mesh_is_welded_across_texture_seams(tmp_path: Path):
    from twinkit.render.measure.avatar import avatar_mesh

    whole = _cylinder(0.15, 1.0)
    split = trimesh.Trimesh(whole.vertices[whole.faces].reshape(-1, 3), np.arange(3 * len(whole.faces)).reshape(-1, 3),
                            process=False)  # every triangle on its own vertices, as at UV seams
    split.export(tmp_path / "body.ply")
    mesh, name = avatar_mesh(tmp_path, "body.ply")
    assert name == "body.ply" and mesh.is_watertight
    axis = np.array([0.0, 0.0, 0.5])
    assert abs(girth(mesh, axis, UP, axis) - 2 * math.pi * 0.15) < 0.001


# Measured on the preview reconstruction of the default virtual session (seed 0), fresh-clone CI of the seventh
# session: every measurement within its tolerance (largest shares: thigh +3.8 and shoulder width -3.8 of 8 mm,
# inside leg +4.2 of 10 mm), the mesh +0.2 mm from the true skin (median). bench/bench_measure.py runs ten
# varied bodies.
@pytest.fixture(scope="module")
def avatar_errors(virtual_avatar: Path, virtual_session: Path) -> dict:
    from twinkit.render.measure.evaluate import measurement_errors

    return measurement_errors(virtual_avatar, virtual_session)


def test_avatar_measurements_within_iso_tolerance(avatar_errors):
    outside = {name: round(1000 * row["error"], 1) for name, row in avatar_errors.items()
               if name != "_surface" and abs(row["error"]) > row["tolerance"]}
    assert not outside, outside
    assert abs(avatar_errors["_surface"]["signed_offset_mm"]) < 2.0, avatar_errors["_surface"]


def test_girth_ignores_an_inner_pocket_of_the_surface():
    # A trunk-like cylinder holding a closed inner bubble (as hole closing can leave in a scan): the section
    # has two nested loops around the axis; the tape goes round the outer one.
    outer = trimesh.creation.cylinder(radius=0.15, height=1.0, sections=128)
    pocket = trimesh.creation.cylinder(radius=0.03, height=0.2, sections=64)
    pocket.invert()
    body = trimesh.util.concatenate([outer, pocket])
    axis = np.zeros(3)
    assert abs(girth(body, axis, UP, axis) - 2 * math.pi * 0.15) < 0.001


def test_girth_ignores_an_inner_pocket_that_pokes_through_the_skin():
    # Found on a bench avatar (waist measured 42 cm short): a self-intersecting inner surface whose section
    # loop pokes ~1 mm out of the trunk's, so it is not strictly inside; it is still a pocket, not the trunk.
    outer = trimesh.creation.cylinder(radius=0.15, height=1.0, sections=128)
    pocket = trimesh.creation.cylinder(radius=0.08, height=0.2, sections=64)
    pocket.apply_translation([0.071, 0.0, 0.0])  # reaches 0.151 m: 1 mm beyond the skin
    pocket.invert()
    body = trimesh.util.concatenate([outer, pocket])
    axis = np.zeros(3)
    assert abs(girth(body, axis, UP, axis) - 2 * math.pi * 0.15) < 0.002


def test_thighs_that_touch_in_the_scan_are_measured_on_the_fitted_body():
    """A scan of a plus-size body whose thighs touch has no gap below the crotch (no photo sees into it):
    its mid-sagittal outline puts the crotch low and one section takes in both thighs. The landmarks' anny
    body gives the crotch and the thigh girth there instead; without it the inside leg comes out short."""
    from twinkit.capture.studio.body import pose_body, studio_pose
    from twinkit.render.measure.definitions import crotch_point, inside_leg_length, thigh_girth, thighs_touch

    body = pose_body(dict(gender=0.2, age=0.75, muscle=0.3, weight=0.95, height=0.35, proportions=0.4),
                     studio_pose(3))
    lm = body_landmarks(body)
    truth = trimesh.Trimesh(body.vertices, body.faces, process=False)
    # The "scan": the body with the space between the thighs filled from the crotch down 12 cm, front to back.
    crotch = crotch_point(truth, lm)
    right, left = lm["upperleg01.R"], lm["upperleg01.L"]
    bridge = trimesh.creation.box(bounds=[[min(right[0], left[0]), crotch[1] - 0.06, crotch[2] - 0.12],
                                          [max(right[0], left[0]), crotch[1] + 0.06, crotch[2] + 0.01]])
    scan = trimesh.boolean.union([truth, bridge], engine="manifold")
    assert thighs_touch(scan, lm) and not thighs_touch(truth, lm)

    for measure in (inside_leg_length, thigh_girth):
        assert abs(measure(scan, lm) - measure(truth, lm)) < 0.008, measure.__name__
    without_body = Landmarks(lm.points, lm.up)
    assert inside_leg_length(truth, lm) - inside_leg_length(scan, without_body) > 0.015

"""Layered outfits: the stacking order, and no garment inside the body or inside a garment under it (by more
than 2 mm) on a captured person's fitted body, at rest and posed. "Inside" an open garment is inside its
capped shell (openings closed by fans, generalized winding number > 1/2), as deep as the distance to the cloth."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import trimesh

from twinkit.core.errors import InputError

pytest.importorskip("igl")

# The anny phenotype fitted to the demo's captured person (between the library's M and L reference bodies).
FITTED = {"gender": 0.31, "age": 0.56, "muscle": 0.32, "weight": 0.83, "height": 0.52, "proportions": 0.13}
OUTFIT = ("jacket", "tshirt", "trousers")  # named outermost first: the stacking order must not depend on it
TOLERANCE = 0.002  # metres


def _tube(radius: float, height: float, sections: int = 128, rings: int = 12) -> trimesh.Trimesh:
    """An open tube (no caps) around the z axis, centred at z = 0."""
    angle = np.linspace(0, 2 * np.pi, sections, endpoint=False)
    z = np.linspace(-height / 2, height / 2, rings)
    vertices = np.array([[radius * np.cos(a), radius * np.sin(a), h] for h in z for a in angle])
    s = np.arange(sections)
    quads = [(r * sections + s, r * sections + (s + 1) % sections) for r in range(rings - 1)]
    faces = np.vstack([np.column_stack([a, b, b + sections]) for a, b in quads] +
                      [np.column_stack([a, b + sections, a + sections]) for a, b in quads])
    return trimesh.Trimesh(vertices, faces, process=False)


def _body_depth(points: np.ndarray, vertices: np.ndarray, faces: np.ndarray) -> float:
    import igl

    sd = igl.signed_distance(points, vertices, np.asarray(faces, np.int64),
                             sign_type=igl.SIGNED_DISTANCE_TYPE_WINDING_NUMBER)[0]
    return float(max(0.0, -sd.min()))


def test_penetration_of_a_tube_is_the_depth_inside_it():
    from twinkit.render.garments.shells import penetration

    tube = _tube(0.15, 0.4)
    faces = np.asarray(tube.faces)
    angle = np.linspace(0, 2 * np.pi, 50, endpoint=False)
    ring = lambda r, z: np.column_stack([r * np.cos(angle), r * np.sin(angle), np.full(50, z)])  # noqa: E731
    np.testing.assert_allclose(penetration(ring(0.14, 0.0), tube.vertices, faces), 0.01, atol=5e-4)
    np.testing.assert_allclose(penetration(ring(0.1, 0.15), tube.vertices, faces), 0.05, atol=5e-4)
    assert not penetration(ring(0.16, 0.0), tube.vertices, faces).any()  # outside the cloth
    assert not penetration(ring(0.1, 0.25), tube.vertices, faces).any()  # beyond the opening


def test_stacking_order_by_layer_then_part():
    from twinkit.render.garments import load_garment
    from twinkit.render.garments.stacking import stacking_order

    tshirt, trousers, dress, jacket = (load_garment(n, "M") for n in ("tshirt", "trousers", "dress", "jacket"))
    names = lambda gs: [g.name for g in stacking_order(gs)]  # noqa: E731
    assert names([jacket, tshirt, trousers]) == ["trousers", "tshirt", "jacket"]
    assert names([tshirt, replace(trousers, name="skirt"), trousers]) == ["skirt", "trousers", "tshirt"]
    assert names([trousers, replace(tshirt, tucked=True)]) == ["tshirt", "trousers"]
    assert names([dress, tshirt, jacket]) == ["tshirt", "dress", "jacket"]


def test_stacking_fields_in_garment_sidecars(tmp_path):
    from twinkit.render.garments import load_garment

    g = load_garment("trousers", "M")
    trimesh.Trimesh(g.vertices, g.faces, process=False).export(tmp_path / "pants.obj")
    meta = {"openings": 3, "reference": g.reference}
    (tmp_path / "pants.json").write_text(json.dumps(meta))
    assert load_garment(tmp_path / "pants.obj").part == "bottom"  # read off its regions: legs, no chest
    for bad, message in (({"part": "hat"}, "'part' must be one of"), ({"tucked": "yes"}, "'tucked' must be")):
        (tmp_path / "pants.json").write_text(json.dumps(meta | bad))
        with pytest.raises(InputError, match=message) as info:
            load_garment(tmp_path / "pants.obj")
        assert info.value.path == tmp_path / "pants.json"


@pytest.fixture(scope="module")
def avatar(tmp_path_factory) -> Path:
    """An avatar folder holding the fitted body, turned and moved into a capture world."""
    from scipy.spatial.transform import Rotation

    folder = tmp_path_factory.mktemp("fitted")
    transform = np.eye(4)
    transform[:3, :3] = Rotation.from_rotvec([0.0, 0.0, 2.5]).as_matrix()
    transform[:3, 3] = [0.3, 0.4, 0.0]
    (folder / "body.json").write_text(json.dumps({"phenotype": FITTED, "pose": {}, "transform": transform.tolist()}))
    return folder


@pytest.fixture(scope="module", params=["rest", "hands_on_hips"])
def outfit(request, avatar):
    from twinkit.render.garments import dress, load_garment
    from twinkit.rig.poses import load_pose

    pose = None if request.param == "rest" else load_pose(request.param)
    return request.param, dress(avatar, [load_garment(n, "M") for n in OUTFIT], pose)


def test_no_garment_inside_the_body_or_a_garment_under_it(outfit):
    from twinkit.render.garments.shells import penetration

    pose, dressed = outfit
    assert [g.name for g in dressed.garments] == ["trousers", "tshirt", "jacket"]
    worst = {}
    for i, (garment, vertices) in enumerate(zip(dressed.garments, dressed.vertices)):
        worst[f"{garment.name} in body"] = _body_depth(vertices, dressed.body_vertices, dressed.body_faces)
        for under, under_vertices in zip(dressed.garments[:i], dressed.vertices[:i]):
            worst[f"{garment.name} in {under.name}"] = penetration(vertices, under_vertices, under.faces).max()
    report = ", ".join(f"{k} {1000 * v:.1f} mm" for k, v in worst.items())
    assert max(worst.values()) <= TOLERANCE, f"{pose}: {report}"


def test_trousers_over_a_tucked_tshirt(avatar):
    """A tucked t-shirt lies under the trousers, which are pushed over it; the control: the trousers dressed
    alone lie more than 2 mm inside it."""
    from twinkit.render.garments import dress, load_garment
    from twinkit.render.garments.shells import penetration

    trousers = load_garment("trousers", "M")
    layered = dress(avatar, [trousers, replace(load_garment("tshirt", "M"), tucked=True)])
    assert [g.name for g in layered.garments] == ["tshirt", "trousers"]
    shirt, faces = layered.vertices[0], layered.garments[0].faces
    control = penetration(dress(avatar, [trousers]).vertices[0], shirt, faces)
    assert (control > TOLERANCE).sum() >= 20, f"control: {1000 * control.max():.1f} mm"
    depth = penetration(layered.vertices[1], shirt, faces).max()
    assert depth <= TOLERANCE, f"trousers {1000 * depth:.1f} mm inside the tucked t-shirt"
    assert _body_depth(layered.vertices[1], layered.body_vertices, layered.body_faces) <= TOLERANCE


def test_skin_under_the_clothes_is_hidden_so_none_pokes_through(avatar, outfit):
    """A captured mesh 15 mm outside the fitted body (a person scanned in their own clothes) pokes through the
    outfit on the trunk; the faces the outfit covers are hidden: no drawn trunk vertex lies outside the cloth
    away from an opening (5 cm), while the head, feet and (at rest) hands stay drawn."""
    from scipy.spatial import cKDTree

    from twinkit.render.garments.covering import OPENING_MARGIN, SkinMap, covered_vertices
    from twinkit.render.garments.garment import boundary_loops
    from twinkit.render.garments.reference import reference_body
    from twinkit.render.garments.regions import bone_group
    from twinkit.render.garments.shells import enclosed

    from twinkit.rig.skeleton import skeleton_from_body_json

    pose, dressed = outfit
    body, faces = dressed.body_vertices, np.asarray(dressed.body_faces)
    inflate = lambda v: v + 0.015 * trimesh.Trimesh(v, faces, process=False).vertex_normals  # noqa: E731
    scan = inflate(body)
    captured = skeleton_from_body_json(avatar / "body.json").body({})  # the pose the scan was made in
    worn = [(v, g.faces) for g, v in zip(dressed.garments, dressed.vertices)]
    skin_map = SkinMap.between(inflate(captured), captured, faces)
    hidden = skin_map.hidden_faces(faces, faces, covered_vertices(body, worn))
    outside = ~np.any([enclosed(scan, v, f) for v, f in worn], axis=0)
    rims = np.vstack([v[np.concatenate(boundary_loops(f))] for v, f in worn])
    inner = cKDTree(rims).query(scan)[0] > OPENING_MARGIN + 0.02  # and a ring of faces
    anny = reference_body(FITTED)
    bone = anny.weights.argmax(axis=1)
    trunk = bone_group(anny, ("spine", "pelvis", "root", "breast"))[bone]
    head_feet = bone_group(anny, ("head", "jaw", "eye", "tongue", "foot", "toe"))[bone]
    hands = bone_group(anny, ("wrist", "finger", "thumb", "metacarpal"))[bone]
    poking = trunk & outside & inner
    drawn = np.zeros(len(body), dtype=bool)
    drawn[faces[~hidden].ravel()] = True
    assert poking.sum() >= 100, f"{pose}: the control pokes through at only {poking.sum()} vertices"
    assert not (poking & drawn).any(), f"{pose}: {(poking & drawn).sum()} drawn vertices poke through"
    assert not hidden[head_feet[faces].any(axis=1)].any()
    if pose == "rest":  # hands on the hips are under the jacket (the body, hands too, is what cloth drapes over)
        assert not hidden[hands[faces].any(axis=1)].any()

"""Garments: the library's surfaces, dressing by correspondence + cloth relaxation, layering and users' garment
files, measured against the reference bodies (distances in mm, edge strain in %)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import trimesh

from twinkit.core.errors import InputError

pytest.importorskip("igl")

GARMENTS = ("dress", "jacket", "trousers", "tshirt")
EXPECTED_REGIONS = {"tshirt": {"chest", "waist", "hip", "sleeve", "hem"},
                    "trousers": {"waist", "hip", "thigh", "leg", "hem"},
                    "dress": {"chest", "waist", "hip", "sleeve", "skirt", "hem"},
                    "jacket": {"chest", "waist", "hip", "sleeve", "hem"}}


def _avatar(folder: Path, phenotype: dict[str, float]) -> tuple[Path, np.ndarray]:
    """An avatar folder holding only a body fit: ``phenotype`` in the rest pose, turned and moved into a
    capture world (the part of an avatar that dressing reads)."""
    from scipy.spatial.transform import Rotation

    folder.mkdir(parents=True, exist_ok=True)
    transform = np.eye(4)
    transform[:3, :3] = Rotation.from_rotvec([0.1, 0.2, 0.3]).as_matrix()
    transform[:3, 3] = [0.5, -0.2, 1.0]
    (folder / "body.json").write_text(json.dumps({"phenotype": phenotype, "pose": {}, "transform": transform.tolist()}))
    return folder, transform


def _world(points: np.ndarray, transform: np.ndarray) -> np.ndarray:
    return points @ transform[:3, :3].T + transform[:3, 3]


def _signed_distance(points: np.ndarray, vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    import igl

    return igl.signed_distance(points, vertices, np.asarray(faces, dtype=np.int64),
                               sign_type=igl.SIGNED_DISTANCE_TYPE_WINDING_NUMBER)[0]


def _strain(vertices: np.ndarray, garment) -> np.ndarray:
    d = np.linalg.norm(vertices[garment.edges[:, 1]] - vertices[garment.edges[:, 0]], axis=1)
    return d / garment.rest_lengths - 1


@pytest.fixture(scope="module")
def references():
    from twinkit.render.garments.author import REFERENCES

    return REFERENCES


@pytest.fixture(scope="module")
def avatar_m(tmp_path_factory, references):
    return _avatar(tmp_path_factory.mktemp("avatar_m"), references["M"])


@pytest.fixture(scope="module")
def avatar_l(tmp_path_factory, references):
    return _avatar(tmp_path_factory.mktemp("avatar_l"), references["L"])


@pytest.fixture(scope="module")
def layered_on_l(avatar_l):
    """The M jacket over the L t-shirt on the L reference body."""
    from twinkit.render.garments import dress, load_garment

    return dress(avatar_l[0], [load_garment("jacket", "M"), load_garment("tshirt", "L")])


def test_library_open_manifold_surfaces_with_declared_openings():
    from twinkit.render.garments import garment_names, garment_sizes, load_garment
    from twinkit.render.garments.garment import boundary_loops, edge_face_counts, edge_lengths
    from twinkit.render.garments.library import library_folder

    assert tuple(garment_names()) == GARMENTS
    for name in GARMENTS:
        assert garment_sizes(name) == ["S", "M", "L"]
        for size in ("S", "M", "L"):
            g = load_garment(name, size)
            _, counts = edge_face_counts(g.faces)
            assert counts.max() == 2, f"{name} {size}: non-manifold edges"
            assert len(boundary_loops(g.faces)) == len(g.openings) >= 3, f"{name} {size}: openings"
            assert 1400 <= len(g.vertices) <= 6000
            assert EXPECTED_REGIONS[name] <= set(g.regions), f"{name} {size}: {set(g.regions)}"
            assert all(mask.sum() >= 50 for mask in g.regions.values())
            np.testing.assert_allclose(g.rest_lengths, edge_lengths(g.vertices, g.edges))
            assert g.layer == (1 if name == "jacket" else 0)
    total = sum(p.stat().st_size for p in library_folder().iterdir())
    assert total < 5e6


def test_library_garments_clear_of_reference_body_with_chest_ease():
    """Authored garments lie outside their reference body (by > 1 mm), and the t-shirt's chest ease is 6-8 cm."""
    from twinkit.render.garments import load_garment, reference_body
    from twinkit.render.garments.author import body_girths, garment_girth
    from twinkit.render.garments.regions import levels

    for name in GARMENTS:
        g = load_garment(name, "M")
        body = reference_body(g.reference)
        assert _signed_distance(g.vertices, body.vertices, body.faces).min() > 0.001
    g = load_garment("tshirt", "M")
    body = reference_body(g.reference)
    body_mesh = type(g).from_mesh("body", "M", body.vertices, body.faces, 0, {}, body.phenotype)
    chest = levels(body)["chest"]
    assert 6.0 <= garment_girth(g, chest) - garment_girth(body_mesh, chest) <= 8.0
    girths = body_girths(body)
    assert 94 <= girths["chest"] <= 102 and 78 <= girths["waist"] <= 86  # the M row of the size chart


def test_authoring_is_byte_identical(tmp_path):
    from twinkit.render.garments.author import author_garment
    from twinkit.render.garments.files import sidecar_path, write_garment
    from twinkit.render.garments.library import library_folder

    path = write_garment(tmp_path / "trousers_S.ply", author_garment("trousers", "S"))
    stored = library_folder() / "trousers_S.ply"
    assert path.read_bytes() == stored.read_bytes()
    assert sidecar_path(path).read_bytes() == sidecar_path(stored).read_bytes()


@pytest.mark.parametrize("name", ["tshirt", "trousers"])
def test_dressing_the_reference_body_reproduces_the_garment(avatar_m, name):
    from twinkit.render.garments import dress, load_garment

    folder, transform = avatar_m
    g = load_garment(name, "M")
    dressed = dress(folder, [g])
    error = np.linalg.norm(dressed.vertices[0] - _world(g.vertices, transform), axis=1)
    assert error.mean() < 0.003, f"{name}: mean {1000 * error.mean():.1f} mm from the authored garment"
    assert np.abs(_strain(dressed.vertices[0], g)).mean() < 0.005


def test_dressing_a_larger_body_stretches_a_small_garment_without_penetration(avatar_l, layered_on_l):
    """The M t-shirt alone and the L t-shirt (under a jacket, relaxed first) on the L reference body."""
    from twinkit.render.garments import dress, load_garment

    small = load_garment("tshirt", "M")
    results = {"M": (small, dress(avatar_l[0], [small]).vertices[0]),
               "L": (layered_on_l.garments[0], layered_on_l.vertices[0])}
    strains = {}
    for size, (garment, vertices) in results.items():
        assert (garment.name, garment.size) == ("tshirt", size)
        sd = _signed_distance(vertices, layered_on_l.body_vertices, layered_on_l.body_faces)
        assert sd.min() > -0.002, f"{size} t-shirt {1000 * -sd.min():.1f} mm inside the body"
        strains[size] = _strain(vertices, garment)
    assert np.abs(strains["L"]).mean() < 0.02  # the right size sits near its rest lengths
    assert strains["M"].mean() > strains["L"].mean() + 0.01  # the too-small one is stretched (by > 1 %)


def test_jacket_stays_over_the_tshirt(layered_on_l):
    """Along the body's normal at each jacket vertex, the jacket lies outside the t-shirt there (within 2 mm)."""
    dressed = layered_on_l
    assert [g.name for g in dressed.garments] == ["tshirt", "jacket"]
    tshirt, jacket = dressed.vertices
    body = trimesh.Trimesh(dressed.body_vertices, dressed.body_faces, process=False)
    closest, _, face = trimesh.proximity.closest_point(body, jacket)
    normals = body.face_normals[face]
    shirt = trimesh.Trimesh(tshirt, dressed.garments[0].faces, process=False)
    hits, ray, _ = shirt.ray.intersects_location(closest + 1e-4 * normals, normals, multiple_hits=False)
    jacket_height = np.einsum("ij,ij->i", jacket[ray] - closest[ray], normals[ray])
    shirt_height = np.einsum("ij,ij->i", hits - closest[ray], normals[ray])
    local = shirt_height < 0.04  # the t-shirt over this body point, not a sleeve further along the ray
    gap = (jacket_height - shirt_height)[local]
    assert local.sum() > 0.5 * len(jacket)  # most of the jacket covers the t-shirt
    assert gap.min() > -0.002, f"jacket {1000 * -gap.min():.1f} mm inside the t-shirt"
    sd = _signed_distance(jacket, dressed.body_vertices, dressed.body_faces)
    assert sd.min() > -0.002


def test_dressing_a_pose_keeps_the_garment_outside_the_body(avatar_m):
    from twinkit.render.garments import dress, load_garment, transfer
    from twinkit.rig.poses import load_pose

    g = load_garment("tshirt", "M")
    dressed = dress(avatar_m[0], [g], pose=load_pose("arms_raised"))
    sd = _signed_distance(dressed.vertices[0], dressed.body_vertices, dressed.body_faces)
    assert sd.min() > -0.002, f"{1000 * -sd.min():.1f} mm inside the posed body"
    moved = transfer(g, dressed.body_vertices, dressed.body_faces)  # before relaxation: the skin's stretch
    relaxed, transferred = np.abs(_strain(dressed.vertices[0], g)).mean(), np.abs(_strain(moved, g)).mean()
    assert relaxed < 0.8 * transferred, f"relaxation left {100 * relaxed:.1f}% of {100 * transferred:.1f}% strain"


@pytest.fixture(scope="module")
def user_tshirt(tmp_path_factory):
    """The library's M t-shirt exported as a user's OBJ with a sidecar naming its reference phenotype."""
    from twinkit.render.garments import load_garment

    g = load_garment("tshirt", "M")
    folder = tmp_path_factory.mktemp("user")
    trimesh.Trimesh(g.vertices, g.faces, process=False).export(folder / "shirt.obj")
    (folder / "shirt.json").write_text(json.dumps({"name": "shirt", "size": "42", "layer": 0, "openings": 4,
                                                   "reference": g.reference}))
    return folder / "shirt.obj", g


def test_user_garment_loads_with_regions(user_tshirt):
    from twinkit.render.garments import load_garment

    path, library = user_tshirt
    g = load_garment(path)
    assert (g.name, g.size, len(g.vertices)) == ("shirt", "42", len(library.vertices))
    np.testing.assert_allclose(np.sort(g.rest_lengths), np.sort(library.rest_lengths), atol=1e-6)
    assert {"chest", "waist", "sleeve", "hem"} <= set(g.regions)


def _write_user(folder: Path, mesh: trimesh.Trimesh, meta: dict, name: str = "bad") -> Path:
    path = folder / f"{name}.obj"
    mesh.export(path)
    (folder / f"{name}.json").write_text(json.dumps(meta))
    return path


def test_bad_user_garments_raise_input_errors_naming_the_file(user_tshirt, tmp_path):
    from twinkit.render.garments import load_garment

    path, g = user_tshirt
    meta = {"layer": 0, "openings": 4, "reference": g.reference}
    mesh = trimesh.Trimesh(g.vertices, g.faces, process=False)
    fin = trimesh.Trimesh(np.vstack([g.vertices, g.vertices[g.faces[0, :2]].mean(0) + [0, 0, 0.01]]),
                          np.vstack([g.faces, [[g.faces[0, 0], g.faces[0, 1], len(g.vertices)]]]), process=False)
    far = trimesh.Trimesh(g.vertices + [0.0, 0.0, 1.0], g.faces, process=False)
    holed = trimesh.Trimesh(g.vertices, np.delete(g.faces, [len(g.faces) // 2], axis=0), process=False)
    cases = {
        "non-manifold": (fin, meta),
        "far from its reference body": (far, meta),
        "boundary loop": (holed, meta),
        "no reference body": (mesh, {"layer": 0, "openings": 4}),
    }
    for i, (message, (bad, sidecar)) in enumerate(cases.items()):
        bad_path = _write_user(tmp_path, bad, sidecar, f"bad{i}")
        with pytest.raises(InputError, match=message) as info:
            load_garment(bad_path)
        assert info.value.path in (bad_path, bad_path.with_suffix(".json"))
    not_mesh = tmp_path / "notes.obj"
    not_mesh.write_text("hello\n")
    (tmp_path / "notes.json").write_text(json.dumps(meta))
    with pytest.raises(InputError, match="not a mesh") as info:
        load_garment(not_mesh)
    assert info.value.path == not_mesh
    lone = tmp_path / "lone.obj"
    mesh.export(lone)
    with pytest.raises(InputError, match="no reference body") as info:
        load_garment(lone)
    assert info.value.path == lone


@pytest.mark.slow
def test_user_garment_with_a_reference_body_mesh(user_tshirt, tmp_path):
    """A reference given as a body mesh (moved 11 cm) is fitted: anny's fitted body lies within 6 mm of it
    on average and the garment keeps its distance to the body (within 6 mm on average)."""
    from twinkit.render.garments import load_garment, reference_body

    _, g = user_tshirt
    shift = np.array([0.1, 0.0, 0.05])
    body = reference_body(g.reference)
    trimesh.Trimesh(body.vertices + shift, body.faces, process=False).export(tmp_path / "body.obj")
    trimesh.Trimesh(g.vertices + shift, g.faces, process=False).export(tmp_path / "mine.obj")
    (tmp_path / "mine.json").write_text(json.dumps({"openings": 4, "reference_mesh": "body.obj"}))
    loaded = load_garment(tmp_path / "mine.obj")
    fitted = reference_body(loaded.reference)
    assert np.abs(_signed_distance(body.vertices[::7], fitted.vertices, fitted.faces)).mean() < 0.006
    assert np.abs(_signed_distance(loaded.vertices, fitted.vertices, fitted.faces) -
                  _signed_distance(g.vertices, body.vertices, body.faces)).mean() < 0.006

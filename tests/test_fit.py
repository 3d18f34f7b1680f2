"""Garment fit (twinkit.render.fit): metrics on analytic shapes, the size ranking on anny bodies with a
stand-in dressing (a garment cut from its reference body, offset by its ease and pushed clear of the
avatar), and ``twin fit`` end to end with the garment library, opened in headless Chromium."""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from pathlib import Path

import igl
import numpy as np
import pytest
import trimesh
from click.testing import CliRunner
from PIL import Image

from twinkit.render.fit import (Plane, RegionFit, SizeFit, enclosing_girth, fit_maps, measurement_planes,
                                pose_landmarks, rank_sizes, region_fits, score_size)

UP = np.array([0.0, 0.0, 1.0])


def _tube(radius: float, height: float, sections: int = 256, rings: int = 20) -> trimesh.Trimesh:
    """An open cylindrical tube (no caps) around the z axis, centred at z=0."""
    angle = np.linspace(0, 2 * np.pi, sections, endpoint=False)
    z = np.linspace(-height / 2, height / 2, rings)
    vertices = np.array([[radius * np.cos(a), radius * np.sin(a), h] for h in z for a in angle])
    faces = []
    for r in range(rings - 1):
        for s in range(sections):
            a, b = r * sections + s, r * sections + (s + 1) % sections
            faces += [[a, b, b + sections], [a, b + sections, a + sections]]
    return trimesh.Trimesh(vertices, np.array(faces), process=False)


def test_ease_of_a_cylinder_garment_is_the_radius_difference():
    body = trimesh.creation.cylinder(radius=0.15, height=1.0, sections=256)
    garment = _tube(0.17, 0.4)
    maps = fit_maps(garment.vertices, garment.edges_unique, garment.edges_unique_length, body.vertices, body.faces)
    assert np.abs(maps.ease_mm - 20.0).max() < 1.0
    assert not maps.contact.any() and maps.penetration_mm == 0.0
    inner = _tube(0.1495, 0.4)  # 0.5 mm inside the body: negative ease, in contact
    maps = fit_maps(inner.vertices, inner.edges_unique, inner.edges_unique_length, body.vertices, body.faces)
    assert np.abs(maps.ease_mm + 0.5).max() < 0.2 and maps.contact.all() and 0.3 < maps.penetration_mm < 0.7
    plane = Plane(np.zeros(3), UP, np.zeros(3))
    girth_ease = 100 * (enclosing_girth(garment, plane) - enclosing_girth(body, plane))
    assert abs(girth_ease - 2 * np.pi * 2.0) < 0.05  # 2 pi x 2 cm
    assert np.isnan(enclosing_girth(garment, Plane(np.array([0, 0, 0.3]), UP, np.array([0, 0, 0.3]))))


def test_strain_of_a_uniformly_scaled_garment_is_the_scale_minus_one():
    rest = _tube(0.17, 0.4)
    body = trimesh.creation.cylinder(radius=0.10, height=1.0, sections=64)
    for scale in (0.97, 1.0, 1.06):
        maps = fit_maps(rest.vertices * scale, rest.edges_unique, rest.edges_unique_length, body.vertices,
                        body.faces)
        assert np.allclose(maps.edge_strain, scale - 1, atol=1e-9)
        assert np.allclose(maps.strain, scale - 1, atol=1e-9)


# --- size ranking on anny bodies, with a stand-in dressing ------------------------------------------------

SIZES = {  # reference bodies of a unisex S/M/L (anny phenotypes): girths grow by ~8 cm per size
    "S": {"gender": 0.5, "age": 0.7, "muscle": 0.35, "weight": 0.15, "height": 0.4, "proportions": 0.5},
    "M": {"gender": 0.4, "age": 0.75, "muscle": 0.5, "weight": 0.55, "height": 0.4, "proportions": 0.5},
    "L": {"gender": 0.3, "age": 0.8, "muscle": 0.65, "weight": 0.95, "height": 0.4, "proportions": 0.5},
}
AVATAR = {"gender": 0.42, "age": 0.74, "muscle": 0.48, "weight": 0.5, "height": 0.42, "proportions": 0.5}
EASE_M = 0.011  # the stand-in t-shirt's radial ease over its reference body (~7 cm of girth)


def _anny(phenotype):
    from twinkit.rig.skeleton import build_skeleton

    skeleton = build_skeleton(phenotype, {}, np.eye(4))
    return skeleton, trimesh.Trimesh(skeleton.body({}), skeleton.rig.faces, process=False)


def _standin_tshirt(size: str):
    """A tube t-shirt body cut from the size's reference anny body (trunk, hip to chest) and offset by the
    ease: its vertices, faces, unique edges with rest lengths and chest/waist/hip regions."""
    skeleton, body = _anny(SIZES[size])
    lm = pose_landmarks(skeleton, {}, UP)
    z = body.vertices[:, 2]
    low, high = lm.height("upperleg01.L") - 0.08, lm.height("upperarm01.L") - 0.05
    trunk = (z > low) & (z < high) & (np.abs(body.vertices[:, 0]) < 0.2)
    garment = body.submesh([np.flatnonzero(trunk[body.faces].all(axis=1))], append=True)
    garment = max(garment.split(only_watertight=False), key=lambda m: len(m.faces))
    rest = garment.vertices + EASE_M * garment.vertex_normals
    mesh = trimesh.Trimesh(rest, garment.faces, process=False)
    levels = {"chest": high - 0.08, "waist": lm.height("waist"), "hip": lm.height("upperleg01.L")}
    regions = {name: np.abs(rest[:, 2] - h) < 0.04 for name, h in levels.items()}
    return mesh, regions


def _standin_dress(rest: np.ndarray, body: trimesh.Trimesh, clearance: float = 0.001) -> np.ndarray:
    """A garment at its rest shape, with every vertex closer than ``clearance`` to the body pushed out to
    it along the surface normal (how a too-small garment is stretched by the body)."""
    distance, face, closest, _ = igl.signed_distance(rest, body.vertices, body.faces.astype(np.int64))
    out = rest.copy()
    near = distance < clearance
    out[near] = closest[near] + clearance * body.face_normals[face[near]]
    return out


@pytest.fixture(scope="module")
def standin_fits():
    skeleton, body = _anny(AVATAR)
    planes = measurement_planes(body, pose_landmarks(skeleton, {}, UP))
    fits = {}
    for size in SIZES:
        rest, regions = _standin_tshirt(size)
        dressed = _standin_dress(rest.vertices, body)
        maps = fit_maps(dressed, rest.edges_unique, rest.edges_unique_length, body.vertices, body.faces)
        mesh = trimesh.Trimesh(dressed, rest.faces, process=False)
        fits[size] = SizeFit("tshirt", size, maps, region_fits(regions, maps, mesh, body, planes))
    return body, fits


def test_one_size_too_small_is_tighter_in_every_region(standin_fits):
    _, fits = standin_fits
    small, right = {r.name: r for r in fits["S"].regions}, {r.name: r for r in fits["M"].regions}
    assert set(small) == set(right) == {"chest", "waist", "hip"}
    for name in right:  # (pushing out along normals barely stretches the chest: strain is checked below)
        assert small[name].mean_ease_mm < right[name].mean_ease_mm - 3.0, name
        assert small[name].girth_ease_cm < right[name].girth_ease_cm - 4.0, name
    for name in ("waist", "hip"):
        assert small[name].mean_strain_pct > right[name].mean_strain_pct + 0.3, name
        assert small[name].max_strain_pct > 5.0 and right[name].max_strain_pct < 0.5, name


def test_ranking_picks_the_size_whose_reference_body_is_closest(standin_fits):
    from twinkit.render.measure import body_landmarks, measure_mesh
    from twinkit.capture.studio.body import pose_body

    def girths(phenotype):
        b = pose_body(phenotype, {"root": np.zeros(3)})
        m = measure_mesh(trimesh.Trimesh(b.vertices, b.faces, process=False), body_landmarks(b))
        return np.array([m["chest_girth"], m["waist_girth"], m["hip_girth"]])

    avatar = girths(AVATAR)
    closest = min(SIZES, key=lambda s: np.linalg.norm(girths(SIZES[s]) - avatar))
    body, fits = standin_fits
    ranking = rank_sizes(list(fits.values()))
    assert ranking[0].size == closest == "M"
    assert [r.rank for r in ranking] == [1, 2, 3]
    small = next(r for r in ranking if r.size == "S")
    assert any("below" in reason and "too tight" in reason for reason in small.reasons), small.reasons
    tight = SizeFit("tshirt", "S", fits["S"].maps, [RegionFit("waist", 10, 1.0, 0.0, 6.3, 9.0, 0.9, 5.0)])
    assert score_size(tight).reasons == ["waist ease 5.0 cm, within 4–18 cm", "waist strain 6.3% — tight"]
    for fit in fits.values():  # the stand-in dressing keeps the garment clear of the skin
        assert fit.maps.penetration_mm <= 2.0


# --- the garment library: dressing, acceptance and ``twin fit`` ------------------------------------------

def _library_or_skip():
    garments = pytest.importorskip("twinkit.render.garments")
    if "tshirt" not in garments.garment_names():
        pytest.skip("the garment library (data/garments) is not authored yet")
    return garments


@pytest.fixture(scope="module")
def small_avatar(tmp_path_factory) -> Path:
    """A minimal avatar folder (manifest, body.json, body.ply) of the AVATAR body, turned and moved in the world."""
    from twinkit.rig.avatar import gltf_from_world
    from twinkit.core.manifest import Manifest

    folder = tmp_path_factory.mktemp("fit") / "avatar"
    folder.mkdir()
    transform = np.eye(4)
    transform[:3, :3] = trimesh.transformations.rotation_matrix(0.4, UP)[:3, :3]
    transform[:3, 3] = [0.3, -0.2, 0.9]
    from twinkit.rig.skeleton import build_skeleton

    skeleton = build_skeleton(AVATAR, {}, transform)
    vertices = skeleton.body({})
    trimesh.Trimesh(vertices, skeleton.rig.faces, process=False).export(folder / "body.ply")
    (folder / "body.json").write_text(json.dumps({"phenotype": AVATAR, "pose": {"root": [0.0, 0.0, 0.0]}, "transform": transform.tolist(),
                                                  "pose_parameterization": "local-ref"}))
    Manifest(kind="avatar", extra={"twin_id": str(uuid.uuid4()),
                                   "gltf_from_world": gltf_from_world(skeleton, vertices).tolist()}).write(folder)
    return folder


@pytest.fixture(scope="module")
def library_report(small_avatar, tmp_path_factory):
    _library_or_skip()
    from licensing import license_twin
    from twinkit.cli.main import twin

    args = license_twin(small_avatar, tmp_path_factory.mktemp("db") / "registry.db")
    out = small_avatar.parent / "report"
    result = CliRunner().invoke(twin, ["-q", "fit", str(small_avatar), "--garment", "tshirt", "--sizes", "S,M,L",
                                       "-o", str(out), *args])
    assert result.exit_code == 0, result.output
    return out, args


@pytest.mark.slow
def test_library_tshirt_one_size_too_small_is_tighter_everywhere(library_report):
    out, _ = library_report
    doc = json.loads((out / "fit.json").read_text())
    sizes = {s["size"]: s for s in doc["garments"][0]["sizes"]}
    small = {r["name"]: r for r in sizes["S"]["regions"]}
    right = {r["name"]: r for r in sizes["M"]["regions"]}
    assert {"chest", "waist"} <= set(right)
    for name in right:
        assert small[name]["mean_strain_pct"] > right[name]["mean_strain_pct"], name
        assert small[name]["mean_ease_mm"] < right[name]["mean_ease_mm"], name
    for entry in sizes.values():  # relaxed garments stay out of the body
        assert entry["penetration_mm"] <= 2.0
    assert doc["garments"][0]["ranking"][0]["size"] == "M"  # AVATAR is closest to the M reference body


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


@pytest.mark.slow
def test_report_is_self_contained_and_opens_in_chromium(library_report, tmp_path):
    out, _ = library_report
    html = (out / "report.html").read_text()
    assert "<style>" in html and 'src="data:image/png;base64,' in html and "http" not in html.split("<body>")[1]
    assert len(list((out / "heatmaps").glob("*.png"))) == 6  # 3 sizes x ease, strain
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kind"] == "fit-report" and not (out.parent / "report.partial").exists()
    browser = _chromium()
    if browser is None:
        pytest.skip("no chromium binary")
    shot = tmp_path / "shot.png"
    run = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", f"--user-data-dir={tmp_path / 'profile'}"]
    subprocess.run([*run, f"--screenshot={shot}", "--window-size=1200,1600", (out / "report.html").as_uri()],
                   check=True, timeout=120, capture_output=True)
    pixels = np.asarray(Image.open(shot).convert("RGB"), dtype=np.float64)
    assert pixels.std() > 20  # not a blank page
    dom = subprocess.run([*run, "--dump-dom", (out / "report.html").as_uri()], check=True, timeout=120,
                         capture_output=True, text=True).stdout
    assert dom.count('class="regions"') == 3 and dom.count('class="heatmap"') == 6 and 'id="measurements"' in dom


def test_fit_refuses_without_licence_and_bad_input(small_avatar, tmp_path):
    from licensing import license_twin
    from twinkit.cli.main import twin

    runner = CliRunner()
    out = tmp_path / "report"
    result = runner.invoke(twin, ["fit", str(small_avatar), "--garment", "tshirt", "-o", str(out),
                                  "--db", f"sqlite:///{tmp_path / 'empty.db'}", "--licensee", "Brand",
                                  "--use", "marketing"])
    assert result.exit_code == 3, result.output
    args = license_twin(small_avatar, tmp_path / "registry.db")
    result = runner.invoke(twin, ["fit", str(small_avatar), "--garment", "no-such-garment", "-o", str(out), *args])
    assert result.exit_code == 2 and "no-such-garment" in result.output, result.output
    blocker = tmp_path / "a_file"  # a folder that cannot be created (its parent is a file), even for root
    blocker.write_text("not a folder")
    result = runner.invoke(twin, ["fit", str(small_avatar), "--garment", "tshirt", "-o", str(blocker / "report"),
                                  *args])
    assert result.exit_code == 2 and "cannot create the output folder" in result.output, result.output
    assert not out.exists() and not (tmp_path / "report.partial").exists()

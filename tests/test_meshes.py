"""The one mesh reader (core/meshes.py): vertex order kept, several geometries placed by their node
transforms and concatenated, textures kept, clear errors naming the file."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh

from twinkit.core.errors import InputError
from twinkit.core.meshes import load_mesh


def _turn(degrees: float, offset: list[float]) -> np.ndarray:
    matrix = trimesh.transformations.rotation_matrix(np.deg2rad(degrees), [0, 0, 1])
    matrix[:3, 3] = offset
    return matrix


def test_ply_reads_back_with_its_vertex_order(tmp_path):
    mesh = trimesh.creation.icosphere(subdivisions=2)
    order = np.random.default_rng(0).permutation(len(mesh.vertices))  # an order trimesh would not produce
    shuffled = trimesh.Trimesh(mesh.vertices[order], np.argsort(order)[mesh.faces], process=False)
    shuffled.export(tmp_path / "body.ply")
    loaded = load_mesh(tmp_path / "body.ply")
    assert np.abs(loaded.vertices - shuffled.vertices).max() < 1e-6  # float32 PLY
    assert np.array_equal(loaded.faces, shuffled.faces)


def test_several_geometries_are_concatenated_with_their_node_transforms(tmp_path):
    box, ball = trimesh.creation.box(), trimesh.creation.icosphere(subdivisions=1)
    moves = {"box": _turn(30, [1.0, 0.0, 0.5]), "ball": _turn(-75, [0.0, -2.0, 0.0])}
    scene = trimesh.Scene()
    scene.add_geometry(box, node_name="box", geom_name="box", transform=moves["box"])
    scene.add_geometry(ball, node_name="ball", geom_name="ball", transform=moves["ball"])
    scene.export(tmp_path / "two.glb")

    loaded = load_mesh(tmp_path / "two.glb")
    expected = np.vstack([trimesh.transform_points(box.vertices, moves["box"]),
                          trimesh.transform_points(ball.vertices, moves["ball"])])
    assert len(loaded.vertices) == len(expected) and len(loaded.faces) == len(box.faces) + len(ball.faces)
    # each placed vertex is found in the loaded mesh (the concatenation order is the scene's)
    gap = np.linalg.norm(loaded.vertices[:, None] - expected[None], axis=2).min(axis=1)
    assert gap.max() < 1e-6, f"max {gap.max():.2e} m"
    assert np.isclose(loaded.volume, box.volume + ball.volume, rtol=1e-6)


def test_a_textured_glb_keeps_its_uvs_and_texture(tmp_path):
    from PIL import Image

    mesh = trimesh.creation.icosphere(subdivisions=2)
    uv = np.random.default_rng(1).uniform(0, 1, (len(mesh.vertices), 2))
    image = Image.fromarray(np.random.default_rng(2).integers(0, 255, (32, 32, 3), dtype=np.uint8))
    mesh.visual = trimesh.visual.TextureVisuals(uv=uv, material=trimesh.visual.material.PBRMaterial(
        baseColorTexture=image))
    mesh.export(tmp_path / "mesh.glb")
    loaded = load_mesh(tmp_path / "mesh.glb")
    assert np.abs(loaded.visual.uv - uv).max() < 1e-6
    assert np.asarray(loaded.visual.material.baseColorTexture).tobytes() == np.asarray(image).tobytes()


def test_bad_files_are_clear_errors_naming_the_file(tmp_path):
    cases = {"mesh not found": tmp_path / "absent.ply", "cannot read the mesh": tmp_path / "broken.glb",
             "no triangles": tmp_path / "points.ply"}
    cases["cannot read the mesh"].write_bytes(b"not a glb")
    trimesh.PointCloud(np.random.default_rng(3).normal(size=(50, 3))).export(cases["no triangles"])
    for message, path in cases.items():
        with pytest.raises(InputError, match=message) as caught:
            load_mesh(path)
        assert caught.value.path == path

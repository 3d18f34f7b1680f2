"""The textured mesh (reconstruct/mesh): fusion accuracy, UVs, texture fill, glTF frame, and the whole
build measured against the virtual studio's ground truth (Chamfer-L1 in mm, PSNR at held-out cameras)."""

from __future__ import annotations

import os

os.environ.setdefault("PYOPENGL_PLATFORM", "egl")  # before pyrender is imported

from pathlib import Path

import numpy as np
import open3d as o3d
import pytest
import trimesh

from twinkit.capture.cameras import PINHOLE, Camera, look_at
from twinkit.capture.studio.evaluate import chamfer_mm
from twinkit.core.errors import InputError
from twinkit.reconstruct.mesh import (MeshOptions, build_mesh, close_holes, fuse_depth, gltf_from_world,
                                      keep_largest, simplify, surface_splats, unwrap, write_mesh)
from twinkit.reconstruct.mesh.texture import fill_empty, zbuffer


def ring(count: int, radius: float, height: float, size: int, target: float = 0.0) -> list[Camera]:
    cams = []
    for i in range(count):
        a = 2 * np.pi * i / count
        R, t = look_at([radius * np.cos(a), radius * np.sin(a), height], [0, 0, target], [0, 0, 1])
        cams.append(Camera(f"c{i}", size, size, [[size, 0, size / 2], [0, size, size / 2], [0, 0, 1]], R, t,
                           model=PINHOLE))
    return cams


def depth_of(mesh: trimesh.Trimesh, cams: list[Camera]) -> np.ndarray:
    scene = o3d.t.geometry.RaycastingScene()
    scene.add_triangles(o3d.core.Tensor(mesh.vertices.astype(np.float32)),
                        o3d.core.Tensor(mesh.faces.astype(np.uint32)))
    return np.stack([zbuffer(scene, cam) for cam in cams])


def test_fusion_recovers_two_spheres_without_bridging_them() -> None:
    # Two spheres 4 cm apart: the gap is seen by few cameras, so it must be carved, not bridged.
    left = trimesh.creation.icosphere(4, radius=0.2)
    truth = trimesh.util.concatenate([left.copy().apply_translation([-0.22, 0, 0]),
                                      left.copy().apply_translation([0.22, 0, 0])])
    cams = ring(8, 1.5, 0.5, 160) + ring(4, 1.2, -0.6, 160)
    depth = depth_of(truth, cams)
    seen = np.isfinite(depth)
    fused = fuse_depth(cams, np.where(seen, depth, 0.0), seen.astype(np.float32), seen, voxel_size=0.006)
    parts = [part for part in fused.split(only_watertight=False) if part.area > 0.05]
    assert len(parts) == 2
    assert chamfer_mm(trimesh.util.concatenate(parts), truth) < 2.0
    single = simplify(close_holes(keep_largest(fused), 0.006), 2000)
    assert single.is_watertight and len(single.faces) <= 2000
    assert chamfer_mm(single, left.copy().apply_translation([np.sign(single.centroid[0]) * 0.22, 0, 0])) < 2.0


def test_fused_mesh_order_does_not_depend_on_the_order_marching_cubes_emits() -> None:
    # Open3D's threads emit vertices and triangles in varying order; the fused mesh is put in one order.
    from twinkit.reconstruct.mesh.fuse import canonical_order

    sphere = trimesh.creation.icosphere(subdivisions=3)
    rng = np.random.default_rng(0)
    shuffle = rng.permutation(len(sphere.vertices))
    rank = np.empty_like(shuffle)
    rank[shuffle] = np.arange(len(shuffle))
    shuffled_faces = np.roll(rank[sphere.faces], 1, axis=1)[rng.permutation(len(sphere.faces))]  # rotated too
    a = canonical_order(np.asarray(sphere.vertices), np.asarray(sphere.faces))
    b = canonical_order(np.asarray(sphere.vertices)[shuffle], shuffled_faces)
    assert np.array_equal(a.vertices, b.vertices) and np.array_equal(a.faces, b.faces)
    assert np.isclose(a.area, sphere.area) and a.is_watertight


def test_undistorted_view_puts_a_point_where_the_pinhole_camera_projects_it() -> None:
    from twinkit.reconstruct.mesh.views import pinhole

    R, t = look_at([0.0, -3.0, 1.0], [0.0, 0.0, 1.0], [0, 0, 1])
    lens = Camera("d", 640, 480, [[500, 0, 320], [0, 500, 240], [0, 0, 1]], R, t, [-0.25, 0.08, 0.0, 0.0, 0.0])
    point = np.array([[0.9, 0.0, 1.6]])
    image = np.zeros((480, 640), np.uint8)
    u, v = np.round(lens.project(point)[0]).astype(int)
    image[v - 2:v + 3, u - 2:u + 3] = 255
    ideal = pinhole(lens, 320)
    out = lens.resample_image(image, ideal)
    rows, cols = np.nonzero(out > 64)
    expected = ideal.project(point)[0]
    assert np.hypot(cols.mean() - expected[0], rows.mean() - expected[1]) < 0.5  # pixels
    assert abs(np.hypot(*(lens.project(point)[0] - [320, 240])) - 2 * np.hypot(*(expected - [160, 120]))) > 5


def test_unwrap_keeps_the_surface_and_packs_uvs_in_the_unit_square() -> None:
    mesh = trimesh.creation.icosphere(3)
    split, source = unwrap(mesh, 256)
    assert len(split.faces) == len(mesh.faces)
    np.testing.assert_allclose(split.vertices, mesh.vertices[source])
    uv = split.visual.uv
    assert uv.min() >= 0.0 and uv.max() <= 1.0
    assert abs(split.area - mesh.area) < 1e-9


def test_fill_empty_keeps_known_texels_and_pulls_neighbours_into_holes() -> None:
    image = np.zeros((64, 64, 3), np.float32)
    image[:, :32] = (200, 10, 10)
    image[:, 32:] = (10, 10, 200)
    known = np.ones((64, 64), bool)
    known[20:40, 5:15] = False  # a hole inside the red half
    known[:, 60:] = False  # a gutter next to the blue half
    filled = fill_empty(np.where(known[..., None], image, 0), known)
    np.testing.assert_array_equal(filled[known], image[known])
    assert np.abs(filled[20:40, 5:15] - (200, 10, 10)).max() < 2.0  # a trace of the far blue half at most
    assert np.abs(filled[:, 60:] - (10, 10, 200)).max() < 2.0


def test_gltf_frame_is_y_up_with_the_feet_at_zero() -> None:
    transform = gltf_from_world(np.array([0.0, 0.0, 1.0]), 0.07)
    points = np.array([[0.1, -0.2, 0.07, 1.0], [0.0, 0.0, 1.87, 1.0]]) @ transform.T
    np.testing.assert_allclose(points[:, :3], [[0.1, 0.0, 0.2], [0.0, 1.8, 0.0]], atol=1e-12)
    tilted = np.array([0.0, 1.0, 1.0]) / np.sqrt(2)
    np.testing.assert_allclose(gltf_from_world(tilted, 0.0)[:3, :3] @ tilted, [0, 1, 0], atol=1e-12)


def test_written_glb_and_obj_load_back_with_their_texture(tmp_path: Path) -> None:
    mesh = trimesh.creation.capsule(height=1.2, radius=0.2).apply_translation([0.3, -0.1, 0.9])
    split, _ = unwrap(mesh, 128)
    texture = np.random.default_rng(0).integers(0, 256, (128, 128, 3), dtype=np.uint8)
    transform = gltf_from_world(np.array([0.0, 0.0, 1.0]), float(mesh.vertices[:, 2].min()))
    write_mesh(tmp_path, split, texture, transform)
    glb = trimesh.load(tmp_path / "mesh.glb", force="mesh")
    obj = trimesh.load(tmp_path / "mesh.obj", force="mesh")
    for loaded in (glb, obj):
        assert abs(loaded.vertices[:, 1].min()) < 1e-3
        assert abs(np.ptp(loaded.vertices[:, 1]) - np.ptp(mesh.vertices[:, 2])) < 1e-3
    np.testing.assert_array_equal(np.asarray(glb.visual.material.baseColorTexture.convert("RGB")), texture)
    np.testing.assert_array_equal(np.asarray(obj.visual.material.image.convert("RGB")), texture)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mesh.glb", "mesh.mtl", "mesh.obj", "mesh_texture.png"]


# ---- the whole build on a simulated capture ----------------------------------------------------------
@pytest.fixture(scope="module")
def small_capture(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A 24-camera, 256 px virtual session and its capture."""
    from twinkit.capture.ingest import ingest
    from twinkit.capture.studio.session import StudioOptions, simulate

    session = simulate(tmp_path_factory.mktemp("mesh") / "session", StudioOptions(seed=0, size=256))
    return session, ingest(session, session.parent / "capture")


def held_out_psnr(avatar: Path, capture, session: Path, names: list[str], transform: np.ndarray) -> list[float]:
    """PSNR (dB) of the textured GLB rendered unlit at ``names`` against the photos, inside the GT mask."""
    import pyrender

    from twinkit.capture.media import read_image
    from twinkit.core.offscreen import sized

    scene = pyrender.Scene(bg_color=[0, 0, 0, 0], ambient_light=[1, 1, 1])
    scene.add(pyrender.Mesh.from_trimesh(trimesh.load(avatar / "mesh.glb", force="mesh")))
    scores = []
    cam0 = capture.camera(names[0])
    renderer = sized(cam0.width, cam0.height)
    for name in names:
        cam = capture.camera(name)
        K = cam.half_pixel_K  # pyrender puts pixel centres at +0.5 where OpenCV (the photos) puts them at integers
        lens = pyrender.IntrinsicsCamera(K[0, 0], K[1, 1], K[0, 2], K[1, 2], 0.05, 20.0)
        node = scene.add(lens, pose=transform @ cam.gl_pose)
        rgb, _ = renderer.render(scene, flags=pyrender.RenderFlags.FLAT)
        scene.remove_node(node)
        photo = read_image(capture.image_path(name, 0)).astype(np.float64)
        inside = read_image(session / "gt" / "masks" / name / "000000.png", mode="L") > 127
        mse = np.mean((rgb.astype(np.float64)[inside] - photo[inside]) ** 2)
        scores.append(10 * np.log10(255.0**2 / mse))
    return scores


@pytest.mark.slow
def test_build_mesh_meets_the_preview_acceptance(small_capture: tuple[Path, Path], tmp_path: Path) -> None:
    from twinkit.capture.layout import Capture
    from twinkit.core.manifest import Manifest

    session, capture_dir = small_capture
    capture = Capture.open(capture_dir)
    truth = trimesh.load(session / "gt" / "body.ply", process=False)
    names = [cam.name for cam in capture.cameras]
    train, held = names[0::2], names[1::2]  # 12 cameras build the mesh, the other 12 judge it
    figures = build_mesh(capture, surface_splats(truth, 0.008), tmp_path, MeshOptions.preview(cameras=train))
    assert figures["watertight"]
    transform = np.asarray(Manifest.read(tmp_path, kind="avatar").extra["gltf_from_world"])
    glb = trimesh.load(tmp_path / "mesh.glb", force="mesh")
    assert np.asarray(glb.visual.material.baseColorTexture).shape[:2] == (1024, 1024)
    assert abs(glb.vertices[:, 1].min()) < 1e-3  # Y up, feet at y = 0
    assert abs(truth.copy().apply_transform(transform).vertices[:, 1].min()) < 0.015  # the true soles: ~y 0
    world = glb.copy().apply_transform(np.linalg.inv(transform))
    assert chamfer_mm(world, truth) <= 10.0
    assert np.mean(held_out_psnr(tmp_path, capture, session, held, transform)) >= 25.0


def test_build_mesh_rejects_unknown_cameras(small_capture: tuple[Path, Path], tmp_path: Path) -> None:
    from twinkit.capture.layout import Capture

    capture = Capture.open(small_capture[1])
    splats = surface_splats(trimesh.creation.icosphere(2, radius=0.3), 0.05)
    with pytest.raises(InputError, match="no camera named nope"):
        build_mesh(capture, splats, tmp_path, MeshOptions.preview(cameras=["nope"]))
    assert not any(tmp_path.iterdir())

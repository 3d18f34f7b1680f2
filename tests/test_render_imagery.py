"""``twin render``: framing, renderers against the posed mesh's projection, determinism, resume, rights.

Measured on the virtual studio's reconstructed and rigged avatar (``virtual_avatar``) at small sizes.
"""

from __future__ import annotations

import io
import os

import cv2
import numpy as np
import pytest
from PIL import Image

from twinkit.core.errors import InputError
from twinkit.reconstruct.bodyfit.quality import body_mask

FULL_BODY = ("front", "three-quarter", "side", "back")
SIZE = 256


@pytest.fixture(scope="module")
def subject(virtual_avatar):
    from twinkit.render.imagery import Subject

    return Subject(virtual_avatar)


@pytest.fixture(scope="module")
def maker(virtual_avatar, subject):
    from twinkit.render.imagery import ImageMaker, Look

    return ImageMaker(virtual_avatar, Look(size=SIZE, background="transparent"), subject)


def _pose(name: str):
    from twinkit.render.imagery.requests import pose_requests

    return pose_requests([name])[0]


def _camera(name: str):
    from twinkit.render.imagery.requests import camera_requests

    return camera_requests([name])[0]


def _silhouette(maker, pose: str, camera: str, outfit=None):
    from twinkit.render.imagery.outfits import parse_outfit

    p = _pose(pose)
    cam = maker.camera(p, _camera(camera))
    return maker.layer(p, cam, outfit or parse_outfit("")).alpha >= 0.5, cam


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / (a | b).sum())


@pytest.mark.parametrize("pose", ["a_pose", "arms_raised", "seated"])
def test_full_body_presets_frame_the_whole_body_with_a_margin(maker, pose):
    for preset in FULL_BODY:
        mask, cam = _silhouette(maker, pose, preset)
        rows, cols = np.nonzero(mask)
        margins = np.array([rows.min(), cam.height - 1 - rows.max(), cols.min(), cam.width - 1 - cols.max()])
        wanted = 0.06 * np.array([cam.height, cam.height, cam.width, cam.width]) - 1.5  # preset margin 6%
        assert (margins >= wanted).all(), (preset, margins)
        fill = max((rows.max() - rows.min() + 1) / cam.height, (cols.max() - cols.min() + 1) / cam.width)
        assert 0.85 <= fill <= 0.90, (preset, fill)  # the limiting side fills 1 - 2 x 6% = 88%
        if pose == "a_pose":
            assert 0.70 <= (rows.max() - rows.min() + 1) / cam.height <= 0.95, preset
        # centred: to a pixel along the side that limits the fit, within perspective along the other
        limiting = 0 if (rows.max() - rows.min() + 1) / cam.height >= (cols.max() - cols.min() + 1) / cam.width else 2
        assert abs(margins[limiting] - margins[limiting + 1]) <= 2, (preset, margins)
        assert abs(margins[2 - limiting] - margins[3 - limiting]) <= 0.04 * SIZE, (preset, margins)


def test_close_up_frames_head_and_shoulders(maker, subject):
    mask, cam = _silhouette(maker, "a_pose", "close-up")
    body = maker.body(_pose("a_pose"))
    head_top = body.vertices[np.argmax(body.vertices[:, 1])]
    top_row = cam.project(head_top[None])[0, 1]
    assert 0.04 * cam.height <= top_row <= 0.15 * cam.height  # the top of the head just below the margin
    for joint in ("head", "neck", "left_shoulder", "right_shoulder"):
        u, v = cam.project(body.joints[joint][None])[0]
        assert 0 <= u < cam.width and 0 <= v < cam.height, joint
    hips = cam.project(body.joints["hips"][None])[0, 1]
    assert hips > cam.height  # the hips are out of the picture
    assert mask[int(top_row) + 3, int(round(cam.project(head_top[None])[0, 0]))]


def test_mesh_silhouette_matches_the_projected_posed_mesh(maker, subject):
    """The renderer's silhouette against the posed mesh (rig.posing.pose_mesh) projected by Camera.project."""
    from twinkit.rig.posing import pose_mesh
    from twinkit.rig.poses import load_pose

    for pose, preset in (("t_pose", "front"), ("runway_stride", "three-quarter"), ("arms_crossed", "side")):
        mask, cam = _silhouette(maker, pose, preset)
        world = pose_mesh(subject.mesh.vertices, subject.weights, subject.skeleton, load_pose(pose))
        framed = world @ subject.frame[:3, :3].T + subject.frame[:3, 3]
        truth = body_mask(cam, framed, subject.faces)  # the pixels the mesh covers at least half
        iou = _iou(mask, truth)
        assert iou >= 0.98, (pose, preset, iou)


def test_splat_alpha_matches_the_mesh_silhouette(virtual_avatar, subject, maker):
    from twinkit.render.imagery import ImageMaker, Look
    from twinkit.render.imagery.outfits import parse_outfit

    pose = _pose("a_pose")
    splats = ImageMaker(virtual_avatar, Look(size=384, renderer="splats", device="cpu"), subject)
    mesh = ImageMaker(virtual_avatar, Look(size=384), subject)
    cam = mesh.camera(pose, _camera("front"))
    mesh_mask = mesh.layer(pose, cam, parse_outfit("")).alpha >= 0.5
    splat_mask = splats.layer(pose, cam, parse_outfit("")).alpha >= 0.5
    assert _iou(mesh_mask, splat_mask) >= 0.9


@pytest.mark.parametrize("renderer", ["mesh", "splats"])
def test_the_same_request_renders_byte_identical_pngs(virtual_avatar, subject, renderer):
    from twinkit.render.imagery import ImageMaker, Look, png_bytes
    from twinkit.render.imagery.outfits import parse_outfit

    pose, outfit = _pose("hands_on_hips"), parse_outfit("")
    look = Look(size=160, renderer=renderer, background="#336699", device="cpu")
    encoded = []
    for _ in range(2):  # posed, uploaded and rendered afresh each time
        fresh = ImageMaker(virtual_avatar, look, subject)
        encoded.append(png_bytes(fresh.image(pose, fresh.camera(pose, _camera("three-quarter")), outfit)))
    assert encoded[0] == encoded[1]
    image = np.asarray(Image.open(io.BytesIO(encoded[0])))
    assert (image == [0x33, 0x66, 0x99]).all(axis=-1).mean() > 0.5  # the background colour fills the rest


def test_unknown_names_list_the_known_ones():
    from twinkit.render.imagery import camera_preset, lighting_preset
    from twinkit.render.imagery.compositing import parse_background

    with pytest.raises(InputError, match="front, three-quarter, side, back, close-up"):
        camera_preset("top")
    with pytest.raises(InputError, match="studio-soft, high-key, dramatic"):
        lighting_preset("disco")
    with pytest.raises(InputError, match="#RRGGBB"):
        parse_background("#12345")


@pytest.fixture(scope="module")
def licence(virtual_avatar, tmp_path_factory):
    from licensing import license_twin

    return license_twin(virtual_avatar, tmp_path_factory.mktemp("rights") / "registry.db")


def _twin(args: list[str]):
    from click.testing import CliRunner

    from twinkit.cli.main import twin

    return CliRunner().invoke(twin, args)


def test_cli_renders_marked_transparent_images_and_skips_finished_ones(virtual_avatar, maker, licence, tmp_path):
    from twinkit.rights.db import Registry
    from twinkit.rights.verify import verify_image

    out = tmp_path / "renders"
    args = ["render", str(virtual_avatar), "-o", str(out), "--pose", "a_pose", "--camera", "front", "--size",
            str(SIZE), "--background", "transparent", *licence]
    first = _twin(args)
    assert first.exit_code == 0, first.output
    image_path = out / "a_pose_front_base.png"
    check = verify_image(image_path, Registry.open(licence[1]))
    assert check.verified and check.badge > 0.9, check.problems
    rgba = np.asarray(Image.open(image_path))
    assert rgba.shape == (SIZE, SIZE * 3 // 4, 4)
    body, _ = _silhouette(maker, "a_pose", "front")
    badge = np.zeros_like(body)
    badge[int(0.85 * SIZE):, int(0.45 * rgba.shape[1]):] = True  # the opaque badge box, bottom right
    outside = ~cv2.dilate(body.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool) & ~badge
    assert (rgba[..., 3][outside] == 0).all()
    assert (rgba[..., 3][body] > 0).mean() > 0.99
    assert (out / "contact_sheet.png").is_file() and verify_image(out / "contact_sheet.png",
                                                                   Registry.open(licence[1])).verified
    stamp = os.stat(image_path).st_mtime_ns
    second = _twin(args)
    assert second.exit_code == 0, second.output
    assert "rendered 0 image(s), skipped 1" in second.output
    assert os.stat(image_path).st_mtime_ns == stamp
    assert not any(p.name.startswith(".") for p in out.iterdir())  # no staging left behind


def test_cli_exit_codes(virtual_avatar, licence, tmp_path):
    base = ["render", str(virtual_avatar), "-o", str(tmp_path / "out"), "--size", "64"]
    unlicensed = _twin([*base, "--db", f"sqlite:///{tmp_path / 'empty.db'}", "--licensee", "Brand", "--use",
                        "marketing"])
    assert unlicensed.exit_code == 3, unlicensed.output
    unknown_pose = _twin([*base, "--pose", "moonwalk", *licence])
    assert unknown_pose.exit_code == 2 and "t_pose" in unknown_pose.output
    unknown_camera = _twin([*base, "--camera", "drone", *licence])
    assert unknown_camera.exit_code == 2 and "three-quarter" in unknown_camera.output
    assert not (tmp_path / "out").exists()  # nothing written before the request was valid and licensed
    (tmp_path / "file").write_text("x")
    not_a_folder = _twin([*base[:2], "-o", str(tmp_path / "file"), *licence])
    assert not_a_folder.exit_code == 2 and "not a folder" in not_a_folder.output

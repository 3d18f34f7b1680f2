"""Posed splats agree with the posed mesh: the reconstructed avatar's splats and its mesh, both posed through
the rig, rendered from the front, back and both sides; the splats' alpha (> 0.5) against the mesh's
silhouette (pixels it covers at least half), as IoU."""

from __future__ import annotations

import numpy as np
import pytest

from twinkit.capture.cameras import Camera, look_at
from twinkit.core.errors import InputError
from twinkit.reconstruct.bodyfit.quality import body_mask

pytest.importorskip("igl")
pytest.importorskip("robust_laplacian")

POSES = ("t_pose", "seated", "arms_raised")
VIEWS = {"front": 0.0, "left": 90.0, "back": 180.0, "right": 270.0}  # degrees about the body's up axis
SIZE = 256
MIN_IOU = 0.95  # issue #4's acceptance


def _cameras(points: np.ndarray, front: np.ndarray, up: np.ndarray) -> dict[str, Camera]:
    """One camera per :data:`VIEWS`, 3 m from the points' centre, framing all of them with a 10% margin."""
    centre = (points.min(axis=0) + points.max(axis=0)) / 2
    side = np.cross(up, front)
    out = {}
    for name, degrees in VIEWS.items():
        a = np.deg2rad(degrees)
        eye = centre + 3.0 * (np.cos(a) * front + np.sin(a) * side)
        R, t = look_at(eye, centre, up)
        cam = points @ R.T + t
        extent = np.abs(cam[:, :2] / cam[:, 2:]).max()
        f = 0.9 * (SIZE / 2) / extent
        out[name] = Camera(name, SIZE, SIZE, np.array([[f, 0, SIZE / 2], [0, f, SIZE / 2], [0, 0, 1]]), R, t)
    return out


@pytest.fixture(scope="module")
def rigged(virtual_avatar):
    from twinkit.rig.avatar import avatar_rig

    return avatar_rig(virtual_avatar)


@pytest.fixture(scope="module")
def bound(virtual_avatar, rigged):
    from twinkit.rig.splats import avatar_splats

    _, mesh, transfer = rigged
    return avatar_splats(virtual_avatar, mesh.vertices, mesh.faces, transfer.weights)


def _ious(rigged, bound, pose) -> dict[str, float]:
    """Per view, IoU of the posed splats' alpha (> 0.5) and the posed mesh's silhouette."""
    import torch

    from twinkit.reconstruct.splats import camera_tensors, get_rasterizer
    from twinkit.rig.posing import pose_mesh
    from twinkit.rig.splats import pose_splats

    skeleton, mesh, transfer = rigged
    vertices = pose_mesh(mesh.vertices, transfer.weights, skeleton, pose)
    splats = pose_splats(*bound, skeleton, pose)
    front = skeleton.transform[:3, :3] @ [0.0, -1.0, 0.0]  # anny faces -y, z up
    up = skeleton.transform[:3, :3] @ [0.0, 0.0, 1.0]
    cameras = _cameras(vertices, front, up)
    rasterize, _ = get_rasterizer("cpu")
    viewmats, Ks = camera_tensors(list(cameras.values()))
    with torch.no_grad():
        alpha = rasterize(splats.to(dtype=torch.float32), viewmats, Ks, SIZE, SIZE).alpha[..., 0].numpy()
    ious = {}
    for (view, camera), a in zip(cameras.items(), alpha):
        covered, silhouette = a > 0.5, body_mask(camera, vertices, mesh.faces)
        ious[view] = float((covered & silhouette).sum() / (covered | silhouette).sum())
    return ious


@pytest.fixture(scope="module")
def captured_ious(rigged, bound) -> dict[str, float]:
    """The agreement before any posing: the reconstruct stage's splats against its own mesh."""
    return _ious(rigged, bound, rigged[0].bind_pose)


@pytest.mark.slow  # the reconstructed avatar, then ~45 s per pose (re-rig, pose, 4 CPU renders)
@pytest.mark.parametrize("name", POSES)
def test_posed_splats_cover_the_posed_mesh(rigged, bound, captured_ious, name):
    from twinkit.rig.poses import load_pose

    ious = _ious(rigged, bound, load_pose(name))
    print(f"{name}: IoU " + ", ".join(f"{v} {iou:.3f} (captured pose {captured_ious[v]:.3f})"
                                      for v, iou in ious.items()))
    # The acceptance: splats and mesh agree to IoU >= 0.95 in every pose and view. Measured (CI's
    # preview avatar, 256 px, splat alpha > 0.5 against the mesh silhouette): captured pose
    # 0.975-0.987, t_pose 0.977-0.983, seated 0.969-0.979, arms_raised 0.954-0.980. Posing costs at most
    # 0.022 of the captured-pose agreement (arms_raised seen from the side: raised arms are thin silhouettes);
    # more than 0.03 means the splats and the mesh no longer move together. (When body_mask still drew
    # silhouettes ~0.5 px wide per outline, the same avatar scored only 0.930-0.952.)
    for view, iou in ious.items():
        assert iou >= captured_ious[view] - 0.03, f"{name} {view}: {iou:.3f} vs {captured_ious[view]:.3f} unposed"
    assert min(ious.values()) >= MIN_IOU, f"{name}: IoU {ious}"


def test_an_avatar_without_splats_is_an_input_error(tmp_path):
    from twinkit.rig.splats import avatar_splats

    with pytest.raises(InputError, match="no splats") as caught:
        avatar_splats(tmp_path, np.zeros((3, 3)), np.array([[0, 1, 2]]), np.ones((3, 1)))
    assert caught.value.path == tmp_path / "splats.ply"

"""Pose from a photo, measured: anny rendered in library poses in the virtual studio, the pose solved from each
photo, the same body posed with it and its joints compared with the truth."""

from __future__ import annotations

import numpy as np
import pytest

from twinkit.core.errors import InputError

PHENOTYPE = {"gender": 0.3, "age": 0.8, "muscle": 0.35, "weight": 0.47, "height": 0.41, "proportions": 0.32}
POSES = ("t_pose", "hands_on_hips", "three_quarter_turn")
# A single photo leaves depth uncertain (MediaPipe's world depth is its weakest part): measured 3.7, 4.1 and
# 4.0 cm mean error over the 12 limb joints; 8 cm still tells a right pose from the A-pose (10-30 cm away).
MAX_MEAN_ERROR_M = 0.08


def _photo_camera():
    """A level 480x640 camera 3.2 m in front of the subject, framing the whole body."""
    from twinkit.capture.cameras import Camera, look_at

    R, t = look_at(np.array([0.0, -3.2, 1.0]), np.array([0.0, 0.0, 0.95]), np.array([0.0, 0.0, 1.0]))
    K = np.array([[700.0, 0, 239.5], [0, 700.0, 319.5], [0, 0, 1]])
    return Camera("photo", 480, 640, K, R, t)


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    """``{pose name: (photo path, true joints (J, 3))}`` rendered with the studio's set and appearance."""
    import cv2

    from twinkit.capture.studio.appearance import vertex_colours
    from twinkit.capture.studio.body import pose_body
    from twinkit.capture.studio.render import StudioRenderer, person_mesh
    from twinkit.rig.poses import load_pose

    folder = tmp_path_factory.mktemp("photos")
    colours = vertex_colours(np.random.default_rng(3))
    out = {}
    renderer = StudioRenderer(seed=5)
    for name in POSES:
        body = pose_body(PHENOTYPE, load_pose(name))
        renderer.set_people(person_mesh(body, colours))
        path = folder / f"{name}.png"
        cv2.imwrite(str(path), renderer.image(_photo_camera())[..., ::-1])
        out[name] = (path, body.bone_heads)
    return out


def _yaw_aligned(points: np.ndarray, target: np.ndarray) -> np.ndarray:
    """``points`` turned about the vertical (z) to best fit ``target`` (both about the same origin)."""
    h = points[:, :2].T @ target[:, :2]
    angle = np.arctan2(h[0, 1] - h[1, 0], h[0, 0] + h[1, 1])
    c, s = np.cos(angle), np.sin(angle)
    return points @ np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]]).T


@pytest.mark.parametrize("name", POSES)
def test_pose_from_photo_matches_the_true_pose(photos, name, tmp_path):
    from twinkit.capture.studio.body import pose_body
    from twinkit.rig.photo_pose import pose_from_photo
    from twinkit.rig.poses import load_pose, write_pose
    from twinkit.rig.skeleton import joint_table

    path, truth = photos[name]
    pose = pose_from_photo(path, PHENOTYPE)
    saved = load_pose(write_pose(tmp_path / "photo.json", pose, "photo"))  # survives a pose file
    solved = pose_body(PHENOTYPE, saved).bone_heads
    names = pose_body(PHENOTYPE, {"root": np.zeros(3)}).bone_names
    limbs = [names.index(row["anny"]) for row in joint_table() if "blazepose" in row]
    got, want = (solved - solved[0])[limbs], (truth - truth[0])[limbs]  # root positions aligned
    error = np.linalg.norm(_yaw_aligned(got, want) - want, axis=1)
    rest = pose_body(PHENOTYPE, {"root": np.zeros(3)}).bone_heads
    moved = np.linalg.norm((rest - rest[0])[limbs] - want, axis=1)  # how far the pose takes each joint
    print(f"{name}: mean joint error {error.mean() * 100:.1f} cm (max {error.max() * 100:.1f}); the joints the "
          f"pose moves > 5 cm: {error[moved > 0.05].mean() * 100:.1f} cm off, moved {moved[moved > 0.05].mean() * 100:.1f} cm")
    assert error.mean() < MAX_MEAN_ERROR_M, f"{name}: mean joint error {error.mean() * 100:.1f} cm"
    assert error[moved > 0.05].mean() < 0.5 * moved[moved > 0.05].mean(), "the solved pose is near the A-pose"

def test_a_photo_without_a_person_is_an_input_error(tmp_path):
    import cv2

    from twinkit.rig.photo_pose import pose_from_photo

    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((480, 640, 3), 128, np.uint8))
    with pytest.raises(InputError, match="no person found") as caught:
        pose_from_photo(blank, PHENOTYPE)
    assert caught.value.path == blank


def test_an_unreadable_photo_is_an_input_error(tmp_path):
    from twinkit.rig.photo_pose import pose_from_photo

    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not a jpeg")
    with pytest.raises(InputError, match="cannot read the image") as caught:
        pose_from_photo(broken, PHENOTYPE)
    assert caught.value.path == broken
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.jpg"]  # nothing written

"""Pose from a reference photo: MediaPipe Pose finds the person's 33 BlazePose landmarks (metric 3D "world"
landmarks and 2D pixels), these become bone directions, and inverse kinematics (:mod:`twinkit.rig.ik`) turns
the avatar's skeleton to match them.

Directions, not positions, are matched: the person in the photo need not have the avatar's proportions. Their
image-plane part comes from the 2D landmarks (precise), their depth from the world landmarks (a single photo
leaves depth least certain). The camera is assumed upright (image "up" is the world's up), so the solved
root rotation holds the body's turn and lean relative to the camera.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from twinkit.capture.blazepose import INDEX
from twinkit.core.errors import InputError
from twinkit.rig.anny_rig import AnnyRig
from twinkit.rig.ik import DirectionTarget, IKOptions, solve_directions
from twinkit.rig.skeleton import Pose, joint_table

# MediaPipe's world axes (x image right, y image down, z away from the camera) to anny's (x the subject's
# left, y backwards, z up) for a subject facing the camera: anny = (x, z, -y).
_ANNY_FROM_MEDIAPIPE = np.array([[1.0, 0, 0], [0, 0, 1], [0, -1, 0]])
# Segments between landmarks whose directions are matched; pairs of landmarks stand for their midpoint.
_LIMBS = (("shoulder", "elbow"), ("elbow", "wrist"), ("hip", "knee"), ("knee", "ankle"))
SEGMENTS: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("left_hip", "right_hip"), ("left_shoulder", "right_shoulder")),
    (("right_hip",), ("left_hip",)),
    (("right_shoulder",), ("left_shoulder",)),
    *(((f"{side}_{a}",), (f"{side}_{b}",)) for side in ("left", "right") for a, b in _LIMBS),
)


@dataclass
class PhotoLandmarks:
    """One person's BlazePose landmarks in a photo: ``world`` (33, 3) metres, hip-centred, MediaPipe's axes;
    ``pixels`` (33, 2); ``visibility`` (33,) in [0, 1]."""

    world: np.ndarray
    pixels: np.ndarray
    visibility: np.ndarray


def read_photo(path: str | Path) -> np.ndarray:
    """The photo at ``path`` as RGB uint8 (H, W, 3); an unreadable file is an InputError."""
    import cv2

    path = Path(path)
    if not path.is_file():
        raise InputError("no such image", path)
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise InputError("cannot read the image (not a PNG/JPEG/... image, or corrupt)", path)
    return np.ascontiguousarray(bgr[..., ::-1])


def detect_landmarks(rgb: np.ndarray, path: str | Path | None = None) -> PhotoLandmarks:
    """The person's landmarks in an RGB photo, by MediaPipe Pose (the offline ``model_complexity=1`` model;
    with several people it follows the one its detector is most confident of). No person: InputError."""
    from twinkit.capture.mediapipe_runtime import mp, start_graph
    from twinkit.core.quiet import native_output_silenced

    graph = start_graph(lambda: mp.solutions.pose.Pose(static_image_mode=True, model_complexity=1))
    try:
        with native_output_silenced():  # a non-square image draws a native warning on every call
            result = graph.process(np.ascontiguousarray(rgb[..., :3], dtype=np.uint8))
    finally:
        graph.close()
    if result.pose_landmarks is None or result.pose_world_landmarks is None:
        raise InputError("no person found in the photo", path)
    h, w = rgb.shape[:2]
    image = result.pose_landmarks.landmark
    return PhotoLandmarks(world=np.array([[p.x, p.y, p.z] for p in result.pose_world_landmarks.landmark]),
                          pixels=np.array([[p.x * w, p.y * h] for p in image]),
                          visibility=np.array([p.visibility for p in image]))


def direction_targets(landmarks: PhotoLandmarks) -> list[DirectionTarget]:
    """The :data:`SEGMENTS` as IK targets in anny's axes, weighted by their landmarks' visibility.

    Each direction takes its image-plane part from the pixels, divided by the photo's scale (pixels per
    metre of the world landmarks, the median over the segments: weak perspective), and its depth from the
    world landmarks.
    """
    to_anny = {row["blazepose"]: row["anny"] for row in joint_table() if "blazepose" in row}

    def mean(points: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
        return points[[INDEX[n] for n in names]].mean(axis=0)

    world = [mean(landmarks.world, b) - mean(landmarks.world, a) for a, b in SEGMENTS]
    pixels = [mean(landmarks.pixels, b) - mean(landmarks.pixels, a) for a, b in SEGMENTS]
    scale = np.median([np.linalg.norm(p) / max(np.linalg.norm(w[:2]), 1e-9) for w, p in zip(world, pixels)])
    targets = []
    for (a, b), w, p in zip(SEGMENTS, world, pixels):
        fused = np.array([p[0] / scale, p[1] / scale, w[2]])
        weight = float(min(landmarks.visibility[[INDEX[n] for n in a + b]]))
        targets.append(DirectionTarget(tuple(to_anny[n] for n in a), tuple(to_anny[n] for n in b),
                                       _ANNY_FROM_MEDIAPIPE @ fused, weight))
    return targets


def pose_from_photo(photo: str | Path, phenotype: dict[str, float], options: IKOptions | None = None) -> Pose:
    """The pose of the person in ``photo`` for a body of ``phenotype`` (anny bone -> rotation vector, anny's
    ``local-ref`` form as :mod:`twinkit.rig.poses` reads and writes). Bones the photo does not show (hands,
    feet, neck, head) keep the A-pose."""
    landmarks = detect_landmarks(read_photo(photo), photo)
    return solve_directions(AnnyRig(phenotype), direction_targets(landmarks), options)

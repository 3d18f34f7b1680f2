"""What the body is fitted to, read from a capture: 3D landmarks (matched to anny COCO keypoints by name) and
silhouettes."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import torch

from twinkit.capture import blazepose
from twinkit.capture.cameras import Camera
from twinkit.capture.landmarks_io import read_landmarks3d
from twinkit.capture.layout import LANDMARKS_3D, Capture, shows_subject
from twinkit.core.errors import InputError

MIN_LANDMARKS = 8          # below this the global transform is not determined
REPROJECTION_SCALE_PX = 4.0  # landmark weight 1 / (1 + (err / scale)^2)
FACE_WEIGHT = 0.3          # eyes/ears/nose only place the head: limbs and trunk weigh more


@dataclass
class Landmarks:
    """3D landmarks matched to anny's COCO keypoints: ``points`` (N, 3) world, ``weights`` (N,)."""

    keypoint_index: np.ndarray  # (N,) index into anny's regressor output
    points: np.ndarray
    weights: np.ndarray


@dataclass
class Silhouette:
    """One view's mask prepared for a differentiable silhouette loss in an undistorted pinhole camera."""

    camera: Camera              # distortion-free (same K, R, t)
    outside_px: torch.Tensor    # (H, W) distance in pixels to the mask (0 inside)
    contour: torch.Tensor       # (M, 2) pixel positions of the mask's outer contour (subsampled)


def read_landmarks(capture: Capture, frame: int, keypoint_names: list[str]) -> Landmarks:
    """The frame's triangulated BlazePose landmarks that share a name with anny's COCO keypoints."""
    path = capture.root / LANDMARKS_3D
    frames = read_landmarks3d(path)
    if frame not in frames:
        raise InputError(f"no 3D landmarks for frame {frame}", path)
    record = frames[frame]
    index, points, weights = [], [], []
    for k, name in enumerate(keypoint_names):
        i = blazepose.INDEX.get(name)
        if i is None or not np.all(np.isfinite(record["points"][i])):
            continue
        err = record["reprojection_px"][i]
        weight = 1.0 / (1.0 + (err / REPROJECTION_SCALE_PX) ** 2) if np.isfinite(err) else 0.5
        if name in ("nose", "left_eye", "right_eye", "left_ear", "right_ear"):
            weight *= FACE_WEIGHT
        index.append(k), points.append(record["points"][i]), weights.append(weight)
    if len(index) < MIN_LANDMARKS:
        raise InputError(f"frame {frame} has only {len(index)} usable 3D landmarks "
                         f"(need {MIN_LANDMARKS} to place the body)", path)
    return Landmarks(np.array(index), np.array(points), np.array(weights))


def read_mask(capture: Capture, camera: Camera, frame: int) -> np.ndarray:
    """The subject's mask (bool (H, W), as stored: in the distorted image) of ``camera`` at ``frame``."""
    path = capture.mask_path(camera.name, frame)
    if not path.is_file():
        raise InputError("mask missing", path)
    mask = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    if mask is None:
        raise InputError("mask is not a readable image", path)
    if mask.shape != (camera.height, camera.width):
        raise InputError(f"mask is {mask.shape[1]}x{mask.shape[0]}, camera {camera.name} is "
                         f"{camera.width}x{camera.height}", path)
    return mask > 127


def read_silhouettes(capture: Capture, frame: int, count: int, contour_points: int) -> list[Silhouette]:
    """Silhouettes of ``count`` views spread evenly over the rig, among those whose mask shows the subject
    (a view where the capture stage found nobody is left out with a warning)."""
    masks = [(camera, read_mask(capture, camera, frame)) for camera in capture.cameras]
    shown = [(camera, mask) for camera, mask in masks if shows_subject(mask, camera.name, "the body fit")]
    if not shown:
        raise InputError(f"no view's mask shows the subject in frame {frame}", capture.root / "masks")
    chosen = [shown[i] for i in np.linspace(0, len(shown) - 1, min(count, len(shown))).round().astype(int)]
    return [silhouette_from_mask(camera, camera.undistort_image(mask.astype(np.uint8), nearest=True) > 0,
                                 contour_points) for camera, mask in chosen]


def silhouette_from_mask(camera: Camera, mask: np.ndarray, contour_points: int) -> Silhouette:
    """A :class:`Silhouette` from a boolean (H, W) mask already in the undistorted image of ``camera``."""
    mask = mask.astype(np.uint8)
    outside = cv2.distanceTransform(1 - mask, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    outline = max(contours, key=cv2.contourArea).reshape(-1, 2).astype(np.float64)
    outline = outline[np.linspace(0, len(outline) - 1, min(contour_points, len(outline))).astype(int)]
    pinhole = Camera(camera.name, camera.width, camera.height, camera.K, camera.R, camera.t, model="PINHOLE")
    return Silhouette(pinhole, torch.from_numpy(outside.astype(np.float64)), torch.from_numpy(outline))

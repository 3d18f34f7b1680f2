"""How well a body fit explains its capture, view by view: the fitted body's keypoints reprojected onto the
2D landmarks, and its silhouette against the masks. Both are measured in each camera's own (distorted)
image, so they hold for any calibration the capture stage reads."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import cv2
import numpy as np

from twinkit.capture import blazepose
from twinkit.capture.cameras import Camera
from twinkit.capture.landmarks_io import landmark_files, read_landmarks2d
from twinkit.capture.layout import Capture
from twinkit.capture.media import read_image
from twinkit.reconstruct.bodyfit.fit import BodyFit

MIN_CONFIDENCE = 0.5  # 2D landmarks below this visibility are not compared
# BlazePose and anny's COCO regressor put the face points at different places (the fit down-weights them
# too), so the reprojection check uses the body's joints only.
FACE = {"nose", "left_eye", "right_eye", "left_ear", "right_ear"}


@dataclass
class ViewQuality:
    """One camera: median keypoint reprojection error (px), keypoints compared, silhouette IoU."""

    camera: str
    keypoints_px: float
    keypoints: int
    silhouette_iou: float


@dataclass
class FitQuality:
    """Per-view figures and their summary: median over every compared keypoint, lowest and mean IoU."""

    views: list[ViewQuality]
    keypoints_px_median: float
    silhouette_iou_min: float
    silhouette_iou_mean: float

    def as_dict(self) -> dict:
        """JSON-ready: a figure with nothing to measure (a view without confident landmarks) is None."""
        def clean(value):
            return None if isinstance(value, float) and not np.isfinite(value) else value

        document = {key: clean(value) for key, value in asdict(self).items()}
        document["views"] = [{key: clean(value) for key, value in view.items()} for view in document["views"]]
        return document


SUPERSAMPLING = 4  # body_mask draws at this many times the resolution and keeps pixels at least half covered


def body_mask(camera: Camera, vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """The (H, W) bool silhouette of a triangle mesh seen by ``camera`` (lens distortion included): the pixels
    it covers at least half. (``cv2.fillConvexPoly`` alone also fills every pixel an edge merely crosses,
    which widens each outline by about half a pixel; drawn :data:`SUPERSAMPLING` times finer, that is
    1/8 px.)"""
    f = SUPERSAMPLING
    points = (camera.project(vertices) + 0.5) * f - 0.5  # pixel centres at integers, at either resolution
    in_front = (vertices @ camera.R.T + camera.t)[:, 2] > 0
    tris = faces[in_front[faces].all(axis=1)]
    fine = np.zeros((camera.height * f, camera.width * f), np.uint8)
    shift = 4  # sub-pixel bits
    # one triangle at a time: fillPoly with many contours fills their overlaps even-odd (leaves holes)
    for triangle in np.round(points[tris] * (1 << shift)).astype(np.int32):
        cv2.fillConvexPoly(fine, triangle, 1, lineType=cv2.LINE_8, shift=shift)
    return fine.reshape(camera.height, f, camera.width, f).mean(axis=(1, 3)) >= 0.5


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    union = np.logical_or(a, b).sum()
    return float(np.logical_and(a, b).sum() / union) if union else 0.0


def fit_quality(capture: Capture, fit: BodyFit) -> FitQuality:
    """Measure ``fit`` against the 2D landmarks and masks of its frame in every camera of ``capture``."""
    lm2d = read_landmarks2d(landmark_files(capture.root)[0]).get(fit.frame, {})
    compared = [(k, blazepose.INDEX[n]) for k, n in enumerate(fit.keypoint_names)
                if n in blazepose.INDEX and n not in FACE]
    views, pooled = [], []
    for camera in capture.cameras:
        errors = np.zeros(0)
        observed = lm2d.get(camera.name)
        if observed is not None and compared:
            mine, theirs = zip(*compared)
            obs = observed[list(theirs)]
            ok = obs[:, 2] >= MIN_CONFIDENCE
            errors = np.linalg.norm(camera.project(fit.landmarks[list(mine)])[ok] - obs[ok, :2], axis=1)
        pooled.append(errors)
        mask = read_image(capture.mask_path(camera.name, fit.frame), "L") > 127
        iou = _iou(body_mask(camera, fit.vertices, fit.faces), mask)
        views.append(ViewQuality(camera.name, float(np.median(errors)) if len(errors) else float("nan"),
                                 int(len(errors)), iou))
    every = np.concatenate(pooled)
    ious = [v.silhouette_iou for v in views]
    return FitQuality(views, float(np.median(every)) if len(every) else float("nan"), float(min(ious)),
                      float(np.mean(ious)))


def few_views_statement(cameras: int, needed: int, quality: FitQuality) -> str | None:
    """What a body fit from only ``cameras`` views can and cannot give, with its measured ``quality``
    (None when there are enough views)."""
    if cameras >= needed:
        return None
    return (f"{cameras} views fix the body's pose, proportions and stature (landmarks triangulated from "
            f"several views, silhouettes from every side seen) and are enough to check a fit: here the fitted "
            f"body's keypoints lie {quality.keypoints_px_median:.1f} px (median) from the 2D landmarks and its "
            f"silhouettes reach IoU {quality.silhouette_iou_min:.2f} (lowest view) / "
            f"{quality.silhouette_iou_mean:.2f} (mean) with the masks. Those masks are the ones the fit used, so "
            f"this shows the body agrees with what the cameras saw, not that the unseen sides are right. "
            f"{cameras} views do not see the surface between them: clothing, hair and the exact cross-sections "
            f"are guessed by the body model, so girth measurements carry centimetres of uncertainty, and a "
            f"splat avatar or textured mesh needs at least {needed} cameras (the preview profile) around the "
            f"person.")

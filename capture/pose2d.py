"""2D body landmarks per image with MediaPipe Pose (the 33 BlazePose landmarks), several people per image.

MediaPipe's legacy Pose finds one person per call; further people are found by blanking out each found
person (its segmentation, dilated, filled from the background plate or a flat grey) and calling again.
Only ``model_complexity=1`` works offline: its model ships inside the mediapipe wheel.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType
from typing import Any

import cv2
from twinkit.capture.mediapipe_runtime import mp, start_graph
import numpy as np


@dataclass
class Detection:
    """One person: ``landmarks`` (33, 3) ``[x_px, y_px, confidence]`` (confidence = MediaPipe's
    visibility * presence), ``bbox`` (4,) ``[x0, y0, x1, y1]`` pixels of the person's region,
    ``score`` the mean landmark confidence."""

    landmarks: np.ndarray
    bbox: np.ndarray
    score: float

    def to_dict(self) -> dict[str, Any]:
        return {"landmarks": self.landmarks.tolist(), "bbox": self.bbox.tolist(), "score": self.score}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Detection":
        return cls(np.asarray(d["landmarks"], dtype=np.float64).reshape(-1, 3),
                   np.asarray(d["bbox"], dtype=np.float64).reshape(4), float(d["score"]))


class PoseDetector:
    """MediaPipe Pose graph(s) held open for many images; use as a context manager.

    ``tracking=True`` keeps MediaPipe's tracking between calls for the first person (one camera's video
    in order: steadier landmarks); more people are always searched per still.
    """

    def __init__(self, tracking: bool = False, min_detection_confidence: float = 0.5) -> None:
        def graph(static: bool) -> mp.solutions.pose.Pose:
            return start_graph(lambda: mp.solutions.pose.Pose(
                static_image_mode=static, model_complexity=1, enable_segmentation=True,
                min_detection_confidence=min_detection_confidence))
        self._first = graph(static=not tracking)
        self._more = graph(static=True) if tracking else self._first

    def __enter__(self) -> "PoseDetector":
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self._first.close()
        if self._more is not self._first:
            self._more.close()

    def detect(self, rgb: np.ndarray, max_people: int = 3, plate: np.ndarray | None = None) -> list[Detection]:
        """People in an RGB uint8 image (H, W, 3), the most prominent first.

        ``plate`` (an image of the empty scene) fills found people before the next search; without it
        they are filled with flat grey.
        """
        image = np.ascontiguousarray(rgb[..., :3], dtype=np.uint8)
        h, w = image.shape[:2]
        fill = plate if plate is not None else np.full_like(image, 128)
        found: list[Detection] = []
        for graph in [self._first] + [self._more] * (max_people - 1):
            result = graph.process(image)
            if result.pose_landmarks is None:
                break
            lms = result.pose_landmarks.landmark
            landmarks = np.array([[p.x * w, p.y * h, p.visibility * (p.presence if p.HasField("presence")
                                                                      else 1.0)] for p in lms])
            mask = _person_region(result.segmentation_mask, landmarks, (h, w))
            ys, xs = np.nonzero(mask)
            bbox = np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], dtype=np.float64)
            found.append(Detection(landmarks, bbox, float(landmarks[:, 2].mean())))
            image = np.where(mask[..., None], fill, image)
        return found


def _person_region(segmentation: np.ndarray | None, landmarks: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """The person's pixels: MediaPipe's segmentation plus the landmarks' hull, dilated by 4% of its size."""
    region = np.zeros(shape, np.uint8)
    if segmentation is not None:
        region[segmentation > 0.5] = 1
    inside = landmarks[:, :2][np.all((landmarks[:, :2] >= 0) & (landmarks[:, :2] < shape[::-1]), axis=1)]
    if len(inside) >= 3:
        cv2.fillConvexPoly(region, cv2.convexHull(inside.astype(np.int32)), 1)
    ys, xs = np.nonzero(region)
    if len(ys) == 0:  # every landmark off-image and no segmentation: blank the landmarks' clipped box
        x0, y0 = np.clip(landmarks[:, :2].min(axis=0), 0, None).astype(int)
        x1, y1 = np.minimum(landmarks[:, :2].max(axis=0), shape[::-1]).astype(int)
        region[y0:y1 + 1, x0:x1 + 1] = 1
        ys, xs = np.nonzero(region)
    size = max(int(0.04 * max(np.ptp(ys), np.ptp(xs))), 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * size + 1, 2 * size + 1))
    return cv2.dilate(region, kernel).astype(bool)

"""Person masks per view, cleaned and edge-refined.

With a clean background plate: MediaPipe selfie segmentation on a crop around the person, fused with the
colour difference to the plate, its outline pixels then decided by coverage (capture/matting.py). Without
one: the segmentation MediaPipe Pose outputs with the subject's pose (a mask of that one person, unlike the
selfie model's "every person-like pixel"), on a crop around the subject, kept only where it touches the
subject's own landmarks.
"""

from __future__ import annotations

from types import TracebackType

import cv2
import numpy as np
from scipy import ndimage

from twinkit.capture.blazepose import MIRROR
from twinkit.capture.matting import refine_outline
from twinkit.capture.mediapipe_runtime import mp, start_graph

_NET_SIZE = 256  # input resolution of the general selfie segmentation model
MIN_CONFIDENCE = 0.5  # landmarks at least this confident tie a mask to the subject
SAME_PERSON = 0.1     # a pose is the subject's when its landmarks lie within this share of the box diagonal
SEED_RADIUS = 0.02    # a mask component within this share of the landmarks' spread of one is the person's


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-4, 1 - 1e-4)
    return np.log(p / (1 - p))


def plate_probability(rgb: np.ndarray, plate: np.ndarray, background: np.ndarray | None = None,
                      min_delta: float = 3.0, max_delta: float = 25.0) -> np.ndarray:
    """Foreground probability (H, W) from the CIE Lab colour difference to the clean plate.

    The difference that counts as foreground (probability 0.5) adapts to the camera's noise: it is the
    robust spread (median + 4 MAD) of the difference over ``background`` pixels (known to hold no person,
    e.g. outside the person's box), kept within ``[min_delta, max_delta]``.
    """
    lab = [cv2.cvtColor(np.ascontiguousarray(im[..., :3], np.float32) / 255.0, cv2.COLOR_RGB2LAB)
           for im in (rgb, plate)]
    lab = [cv2.GaussianBlur(x, (3, 3), 0) for x in lab]  # sensor noise and demosaicing
    diff = np.linalg.norm(lab[0] - lab[1], axis=-1)
    sample = diff[background] if background is not None and background.any() else diff
    median = float(np.median(sample))
    spread = median + 4 * 1.4826 * float(np.median(np.abs(sample - median)))
    delta = float(np.clip(spread, min_delta, max_delta))
    return 1.0 / (1.0 + np.exp(-(diff - delta) / (0.25 * delta)))


def square_crop(roi: np.ndarray, shape: tuple[int, int], pad: float) -> tuple[int, int, int, int]:
    """Square box ``x0, y0, x1, y1`` around ``roi`` padded by ``pad`` of its size, clipped to the image."""
    x0, y0, x1, y1 = np.asarray(roi, dtype=np.float64)
    cx, cy, side = (x0 + x1) / 2, (y0 + y1) / 2, max(x1 - x0, y1 - y0) * (1 + 2 * pad)
    h, w = shape
    return (int(max(0, cx - side / 2)), int(max(0, cy - side / 2)),
            int(min(w, cx + side / 2)), int(min(h, cy + side / 2)))


def keep_person(binary: np.ndarray, roi: np.ndarray | None, max_hole: float = 0.01,
                seeds: np.ndarray | None = None) -> np.ndarray:
    """The connected components of the person, with enclosed holes smaller than ``max_hole`` of the
    person's area filled (larger ones are real gaps); specks (< 5 % of the largest) are dropped.

    Components are the person's when they touch one of the ``seeds`` (pixel positions (N, 2) of the
    person's landmarks; touching: within ``SEED_RADIUS`` of their spread) when given, else when they
    overlap ``roi`` when given, else all of them.
    """
    labels, n = ndimage.label(binary)
    if n == 0:
        return binary
    sizes = ndimage.sum_labels(binary, labels, index=np.arange(1, n + 1))
    if seeds is not None and len(seeds):
        touched = np.zeros(binary.shape, np.uint8)
        radius = max(1, int(round(SEED_RADIUS * np.linalg.norm(np.ptp(seeds, axis=0)))))
        for x, y in np.round(seeds).astype(int):
            cv2.circle(touched, (int(x), int(y)), radius, 1, -1)
        sizes = sizes * (ndimage.sum_labels(touched, labels, index=np.arange(1, n + 1)) > 0)
    elif roi is not None:
        x0, y0, x1, y1 = np.round(roi).astype(int)
        inside = np.zeros_like(binary)
        inside[max(y0, 0):max(y1, 0), max(x0, 0):max(x1, 0)] = True
        sizes = sizes * (ndimage.sum_labels(inside, labels, index=np.arange(1, n + 1)) > 0)
    keep = np.nonzero(sizes >= 0.05 * sizes.max())[0] + 1 if sizes.max() > 0 else []
    person = np.isin(labels, keep)
    holes = ndimage.binary_fill_holes(person) & ~person
    hole_labels, n_holes = ndimage.label(holes)
    if n_holes:
        areas = ndimage.sum_labels(holes, hole_labels, index=np.arange(1, n_holes + 1))
        person |= np.isin(hole_labels, np.nonzero(areas < max_hole * person.sum())[0] + 1)
    return person


def same_person(found: np.ndarray, landmarks: np.ndarray, roi: np.ndarray) -> bool:
    """Whether the BlazePose landmarks ``found`` (33, 2) pixels are the person of ``landmarks`` (33, 3)
    ``[x, y, confidence]``: median distance over the confident ones (either left/right reading, as
    MediaPipe may mirror a back view) within ``SAME_PERSON`` of the ``roi`` diagonal."""
    confident = landmarks[:, 2] >= MIN_CONFIDENCE
    if confident.sum() < 3:
        return True  # too little to tell: the crop around the person decides
    distance = min(float(np.median(np.linalg.norm(found[order][confident] - landmarks[confident, :2], axis=1)))
                   for order in (np.arange(len(found)), np.asarray(MIRROR)))
    x0, y0, x1, y1 = roi
    return distance <= SAME_PERSON * np.hypot(x1 - x0, y1 - y0)


class PersonSegmenter:
    """MediaPipe selfie segmentation and Pose graphs held open for many images; use as a context manager."""

    def __init__(self, pad: float = 0.15, plate_weight: float = 4.0) -> None:
        self._graph = start_graph(lambda: mp.solutions.selfie_segmentation.SelfieSegmentation(model_selection=0))
        self._pose = start_graph(lambda: mp.solutions.pose.Pose(
            static_image_mode=True, model_complexity=1, enable_segmentation=True))
        self.pad, self.plate_weight = pad, plate_weight

    def __enter__(self) -> "PersonSegmenter":
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self._graph.close()
        self._pose.close()

    def network(self, rgb: np.ndarray, roi: np.ndarray | None = None) -> np.ndarray:
        """The selfie network's person probability (H, W), run at its resolution on a square crop around
        ``roi``."""
        h, w = rgb.shape[:2]
        x0, y0, x1, y1 = square_crop(roi, (h, w), self.pad) if roi is not None else (0, 0, w, h)
        prob = np.zeros((h, w), np.float32)
        if x1 - x0 < 2 or y1 - y0 < 2:
            return prob
        crop = cv2.resize(np.ascontiguousarray(rgb[y0:y1, x0:x1, :3], np.uint8), (_NET_SIZE, _NET_SIZE),
                          interpolation=cv2.INTER_AREA)
        out = self._graph.process(crop).segmentation_mask
        prob[y0:y1, x0:x1] = cv2.resize(out, (x1 - x0, y1 - y0), interpolation=cv2.INTER_LINEAR)
        return prob

    def pose_network(self, rgb: np.ndarray, roi: np.ndarray | None = None,
                     landmarks: np.ndarray | None = None) -> np.ndarray | None:
        """MediaPipe Pose's segmentation (H, W) of the person it finds on a square crop around ``roi``;
        ``None`` when it finds nobody, or someone other than the person of ``landmarks`` (33, 3)."""
        h, w = rgb.shape[:2]
        x0, y0, x1, y1 = square_crop(roi, (h, w), self.pad) if roi is not None else (0, 0, w, h)
        if x1 - x0 < 2 or y1 - y0 < 2:
            return None
        result = self._pose.process(np.ascontiguousarray(rgb[y0:y1, x0:x1, :3], np.uint8))
        if result.pose_landmarks is None or result.segmentation_mask is None:
            return None
        found = np.array([[p.x * (x1 - x0) + x0, p.y * (y1 - y0) + y0] for p in result.pose_landmarks.landmark])
        if landmarks is not None and not same_person(found, landmarks, roi if roi is not None else
                                                     np.array([0, 0, w, h])):
            return None
        prob = np.zeros((h, w), np.float32)
        prob[y0:y1, x0:x1] = result.segmentation_mask
        return prob

    def segment(self, rgb: np.ndarray, plate: np.ndarray | None = None, roi: np.ndarray | None = None,
                landmarks: np.ndarray | None = None) -> np.ndarray:
        """Person mask (H, W) float32 in [0, 1] (threshold 0.5 for a binary mask).

        ``rgb`` uint8 (H, W, 3); ``plate`` the same view without anyone in it; ``roi`` the person's
        box ``[x0, y0, x1, y1]`` in pixels and ``landmarks`` its BlazePose landmarks (33, 3) ``[x, y,
        confidence]`` (from the pose detection), which pick the person among other foreground.
        """
        if plate is not None:
            if plate.shape[:2] != rgb.shape[:2]:
                raise ValueError(f"plate is {plate.shape[1]}x{plate.shape[0]}, image {rgb.shape[1]}x{rgb.shape[0]}")
            outside = np.ones(rgb.shape[:2], dtype=bool)
            if roi is not None:
                x0, y0, x1, y1 = square_crop(roi, rgb.shape[:2], self.pad)
                outside[y0:y1, x0:x1] = False
            fused = _logit(self.network(rgb, roi)) + self.plate_weight * _logit(plate_probability(rgb, plate,
                                                                                                   outside))
            prob = (1.0 / (1.0 + np.exp(-fused))).astype(np.float32)
            person = keep_person(prob >= 0.5, roi)
        else:
            prob = self.pose_network(rgb, roi, landmarks)
            if prob is None:  # Pose finds nobody or someone else there: the selfie model's person pixels
                prob = self.network(rgb, roi)
            seeds = None if landmarks is None else landmarks[landmarks[:, 2] >= MIN_CONFIDENCE, :2]
            person = keep_person(prob >= 0.5, roi, seeds=seeds)
        # Edge refinement: a guided filter snaps the cleaned mask's border to image edges.
        radius = max(2, int(round(np.hypot(*rgb.shape[:2]) / 400)))
        soft = cv2.ximgproc.guidedFilter(np.ascontiguousarray(rgb[..., :3], np.uint8),
                                         person.astype(np.float32), radius, 1e-3 * 255 ** 2)
        soft = np.clip(soft, 0.0, 1.0).astype(np.float32)
        # With a plate, the outline pixels are decided by how much of them the person covers (half a pixel
        # matters: the masks drive the surface that measurements are taken on).
        return soft if plate is None else refine_outline(rgb, plate, soft)

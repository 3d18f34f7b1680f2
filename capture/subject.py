"""Pick the subject among several people detected per view: the one whose detections agree across views.

Hypotheses are pairs of detections in two views; each triangulates the torso (shoulders, hips) and is
scored by how many other views hold a detection that reprojects onto it. The winning torso is then
re-triangulated from all agreeing views and every view keeps its closest detection, or none.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations

import numpy as np

from twinkit.capture.blazepose import INDEX
from twinkit.capture.cameras import Camera
from twinkit.capture.triangulation import Rig, normal_matrices, triangulate

TORSO = np.array([INDEX[n] for n in ("left_shoulder", "right_shoulder", "left_hip", "right_hip")])
_TORSO_MIRROR = np.array([1, 0, 3, 2])  # the same four read with left and right exchanged


def _distances(rig: Rig, torso: np.ndarray, dets: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Median torso reprojection error (H, V, N) of hypotheses ``torso`` (H, 4, 3) to every detection.

    ``dets`` (V, N, 4, 2) undistorted torso pixels, ``valid`` (V, N, 4). Left/right-swapped detections
    count as agreeing (MediaPipe mirrors back views); fewer than two valid points give ``inf``.
    """
    proj = rig.project(torso)  # (H, V, 4, 2)
    best = np.full(proj.shape[:2] + dets.shape[1:2], np.inf)
    for order in (np.arange(4), _TORSO_MIRROR):
        err = np.linalg.norm(proj[:, :, None] - dets[None][..., order, :], axis=-1)  # (H, V, N, 4)
        ok = valid[None][..., order] & np.isfinite(err)
        ranked = np.sort(np.where(ok, err, np.inf), axis=-1)
        n = ok.sum(axis=-1, keepdims=True)
        lo = np.take_along_axis(ranked, np.maximum(n - 1, 0) // 2, axis=-1)
        hi = np.take_along_axis(ranked, n // 2, axis=-1)
        med = np.where(n >= 2, (lo + hi) / 2, np.inf)[..., 0]
        best = np.minimum(best, med)
    return best


def choose_subject(cameras: Sequence[Camera], detections: Sequence[Sequence], min_confidence: float = 0.3,
                   threshold: float = 0.04) -> list[int | None]:
    """Index of the subject's detection in every view, ``None`` where no detection agrees.

    ``detections[v]`` lists view v's people (``pose2d.Detection`` or (33, 3) arrays ``[x_px, y_px,
    confidence]``; it may be empty). A detection agrees when its torso reprojection error is below ``threshold`` times the
    image diagonal. At least two views with detections are needed to tell who the subject is.
    """
    candidates = [np.array([getattr(d, "landmarks", d) for d in view], dtype=np.float64).reshape(-1, 33, 3)
                  for view in detections]
    rig = Rig(cameras)
    V = len(cameras)
    n_max = max((len(c) for c in candidates), default=0)
    dets = np.full((V, max(n_max, 1), 4, 3), np.nan)
    for v, cand in enumerate(candidates):
        if len(cand):
            dets[v, :len(cand)] = np.asarray(cand, dtype=np.float64)[:, TORSO]
    valid = np.nan_to_num(dets[..., 2]) >= min_confidence
    xy = rig.undistort(dets)  # (V, N, 4, 2)
    thr = threshold * rig.diagonal
    slots = [(v, k) for v in range(V) for k in range(len(candidates[v])) if valid[v, k].sum() >= 2]
    hyps = [(a, b) for a, b in combinations(slots, 2) if a[0] != b[0]]
    if not hyps:
        return [None] * V

    # Triangulate each hypothesis pair's torso: normal matrices of the two detections, summed.
    M = normal_matrices(rig.P, xy.reshape(V, -1, 2)).reshape(V, -1, 4, 4, 4)  # (V, N, 4, 4, 4)
    w = valid.astype(float)
    va, ka, vb, kb = (np.array(x) for x in zip(*[(a[0], a[1], b[0], b[1]) for a, b in hyps]))
    pair_m = M[va, ka] * w[va, ka][..., None, None] + M[vb, kb] * w[vb, kb][..., None, None]
    Xh = np.linalg.eigh(pair_m)[1][..., :, 0]
    with np.errstate(invalid="ignore", divide="ignore"):
        torso = Xh[..., :3] / Xh[..., 3:]  # (H, 4, 3)
    torso[(w[va, ka] * w[vb, kb]) == 0] = np.nan

    dist = _distances(rig, torso, xy, valid)  # (H, V, N)
    nearest = dist.min(axis=-1)
    agree = nearest < thr
    score = agree.sum(axis=1) + np.where(agree, 1 - nearest / thr, 0).mean(axis=1)  # count, then quality
    best = int(np.argmax(score))
    if agree[best].sum() < 2:
        return [None] * V

    # Re-triangulate the torso robustly from every agreeing view, then choose per view against it.
    chosen = np.full((V, 33, 3), np.nan)
    for v in np.nonzero(agree[best])[0]:
        chosen[v] = candidates[v][int(np.argmin(dist[best, v]))]
    consensus = triangulate(cameras, chosen, min_confidence, fix_swaps=True).points[TORSO]
    final = dist[best]
    if np.isfinite(consensus).sum() >= 6:
        final = _distances(rig, consensus[None], xy, valid)[0]  # (V, N)
    return [int(np.argmin(final[v])) if final[v].min() < thr[v] else None for v in range(V)]

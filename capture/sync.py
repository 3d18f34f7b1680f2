"""Per-camera frame offsets of unsynchronised cameras, estimated from 2D landmark motion.

For every candidate offset the landmarks of two cameras are paired frame by frame and their
epipolar distance (from the calibration) is averaged; the true offset is where the moving body
satisfies the epipolar geometry. Each camera is first aligned to the reference, then re-aligned to
all other cameras at their estimated offsets (robust to a poor reference baseline).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from twinkit.capture.cameras import Camera
from twinkit.capture.triangulation import Rig, undistort


@dataclass
class SyncEstimate:
    """``offsets[name]``: frame ``t`` of the reference shows the instant of that camera's frame
    ``t + offset``. ``confidence[name]`` in [0, 1] (the reference 1). ``note`` says why offsets were
    left at 0 (too little motion to tell), empty otherwise."""

    offsets: dict[str, int]
    confidence: dict[str, float]
    note: str = ""


def fundamental(a: Camera, b: Camera) -> np.ndarray:
    """Fundamental matrix F with ``x_b^T F x_a = 0`` for undistorted pixels of cameras a and b."""
    R = b.R @ a.R.T
    t = b.t - R @ a.t
    tx = np.array([[0, -t[2], t[1]], [t[2], 0, -t[0]], [-t[1], t[0], 0]])
    return np.linalg.inv(b.K).T @ tx @ R @ np.linalg.inv(a.K)


def _epipolar_cost(F: np.ndarray, xa: np.ndarray, xb: np.ndarray, offsets: np.ndarray, cap: float,
                   min_overlap: int) -> np.ndarray:
    """Mean capped symmetric epipolar distance (px) of tracks xa, xb (T, J, 2) for every offset."""
    cost = np.full(len(offsets), np.inf)
    Ta, Tb = len(xa), len(xb)
    for i, d in enumerate(offsets):
        ta = np.arange(max(0, -d), min(Ta, Tb - d))
        if len(ta) < min_overlap:
            continue
        pa = np.concatenate([xa[ta], np.ones(xa[ta].shape[:-1] + (1,))], axis=-1)
        pb = np.concatenate([xb[ta + d], np.ones(pa.shape[:-1] + (1,))], axis=-1)
        lb = pa @ F.T  # epipolar lines in b
        la = pb @ F  # epipolar lines in a
        num = np.abs(np.sum(pb * lb, axis=-1))
        dist = 0.5 * (num / np.hypot(lb[..., 0], lb[..., 1]) + num / np.hypot(la[..., 0], la[..., 1]))
        dist = dist[np.isfinite(dist)]
        if len(dist) >= min_overlap:
            cost[i] = np.minimum(dist, cap).mean()
    return cost


def estimate_offsets(cameras: Sequence[Camera], tracks: Mapping[str, np.ndarray], reference: str | None = None,
                     max_offset: int = 10, min_confidence: float = 0.5, min_motion: float = 0.01,
                     cap: float = 0.05) -> SyncEstimate:
    """Integer frame offsets of every camera relative to ``reference`` (default: the first camera).

    ``tracks[camera.name]`` (T, J, 3) holds that camera's landmarks per frame ``[x_px, y_px,
    confidence]`` (NaN where undetected). Offsets within ``+-max_offset`` are tried. When the reference
    landmarks move less than ``min_motion`` times the image diagonal (median over landmarks of their
    spread over time), offsets cannot be told apart: all are 0 and ``note`` says so.
    """
    rig = Rig(cameras)
    names = [c.name for c in cameras]
    missing = [n for n in names if n not in tracks]
    if missing:
        raise ValueError(f"no landmark track for camera(s) {missing}")
    ref = names.index(reference) if reference is not None else 0
    V = len(cameras)
    xs = []
    for v, cam in enumerate(cameras):
        trk = np.array(tracks[cam.name], dtype=np.float64)
        trk[np.nan_to_num(trk[..., 2]) < min_confidence, :2] = np.nan
        xs.append(undistort(cam, trk))
    offsets, confidence = np.zeros(V, int), np.zeros(V)
    confidence[ref] = 1.0
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN landmarks are expected
        # The best-moving tenth of the landmarks decides: a raised arm is enough to tell frames apart.
        motion = np.nanpercentile(np.linalg.norm(np.nanstd(xs[ref], axis=0), axis=-1), 90)
    if not np.isfinite(motion) or motion < min_motion * rig.diagonal[ref]:
        note = (f"time offsets not estimated: the subject's limbs move {np.nan_to_num(motion):.1f} px in "
                f"{names[ref]}, too little to tell frames apart; cameras are taken as synchronised")
        return SyncEstimate(dict(zip(names, map(int, offsets))), dict(zip(names, confidence)), note)

    candidates = np.arange(-max_offset, max_offset + 1)
    min_overlap = max(3, min(len(x) for x in xs) // 2)

    def curve(v: int, partners: list[int]) -> np.ndarray:
        total = np.zeros(len(candidates))
        for b in partners:  # camera b at its offset: pair b's frame t + o_b with v's frame t + o_b + d
            total += _epipolar_cost(fundamental(cameras[b], cameras[v]), xs[b], xs[v],
                                    candidates - offsets[b], cap * rig.diagonal[v], min_overlap)
        return total

    for first_round in (True, False):
        for v in (v for v in range(V) if v != ref):
            cost = curve(v, [ref] if first_round else [b for b in range(V) if b != v])
            if not np.isfinite(cost).any():
                continue
            k = int(np.argmin(cost))
            rival = cost[(np.abs(candidates - candidates[k]) >= 2) & np.isfinite(cost)].min(initial=np.inf)
            offsets[v] = candidates[k]
            confidence[v] = float(np.clip(1 - cost[k] / rival, 0, 1)) if np.isfinite(rival) else 0.0
    return SyncEstimate(dict(zip(names, map(int, offsets))), dict(zip(names, map(float, confidence))))

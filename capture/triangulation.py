"""Robust multi-view triangulation of the 33 BlazePose landmarks of one person in one frame.

Not aniposelib (checked: it installs with our constraints but pulls numba and pandas): its RANSAC
ignores detection confidences, loops over points in Python and has no left/right swap handling,
which MediaPipe back views need. The steps here are: undistort, exhaustive RANSAC over view pairs
(deterministic), confidence-weighted DLT on the inliers, Huber-robust refinement with
``scipy.optimize.least_squares``, detection and correction of views whose left/right assignment is
mirrored, then a second pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np
from scipy.optimize import least_squares
from scipy.sparse import coo_matrix

from twinkit.capture.blazepose import MIRROR
from twinkit.capture.cameras import Camera

_LATERAL = np.array([j for j, m in enumerate(MIRROR) if m != j])  # landmarks that have a mirror twin


@dataclass
class Triangulation:
    """Landmarks of one frame in the world frame.

    ``points`` (J, 3) metres, NaN where fewer than two views agree; ``reprojection_px`` (J,) mean
    reprojection error in pixels over the inlier views; ``inliers`` (V, J) views used per landmark; ``swapped`` (V,)
    views whose left/right labels were mirrored (their landmarks were read through ``MIRROR``).
    """

    points: np.ndarray
    reprojection_px: np.ndarray
    inliers: np.ndarray
    swapped: np.ndarray


class Rig:
    """Undistortion and vectorised pinhole projection for a list of cameras (shared by the solvers)."""

    def __init__(self, cameras: Sequence[Camera]) -> None:
        self.cameras = list(cameras)
        self.P = np.stack([c.P for c in self.cameras])  # (V, 3, 4) of the undistorted cameras
        self.diagonal = np.array([np.hypot(c.width, c.height) for c in self.cameras])

    def undistort(self, points2d: np.ndarray) -> np.ndarray:
        """(V, ..., 2+) distorted pixels to (V, ..., 2) undistorted pixels (NaN kept)."""
        return np.stack([undistort(cam, points2d[v]) for v, cam in enumerate(self.cameras)])

    def project(self, X: np.ndarray, views: np.ndarray | None = None) -> np.ndarray:
        """World points (..., J, 3) to undistorted pixels (..., V, J, 2); NaN behind the camera."""
        P = self.P if views is None else self.P[views]
        Xh = np.concatenate([X, np.ones(X.shape[:-1] + (1,))], axis=-1)
        uvw = np.einsum("vab,...jb->...vja", P, Xh)
        with np.errstate(invalid="ignore", divide="ignore"):
            px = uvw[..., :2] / uvw[..., 2:]
        px[uvw[..., 2] <= 0] = np.nan
        return px

    def errors(self, X: np.ndarray, xy: np.ndarray) -> np.ndarray:
        """Pixel distance (..., V, J) between projections of ``X`` (..., J, 3) and ``xy`` (V, J, 2)."""
        return np.linalg.norm(self.project(X) - xy, axis=-1)


def undistort(camera: Camera, pixels: np.ndarray) -> np.ndarray:
    """Distorted pixels (..., 2+) of ``camera`` to undistorted pixels (..., 2); NaN stays NaN."""
    xy = np.asarray(pixels, dtype=np.float64)[..., :2]
    flat = xy.reshape(-1, 2).copy()
    ok = np.isfinite(flat).all(axis=1)
    flat[ok] = camera.undistort_pixels(flat[ok])
    return flat.reshape(xy.shape)


def normal_matrices(P: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """Per view and landmark the DLT normal matrix ``A^T A`` (V, J, 4, 4) of unit-scaled rows."""
    xy = np.nan_to_num(xy)
    M = np.zeros(xy.shape[:-1] + (4, 4))
    for axis in (0, 1):
        rows = xy[..., axis:axis + 1] * P[:, None, 2] - P[:, None, axis]  # (V, J, 4)
        rows = rows / np.maximum(np.linalg.norm(rows, axis=-1, keepdims=True), 1e-12)
        M += rows[..., :, None] * rows[..., None, :]
    return M


def solve_dlt(M: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted DLT from normal matrices ``M`` (V, J, 4, 4) and weights ``w`` (..., V, J) (0 drops a
    view): points (..., J, 3), NaN where fewer than two views have weight."""
    Xh = np.linalg.eigh(np.einsum("...vj,vjab->...jab", w ** 2, M))[1][..., :, 0]  # smallest eigenvalue
    with np.errstate(invalid="ignore", divide="ignore"):
        X = Xh[..., :3] / Xh[..., 3:]
    X[(w > 0).sum(axis=-2) < 2] = np.nan
    return X


def _ransac_pairs(rig: Rig, xy: np.ndarray, w: np.ndarray, M: np.ndarray,
                  thr: np.ndarray) -> np.ndarray:
    """Inlier mask (V, J) of the best view-pair hypothesis per landmark (exhaustive, deterministic)."""
    V, J = w.shape
    pairs = np.array(list(combinations(range(V), 2)))
    if len(pairs) == 0:
        return np.zeros((V, J), bool)
    Mp = M[pairs[:, 0]] + M[pairs[:, 1]]  # (H, J, 4, 4)
    Xh = np.linalg.eigh(Mp)[1][..., :, 0]
    with np.errstate(invalid="ignore", divide="ignore"):
        X = Xh[..., :3] / Xh[..., 3:]
    X[(w[pairs[:, 0]] <= 0) | (w[pairs[:, 1]] <= 0)] = np.nan
    err = rig.errors(X, xy)  # (H, V, J)
    inl = (err < thr[:, None]) & (w > 0)
    score = np.where(inl, w + 1.0 - err / thr[:, None], 0.0).sum(axis=1)  # count, then quality
    idx, cols = np.arange(len(pairs)), np.arange(J)
    score[np.isnan(X).any(axis=-1) | ~inl[idx[:, None], pairs[:, 0, None], cols]
          | ~inl[idx[:, None], pairs[:, 1, None], cols]] = -1
    best = np.argmax(score, axis=0)  # (J,)
    ok = score[best, cols] > 0
    return inl[best, :, cols].T & ok


def _refine(rig: Rig, X: np.ndarray, xy: np.ndarray, w: np.ndarray, scale: float) -> np.ndarray:
    """Minimise the Huber-robust, confidence-weighted reprojection error of every landmark at once."""
    good = np.isfinite(X).all(axis=1)
    v_idx, j_idx = np.nonzero((w > 0) & good[None])
    if len(v_idx) == 0:
        return X
    joints = np.unique(j_idx)
    col = {j: k for k, j in enumerate(joints)}
    jj = np.array([col[j] for j in j_idx])
    sw = np.sqrt(w[v_idx, j_idx])[:, None]
    P = rig.P[v_idx]

    def residuals(params: np.ndarray) -> np.ndarray:
        pts = params.reshape(-1, 3)[jj]
        uvw = np.einsum("mab,mb->ma", P[:, :, :3], pts) + P[:, :, 3]
        return ((uvw[:, :2] / uvw[:, 2:] - xy[v_idx, j_idx]) * sw).ravel()

    rows = np.repeat(np.arange(2 * len(v_idx)), 3)
    cols = (3 * np.repeat(jj, 2)[:, None] + np.arange(3)).ravel()
    sparsity = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(2 * len(v_idx), 3 * len(joints)))
    sol = least_squares(residuals, X[joints].ravel(), jac_sparsity=sparsity, loss="huber",
                        f_scale=scale, x_scale="jac", max_nfev=20, method="trf")
    out = X.copy()
    out[joints] = sol.x.reshape(-1, 3)
    return out


def _solve(rig: Rig, xy: np.ndarray, w: np.ndarray, thr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One robust pass: RANSAC inliers, weighted DLT, inlier update, robust refinement."""
    M = normal_matrices(rig.P, xy)
    inl = _ransac_pairs(rig, xy, w, M, thr)
    X = solve_dlt(M, w * inl)
    inl = (rig.errors(X, xy) < thr[:, None]) & (w > 0)  # re-admit views that agree with the fit
    X = solve_dlt(M, w * inl)
    X = _refine(rig, X, xy, w * inl, scale=float(np.median(thr)) / 3)
    inl = (rig.errors(X, xy) < thr[:, None]) & (w > 0)
    X[inl.sum(axis=0) < 2] = np.nan
    return X, inl


def mirrored_views(rig: Rig, X: np.ndarray, xy: np.ndarray, w: np.ndarray, thr: np.ndarray,
                   margin: float = 0.6) -> np.ndarray:
    """Views (V,) whose lateral landmarks fit the 3D consensus clearly better when read mirrored."""
    def cost(obs: np.ndarray, wt: np.ndarray) -> np.ndarray:
        err = np.nan_to_num(rig.errors(X, obs), nan=np.inf)[:, _LATERAL]
        capped = np.minimum(err / thr[:, None], 1.0)  # truncated (robust) cost
        valid = (wt[:, _LATERAL] > 0) & np.isfinite(X[_LATERAL]).all(axis=1)
        return np.where(valid, capped, 0).sum(axis=1), valid.sum(axis=1)

    direct, n = cost(xy, w)
    flipped, _ = cost(xy[:, MIRROR], w[:, MIRROR])
    return (n >= 4) & (flipped < margin * direct)


def triangulate(cameras: Sequence[Camera], points2d: np.ndarray, min_confidence: float = 0.3,
                threshold: float = 0.014, fix_swaps: bool = True) -> Triangulation:
    """Triangulate one frame of 2D landmarks seen by several calibrated cameras.

    ``points2d`` (V, J, 3) holds ``[x_px, y_px, confidence]`` in each camera's distorted image, NaN
    where a view has no detection. Landmarks below ``min_confidence`` are ignored; a view is an inlier
    for a landmark when its reprojection error is below ``threshold`` times the image diagonal.
    """
    obs = np.asarray(points2d, dtype=np.float64)
    if obs.ndim != 3 or obs.shape[0] != len(cameras) or obs.shape[2] != 3:
        raise ValueError(f"points2d must be (views={len(cameras)}, J, 3), got {obs.shape}")
    rig = Rig(cameras)
    conf = np.nan_to_num(obs[..., 2])
    w = np.where(np.isfinite(obs[..., :2]).all(axis=-1) & (conf >= min_confidence), conf, 0.0)
    xy = rig.undistort(obs)
    thr = threshold * rig.diagonal
    X, inl = _solve(rig, xy, w, thr)
    swapped = np.zeros(len(cameras), bool)
    if fix_swaps and obs.shape[1] == len(MIRROR):
        swapped = mirrored_views(rig, X, xy, w, thr)
        if swapped.any():
            xy[swapped], w[swapped] = xy[swapped][:, MIRROR], w[swapped][:, MIRROR]
            X, inl = _solve(rig, xy, w, thr)
    return Triangulation(X, reprojection_errors(cameras, X, unswap(obs, swapped), inl), inl, swapped)


def unswap(points2d: np.ndarray, swapped: np.ndarray) -> np.ndarray:
    """Copy of ``points2d`` (V, J, 3) with the ``swapped`` views read through ``MIRROR``."""
    out = np.array(points2d, dtype=np.float64)
    out[swapped] = out[swapped][:, MIRROR]
    return out


def reprojection_errors(cameras: Sequence[Camera], X: np.ndarray, points2d: np.ndarray,
                        views: np.ndarray) -> np.ndarray:
    """Mean pixel error (J,) between ``X`` projected with full distortion and the ``views`` (V, J) used."""
    err = np.stack([np.linalg.norm(cam.project(np.nan_to_num(X)) - points2d[v, :, :2], axis=1)
                    for v, cam in enumerate(cameras)])
    used = views & np.isfinite(err)
    with np.errstate(invalid="ignore"):
        out = np.where(used, err, 0).sum(axis=0) / used.sum(axis=0)
    out[~np.isfinite(X).all(axis=1)] = np.nan
    return out

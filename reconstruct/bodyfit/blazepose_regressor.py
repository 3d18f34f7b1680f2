"""anny keypoints placed where BlazePose (MediaPipe Pose) puts its landmarks.

anny's COCO regressor follows COCO's annotation convention; BlazePose places several landmarks elsewhere
(triangulated on virtual-studio renders of anny bodies: hips ~2 cm higher, wrists and knees ~1.4 cm off,
the same on every body to ~2 mm). Fitting anny's COCO points to BlazePose's landmarks therefore bends the
fit (wrist joints ~7 mm too far down the forearm, thighs 1-3 cm too long). This module keeps anny's COCO
regressor and adds, per landmark, a small correction on the vertices nearest its keypoint, calibrated by
``scripts/calibrate_blazepose_regressor.py`` on virtual bodies that no test or bench uses and stored in
``data/landmarks/blazepose_anny.json``. Being a set of vertex weights it poses and reshapes with the body.
Written here because no library maps BlazePose's convention onto anny's mesh.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources

import numpy as np

DATA_FILE = "landmarks/blazepose_anny.json"
SUPPORT = 64                                 # vertices around each keypoint that the correction may weigh
LAMBDAS = tuple(np.geomspace(1e-6, 1e-1, 11))  # ridge strengths tried by leave-one-body-out validation


@dataclass
class Correction:
    """Weights added to anny's COCO regressor row of one landmark: ``delta`` (sums to 0) on ``indices``."""

    indices: np.ndarray  # (S,) vertex indices
    delta: np.ndarray    # (S,)
    ridge: float


def solve_correction(support: np.ndarray, residuals: np.ndarray, ridge: float) -> np.ndarray:
    """Weights ``d`` (summing to 0) on the support vertices minimising
    sum_i |support_i^T d - residual_i|^2 + ridge |d|^2 over the bodies i.

    ``support``: (N, S, 3) the support vertices of N bodies; ``residuals``: (N, 3) what the base regressor
    misses (target - base point). Summing to 0 keeps the regressor translation-invariant."""
    n, s, _ = support.shape
    basis = np.linalg.svd(np.ones((1, s)))[2][1:].T            # (S, S-1) orthonormal, orthogonal to ones
    rows = np.einsum("nsd,sk->ndk", support, basis).reshape(3 * n, s - 1)
    z = np.linalg.solve(rows.T @ rows + ridge * np.eye(s - 1), rows.T @ residuals.reshape(3 * n))
    return basis @ z


def calibrate_landmark(vertices: np.ndarray, targets: np.ndarray, base_weights: np.ndarray, centre: np.ndarray,
                       template: np.ndarray) -> tuple[Correction, dict[str, float]]:
    """One landmark's correction from N calibration bodies.

    ``vertices`` (N, V, 3) posed bodies, ``targets`` (N, 3) BlazePose's triangulated landmark (NaN where
    missing), ``base_weights`` (V,) anny's COCO row, ``centre`` its keypoint on ``template`` (V, 3), the rest
    mesh that picks the support. Returns the correction with the ridge chosen by leave-one-body-out error,
    and that error (mm) before and after."""
    ok = np.all(np.isfinite(targets), axis=1)
    vertices, targets = vertices[ok], targets[ok]
    indices = np.argsort(np.linalg.norm(template - centre, axis=1))[:SUPPORT]
    support = vertices[:, indices]
    residuals = targets - np.einsum("v,nvd->nd", base_weights, vertices)

    def held_out_mm(ridge: float) -> float:
        errors = []
        for i in range(len(targets)):
            keep = np.arange(len(targets)) != i
            delta = solve_correction(support[keep], residuals[keep], ridge)
            errors.append(np.linalg.norm(support[i].T @ delta - residuals[i]))
        return 1000 * float(np.mean(errors))

    scores = {ridge: held_out_mm(ridge) for ridge in LAMBDAS}
    best = min(scores, key=scores.get)
    figures = {"bodies": int(ok.sum()), "before_mm": 1000 * float(np.linalg.norm(residuals, axis=1).mean()),
               "held_out_mm": scores[best]}
    return Correction(indices, solve_correction(support, residuals, best), float(best)), figures


def read_corrections() -> dict[str, Correction]:
    """The stored corrections, by anny COCO keypoint name."""
    document = json.loads(resources.files("twinkit.data").joinpath(DATA_FILE).read_text(encoding="utf-8"))
    return {name: Correction(np.asarray(c["indices"], dtype=np.int64), np.asarray(c["delta"], dtype=np.float64),
                             float(c["ridge"]))
            for name, c in document["corrections"].items()}


def blazepose_weights(coco_weights: np.ndarray, labels: list[str],
                      corrections: dict[str, Correction] | None = None) -> np.ndarray:
    """anny's COCO regressor weights (K, V) with each labelled row corrected to BlazePose's convention."""
    corrections = read_corrections() if corrections is None else corrections
    weights = np.array(coco_weights, dtype=np.float64, copy=True)
    for k, label in enumerate(labels):
        if label in corrections:
            weights[k, corrections[label].indices] += corrections[label].delta
    return weights

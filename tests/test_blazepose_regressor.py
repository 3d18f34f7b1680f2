"""anny's keypoints corrected to BlazePose's landmark convention (reconstruct/bodyfit/blazepose_regressor.py)."""

from __future__ import annotations

import json

import numpy as np

from twinkit.reconstruct.bodyfit.blazepose_regressor import (
    SUPPORT, calibrate_landmark, read_corrections, solve_correction)


def _bodies(rng: np.random.Generator, count: int, vertices: int = 200) -> np.ndarray:
    """``count`` random affine deformations (scale, shear, rotation, shift) of one random point cloud."""
    base = rng.normal(scale=0.05, size=(vertices, 3))
    out = []
    for _ in range(count):
        q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
        stretch = np.diag(rng.uniform(0.8, 1.25, 3)) + rng.normal(scale=0.05, size=(3, 3))
        out.append(base @ (q @ stretch).T + rng.normal(scale=0.5, size=3))
    return np.stack(out)


def test_solved_correction_sums_to_zero_and_fits_the_residuals():
    rng = np.random.default_rng(0)
    support = _bodies(rng, 12, vertices=20)
    truth = rng.normal(scale=0.05, size=20)
    truth -= truth.mean()
    residuals = np.einsum("nsd,s->nd", support, truth)
    delta = solve_correction(support, residuals, ridge=1e-9)
    assert abs(delta.sum()) < 1e-9
    assert np.abs(np.einsum("nsd,s->nd", support, delta) - residuals).max() < 1e-6
    # invariant to moving a body: the same correction explains the shifted body's residual
    assert np.allclose(np.einsum("sd,s->d", support[0] + 1.0, delta), residuals[0], atol=1e-6)


def test_calibration_recovers_a_convention_offset_on_unseen_bodies():
    """A detector that puts a landmark at a fixed barycentre of nearby vertices, not at the base keypoint
    (with 2 mm of noise): the correction learnt on 16 bodies predicts it on 8 others to within the noise."""
    rng = np.random.default_rng(1)
    bodies = _bodies(rng, 24)
    template = bodies[0]
    base = np.zeros(len(template))
    base[np.argsort(np.linalg.norm(template, axis=1))[:4]] = 0.25     # keypoint near the cloud's centre
    near = np.argsort(np.linalg.norm(template - template[7], axis=1))[:3]
    convention = base * 0.4
    convention[near] += 0.6 / 3                                        # detector's point: 60 % towards vertex 7
    targets = np.einsum("v,nvd->nd", convention, bodies) + rng.normal(scale=0.002, size=(24, 3))
    targets[3] = np.nan                                                # a body where the detector failed
    correction, figures = calibrate_landmark(bodies[:16], targets[:16], base, base @ template, template)
    assert figures["bodies"] == 15 and figures["before_mm"] > 20 and figures["held_out_mm"] < 6, figures
    weights = base.copy()
    weights[correction.indices] += correction.delta
    error_mm = 1000 * np.linalg.norm(np.einsum("v,nvd->nd", weights, bodies[16:]) - targets[16:], axis=1)
    before_mm = 1000 * np.linalg.norm(np.einsum("v,nvd->nd", base, bodies[16:]) - targets[16:], axis=1)
    assert error_mm.mean() < 6 < before_mm.mean() / 3, (error_mm, before_mm)


def test_stored_corrections_are_complete_and_were_validated_on_held_out_bodies():
    """The shipped file covers every limb landmark, each correction sums to 0 on SUPPORT vertices, and its
    calibration's held-out error beat anny's COCO keypoints (figures written by the calibration script)."""
    from importlib import resources

    corrections = read_corrections()
    limbs = [f"{side}_{part}" for side in ("left", "right")
             for part in ("shoulder", "elbow", "wrist", "hip", "knee", "ankle")]
    assert set(limbs) <= set(corrections)
    for c in corrections.values():
        assert len(c.indices) == len(set(c.indices.tolist())) == SUPPORT and abs(c.delta.sum()) < 1e-9
    document = json.loads(resources.files("twinkit.data").joinpath("landmarks/blazepose_anny.json").read_text())
    for name in limbs:
        figures = document["figures_mm"][name]
        assert figures["bodies"] >= 20 and figures["held_out_mm"] < figures["before_mm"], (name, figures)
    assert not set(document["seeds"]) & set(range(10)), "calibration bodies must not be the tests' or benches'"

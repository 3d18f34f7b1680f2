"""Robust triangulation and subject choice on synthetic rigs with known ground truth."""

from __future__ import annotations

import time

import numpy as np
import pytest

from synthetic_rig import mirror, observe, ring_rig, skeleton
from twinkit.capture.subject import choose_subject
from twinkit.capture.triangulation import triangulate


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_noisy_views_with_dropouts_outliers_and_swaps(seed: int) -> None:
    rng = np.random.default_rng(seed)
    cams = ring_rig(24, distorted=(1, 5, 9, 14), seed=seed)
    truth = skeleton(rng)
    obs = observe(cams, truth, rng, noise_px=1.5)
    obs[rng.random(obs.shape[:2]) < 0.15] = np.nan  # dropouts
    outliers = rng.choice(24, 3, replace=False)
    obs[outliers, :, :2] += rng.uniform(40, 120, (3, 33, 2)) * rng.choice([-1, 1], (3, 33, 2))
    swapped = np.setdiff1d(rng.choice(24, 4, replace=False), np.r_[outliers, 0])
    obs[swapped] = np.stack([mirror(obs[v]) for v in swapped])
    obs[0, :, 2] = 0.1  # a view below the confidence floor is ignored

    start = time.perf_counter()
    tri = triangulate(cams, obs)
    assert time.perf_counter() - start < 1.0
    err_mm = np.linalg.norm(tri.points - truth, axis=1) * 1000
    assert np.median(err_mm) < 6.0 and err_mm.max() < 15.0, err_mm
    assert set(np.nonzero(tri.swapped)[0]) == set(swapped)
    assert not tri.inliers[outliers].any()
    assert not tri.inliers[0].any()
    assert np.nanmedian(tri.reprojection_px) < 3.0  # px, about the noise level


def test_plain_dlt_is_worse_than_robust() -> None:
    """The robust solver must matter: without swap handling the same frame is clearly worse."""
    rng = np.random.default_rng(7)
    cams = ring_rig(12, seed=7)
    truth = skeleton(rng)
    obs = observe(cams, truth, rng, noise_px=1.0)
    obs[[2, 6, 9]] = np.stack([mirror(obs[v]) for v in (2, 6, 9)])
    robust = np.linalg.norm(triangulate(cams, obs).points - truth, axis=1)
    naive = np.linalg.norm(triangulate(cams, obs, threshold=10.0, fix_swaps=False).points - truth, axis=1)
    assert robust.max() < 0.01 and np.nanmax(naive) > 0.05


def test_two_views_and_unknown_landmarks() -> None:
    rng = np.random.default_rng(3)
    cams = ring_rig(4, distorted=(), seed=3)[:2]  # 90 degrees apart
    truth = skeleton(rng)
    obs = observe(cams, truth, rng, noise_px=0.5)
    obs[1, 5] = np.nan
    tri = triangulate(cams, obs)
    assert np.isnan(tri.points[5]).all() and np.isnan(tri.reprojection_px[5])
    ok = np.delete(np.arange(33), 5)
    assert np.linalg.norm(tri.points[ok] - truth[ok], axis=1).max() < 0.02


def test_subject_chosen_and_bystanders_ignored() -> None:
    rng = np.random.default_rng(4)
    cams = ring_rig(16, seed=4)
    people = [skeleton(rng), skeleton(rng, (1.2, -0.8)), skeleton(rng, (-1.0, 1.1))]
    seen = [observe(cams, p, rng, noise_px=2.0) for p in people]
    candidates, expected = [], []
    for v in range(16):
        dets = [seen[0][v]] + ([seen[1][v]] if v % 2 else []) + ([seen[2][v]] if v % 3 == 0 else [])
        order = rng.permutation(len(dets))
        dets = [dets[i] for i in order]
        subject = int(np.nonzero(order == 0)[0][0])
        if v % 5 == 0:  # the subject is occluded: only bystanders are left, none may be chosen
            dets.pop(subject)
            subject = None
        elif v == 7:
            dets[subject] = mirror(dets[subject])  # a back view with left and right exchanged
        candidates.append(np.stack(dets) if dets else np.zeros((0, 33, 3)))
        expected.append(subject)
    candidates[3], expected[3] = np.zeros((0, 33, 3)), None
    assert choose_subject(cams, candidates) == expected


def test_no_consensus_without_two_views() -> None:
    cams = ring_rig(3, seed=5)
    obs = observe(cams, skeleton(np.random.default_rng(5)), np.random.default_rng(6))
    assert choose_subject(cams, [obs[:1], np.zeros((0, 33, 3)), np.zeros((0, 33, 3))]) == [None] * 3

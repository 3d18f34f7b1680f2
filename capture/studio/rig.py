"""Camera layouts of the virtual studio: rings of cameras around the subject, looking at its centre."""

from __future__ import annotations

import numpy as np

from twinkit.capture.cameras import Camera, look_at

UP = np.array([0.0, 0.0, 1.0])


def ring_heights(rings: int, low: float = 0.8, high: float = 1.6) -> np.ndarray:
    """Heights of ``rings`` rings, evenly spread over [low, high] (one ring sits half-way)."""
    return np.full(1, (low + high) / 2) if rings == 1 else np.linspace(low, high, rings)


def ring_rig(fit_points: np.ndarray, cameras: int = 24, rings: int = 2, size: int = 512,
             radius: float = 3.0, margin: float = 0.08, distortion: float = 0.0,
             rng: np.random.Generator | None = None) -> list[Camera]:
    """``cameras`` square ``size``-pixel cameras on ``rings`` staggered rings of ``radius`` metres.

    All share one focal length, the largest at which every point of ``fit_points`` (N, 3) falls inside
    every image with ``margin`` (fraction of the half-size) to spare. ``distortion`` > 0 gives each camera
    seeded radial coefficients k1, k2 of about that magnitude (needs ``rng``).
    """
    if cameras < rings or rings < 1:
        raise ValueError(f"need at least one camera per ring ({cameras} cameras, {rings} rings)")
    if distortion > 0 and rng is None:
        raise ValueError("distortion needs a random generator")
    lo, hi = fit_points.min(axis=0), fit_points.max(axis=0)
    target = np.array([0.0, 0.0, (lo[2] + hi[2]) / 2])
    per_ring = np.array_split(np.arange(cameras), rings)
    poses = []
    for ring, (height, members) in enumerate(zip(ring_heights(rings), per_ring)):
        stagger = ring * 2 * np.pi / (len(members) * rings)
        for k, _ in enumerate(members):
            a = -np.pi / 2 + stagger + 2 * np.pi * k / len(members)  # camera 0 faces the subject's front
            eye = np.array([radius * np.cos(a), radius * np.sin(a), height])
            poses.append(look_at(eye, target, UP))
    # Normalised image extent of the points in every camera -> the focal length that fits them all.
    extent = max(np.abs(((fit_points @ R.T + t)[:, :2]) / (fit_points @ R.T + t)[:, 2:]).max()
                 for R, t in poses)
    focal = (size / 2) * (1 - margin) / extent
    K = np.array([[focal, 0, (size - 1) / 2], [0, focal, (size - 1) / 2], [0, 0, 1]])
    rigs = []
    for i, (R, t) in enumerate(poses):
        dist = np.zeros(5)
        if distortion > 0:
            dist[:2] = rng.uniform(-distortion, distortion, 2)
        rigs.append(Camera(f"cam{i:02d}", size, size, K, R, t, dist))
    return rigs

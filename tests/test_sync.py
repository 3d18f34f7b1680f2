"""Frame offsets recovered from synthetic 2D landmark tracks of a moving skeleton."""

from __future__ import annotations

import numpy as np

from synthetic_rig import observe, ring_rig, skeleton
from twinkit.capture.sync import estimate_offsets


def _tracks(lag: np.ndarray, moving: bool, frames: int = 60, seed: int = 0) -> tuple[list, dict]:
    """Tracks where camera v's frame t shows the instant t - lag[v] (so its offset is lag[v])."""
    rng = np.random.default_rng(seed)
    cams = ring_rig(len(lag), distorted=(2,), seed=seed)
    rest = skeleton(rng)
    amp = 1.0 if moving else 0.0

    def pose(t: float) -> np.ndarray:
        sway = np.stack([0.3 * np.sin(t / 6 + 2 * rest[:, 2]), 0.2 * np.cos(t / 9 + rest[:, 0]),
                         0.05 * np.sin(t / 4) * np.ones(len(rest))], axis=1)
        return rest + amp * sway

    tracks = {cam.name: np.stack([observe([cam], pose(t - lag[v]), rng, noise_px=1.5)[0]
                                  for t in range(frames)]) for v, cam in enumerate(cams)}
    return cams, tracks


def test_offsets_recovered_from_motion() -> None:
    lag = np.array([0, 3, -2, 0, 5, -4, 1, 7])
    cams, tracks = _tracks(lag, moving=True)
    est = estimate_offsets(cams, tracks, max_offset=8)
    assert [est.offsets[c.name] for c in cams] == list(lag) and not est.note
    assert min(est.confidence[c.name] for c in cams[1:]) > 0.3


def test_offsets_against_another_reference() -> None:
    lag = np.array([0, 3, -2, 4])
    cams, tracks = _tracks(lag, moving=True, seed=1)
    est = estimate_offsets(cams, tracks, reference=cams[1].name, max_offset=8)
    assert [est.offsets[c.name] for c in cams] == list(lag - lag[1])


def test_no_motion_falls_back_to_zero() -> None:
    cams, tracks = _tracks(np.array([0, 3, -2]), moving=False, seed=2)
    est = estimate_offsets(cams, tracks)
    assert list(est.offsets.values()) == [0, 0, 0] and "too little" in est.note

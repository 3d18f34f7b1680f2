"""Unseen parts of a mesh follow the fitted body (reconstruct/mesh/unseen.py): a wrong patch no silhouette
constrains is put back on the true surface, measured as its distance to that surface."""

from __future__ import annotations

import numpy as np
import trimesh

from twinkit.reconstruct.mesh.unseen import fill_unseen_from_body, harmonic_fill


def sphere(radius: float) -> trimesh.Trimesh:
    return trimesh.creation.icosphere(subdivisions=4, radius=radius)


def test_harmonic_fill_keeps_known_values_and_stays_within_their_range():
    mesh = sphere(1.0)
    z = mesh.vertices[:, 2]
    known = np.abs(z) > 0.4
    values = np.where(known, z, 100.0)  # garbage where unknown
    filled = harmonic_fill(mesh, values, known)
    assert np.array_equal(filled[known], z[known])
    band = ~known
    assert filled[band].min() >= z[known].min() - 1e-9 and filled[band].max() <= z[known].max() + 1e-9
    assert np.abs(filled[band] - z[band]).max() < 0.15  # a smooth bridge between the two caps


def test_unseen_patch_takes_the_body_shape_shifted_like_the_seen_skin():
    truth = sphere(0.11)  # the subject
    body = sphere(0.10)  # the fitted body: right shape, 1 cm too small
    direction = truth.vertices / np.linalg.norm(truth.vertices, axis=1, keepdims=True)
    cap = truth.vertices[:, 2] > 0.07  # no view's outline touches it, and the splats left it 15 mm out
    bad = trimesh.Trimesh(truth.vertices + np.where(cap, 0.015, 0.0)[:, None] * direction, truth.faces,
                          process=False)
    filled, figures = fill_unseen_from_body(bad, ~cap, body)
    radius = np.linalg.norm(filled.vertices, axis=1)
    assert np.allclose(filled.vertices[~cap], bad.vertices[~cap])  # seen skin stays where the views put it
    assert np.abs(radius[cap] - 0.11).max() < 0.0015, np.abs(radius[cap] - 0.11).max()
    assert figures["unseen_fraction"] == round(float(cap.mean()), 3) and figures["mean_change_mm"] < -12


def test_unseen_moves_are_capped():
    truth, body = sphere(0.11), sphere(0.10)
    direction = truth.vertices / np.linalg.norm(truth.vertices, axis=1, keepdims=True)
    cap = truth.vertices[:, 2] > 0.07
    bad = trimesh.Trimesh(truth.vertices + np.where(cap, 0.05, 0.0)[:, None] * direction, truth.faces,
                          process=False)  # 5 cm out: further than any fit error, so moved 2 cm at most
    filled, figures = fill_unseen_from_body(bad, ~cap, body, max_shift=0.02)
    moved = np.linalg.norm(filled.vertices - bad.vertices, axis=1)
    assert np.isclose(moved.max(), 0.02) and figures["max_shift_mm"] == 20.0
    assert np.abs(np.linalg.norm(filled.vertices[cap], axis=1) - 0.14).max() < 1e-5

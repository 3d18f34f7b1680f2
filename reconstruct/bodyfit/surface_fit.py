"""Refit the body to the reconstructed skin: the mesh vertices that several views' outlines pin down.

Silhouettes hardly tell age, muscle and weight apart: on virtual bodies the silhouette fit's minimum and the one
near the true phenotype differ by about 1 % of its loss, and the fit can settle in the wrong one (fitted age /
muscle 0.51 / 0.29 for a true 0.90 / 0.63, thighs 31 mm too large in girth). Point-to-plane distances to the
outline-constrained mesh vertices, which lie within about a millimetre of the skin, separate those minima
several times over. The distances have many local minima too, so a small grid of age x muscle x weight starts
(besides the silhouette fit itself) is run briefly and the lowest one continues.

Written here because no maintained library fits anny to a point set; correspondences are SciPy's k-d tree and
the optimiser torch's Adam.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass

import numpy as np
import torch
import trimesh
from scipy.spatial import cKDTree

from twinkit.core.progress import detail, warn
from twinkit.reconstruct.bodyfit.fit import BodyFit, optimise, with_phenotype, body_fit_from_state
from twinkit.reconstruct.bodyfit.losses import geman_mcclure
from twinkit.reconstruct.bodyfit.model import AnnyBody, BodyState

SURFACE_LOSS = "surface"  # the key in BodyFit.losses (and body.json) that marks a body refitted to the skin


@dataclass
class SurfaceFitOptions:
    """Settings of :func:`fit_body_to_surface`; the result is a deterministic function of these and the input."""

    points: int = 3000              # target points drawn (seeded) from those given
    min_points: int = 500           # fewer: too little skin to refit to, the fit is kept
    probe_steps: int = 150          # per start
    final_steps: int = 300          # for the best start
    learning_rate: float = 0.02     # decays to a tenth along a cosine, as in the silhouette fit
    robust_scale_m: float = 0.01    # Geman-McClure scale of the residual
    tangential_weight: float = 0.1  # of the residual along the surface (the normal part weighs 1)
    match_every: int = 10           # steps between nearest-vertex correspondence updates
    pose_prior: float = 1e-5        # squared rotation angle (rad^2) penalty per bone
    ages: tuple[float, ...] = (0.55, 0.85)
    muscles: tuple[float, ...] = (0.35, 0.65)
    weights: tuple[float, ...] = (0.35, 0.65)
    seed: int = 0


class _SurfaceLoss:
    """Robust point-to-plane distance from target points to their nearest body vertices, the matches and the
    vertex normals renewed every ``match_every`` calls."""

    def __init__(self, body: AnnyBody, state: BodyState, points: np.ndarray, options: SurfaceFitOptions):
        self.body, self.state, self.options = body, state, options
        self.points, self.target = points, torch.from_numpy(points)
        self.calls = 0
        self.match = torch.zeros(len(points), dtype=torch.long)  # body vertex nearest each point
        self.normals = torch.zeros(len(points), 3, dtype=torch.float64)  # that vertex's normal

    def __call__(self) -> torch.Tensor:
        vertices = self.body(self.state).vertices
        if self.calls % self.options.match_every == 0:
            found = vertices.detach().numpy()
            self.match = torch.from_numpy(cKDTree(found).query(self.points)[1])
            normals = trimesh.Trimesh(found, self.body.faces, process=False).vertex_normals
            self.normals = torch.from_numpy(np.array(normals))[self.match]
        self.calls += 1
        residual = self.target - vertices[self.match]
        along = (residual * self.normals).sum(-1)
        sq = along**2 + self.options.tangential_weight * ((residual**2).sum(-1) - along**2)
        return geman_mcclure(sq, self.options.robust_scale_m).mean() \
            + self.options.pose_prior * (self.state.pose.norm(dim=-1) ** 2).sum()


def fit_body_to_surface(fit: BodyFit, points: np.ndarray, options: SurfaceFitOptions | None = None,
                        body: AnnyBody | None = None) -> BodyFit:
    """``fit`` refitted (phenotype, pose, placement) to ``points`` (N, 3), world-frame samples of the subject's
    skin; its losses gain :data:`SURFACE_LOSS`. With fewer than ``min_points`` points ``fit`` is returned."""
    options = options or SurfaceFitOptions()
    points = np.asarray(points, dtype=np.float64)
    if len(points) < options.min_points:
        warn(f"body refit: only {len(points)} skin points (need {options.min_points}); keeping the silhouette fit")
        return fit
    body = body or AnnyBody()
    start = time.perf_counter()
    rng = np.random.default_rng(options.seed)
    points = points[np.sort(rng.choice(len(points), min(options.points, len(points)), replace=False))]
    fitted = BodyState.from_parameters(fit.phenotype, fit.pose, fit.transform)
    grid = itertools.product(options.ages, options.muscles, options.weights)
    starts = [fitted] + [with_phenotype(fitted, {"age": a, "muscle": m, "weight": w}) for a, m, w in grid]
    probed = []
    for k, state in enumerate(starts):
        probed.append(optimise(state, state.tensors(), _SurfaceLoss(body, state, points, options),
                                options.probe_steps, options.learning_rate,
                                f"body refit: start {k + 1}/{len(starts)}", 0.1))
    best = starts[int(np.argmin(probed))]
    loss = optimise(best, best.tensors(), _SurfaceLoss(body, best, points, options), options.final_steps,
                     options.learning_rate, "body refit: skin", 0.1)
    seconds = time.perf_counter() - start
    detail(f"body refit: start {int(np.argmin(probed)) + 1} of {len(starts)}, loss {loss:.3g}, {seconds:.1f} s")
    return body_fit_from_state(body, best, fit.frame, {**fit.losses, SURFACE_LOSS: loss},
                               {**fit.timings_s, SURFACE_LOSS: round(seconds, 2)})

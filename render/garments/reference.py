"""Reference bodies: the anny body a garment was authored on, in anny's rest A-pose and frame (Z up, metres),
and fitting an anny phenotype to a body mesh when a user's garment comes with a body mesh instead."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from twinkit.core.errors import InputError
from twinkit.reconstruct.bodyfit.model import PHENOTYPE_KEYS


@dataclass
class ReferenceBody:
    """An anny body in the rest A-pose: vertices (V, 3), faces (F, 3), skin weights (V, J) and bone heads."""

    phenotype: dict[str, float]
    vertices: np.ndarray
    faces: np.ndarray
    weights: np.ndarray
    bone_names: list[str]
    bone_heads: np.ndarray  # (J, 3)

    def head(self, bone: str) -> np.ndarray:
        """Rest position of ``bone``'s head (its joint centre)."""
        return self.bone_heads[self.bone_names.index(bone)]


def parse_phenotype(data: object, path: str | Path | None = None) -> dict[str, float]:
    """An anny phenotype (the six keys, each in [0, 1]) from parsed JSON, with clear errors."""
    if not isinstance(data, dict):
        raise InputError("the reference phenotype must be an object of the six anny phenotype values", path)
    missing = [k for k in PHENOTYPE_KEYS if k not in data]
    if missing:
        raise InputError(f"the reference phenotype lacks {', '.join(missing)}", path)
    try:
        phenotype = {k: float(data[k]) for k in PHENOTYPE_KEYS}
    except (TypeError, ValueError):
        raise InputError("the reference phenotype values must be numbers", path) from None
    outside = [k for k, v in phenotype.items() if not 0.0 <= v <= 1.0]
    if outside:
        raise InputError(f"phenotype value(s) outside [0, 1]: {', '.join(outside)}", path)
    return phenotype


def reference_body(phenotype: dict[str, float]) -> ReferenceBody:
    """The anny body of ``phenotype`` in its rest A-pose (cached per phenotype)."""
    return _reference_body(tuple(float(phenotype[k]) for k in PHENOTYPE_KEYS))


@lru_cache(maxsize=8)
def _reference_body(values: tuple[float, ...]) -> ReferenceBody:
    from twinkit.rig.anny_rig import AnnyRig

    rig = AnnyRig(dict(zip(PHENOTYPE_KEYS, values)))
    vertices, frames = rig.evaluate({})
    return ReferenceBody(rig.phenotype, vertices, rig.faces, rig.weights, rig.names, frames[:, :3, 3])


def fit_phenotype(vertices: np.ndarray, faces: np.ndarray, steps: int = 60,
                  seed: int = 0) -> tuple[dict[str, float], np.ndarray]:
    """``(phenotype, offset (3,))``: the anny body in its rest A-pose that best matches a body mesh given
    with Z up in metres in an A-pose; the mesh lies at anny's body moved by ``offset``. Phenotype and offset
    are optimised with anny's differentiable model against the mesh's surface (symmetric chamfer distance
    between surface samples and anny's vertices)."""
    import torch
    import trimesh

    from twinkit.core.anny_runtime import load_model

    model = load_model()
    rng = np.random.default_rng(seed)
    mesh = trimesh.Trimesh(vertices, faces, process=False)
    samples, _ = trimesh.sample.sample_surface_even(mesh, 2000, seed=seed)
    target = torch.as_tensor(np.asarray(samples), dtype=model.dtype)
    subset = torch.as_tensor(np.sort(rng.choice(model.template_vertices.shape[0], 2500, replace=False)))
    logits = torch.zeros(len(PHENOTYPE_KEYS), dtype=model.dtype, requires_grad=True)
    with torch.no_grad():
        start = model(None, phenotype_kwargs={k: 0.5 for k in PHENOTYPE_KEYS})["vertices"][0]
    shift = (target.mean(0) - start.mean(0)).detach().clone().requires_grad_(True)
    optimiser = torch.optim.Adam([logits, shift], lr=0.1)
    for _ in range(steps):
        optimiser.zero_grad()
        phenotype = torch.sigmoid(logits)
        out = model(None, phenotype_kwargs={k: phenotype[i:i + 1] for i, k in enumerate(PHENOTYPE_KEYS)})
        points = out["vertices"][0][subset] + shift
        d = torch.cdist(points, target)
        loss = d.min(dim=1).values.pow(2).mean() + d.min(dim=0).values.pow(2).mean()
        loss.backward()
        optimiser.step()
    phenotype = {k: float(v) for k, v in zip(PHENOTYPE_KEYS, torch.sigmoid(logits).detach())}
    return phenotype, shift.detach().numpy().astype(np.float64)

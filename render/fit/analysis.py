"""Fit analysis of an avatar: dress it in each size of the garments, measure the fit, rank the sizes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import trimesh

from twinkit.core.progress import progress
from twinkit.render.fit.girths import Plane, measurement_planes, pose_landmarks
from twinkit.render.fit.heatmap import Framing
from twinkit.render.fit.metrics import CONTACT_MM, fit_maps
from twinkit.render.fit.ranking import Ranked, SizeFit, rank_sizes
from twinkit.render.fit.regions import region_fits
from twinkit.render.garments import Dressed, Garment, dress_body, load_garment
from twinkit.render.garments.colliders import BodyCollider
from twinkit.render.measure.avatar import avatar_up
from twinkit.rig.skeleton import Pose, skeleton_from_body_json


@dataclass
class FitAnalysis:
    """Every size of every garment dressed on one avatar: ``fits[garment][size]``, the dressed states by
    size, each garment's ranking and where the body stands (for rendering)."""

    fits: dict[str, dict[str, SizeFit]]
    dressed: dict[str, Dressed]
    rankings: dict[str, list[Ranked]]
    framing: Framing


def size_fits(dressed: Dressed, planes: dict[str, Plane], contact_mm: float = CONTACT_MM) -> list[SizeFit]:
    """The fit of each garment of ``dressed`` (maps and per-region figures) against its collision body."""
    body = trimesh.Trimesh(dressed.body_vertices, dressed.body_faces, process=False)
    out = []
    for garment, vertices in zip(dressed.garments, dressed.vertices):
        maps = fit_maps(vertices, garment.edges, garment.rest_lengths, dressed.body_vertices, dressed.body_faces,
                        contact_mm)
        mesh = trimesh.Trimesh(vertices, garment.faces, process=False)
        out.append(SizeFit(garment.name, garment.size, maps, region_fits(garment.regions, maps, mesh, body, planes)))
    return out


def body_framing(up: np.ndarray, transform: np.ndarray, body_vertices: np.ndarray) -> Framing:
    """The body's up axis, facing direction (anny's front, -y, mapped by the anny-to-world ``transform``),
    centre and height."""
    up = up / np.linalg.norm(up)
    front = transform[:3, :3] @ np.array([0.0, -1.0, 0.0])
    front = front - (front @ up) * up
    heights = body_vertices @ up
    centre = (body_vertices.min(axis=0) + body_vertices.max(axis=0)) / 2
    return Framing(up, front / np.linalg.norm(front), centre, float(heights.max() - heights.min()))


def load_wardrobe(garments: list[str], sizes: list[str]) -> dict[str, list[Garment]]:
    """Each size's garments (library names or garment files); raises InputError for an unknown garment or
    size."""
    return {size: [load_garment(g, size) for g in garments] for size in sizes}


def analyse_fit(avatar_dir: str | Path, wardrobe: dict[str, list[Garment]], pose: Pose | None = None,
                contact_mm: float = CONTACT_MM) -> FitAnalysis:
    """Dress ``avatar_dir`` in each size's garments together (``wardrobe`` from :func:`load_wardrobe`) in
    ``pose`` (None: the rest A-pose), measure every garment and rank its sizes."""
    avatar_dir = Path(avatar_dir)
    skeleton = skeleton_from_body_json(avatar_dir / "body.json")
    up = avatar_up(avatar_dir)
    body = BodyCollider(skeleton.body(pose or {}), skeleton.rig.faces)  # the same body for every size
    planes = measurement_planes(trimesh.Trimesh(body.vertices, body.faces, process=False),
                                pose_landmarks(skeleton, pose or {}, up))
    fits: dict[str, dict[str, SizeFit]] = {}
    dressed_by_size: dict[str, Dressed] = {}
    for size, chosen in progress(wardrobe.items(), desc="fit", total=len(wardrobe), unit="size"):
        dressed = dress_body(body, skeleton.transform[:3, 2], chosen)
        dressed_by_size[size] = dressed
        for fit in size_fits(dressed, planes, contact_mm):
            fits.setdefault(fit.garment, {})[size] = fit
    rankings = {name: rank_sizes(list(by_size.values())) for name, by_size in fits.items()}
    return FitAnalysis(fits, dressed_by_size, rankings, body_framing(up, skeleton.transform, body.vertices))

"""Per-region fit figures of a dressed garment: ease, strain, contact and girth ease."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import trimesh

from twinkit.render.fit.girths import Plane, girth_ease_cm
from twinkit.render.fit.metrics import FitMaps


@dataclass
class RegionFit:
    """Fit figures of one garment region (``name`` as the garment declares it)."""

    name: str
    vertices: int
    mean_ease_mm: float
    min_ease_mm: float
    mean_strain_pct: float
    max_strain_pct: float
    contact_fraction: float
    girth_ease_cm: float | None  # None where the region has no girth level or the garment does not go round

    def to_dict(self) -> dict[str, float | int | str | None]:
        return dict(vars(self))


def region_fit(name: str, mask: np.ndarray, maps: FitMaps, garment: trimesh.Trimesh, body: trimesh.Trimesh,
               plane: Plane | None) -> RegionFit:
    """The figures of the garment vertices in ``mask``; girth ease in ``plane`` when given."""
    ease, strain = maps.ease_mm[mask], 100.0 * maps.strain[mask]
    girth = girth_ease_cm(garment, body, plane) if plane is not None else float("nan")
    return RegionFit(name=name, vertices=int(mask.sum()), mean_ease_mm=float(ease.mean()),
                     min_ease_mm=float(ease.min()), mean_strain_pct=float(strain.mean()),
                     max_strain_pct=float(strain.max()), contact_fraction=float(maps.contact[mask].mean()),
                     girth_ease_cm=None if np.isnan(girth) else float(girth))


def region_fits(regions: dict[str, np.ndarray], maps: FitMaps, garment: trimesh.Trimesh, body: trimesh.Trimesh,
                planes: dict[str, Plane]) -> list[RegionFit]:
    """Figures for every non-empty region of the garment (girth ease for those with a measuring plane)."""
    return [region_fit(name, np.asarray(mask, bool), maps, garment, body, planes.get(name))
            for name, mask in regions.items() if np.any(mask)]

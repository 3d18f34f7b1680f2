"""Rank the sizes of a garment by how well they fit, with the reasons in words a fit team reads."""

from __future__ import annotations

from dataclasses import dataclass, field

from twinkit.render.fit.bands import STRAIN_SLACK, STRAIN_TIGHT, STRAIN_TOO_TIGHT, ease_bands
from twinkit.render.fit.metrics import FitMaps
from twinkit.render.fit.regions import RegionFit

PENETRATION_LIMIT_MM = 2.0
TIGHT_WEIGHT = 2.0       # a centimetre too tight costs twice a centimetre too loose
STRAIN_WEIGHT_CM = 1.0   # score (cm-equivalent) per percent of mean strain above STRAIN_TIGHT or below STRAIN_SLACK
CENTRE_WEIGHT = 0.1      # inside a band, a small cost per cm from its middle: of two sizes that both fit, the
                         # one nearer the intended ease ranks first


@dataclass
class SizeFit:
    """One size of one garment dressed on the avatar: its maps and per-region figures."""

    garment: str
    size: str
    maps: FitMaps
    regions: list[RegionFit]

    def to_dict(self) -> dict:
        return {"garment": self.garment, "size": self.size, "penetration_mm": self.maps.penetration_mm,
                "mean_ease_mm": float(self.maps.ease_mm.mean()),
                "mean_strain_pct": float(100 * self.maps.strain.mean()),
                "contact_fraction": float(self.maps.contact.mean()),
                "regions": [r.to_dict() for r in self.regions]}


@dataclass
class Ranked:
    """A size's place in the ranking: lower ``score`` fits better (0 = inside every band, no strain)."""

    size: str
    score: float
    reasons: list[str] = field(default_factory=list)
    rank: int = 0

    def to_dict(self) -> dict:
        return {"rank": self.rank, "size": self.size, "score": round(self.score, 3), "reasons": self.reasons}


def _ease_term(region: RegionFit, garment: str) -> tuple[float, str | None]:
    band = ease_bands(garment).get(region.name)
    if band is None or region.girth_ease_cm is None:
        return 0.0, None
    low, high = band
    ease = region.girth_ease_cm
    if ease < low:
        return TIGHT_WEIGHT * (low - ease), (f"{region.name} ease {ease:.1f} cm, below the {low:g} cm minimum "
                                             f"for a {garment} — too tight")
    if ease > high:
        return ease - high, f"{region.name} ease {ease:.1f} cm, above the {high:g} cm maximum for a {garment} — loose"
    return CENTRE_WEIGHT * abs(ease - (low + high) / 2), f"{region.name} ease {ease:.1f} cm, within {low:g}–{high:g} cm"


def _strain_term(region: RegionFit) -> tuple[float, str | None]:
    strain = region.mean_strain_pct
    if strain < 100 * STRAIN_SLACK:
        return STRAIN_WEIGHT_CM * (100 * STRAIN_SLACK - strain), f"{region.name} strain {strain:.1f}% — slack, bunches"
    if strain <= 100 * STRAIN_TIGHT:
        return 0.0, None
    word = "too tight, pulls" if strain > 100 * STRAIN_TOO_TIGHT else "tight"
    return STRAIN_WEIGHT_CM * (strain - 100 * STRAIN_TIGHT), f"{region.name} strain {strain:.1f}% — {word}"


def score_size(fit: SizeFit) -> Ranked:
    """Score one size: distance of each region's girth ease from its band, strain above the tight limit or
    compression below the slack one, penetration beyond the limit; every term that counts gives a reason."""
    score, reasons = 0.0, []
    for region in fit.regions:
        for cost, reason in (_ease_term(region, fit.garment), _strain_term(region)):
            score += cost
            if reason:
                reasons.append(reason)
    depth = fit.maps.penetration_mm
    if depth > PENETRATION_LIMIT_MM:
        score += depth - PENETRATION_LIMIT_MM
        reasons.append(f"garment sinks {depth:.1f} mm into the body (limit {PENETRATION_LIMIT_MM:g} mm)")
    return Ranked(fit.size, score, reasons)


def rank_sizes(fits: list[SizeFit]) -> list[Ranked]:
    """The sizes of one garment, best first (ties keep the given order)."""
    ranked = sorted((score_size(f) for f in fits), key=lambda r: r.score)
    for i, r in enumerate(ranked, start=1):
        r.rank = i
    return ranked

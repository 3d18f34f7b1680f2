"""Target wearing-ease bands per garment type: the one table the size ranking scores against.

Girth ease (garment girth minus body girth at the ISO 8559-1 level, cm) that a regular fit of each garment
type allows, per region. The ranges follow the wearing-ease allowances that pattern-making references give
for the basic blocks (e.g. W. Aldrich, *Metric Pattern Cutting*; H. J. Armstrong, *Patternmaking for
Fashion Design*): a fitted bodice/dress ~5-10 cm at the bust and 2-8 cm at the waist, a jersey t-shirt
4-12 cm at the chest, trousers 0-4 cm at the waist (held by the waistband) and 3-10 cm at the hip, an
outer jacket 8-18 cm at the chest (it goes over a shirt). Types not listed (a user's garment) use
``default``. Strain limits: knitted and woven cloth worn with more than ~3 % average stretch feels tight,
beyond ~8 % it pulls visibly (seams open, drag lines); cloth relaxed to more than ~1 % shorter than its
rest length is slack: there is more fabric than body, the garment bunches (too big).
"""

from __future__ import annotations

EASE_BANDS_CM: dict[str, dict[str, tuple[float, float]]] = {
    "tshirt": {"chest": (4.0, 12.0), "waist": (4.0, 18.0), "hip": (4.0, 18.0), "sleeve": (2.0, 10.0)},
    "dress": {"chest": (4.0, 10.0), "waist": (2.0, 10.0), "hip": (4.0, 14.0)},
    "trousers": {"waist": (0.0, 4.0), "hip": (3.0, 10.0), "thigh": (3.0, 12.0)},
    "jacket": {"chest": (8.0, 18.0), "waist": (8.0, 22.0), "hip": (8.0, 22.0), "sleeve": (6.0, 18.0)},
    "default": {"chest": (4.0, 12.0), "waist": (2.0, 14.0), "hip": (3.0, 14.0), "thigh": (3.0, 12.0),
                "sleeve": (2.0, 10.0)},
}
STRAIN_TIGHT = 0.03      # mean stretch in a region above which the garment feels tight
STRAIN_TOO_TIGHT = 0.08  # ... and above which it pulls visibly
STRAIN_SLACK = -0.01     # mean compression beyond which the cloth bunches


def ease_bands(garment_name: str) -> dict[str, tuple[float, float]]:
    """The girth-ease bands (cm) of a garment type, the ``default`` ones for a type not in the table."""
    return EASE_BANDS_CM.get(garment_name, EASE_BANDS_CM["default"])

"""The stacking order of an outfit: which garment lies under which, so that each one is dressed over (and
collides with) every garment below it.

Garments are ordered by their declared ``layer`` (0 next to the skin, 1 over it), then within a layer by
part: tops worn ``tucked`` under the bottoms, then bottoms (trousers, skirts), then tops over the
waistband, then full garments (a dress over a t-shirt or leggings); ties keep the outfit's order (the first
named lies under). The order is a pure function of the garments' sidecars and the outfit's order.
"""

from __future__ import annotations

from twinkit.render.garments.garment import Garment

PARTS = ("top", "bottom", "full")


def stack_key(garment: Garment) -> tuple[int, int]:
    """``(layer, rank within the layer)``: lower keys lie closer to the skin."""
    if garment.part == "bottom":
        rank = 1
    elif garment.part == "full":
        rank = 3
    else:
        rank = 0 if garment.tucked else 2
    return garment.layer, rank


def stacking_order(garments: list[Garment]) -> list[Garment]:
    """``garments`` from the innermost to the outermost (a stable sort by :func:`stack_key`)."""
    return sorted(garments, key=stack_key)

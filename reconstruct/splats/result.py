"""What a rasterizer returns, the same for every backend."""

from __future__ import annotations

from typing import Any, NamedTuple

from torch import Tensor


class Render(NamedTuple):
    """Rendered images for C cameras: ``rgb`` (C,H,W,3) composited over the background, accumulated
    ``alpha`` (C,H,W,1), expected camera-space ``depth`` (C,H,W,1) (sum w z / alpha), and ``meta`` with
    gsplat's per-Gaussian projection results (``means2d``, ``conics``, ``depths``, ``radii``, ``opacities``;
    ``means2d`` is the graph tensor whose gradient densification strategies read)."""

    rgb: Tensor
    alpha: Tensor
    depth: Tensor
    meta: dict[str, Any]

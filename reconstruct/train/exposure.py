"""Per-camera exposure compensation: studio cameras differ in gain and white balance."""

from __future__ import annotations

import torch
from torch import Tensor


class Exposure(torch.nn.Module):
    """A per-channel gain and bias for each of ``n`` training cameras, identity at the start.

    Applied to the premultiplied render before the background is composited, so that only the subject's
    colours are corrected; :meth:`penalty` regularises towards identity.
    """

    def __init__(self, n: int) -> None:
        super().__init__()
        self.delta = torch.nn.Parameter(torch.zeros(n, 2, 3))  # [gain - 1, bias] per camera and channel

    def forward(self, index: int, rgb: Tensor, alpha: Tensor) -> Tensor:
        """Corrected premultiplied colour (H,W,3) of camera ``index`` from ``rgb`` (H,W,3), ``alpha`` (H,W,1)."""
        gain, bias = 1.0 + self.delta[index, 0], self.delta[index, 1]
        return rgb * gain + alpha * bias

    def penalty(self) -> Tensor:
        """Mean squared distance from identity."""
        return self.delta.square().mean()

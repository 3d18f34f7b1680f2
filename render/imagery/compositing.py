"""Rendered layers (premultiplied colour + coverage + depth) and the backgrounds they are composited over."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from twinkit.core.errors import InputError

_NAMED = {"white": (255, 255, 255), "black": (0, 0, 0), "grey": (128, 128, 128), "gray": (128, 128, 128)}


@dataclass
class Layer:
    """What a renderer returns: ``rgb`` (H, W, 3) float32 premultiplied by ``alpha`` (H, W) float32 in
    [0, 1], and ``depth`` (H, W) float32 metres along the optical axis (0 where nothing)."""

    rgb: np.ndarray
    alpha: np.ndarray
    depth: np.ndarray


@dataclass(frozen=True)
class Background:
    """A solid ``colour`` (RGB 0-255), an ``image`` file scaled to fill, or transparent (both None)."""

    colour: tuple[int, int, int] | None = None
    image: Path | None = None

    @property
    def transparent(self) -> bool:
        return self.colour is None and self.image is None


def parse_background(spec: str) -> Background:
    """``white`` / ``black`` / ``grey``, ``#RRGGBB``, ``transparent`` or the path of an image file."""
    if spec == "transparent":
        return Background()
    if spec.lower() in _NAMED:
        return Background(colour=_NAMED[spec.lower()])
    if re.fullmatch(r"#[0-9a-fA-F]{6}", spec):
        return Background(colour=tuple(int(spec[i:i + 2], 16) for i in (1, 3, 5)))
    path = Path(spec)
    if not path.is_file():
        raise InputError("background is not white, black, grey, #RRGGBB, transparent or an image file", spec)
    try:
        with Image.open(path) as image:
            image.verify()
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read the background image ({exc})", path) from None
    return Background(image=path)


@functools.lru_cache(maxsize=4)
def _backdrop(background: Background, width: int, height: int) -> np.ndarray:
    """The background at the image's size (an image file is decoded and scaled once per size)."""
    if background.image is None:
        return np.broadcast_to(np.asarray(background.colour, np.float32) / 255, (height, width, 3))
    with Image.open(background.image) as image:
        filled = ImageOps.fit(image.convert("RGB"), (width, height), Image.LANCZOS)  # cover, centred crop
    return np.asarray(filled, np.float32) / 255


def compose(layer: Layer, background: Background) -> np.ndarray:
    """The layer over the background as uint8 RGB, or RGBA (straight alpha) for a transparent one."""
    height, width = layer.alpha.shape
    alpha = np.clip(layer.alpha, 0.0, 1.0)[..., None]
    if background.transparent:
        colour = np.where(alpha > 0, layer.rgb / np.maximum(alpha, 1e-6), 0.0)
        out = np.concatenate([colour, alpha], axis=-1)
    else:
        out = layer.rgb + (1.0 - alpha) * _backdrop(background, width, height)
    return np.round(np.clip(out, 0.0, 1.0) * 255).astype(np.uint8)


def over(front: Layer, back: Layer) -> Layer:
    """Depth-aware merge of two layers: per pixel, whichever surface is nearer goes over the other."""
    front_first = (front.alpha > 0) & ((back.alpha <= 0) | (front.depth <= back.depth))
    near = np.where(front_first[..., None], front.rgb, back.rgb)
    far = np.where(front_first[..., None], back.rgb, front.rgb)
    near_alpha = np.where(front_first, front.alpha, back.alpha)
    far_alpha = np.where(front_first, back.alpha, front.alpha)
    rgb = near + (1.0 - near_alpha[..., None]) * far
    alpha = near_alpha + (1.0 - near_alpha) * far_alpha
    depth = np.where(front_first, front.depth, back.depth)
    return Layer(rgb.astype(np.float32), alpha.astype(np.float32), depth.astype(np.float32))

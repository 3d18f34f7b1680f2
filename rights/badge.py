"""The visible "AI-generated" badge: drawn on every image, found again by ``twin verify``."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import matplotlib
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from twinkit.core.errors import InputError

LABELS = {
    "en": "AI-generated",
    "fr": "Généré par IA",
    "de": "KI-generiert",
    "es": "Generado por IA",
    "it": "Generato con IA",
    "pt": "Gerado por IA",
    "nl": "AI-gegenereerd",
}
POSITIONS = ("bottom-right", "bottom-left", "top-right", "top-left")
# DejaVu Sans (shipped with matplotlib) covers the accents of every label; Pillow's own font does not.
FONT = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans-Bold.ttf"
PRESENT_SCORE = 0.6  # correlation with the expected badge above which it counts as present


@dataclass(frozen=True)
class BadgeOptions:
    """Where and how the badge is drawn. ``size``: text height as a fraction of the shorter side."""

    enabled: bool = True
    position: str = "bottom-right"
    size: float = 0.04
    language: str = "en"

    def __post_init__(self) -> None:
        if self.position not in POSITIONS:
            raise InputError(f"badge position must be one of {', '.join(POSITIONS)}, got {self.position!r}")
        if self.language not in LABELS:
            raise InputError(f"badge language must be one of {', '.join(LABELS)}, got {self.language!r}")
        if not 0.01 <= self.size <= 0.25:
            raise InputError(f"badge size must be between 0.01 and 0.25 of the image, got {self.size}")

    @property
    def text(self) -> str:
        return LABELS[self.language]

    def to_dict(self) -> dict:
        return {"position": self.position, "size": self.size, "language": self.language}


@cache
def _font(pixels: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT), pixels)


def _layout(width: int, height: int, options: BadgeOptions) -> tuple[ImageFont.FreeTypeFont, tuple[int, int, int, int]]:
    """The font and the badge's box (x0, y0, x1, y1) for an image of this size."""
    font = _font(max(10, round(options.size * min(width, height))))
    left, top, right, bottom = font.getbbox(options.text)
    pad = max(3, (bottom - top) // 3)
    box_w, box_h = right - left + 2 * pad, bottom - top + 2 * pad
    margin = max(2, min(width, height) // 100)
    x0 = margin if options.position.endswith("left") else width - margin - box_w
    y0 = margin if options.position.startswith("top") else height - margin - box_h
    if x0 < 0 or y0 < 0:
        raise InputError(f"image {width}x{height} is too small for the badge at size {options.size}")
    return font, (x0, y0, x0 + box_w, y0 + box_h)


def draw_badge(image: Image.Image, options: BadgeOptions) -> Image.Image:
    """A copy of ``image`` (RGB, or RGBA when it has transparency) with the badge: white text on an
    opaque dark box."""
    out = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    font, (x0, y0, x1, y1) = _layout(*out.size, options)
    draw = ImageDraw.Draw(out)
    draw.rectangle((x0, y0, x1 - 1, y1 - 1), fill=(20, 20, 20))
    left, top, _, _ = font.getbbox(options.text)
    pad = (y1 - y0 - (font.getbbox(options.text)[3] - top)) // 2
    draw.text((x0 + pad - left, y0 + pad - top), options.text, font=font, fill=(255, 255, 255))
    return out


def badge_score(image: Image.Image, options: BadgeOptions) -> float:
    """Correlation (-1..1) between the image and the expected badge in the badge's box.

    About 1 where the badge is intact (also after lossy re-encoding), about 0 where it is missing.
    """
    gray = image.convert("L")
    _, (x0, y0, x1, y1) = _layout(*gray.size, options)
    expected = draw_badge(Image.new("RGB", gray.size, (128, 128, 128)), options).convert("L")
    a = np.asarray(gray.crop((x0, y0, x1, y1)), dtype=np.float64).ravel()
    b = np.asarray(expected.crop((x0, y0, x1, y1)), dtype=np.float64).ravel()
    a, b = a - a.mean(), b - b.mean()
    denominator = np.sqrt((a * a).sum() * (b * b).sum())
    return float((a * b).sum() / denominator) if denominator > 0 else 0.0

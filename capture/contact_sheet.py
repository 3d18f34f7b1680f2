"""The contact sheet of ``twin capture check``: every camera's key frame with mask and landmarks drawn."""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw

from twinkit.capture import blazepose
from twinkit.capture.landmarks_io import landmark_files, read_landmarks2d
from twinkit.capture.layout import Capture
from twinkit.capture.media import read_image

_VERDICT_COLOURS = {"ok": (40, 170, 80), "WARN": (230, 160, 20), "FAIL": (210, 40, 40)}
_MASK_TINT = np.array([60, 140, 255], dtype=np.float32)


def _verdict(row: dict | None) -> str:
    if row is None:
        return "ok"
    return "FAIL" if not row["usable"] else "WARN" if row["warnings"] else "ok"


def annotated_view(rgb: np.ndarray, mask: np.ndarray, landmarks: np.ndarray | None,
                   height: int) -> Image.Image:
    """One view scaled to ``height`` px: mask tinted blue, skeleton and confident landmarks drawn."""
    tinted = rgb.astype(np.float32)
    tinted[mask] = 0.6 * tinted[mask] + 0.4 * _MASK_TINT
    image = Image.fromarray(tinted.astype(np.uint8))
    scale = height / rgb.shape[0]
    image = image.resize((max(1, round(rgb.shape[1] * scale)), height), Image.BILINEAR)
    if landmarks is not None:
        draw = ImageDraw.Draw(image)
        pts = landmarks[:, :2] * scale
        ok = landmarks[:, 2] >= 0.5
        for a, b in blazepose.SKELETON:
            i, j = blazepose.INDEX[a], blazepose.INDEX[b]
            if ok[i] and ok[j]:
                draw.line([tuple(pts[i]), tuple(pts[j])], fill=(255, 255, 0), width=2)
        for i in np.flatnonzero(ok):
            x, y = pts[i]
            side = (255, 80, 80) if "left" in blazepose.NAMES[i] else (80, 255, 80)
            draw.ellipse([x - 2, y - 2, x + 2, y + 2], fill=side)
    return image


def contact_sheet(capture: Capture, rows: dict[str, dict], frame: int | None = None,
                  tile_height: int = 256, columns: int = 8) -> Image.Image:
    """A grid of every camera at ``frame`` (default: the capture's key frame), labelled with its verdict."""
    frame = capture.manifest.extra.get("key_frame", capture.frames[0]) if frame is None else frame
    lm2d = read_landmarks2d(landmark_files(capture.root)[0]).get(frame, {})
    tiles = []
    for cam in capture.cameras:
        rgb = read_image(capture.image_path(cam.name, frame))
        mask = read_image(capture.mask_path(cam.name, frame), mode="L") > 127
        tile = annotated_view(rgb, mask, lm2d.get(cam.name), tile_height)
        verdict = _verdict(rows.get(cam.name))
        label_tile(tile, f"{cam.name}  {verdict}", _VERDICT_COLOURS[verdict])
        tiles.append(tile)
    return tile_grid(tiles, columns)


def label_tile(tile: Image.Image, text: str, colour: tuple[int, int, int]) -> None:
    """Draw ``text`` in white on a ``colour`` bar across the top of ``tile`` (in place)."""
    draw = ImageDraw.Draw(tile)
    draw.rectangle([0, 0, tile.width - 1, 15], fill=colour)
    draw.text((3, 2), text, fill=(255, 255, 255))


def tile_grid(tiles: list[Image.Image], columns: int, background: tuple[int, int, int] = (32, 32, 32)) -> Image.Image:
    """Tiles of one height in rows of ``columns``, each in a cell as wide as the widest tile."""
    tile_w, tile_h = max(t.width for t in tiles), tiles[0].height
    cols = min(columns, len(tiles))
    sheet = Image.new("RGB", (cols * tile_w, math.ceil(len(tiles) / cols) * tile_h), background)
    for k, tile in enumerate(tiles):
        sheet.paste(tile, ((k % cols) * tile_w, (k // cols) * tile_h))
    return sheet

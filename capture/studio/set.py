"""The studio set around the subject: a patterned floor and a cylindrical backdrop with noise and
fiducial markers, so that structure-from-motion finds features when the calibration is withheld."""

from __future__ import annotations

import cv2
import numpy as np
import trimesh
from PIL import Image

FLOOR_SIZE = 14.0       # metres, square, centred on the origin
BACKDROP_RADIUS = 6.5   # metres
BACKDROP_HEIGHT = 6.0


def _noise(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """Multi-scale colour value noise in [0, 1] (random grids upsampled bicubically and summed)."""
    out = np.zeros((height, width, 3), np.float32)
    for cells, amplitude in ((4, 0.5), (16, 0.3), (64, 0.2), (256, 0.12)):
        grid = rng.uniform(-1, 1, size=(max(2, cells * height // width), cells, 3)).astype(np.float32)
        out += amplitude * cv2.resize(grid, (width, height), interpolation=cv2.INTER_CUBIC)
    return np.clip(0.5 + 0.5 * out, 0, 1)


def _shapes(rng: np.random.Generator, image: np.ndarray, count: int, max_size: int) -> None:
    """Scatter random filled circles and rectangles in random colours (in place)."""
    h, w = image.shape[:2]
    for _ in range(count):
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        x, y, s = int(rng.integers(w)), int(rng.integers(h)), int(rng.integers(max_size // 4, max_size))
        if rng.uniform() < 0.5:
            cv2.circle(image, (x, y), s // 2, colour, -1, cv2.LINE_AA)
        else:
            cv2.rectangle(image, (x, y), (x + s, y + int(s * rng.uniform(0.3, 1.0))), colour, -1)


def _markers(rng: np.random.Generator, image: np.ndarray, count: int, size: int) -> None:
    """Paste ArUco markers (OpenCV's dictionary) at random places (in place)."""
    dictionary = cv2.aruco.getPredefinedDictionary(cv2.aruco.DICT_4X4_250)
    h, w = image.shape[:2]
    for marker_id in range(count):
        tile = cv2.aruco.generateImageMarker(dictionary, marker_id, size, borderBits=1)
        tile = cv2.copyMakeBorder(tile, size // 8, size // 8, size // 8, size // 8, cv2.BORDER_CONSTANT,
                                  value=255)
        y, x = int(rng.integers(0, h - tile.shape[0])), int(rng.integers(0, w - tile.shape[1]))
        image[y:y + tile.shape[0], x:x + tile.shape[1]] = tile[..., None]


def floor_texture(rng: np.random.Generator, size: int = 2048) -> np.ndarray:
    image = (_noise(rng, size, size) * np.array([0.55, 0.5, 0.45]) * 255 + 40).astype(np.uint8)
    _shapes(rng, image, 900, size // 40)
    return image


def backdrop_texture(rng: np.random.Generator, width: int = 4096, height: int = 768) -> np.ndarray:
    image = (_noise(rng, height, width) * 200 + 30).astype(np.uint8)
    _shapes(rng, image, 700, height // 12)
    _markers(rng, image, 60, height // 10)
    return image


def _textured(vertices: np.ndarray, faces: np.ndarray, uv: np.ndarray, image: np.ndarray) -> trimesh.Trimesh:
    material = trimesh.visual.material.SimpleMaterial(image=Image.fromarray(image), diffuse=[255] * 4)
    return trimesh.Trimesh(vertices, faces, visual=trimesh.visual.TextureVisuals(uv=uv, material=material),
                           process=False)


def studio_set(rng: np.random.Generator, segments: int = 96) -> list[trimesh.Trimesh]:
    """The floor (z = 0) and the backdrop (inward-facing cylinder), textured from ``rng``."""
    half = FLOOR_SIZE / 2
    floor = _textured(np.array([[-half, -half, 0], [half, -half, 0], [half, half, 0], [-half, half, 0]]),
                      np.array([[0, 1, 2], [0, 2, 3]]), np.array([[0, 0], [1, 0], [1, 1], [0, 1]], float),
                      floor_texture(rng))
    angles = np.linspace(0, 2 * np.pi, segments + 1)
    ring = np.stack([BACKDROP_RADIUS * np.cos(angles), BACKDROP_RADIUS * np.sin(angles)], axis=1)
    vertices = np.concatenate([np.column_stack([ring, np.zeros(segments + 1)]),
                               np.column_stack([ring, np.full(segments + 1, BACKDROP_HEIGHT)])])
    uv = np.column_stack([np.tile(angles / (2 * np.pi), 2), np.repeat([0.0, 1.0], segments + 1)])
    i = np.arange(segments)
    top = i + segments + 1
    faces = np.concatenate([np.stack([i, top, i + 1], 1), np.stack([i + 1, top, top + 1], 1)])  # face inwards
    return [floor, _textured(vertices, faces, uv, backdrop_texture(rng))]

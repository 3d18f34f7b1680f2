"""The process's one offscreen OpenGL renderer (pyrender, EGL: Mesa llvmpipe on a CPU, NVIDIA on a GPU).

pyrender's EGL platform terminates the display when any renderer is deleted, which breaks every other live
renderer in the process; so every stage that renders (the virtual studio, imagery, fit heat maps) shares
this one, resizes it per image, and it is freed only when the process exits.
"""

from __future__ import annotations

import atexit
import functools
import os

os.environ.setdefault("PYOPENGL_PLATFORM", "egl")  # must precede the pyrender import

import pyrender  # noqa: E402


@functools.lru_cache(maxsize=1)
def offscreen() -> pyrender.OffscreenRenderer:
    """The shared renderer; set ``viewport_width``/``viewport_height`` before each render."""
    renderer = pyrender.OffscreenRenderer(64, 64)
    atexit.register(renderer.delete)
    return renderer


def sized(width: int, height: int) -> pyrender.OffscreenRenderer:
    """The shared renderer resized to ``width`` x ``height``."""
    renderer = offscreen()
    renderer.viewport_width, renderer.viewport_height = width, height
    return renderer

"""H.264 clips of rendered frames (PyAV, yuv420p), as a studio's synchronised cameras would record them."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np


class ClipWriter:
    """Encodes RGB uint8 frames (H, W, 3; even H and W) into an mp4; use as a context manager."""

    def __init__(self, path: str | Path, width: int, height: int, fps: int, crf: int = 18) -> None:
        self._container = av.open(str(path), mode="w")
        self._stream = self._container.add_stream("libx264", rate=fps)
        self._stream.width, self._stream.height = width, height
        self._stream.pix_fmt = "yuv420p"
        self._stream.options = {"crf": str(crf), "preset": "fast"}

    def add(self, rgb: np.ndarray) -> None:
        self._container.mux(self._stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")))

    def __enter__(self) -> "ClipWriter":
        return self

    def __exit__(self, *exc: object) -> None:
        self._container.mux(self._stream.encode())  # flush the encoder
        self._container.close()

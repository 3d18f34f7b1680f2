"""MediaPipe graphs, started with their native start-up chatter (absl, TFLite) kept off the terminal.

MediaPipe's C++ side logs through absl before any log level can be set from Python (GLOG_minloglevel and
friends are ignored by the 0.10 wheels), so the graph is built and warmed up with the native output silenced;
errors still surface as Python exceptions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import mediapipe as mp
import numpy as np

from twinkit.core.quiet import native_output_silenced

G = TypeVar("G")


def start_graph(factory: Callable[[], G]) -> G:
    """Build a MediaPipe solution with ``factory`` and run it once on a blank image, quietly."""
    with native_output_silenced():
        graph = factory()
        graph.process(np.zeros((48, 64, 3), dtype=np.uint8))  # not square: flushes every start-up warning
    return graph


__all__ = ["mp", "start_graph"]

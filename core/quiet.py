"""Keep native libraries' start-up chatter (warp, absl, TFLite) off the terminal.

Some native libraries print banners straight to file descriptors 1 and 2, where no Python logging
setting reaches; this points those descriptors at /dev/null for the duration of a block. With ``-v``
nothing is hidden.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from twinkit.core.progress import verbosity


@contextmanager
def native_output_silenced() -> Iterator[None]:
    """Silence native writes to stdout and stderr inside the block (Python exceptions still propagate)."""
    if verbosity() >= 2:
        yield
        return
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (*saved, devnull):
            os.close(fd)

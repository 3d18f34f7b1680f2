"""Verbosity and progress bars shared by every command (``-q`` silences, ``-v`` adds detail)."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

from tqdm import tqdm

T = TypeVar("T")
log = logging.getLogger("twinkit")

_verbosity = 1  # 0 quiet, 1 normal, 2 verbose


def set_verbosity(level: int) -> None:
    """Set the global verbosity (0 quiet, 1 normal, 2 verbose) and configure logging to match."""
    global _verbosity
    _verbosity = level
    logging.basicConfig(format="%(levelname)s: %(message)s", stream=sys.stderr, force=True,
                        level={0: logging.ERROR, 1: logging.WARNING}.get(level, logging.INFO))


def verbosity() -> int:
    return _verbosity


def info(message: str) -> None:
    """A line of normal output (suppressed by ``-q``)."""
    if _verbosity >= 1:
        tqdm.write(message, file=sys.stderr)


def detail(message: str) -> None:
    """A line shown only with ``-v``."""
    if _verbosity >= 2:
        tqdm.write(message, file=sys.stderr)


def warn(message: str) -> None:
    """A warning; shown unless ``-q``."""
    log.warning(message)


def _bar(**kwargs) -> tqdm:
    """A tqdm bar on stderr, transient, hidden with ``-q`` or when stderr is not a terminal."""
    return tqdm(leave=False, dynamic_ncols=True, disable=_verbosity == 0 or None, file=sys.stderr, **kwargs)


def progress(items: Iterable[T], desc: str, total: int | None = None, unit: str = "it") -> Iterator[T]:
    """Iterate with a progress bar."""
    yield from _bar(iterable=items, desc=desc, total=total, unit=unit)


def progress_bar(total: int, desc: str, initial: int = 0, unit: str = "it") -> tqdm:
    """A manually advanced progress bar (``update``, ``set_postfix``), styled and silenced as :func:`progress`."""
    return _bar(total=total, initial=initial, desc=desc, unit=unit)

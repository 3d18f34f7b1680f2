"""``twin capture``: simulate a virtual studio session, ingest a real one, check it before the subject leaves."""

from __future__ import annotations

from pathlib import Path

import click


@click.group()
def capture() -> None:
    """Capture stage: studio session -> validated capture folder (masks, 2D and 3D landmarks)."""

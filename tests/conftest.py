"""Shared fixtures: one default virtual-studio session and its capture, made once per test run."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture(scope="session")
def virtual_session(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default virtual session: 24 cameras on two rings, 512 px, nerfstudio format, seed 0."""
    from twinkit.capture.studio.session import StudioOptions, simulate

    return simulate(tmp_path_factory.mktemp("virtual") / "session", StudioOptions(seed=0))


@pytest.fixture(scope="session")
def virtual_capture(virtual_session: Path) -> Path:
    """``virtual_session`` ingested with default options."""
    from twinkit.capture.ingest import ingest

    return ingest(virtual_session, virtual_session.parent / "capture")

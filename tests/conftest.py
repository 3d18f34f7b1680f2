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


@pytest.fixture(scope="session")
def virtual_avatar(virtual_capture: Path) -> Path:
    """``virtual_capture`` reconstructed (preview profile) and rigged: body.json, splats.ply, mesh.glb,
    rig.json, avatar.glb. Treat it as read-only (copy it before changing anything in it)."""
    from twinkit.reconstruct.pipeline import reconstruct_avatar
    from twinkit.rig.avatar import rig_avatar

    avatar = reconstruct_avatar(virtual_capture, virtual_capture.parent / "avatar")
    rig_avatar(avatar)
    return avatar

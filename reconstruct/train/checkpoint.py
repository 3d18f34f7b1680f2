"""Training checkpoints: the whole state after a step, written atomically; resume reads the latest."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import torch

from twinkit.core.atomic import write_bytes
from twinkit.core.errors import InputError

CHECKPOINTS = "checkpoints"


def checkpoint_path(folder: Path, step: int) -> Path:
    return folder / f"step_{step:07d}.pt"


def save_checkpoint(folder: Path, step: int, state: dict[str, Any]) -> Path:
    """Write ``state`` as ``folder/step_NNNNNNN.pt`` (atomic) and delete older checkpoints."""
    buffer = io.BytesIO()
    torch.save(state, buffer)
    path = checkpoint_path(folder, step)
    write_bytes(path, buffer.getvalue())
    for older in folder.glob("step_*.pt"):
        if older != path:
            older.unlink(missing_ok=True)
    return path


def load_latest(folder: Path, options: dict[str, Any]) -> dict[str, Any] | None:
    """The newest checkpoint's state, or None if there is none; raises :class:`InputError` if it is
    unreadable or was made with other training options."""
    candidates = sorted(folder.glob("step_*.pt"))
    if not candidates:
        return None
    path = candidates[-1]
    try:
        state = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as exc:  # torch raises several types for truncated or foreign files
        raise InputError(f"not a readable training checkpoint ({exc})", path) from None
    if state.get("options") != options:
        changed = sorted(k for k in options if state.get("options", {}).get(k) != options[k])
        raise InputError(f"checkpoint was made with other training options ({', '.join(changed)}); "
                         "resume with the same options or start afresh", path)
    return state

"""Write outputs so that a failed or interrupted run never leaves a half-written result.

Files are written to a temporary sibling and renamed into place. Whole output folders are built in a
``NAME.partial`` staging folder beside the target, which doubles as the resume point of a long job:
re-running the same command finds the finished pieces there and skips them.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from twinkit.core.errors import InputError


def write_bytes(path: str | Path, data: bytes) -> None:
    """Atomically write ``data`` to ``path`` (temporary file in the same folder, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text(path: str | Path, text: str) -> None:
    """Atomically write UTF-8 text."""
    write_bytes(path, text.encode("utf-8"))


def write_json(path: str | Path, obj: Any) -> None:
    """Atomically write pretty-printed JSON (keys in insertion order, trailing newline)."""
    write_text(path, json.dumps(obj, indent=2, allow_nan=False) + "\n")


def read_json(path: str | Path) -> Any:
    """Read a JSON file, turning a missing or corrupt file into an :class:`InputError`."""
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("file not found", path) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"not valid JSON ({exc})", path) from None


def staging_dir(final: str | Path) -> Path:
    """The staging folder used while ``final`` is being built (kept between runs for resume)."""
    final = Path(final)
    return final.with_name(final.name + ".partial")


def prepare_output(final: str | Path, *, overwrite: bool, fresh: bool = False) -> Path:
    """Check that ``final`` may be written and return its (created) staging folder, emptied first when
    ``fresh`` (a job that never resumes from an interrupted run's pieces).

    Raises :class:`InputError` if ``final`` exists and ``overwrite`` is false, or if the parent folder
    cannot be written.
    """
    final = Path(final)
    if final.exists() and not overwrite:
        raise InputError("output already exists (use --overwrite to replace it)", final)
    parent = final.parent if str(final.parent) else Path(".")
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create the output folder ({exc.strerror})", parent) from None
    if not os.access(parent, os.W_OK):
        raise InputError("output folder is not writable", parent)
    stage = staging_dir(final)
    if fresh:
        remove(stage)
    stage.mkdir(exist_ok=True)
    return stage


STATE_NAME = ".state.json"


def remove(path: str | Path) -> None:
    """Delete a file or a whole folder if it exists."""
    path = Path(path)
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def resume_staging(stage: str | Path, fingerprint: dict[str, Any],
                   fresh: dict[str, Any] | None = None) -> tuple[dict[str, Any], bool]:
    """Keep the staging folder of an interrupted run made with the same ``fingerprint`` (inputs, options),
    otherwise empty it and start afresh.

    Returns the stored state (``fingerprint`` plus ``fresh``, written on a new start) and whether the run
    resumes. The state file is ``STATE_NAME`` inside the staging folder; remove it before committing.
    """
    stage = Path(stage)
    wanted = json.loads(json.dumps(fingerprint))  # as it reads back (tuples become lists)
    path = stage / STATE_NAME
    if path.exists():
        state = read_json(path)
        if {k: state.get(k) for k in wanted} == wanted:
            return state, True
    for child in stage.iterdir():
        remove(child)
    state = {**wanted, **(fresh or {})}
    write_json(path, state)
    return state, False


def commit_output(final: str | Path) -> Path:
    """Move the finished staging folder into place, replacing an older ``final`` if present."""
    final = Path(final)
    stage = staging_dir(final)
    if final.exists():
        old = final.with_name(final.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        os.replace(final, old)
        os.replace(stage, final)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(stage, final)
    return final


def png_bytes(image: np.ndarray | Image.Image) -> bytes:
    """PNG encoding (deterministic) of an image: uint8 array, HxW or HxWxC, or a PIL image."""
    buf = io.BytesIO()
    (Image.fromarray(image) if isinstance(image, np.ndarray) else image).save(buf, format="PNG", compress_level=3)
    return buf.getvalue()


def write_png(path: str | Path, image: np.ndarray | Image.Image) -> None:
    """Atomically write an image (uint8 array, HxW or HxWxC, or a PIL image) as PNG."""
    write_bytes(path, png_bytes(image))

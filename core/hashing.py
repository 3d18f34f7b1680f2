"""SHA-256 of files and folders, streamed so large videos never load into memory."""

from __future__ import annotations

import hashlib
from pathlib import Path

_CHUNK = 1 << 20


def sha256_file(path: str | Path) -> str:
    """Hex SHA-256 of one file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_tree(root: str | Path) -> dict[str, str]:
    """SHA-256 of every file under ``root``, keyed by POSIX path relative to ``root``."""
    root = Path(root)
    if root.is_file():
        return {root.name: sha256_file(root)}
    return {
        p.relative_to(root).as_posix(): sha256_file(p)
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }

"""Outfits for ``--outfit``: garments from the library (``tshirt:M``) or users' garment files."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from twinkit.core.errors import InputError
from twinkit.core.hashing import sha256_file
from twinkit.render.garments import Garment, load_garment

BARE = "base"  # the label of no outfit: the avatar as captured


@dataclass(frozen=True)
class Outfit:
    """Garments worn together: ``items`` are ``(library name or garment file, size or None)``."""

    label: str
    items: tuple[tuple[str, str | None], ...]

    def garments(self) -> list[Garment]:
        return [load_garment(name, size) for name, size in self.items]

    def fingerprint(self) -> list:
        """What identifies the outfit's garments (a user file by its content)."""
        return [[name, size, sha256_file(name) if Path(name).suffix else None] for name, size in self.items]


def parse_outfit(spec: str) -> Outfit:
    """``tshirt:M,jacket:M`` (library names with optional sizes) or garment files, comma-separated;
    ``base`` (or an empty value) is the avatar as captured."""
    if spec.strip() in ("", BARE):
        return Outfit(BARE, ())
    items = []
    for part in spec.split(","):
        name, _, size = part.strip().partition(":")
        if not name:
            raise InputError(f"outfit {spec!r}: an empty garment name (use NAME[:SIZE],NAME[:SIZE])")
        if Path(name).suffix and not Path(name).is_file():
            raise InputError("garment file not found", name)
        items.append((name, size or None))
    label = "+".join(re.sub(r"[^A-Za-z0-9.-]", "-", Path(n).stem) + (f"-{s}" if s else "") for n, s in items)
    return Outfit(label, tuple(items))


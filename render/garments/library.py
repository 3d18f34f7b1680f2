"""The garment library in ``data/garments/`` (``NAME_SIZE.ply`` + ``NAME_SIZE.json``) and users' garment files."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from twinkit.core.errors import InputError
from twinkit.render.garments.files import read_garment
from twinkit.render.garments.garment import Garment

SIZE_ORDER = ("XS", "S", "M", "L", "XL")


def library_folder() -> Path:
    """The folder of the library's garment files."""
    return Path(str(resources.files("twinkit.data").joinpath("garments")))


def _entries() -> list[tuple[str, str]]:
    return [tuple(p.stem.rsplit("_", 1)) for p in library_folder().glob("*_*.ply")]


def garment_names() -> list[str]:
    """Names of the library's garments."""
    return sorted({name for name, _ in _entries()})


def garment_sizes(name: str) -> list[str]:
    """Sizes of library garment ``name``, smallest first."""
    sizes = {size for n, size in _entries() if n == name}
    if not sizes:
        raise InputError(f"no such garment; the library has {', '.join(garment_names())}", name)
    return sorted(sizes, key=lambda s: (SIZE_ORDER.index(s) if s in SIZE_ORDER else len(SIZE_ORDER), s))


def load_garment(name_or_path: str | Path, size: str | None = None) -> Garment:
    """A library garment by name and size (default the middle size), or a user's garment mesh file (OBJ,
    GLB, PLY...) with its JSON sidecar (see :mod:`twinkit.render.garments.files`)."""
    path = Path(name_or_path)
    if path.suffix:
        return read_garment(path)
    sizes = garment_sizes(str(name_or_path))
    size = size or sizes[len(sizes) // 2]
    if size not in sizes:
        raise InputError(f"no size {size!r}; {name_or_path} comes in {', '.join(sizes)}", name_or_path)
    return read_garment(library_folder() / f"{name_or_path}_{size}.ply", trusted=True)

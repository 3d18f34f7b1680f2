"""Regenerate the garment library in data/garments/ (deterministic: byte-identical on the same versions).

Usage: python scripts/make_garments.py [FOLDER]   (default: the package's data/garments)
"""

from __future__ import annotations

import sys
from pathlib import Path

from twinkit.render.garments.author import author_library
from twinkit.render.garments.library import library_folder

if __name__ == "__main__":
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else library_folder()
    for path in author_library(folder):
        print(path)

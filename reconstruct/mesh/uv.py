"""UV unwrapping with xatlas: charts packed into one square atlas, vertices split along the seams."""

from __future__ import annotations

import numpy as np
import trimesh
import xatlas


def unwrap(mesh: trimesh.Trimesh, resolution: int = 2048, padding: int = 4) -> tuple[trimesh.Trimesh, np.ndarray]:
    """``mesh`` cut into charts and packed for a ``resolution``-texel texture with ``padding`` texels
    between charts. Returns the split mesh (with ``visual.uv``, OBJ/glTF convention: v up) and, per new
    vertex, the index of the original vertex it came from."""
    atlas = xatlas.Atlas()
    atlas.add_mesh(np.asarray(mesh.vertices, np.float32), np.asarray(mesh.faces, np.uint32))
    pack = xatlas.PackOptions()
    pack.resolution, pack.padding, pack.bilinear = resolution, padding, True
    atlas.generate(pack_options=pack)
    vmapping, faces, uv = atlas[0]
    split = trimesh.Trimesh(mesh.vertices[vmapping], faces, process=False,
                            visual=trimesh.visual.TextureVisuals(uv=uv))
    return split, vmapping.astype(np.int64)

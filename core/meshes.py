"""Read a triangle mesh file (PLY, OBJ, GLB/glTF, STL, OFF...) as one :class:`trimesh.Trimesh`.

The one rule for files holding several geometries (a glTF scene with several nodes, an OBJ with several
objects or materials): every triangle mesh instance is placed by its scene-graph node transform and they
are concatenated into one mesh (trimesh's ``Scene.to_mesh``); points and lines are left out. Vertex order
and attributes (UVs, texture, colours) are kept as stored: nothing is merged or reordered.
"""

from __future__ import annotations

from pathlib import Path

import trimesh

from twinkit.core.errors import InputError


def load_mesh(path: str | Path) -> trimesh.Trimesh:
    """The triangle mesh in ``path``, its geometries concatenated in the scene's frame (see the module).

    Raises :class:`InputError` naming ``path`` when the file is missing, cannot be read or holds no
    triangles.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("mesh not found", path)
    try:
        scene = trimesh.load_scene(path, process=False)
    except Exception as exc:  # trimesh raises many types for unreadable files
        raise InputError(f"not a mesh: cannot read the mesh ({exc})", path) from None
    mesh = scene.to_mesh()
    if len(mesh.faces) == 0:
        raise InputError("not a mesh: no triangles", path)
    return mesh

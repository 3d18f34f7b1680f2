"""Write the textured mesh: ``mesh.glb`` (glTF 2.0) and ``mesh.obj`` + ``mesh.mtl`` + ``mesh_texture.png``.

Both files hold the mesh in the glTF frame: Y up, metres, feet at y = 0. The 4x4 from the capture world
to that frame (:func:`gltf_from_world`) goes in the avatar manifest, so either file maps back exactly.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import trimesh
from PIL import Image
from scipy.spatial.transform import Rotation

from twinkit.core.atomic import write_bytes

GLB_NAME, OBJ_NAME, MTL_NAME, TEXTURE_NAME = "mesh.glb", "mesh.obj", "mesh.mtl", "mesh_texture.png"
FILES = (OBJ_NAME, MTL_NAME, TEXTURE_NAME, GLB_NAME)  # in writing order


def gltf_from_world(up: np.ndarray, feet: float) -> np.ndarray:
    """4x4 rigid map from the capture world (``up`` axis) to the glTF frame: ``up`` becomes +Y by the
    smallest rotation (a Z-up world keeps X, and its -Y becomes +Z), then height ``feet`` along ``up``
    (the lowest point of the subject) moves to y = 0."""
    transform = np.eye(4)
    up = np.asarray(up, dtype=np.float64)
    transform[:3, :3] = Rotation.align_vectors([[0.0, 1.0, 0.0]], [up])[0].as_matrix()
    transform[1, 3] = -feet
    return transform


def textured(mesh: trimesh.Trimesh, texture: np.ndarray) -> trimesh.Trimesh:
    """A copy of ``mesh`` (with ``visual.uv``) carrying ``texture`` (H,W,3 uint8) as an unlit-friendly
    PBR base colour (not metallic, fully rough)."""
    material = trimesh.visual.material.PBRMaterial(
        name=Path(TEXTURE_NAME).stem, baseColorTexture=Image.fromarray(texture),
        baseColorFactor=[255, 255, 255, 255], metallicFactor=0.0, roughnessFactor=1.0)
    return trimesh.Trimesh(mesh.vertices, mesh.faces, process=False,
                           visual=trimesh.visual.TextureVisuals(uv=mesh.visual.uv, material=material))


def write_mesh(folder: str | Path, mesh: trimesh.Trimesh, texture: np.ndarray, transform: np.ndarray) -> list[str]:
    """Write ``mesh`` (capture world, with ``visual.uv``) moved by ``transform`` into the glTF frame, with
    ``texture``, as OBJ/MTL/PNG and then GLB in ``folder``, each file atomically (so an existing mesh.glb
    means the set is complete). Returns the file names."""
    folder = Path(folder)
    asset = textured(mesh, texture)
    asset.apply_transform(transform)
    obj, extras = trimesh.exchange.obj.export_obj(asset, include_normals=True, return_texture=True,
                                                  mtl_name=MTL_NAME)
    for name, data in extras.items():
        write_bytes(folder / name, data)
    write_bytes(folder / OBJ_NAME, obj.encode("utf-8"))
    write_bytes(folder / GLB_NAME, asset.export(file_type="glb"))
    return [OBJ_NAME, *extras, GLB_NAME]

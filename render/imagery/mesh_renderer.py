"""The mesh renderer: textured avatar and coloured garments through pyrender offscreen (EGL; Mesa llvmpipe
on a CPU), lit by a preset, returned as a premultiplied layer for compositing."""

from __future__ import annotations

import os

os.environ.setdefault("PYOPENGL_PLATFORM", "egl")  # must precede the pyrender import

import numpy as np
import pyrender
import trimesh
from PIL import Image

from twinkit.capture.cameras import Camera
from twinkit.core.offscreen import sized
from twinkit.render.imagery.compositing import Layer
from twinkit.render.imagery.lighting import place_lights
from twinkit.render.imagery.presets import LightingPreset

SKIN_TONE = (0.78, 0.66, 0.58)  # untextured meshes
GARMENT_COLOURS = ((0.20, 0.32, 0.55), (0.62, 0.18, 0.16), (0.85, 0.80, 0.68), (0.16, 0.42, 0.30),
                   (0.35, 0.35, 0.38))
_ZNEAR, _ZFAR = 0.05, 100.0


def _primitive(vertices: np.ndarray, faces: np.ndarray, material: pyrender.Material,
               uv: np.ndarray | None = None) -> pyrender.Primitive:
    normals = trimesh.Trimesh(vertices, faces, process=False).vertex_normals
    return pyrender.Primitive(positions=vertices, normals=normals, texcoord_0=uv, indices=faces, material=material)


class MeshRenderer:
    """Renders meshes for one batch through :func:`offscreen`, the avatar's texture uploaded once."""

    def __init__(self, texture: Image.Image | None = None) -> None:
        base = pyrender.Texture(source=np.asarray(texture), source_channels="RGB") if texture is not None else None
        self.skin = pyrender.MetallicRoughnessMaterial(
            baseColorTexture=base, baseColorFactor=(1.0, 1.0, 1.0, 1.0) if base else (*SKIN_TONE, 1.0),
            metallicFactor=0.0, roughnessFactor=0.85)
        self.cloth = [pyrender.MetallicRoughnessMaterial(baseColorFactor=(*c, 1.0), metallicFactor=0.0,
                                                         roughnessFactor=0.95, doubleSided=True)
                      for c in GARMENT_COLOURS]

    def body(self, vertices: np.ndarray, faces: np.ndarray, uv: np.ndarray | None) -> pyrender.Mesh:
        """The avatar mesh in one pose (texture shared between poses)."""
        return pyrender.Mesh([_primitive(vertices, faces, self.skin, uv if self.skin.baseColorTexture else None)])

    def garment(self, vertices: np.ndarray, faces: np.ndarray, index: int) -> pyrender.Mesh:
        """A garment, coloured by its place in the outfit, lit from both sides (cloth is an open surface)."""
        return pyrender.Mesh([_primitive(vertices, faces, self.cloth[index % len(self.cloth)])])

    def render(self, meshes: list[pyrender.Mesh], camera: Camera, lighting: LightingPreset,
               target: np.ndarray) -> Layer:
        """``meshes`` seen by ``camera`` (pinhole; rendering frame) lit by ``lighting`` about ``target``."""
        scene = pyrender.Scene(bg_color=(0.0, 0.0, 0.0, 0.0), ambient_light=lighting.ambient)
        for mesh in meshes:
            scene.add(mesh)
        for light, pose in place_lights(lighting, camera, target):
            scene.add(light, pose=pose)
        K = camera.half_pixel_K  # pyrender puts pixel centres at +0.5
        scene.add(pyrender.IntrinsicsCamera(K[0, 0], K[1, 1], K[0, 2], K[1, 2], znear=_ZNEAR, zfar=_ZFAR),
                  pose=camera.gl_pose)
        rgba, depth = sized(camera.width, camera.height).render(scene, flags=pyrender.RenderFlags.RGBA)
        rgba = rgba.astype(np.float32) / 255
        return Layer(rgba[..., :3], rgba[..., 3], depth.astype(np.float32))

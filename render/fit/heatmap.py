"""Heat maps of a fit map: the dressed body from the front, back, left and right with a colour bar.

The body is drawn grey and the garment coloured per vertex (pyrender offscreen, EGL); the four views and
the colour bar are laid out with matplotlib.
"""

from __future__ import annotations

import os

os.environ.setdefault("PYOPENGL_PLATFORM", "egl")  # must precede the pyrender import

from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pyrender
import trimesh
from matplotlib.colors import Normalize

from twinkit.capture.cameras import CV_TO_GL, look_at
from twinkit.core.offscreen import sized

VIEWS = ("front", "back", "left", "right")
_BODY_RGBA = (0.78, 0.78, 0.78, 1.0)


@dataclass(frozen=True)
class Scale:
    """How values map to colours: matplotlib colormap, range and the colour bar's label."""

    cmap: str
    vmin: float
    vmax: float
    label: str

    def colours(self, values: np.ndarray) -> np.ndarray:
        """(N, 4) RGBA floats in [0, 1] for ``values`` (clipped to the range)."""
        return plt.get_cmap(self.cmap)(Normalize(self.vmin, self.vmax, clip=True)(values))


EASE_SCALE = Scale("RdYlBu", -5.0, 40.0, "ease (mm): red tight, blue loose")
STRAIN_SCALE = Scale("magma_r", 0.0, 10.0, "strain (%): stretch against the cloth's rest length")


@dataclass(frozen=True)
class Framing:
    """Where the body stands: its up axis, the direction it faces (both unit, world frame) and its centre."""

    up: np.ndarray
    front: np.ndarray
    centre: np.ndarray
    height: float


def _mesh(vertices: np.ndarray, faces: np.ndarray, rgba: np.ndarray) -> pyrender.Mesh:
    tm = trimesh.Trimesh(vertices, faces, process=False)
    material = pyrender.MetallicRoughnessMaterial(metallicFactor=0.0, roughnessFactor=0.9, doubleSided=True)
    # Built from a primitive: pyrender's from_trimesh drops vertex colours when given a material.
    return pyrender.Mesh([pyrender.Primitive(positions=tm.vertices, normals=tm.vertex_normals,
                                             color_0=np.broadcast_to(rgba, (len(vertices), 4)).astype(np.float32),
                                             indices=tm.faces, material=material)])


def _view_pose(framing: Framing, view: str, distance: float) -> np.ndarray:
    side = np.cross(framing.up, framing.front)  # the subject's left when facing front
    direction = {"front": framing.front, "back": -framing.front, "left": side, "right": -side}[view]
    R, t = look_at(framing.centre + distance * direction, framing.centre, framing.up)
    pose = np.eye(4)
    pose[:3, :3] = R.T @ CV_TO_GL
    pose[:3, 3] = -R.T @ t
    return pose


def render_views(body_vertices: np.ndarray, body_faces: np.ndarray, vertices: np.ndarray, faces: np.ndarray,
                 rgba: np.ndarray, framing: Framing, width: int = 400, height: int = 640) -> list[np.ndarray]:
    """The body with the coloured garment from each of :data:`VIEWS`: (height, width, 3) uint8 images."""
    scene = pyrender.Scene(bg_color=[1.0, 1.0, 1.0, 1.0], ambient_light=[0.45, 0.45, 0.45])
    scene.add(_mesh(body_vertices, body_faces, np.asarray(_BODY_RGBA)))
    scene.add(_mesh(vertices, faces, rgba))
    fov = np.deg2rad(30.0)
    distance = 0.56 * framing.height / np.tan(fov / 2)
    camera = scene.add(pyrender.PerspectiveCamera(yfov=fov, aspectRatio=width / height, znear=0.05,
                                                  zfar=distance + 5.0))
    light = scene.add(pyrender.DirectionalLight(intensity=2.5))
    renderer = sized(width, height)
    images = []
    for view in VIEWS:
        pose = _view_pose(framing, view, distance)
        scene.set_pose(camera, pose)
        scene.set_pose(light, pose)
        rgb, _ = renderer.render(scene)
        images.append(np.ascontiguousarray(rgb))
    return images


def heatmap_figure(images: list[np.ndarray], scale: Scale, title: str, path: str | Path) -> None:
    """Lay the views out in a row with their names, a title and the colour bar; write a PNG to ``path``."""
    fig, axes = plt.subplots(1, len(images), figsize=(2.4 * len(images), 5.4), dpi=100, layout="constrained")
    for ax, image, view in zip(axes, images, VIEWS):
        ax.imshow(image)
        ax.set_title(view)
        ax.axis("off")
    fig.suptitle(title)
    mappable = plt.cm.ScalarMappable(Normalize(scale.vmin, scale.vmax), plt.get_cmap(scale.cmap))
    fig.colorbar(mappable, ax=list(axes), orientation="horizontal", fraction=0.04, aspect=40,
                 label=scale.label)
    fig.savefig(path, format="png")
    plt.close(fig)

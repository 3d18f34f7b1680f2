"""Offscreen rendering of the virtual studio with pyrender (EGL; Mesa llvmpipe on a CPU).

Each camera gets the RGB image, the exact subject silhouette (occlusion-aware, from depth), the depth of
the scene and optionally a clean background plate (the same view without the subject). Lens distortion
is applied after rendering with ``cv2.remap`` so that images agree with :meth:`Camera.project`.
"""

from __future__ import annotations

import os

os.environ.setdefault("PYOPENGL_PLATFORM", "egl")  # must precede the pyrender import

from dataclasses import dataclass

import cv2
import numpy as np
import pyrender
import trimesh

from twinkit.capture.cameras import PIXEL_CENTER_SHIFT, Camera
from twinkit.capture.studio.body import Body
from twinkit.capture.studio.set import studio_set
from twinkit.core.offscreen import offscreen, sized

_ZNEAR, _ZFAR = 0.05, 40.0


@dataclass
class View:
    """What one camera sees: ``rgb`` (H, W, 3) uint8, ``mask`` (H, W) bool, ``depth`` (H, W) float32
    metres along the optical axis (0 where nothing), ``plate`` the background without the subject."""

    rgb: np.ndarray
    mask: np.ndarray
    depth: np.ndarray
    plate: np.ndarray | None = None


def person_mesh(body: Body, colours: np.ndarray) -> pyrender.Mesh:
    """A pyrender mesh of a posed body with per-vertex colours."""
    tm = trimesh.Trimesh(body.vertices, body.faces, process=False)
    material = pyrender.MetallicRoughnessMaterial(metallicFactor=0.0, roughnessFactor=0.85)
    rgba = np.column_stack([colours, np.full(len(colours), 255, np.uint8)]).astype(np.float32) / 255
    # Built from a primitive: pyrender's from_trimesh drops vertex colours when given a material.
    return pyrender.Mesh([pyrender.Primitive(positions=tm.vertices, normals=tm.vertex_normals, color_0=rgba,
                                             indices=tm.faces, material=material)])


@dataclass
class _Lens:
    """Pinhole render geometry (padded canvas) and the remap from it to the distorted image."""

    K: np.ndarray
    width: int
    height: int
    map_x: np.ndarray | None
    map_y: np.ndarray | None


def _lens(camera: Camera) -> _Lens:
    if not np.any(camera.dist):
        return _Lens(camera.K, camera.width, camera.height, None, None)
    # For every output (distorted) pixel, where it lies in the ideal pinhole image: the inverse map.
    u, v = np.meshgrid(np.arange(camera.width, dtype=np.float64), np.arange(camera.height, dtype=np.float64))
    ideal = camera.undistort_pixels(np.stack([u.ravel(), v.ravel()], axis=1))
    pad_x = int(np.ceil(max(0.0, -ideal[:, 0].min(), ideal[:, 0].max() - camera.width + 1))) + 2
    pad_y = int(np.ceil(max(0.0, -ideal[:, 1].min(), ideal[:, 1].max() - camera.height + 1))) + 2
    K = camera.K.copy()
    K[0, 2] += pad_x
    K[1, 2] += pad_y
    shape = (camera.height, camera.width)
    return _Lens(K, camera.width + 2 * pad_x, camera.height + 2 * pad_y,
                 (ideal[:, 0] + pad_x).reshape(shape).astype(np.float32),
                 (ideal[:, 1] + pad_y).reshape(shape).astype(np.float32))


class StudioRenderer:
    """Renders people in the textured studio set through the process's shared offscreen renderer."""

    def __init__(self, seed: int) -> None:
        self.scene = pyrender.Scene(bg_color=[0.5, 0.5, 0.5, 1.0], ambient_light=[0.3, 0.3, 0.3])
        for mesh in studio_set(np.random.default_rng(seed)):
            self.scene.add(pyrender.Mesh.from_trimesh(mesh, smooth=False))
        for azimuth in (30.0, 120.0, 210.0, 300.0):  # soft, even key lights all around, from above
            a, e = np.deg2rad(azimuth), np.deg2rad(50.0)
            direction = -np.array([np.cos(a) * np.cos(e), np.sin(a) * np.cos(e), np.sin(e)])
            pose = np.eye(4)
            pose[:3, :3] = _rotation_looking(direction)
            self.scene.add(pyrender.DirectionalLight(intensity=1.1), pose=pose)
        self._renderer = offscreen()
        self._depth_shift = _depth_sample_shift(self._renderer)
        self._camera_node: pyrender.Node | None = None
        self._people: list[pyrender.Node] = []
        self._lenses: dict[tuple, _Lens] = {}

    def set_people(self, subject: pyrender.Mesh, others: list[pyrender.Mesh] = ()) -> None:
        """Replace the people in the scene: the subject (masked) and others (e.g. a bystander)."""
        for node in self._people:
            self.scene.remove_node(node)
        self._people = [self.scene.add(m) for m in (subject, *others)]

    def render(self, camera: Camera, plate: bool = False) -> View:
        """Render one camera; ``plate`` adds the clean background plate."""
        lens = self._lens_of(camera)
        subject = self._people[0].mesh
        self._place_camera(camera, lens, self._depth_shift)
        depth = self._renderer.render(self.scene, flags=pyrender.RenderFlags.DEPTH_ONLY)
        # The subject alone, to find which pixels it owns in the full render (occlusion-aware mask).
        hidden = [n.mesh for n in self.scene.mesh_nodes if n.mesh is not subject and n.mesh.is_visible]
        for m in hidden:
            m.is_visible = False
        subject_depth = self._renderer.render(self.scene, flags=pyrender.RenderFlags.DEPTH_ONLY)
        for m in hidden:
            m.is_visible = True
        mask = (subject_depth > 0) & (np.abs(subject_depth - depth) < 1e-4)
        self._place_camera(camera, lens, np.zeros(2))
        rgb, _ = self._renderer.render(self.scene)
        background = None
        if plate:
            subject.is_visible = False
            background, _ = self._renderer.render(self.scene)
            subject.is_visible = True
        return View(*_distort(lens, rgb, mask, depth, background))

    def image(self, camera: Camera) -> np.ndarray:
        """Only the RGB image of one camera (one render pass; for video frames)."""
        lens = self._lens_of(camera)
        self._place_camera(camera, lens, np.zeros(2))
        rgb, _ = self._renderer.render(self.scene)
        return rgb if lens.map_x is None else cv2.remap(rgb, lens.map_x, lens.map_y, cv2.INTER_LINEAR,
                                                        borderMode=cv2.BORDER_REPLICATE)

    def _lens_of(self, camera: Camera) -> _Lens:
        key = (camera.name, camera.width, camera.height, camera.K.tobytes(), camera.dist.tobytes())
        if key not in self._lenses:
            self._lenses[key] = _lens(camera)
        return self._lenses[key]

    def _place_camera(self, camera: Camera, lens: _Lens, shift: np.ndarray) -> None:
        """Put ``camera`` in the scene; ``shift`` (px) moves the principal point (see ``_depth_sample_shift``)."""
        if self._camera_node is not None:
            self.scene.remove_node(self._camera_node)
        centre = lens.K[:2, 2] + PIXEL_CENTER_SHIFT + shift  # pyrender puts pixel centres at +0.5
        cam = pyrender.IntrinsicsCamera(lens.K[0, 0], lens.K[1, 1], centre[0], centre[1], znear=_ZNEAR, zfar=_ZFAR)
        self._camera_node = self.scene.add(cam, pose=camera.gl_pose)
        sized(lens.width, lens.height)


def _depth_sample_shift(renderer: pyrender.OffscreenRenderer) -> np.ndarray:
    """Principal-point shift (px) that centres pyrender's depth on each pixel.

    pyrender renders into a 4x multisampled buffer and copies depth with GL_NEAREST, i.e. from sample 0,
    which sits off the pixel centre (llvmpipe: 0.125 px left, 0.375 px below). Moving the principal point
    by that offset for the depth passes makes sample 0 see each pixel's centre, so masks agree with
    ``Camera.project``; colour (averaged over the samples) is rendered with the true principal point.
    """
    from OpenGL import GL

    probe = pyrender.Scene()
    probe.add(pyrender.PerspectiveCamera(yfov=1.0))
    renderer.render(probe, flags=pyrender.RenderFlags.DEPTH_ONLY)  # creates the multisampled buffers
    GL.glBindFramebuffer(GL.GL_DRAW_FRAMEBUFFER, renderer._renderer._main_fb_ms)
    position = (GL.GLfloat * 2)()
    GL.glGetMultisamplefv(GL.GL_SAMPLE_POSITION, 0, position)
    # GL measures from the pixel's lower-left corner with y up; OpenCV image rows grow downwards.
    return np.array([position[0] - 0.5, 0.5 - position[1]])


def _rotation_looking(direction: np.ndarray) -> np.ndarray:
    """Rotation whose -z axis (pyrender's light/camera forward) points along ``direction``."""
    z = -direction / np.linalg.norm(direction)
    x = np.cross([0.0, 0.0, 1.0], z)
    x /= np.linalg.norm(x)
    return np.stack([x, np.cross(z, x), z], axis=1)


def _distort(lens: _Lens, rgb: np.ndarray, mask: np.ndarray, depth: np.ndarray,
             plate: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    if lens.map_x is None:
        return rgb, mask, depth.astype(np.float32), plate

    def warp(img: np.ndarray, interp: int) -> np.ndarray:
        return cv2.remap(img, lens.map_x, lens.map_y, interp, borderMode=cv2.BORDER_REPLICATE)

    return (warp(rgb, cv2.INTER_LINEAR), warp(mask.astype(np.uint8), cv2.INTER_NEAREST) > 0,
            warp(depth.astype(np.float32), cv2.INTER_NEAREST),
            None if plate is None else warp(plate, cv2.INTER_LINEAR))

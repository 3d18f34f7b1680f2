"""Render one image of an avatar: posed (and dressed), framed, lit, composited; caches what poses share."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from twinkit.capture.cameras import Camera
from twinkit.render.imagery.camera_files import in_frame
from twinkit.render.imagery.compositing import Layer, compose, over, parse_background
from twinkit.render.imagery.framing import frame_body
from twinkit.render.imagery.mesh_renderer import MeshRenderer
from twinkit.render.imagery.outfits import Outfit
from twinkit.render.imagery.presets import lighting_preset
from twinkit.render.imagery.requests import CameraRequest, PoseRequest
from twinkit.render.imagery.splat_renderer import render_splats
from twinkit.render.imagery.subject import PosedBody, Subject, transform_points

RENDERERS = ("mesh", "splats")


@dataclass(frozen=True)
class Look:
    """How every image of a batch is made: longer side in pixels, lighting preset, background, renderer."""

    size: int = 1024
    lighting: str = "studio-soft"
    background: str = "white"
    renderer: str = "mesh"
    device: str = "auto"  # splats: where the rasterizer runs (auto: the GPU when there is one)


def png_bytes(image: np.ndarray | Image.Image) -> bytes:
    """PNG encoding of a uint8 RGB or RGBA image (deterministic)."""
    buffer = io.BytesIO()
    (Image.fromarray(image) if isinstance(image, np.ndarray) else image).save(buffer, format="PNG", compress_level=3)
    return buffer.getvalue()


class ImageMaker:
    """Renders images of one avatar; poses, posed splats, dressed outfits and the GL renderer are reused
    across the images of a batch."""

    def __init__(self, avatar_dir: str | Path, look: Look, subject: Subject | None = None) -> None:
        """``subject``: the avatar already loaded (e.g. to render it in several looks), else loaded here."""
        if look.renderer not in RENDERERS:
            raise ValueError(f"unknown renderer {look.renderer!r}")
        self.avatar_dir = Path(avatar_dir)
        self.look = look
        self.lighting = lighting_preset(look.lighting)
        self.background = parse_background(look.background)
        self.subject = subject or Subject(self.avatar_dir)
        self._mesh_renderer: MeshRenderer | None = None
        self._bodies: dict[str, PosedBody] = {}
        self._splats: dict[str, object] = {}
        self._dressed: dict[tuple[str, str], list[tuple[np.ndarray, np.ndarray]]] = {}
        self._hidden: dict[tuple[str, str], np.ndarray] = {}

    @property
    def mesh_renderer(self) -> MeshRenderer:
        if self._mesh_renderer is None:
            self._mesh_renderer = MeshRenderer(self.subject.texture)
        return self._mesh_renderer

    def body(self, pose: PoseRequest) -> PosedBody:
        if pose.label not in self._bodies:
            self._bodies[pose.label] = self.subject.posed(pose.pose)
        return self._bodies[pose.label]

    def camera(self, pose: PoseRequest, camera: CameraRequest) -> Camera:
        """The camera in the rendering frame: a preset framed on the posed body, or a file's camera."""
        if camera.preset is not None:
            body = self.body(pose)
            return frame_body(body.vertices, body.joints, camera.preset, self.look.size)
        return in_frame(camera.camera, self.subject.frame)

    def garments(self, pose: PoseRequest, outfit: Outfit) -> list[tuple[np.ndarray, np.ndarray]]:
        """The outfit dressed on the body in this pose: (vertices in the rendering frame, faces) per garment."""
        from twinkit.render.garments import dress
        from twinkit.render.garments.covering import covered_vertices

        key = (outfit.label, pose.label)
        if key not in self._dressed:
            dressed = dress(self.avatar_dir, outfit.garments(), pose.pose)
            worn = [(v, g.faces) for g, v in zip(dressed.garments, dressed.vertices)]
            self._hidden[key] = self.subject.covered_faces(covered_vertices(dressed.body_vertices, worn))
            self._dressed[key] = [(transform_points(self.subject.frame, v), f) for v, f in worn]
        return self._dressed[key]

    def skin_faces(self, pose: PoseRequest, outfit: Outfit) -> np.ndarray:
        """The avatar mesh's faces to draw: those the outfit does not cover (all of them bare)."""
        if not outfit.items:
            return self.subject.faces
        self.garments(pose, outfit)
        return self.subject.faces[~self._hidden[(outfit.label, pose.label)]]

    def layer(self, pose: PoseRequest, camera: Camera, outfit: Outfit) -> Layer:
        """The avatar (and outfit) seen by ``camera``, before the background."""
        body = self.body(pose)
        target = 0.5 * (body.vertices.min(axis=0) + body.vertices.max(axis=0))
        renderer = self.mesh_renderer if self.look.renderer == "mesh" or outfit.items else None
        clothes = [renderer.garment(v, f, i) for i, (v, f) in enumerate(self.garments(pose, outfit))] if outfit.items else []
        if self.look.renderer == "mesh":
            skin = renderer.body(body.vertices, self.skin_faces(pose, outfit), self.subject.mesh.uv)
            return renderer.render([skin, *clothes], camera, self.lighting, target)
        if pose.label not in self._splats:
            self._splats[pose.label] = self.subject.posed_splats(pose.pose)
        splats = render_splats(self._splats[pose.label], camera, self.subject.frame, self.look.device)
        return over(renderer.render(clothes, camera, self.lighting, target), splats) if clothes else splats

    def image(self, pose: PoseRequest, camera: Camera, outfit: Outfit) -> np.ndarray:
        """The finished image (uint8 RGB, or RGBA on a transparent background) seen by ``camera`` (from
        :meth:`camera`)."""
        return compose(self.layer(pose, camera, outfit), self.background)

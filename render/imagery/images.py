"""Render one image of an avatar: posed (and dressed), framed, lit, composited; caches what poses share."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import trimesh

from twinkit.capture.cameras import Camera
from twinkit.reconstruct.splats import Gaussians
from twinkit.render.garments import dress_body
from twinkit.render.garments.colliders import BodyCollider
from twinkit.render.garments.covering import covered_vertices
from twinkit.render.imagery.camera_files import in_frame
from twinkit.render.imagery.compositing import Layer, compose, over, parse_background
from twinkit.render.imagery.framing import frame_body
from twinkit.render.imagery.mesh_renderer import MeshRenderer
from twinkit.render.imagery.outfits import Outfit
from twinkit.render.imagery.presets import lighting_preset
from twinkit.render.imagery.requests import CameraRequest, PoseRequest
from twinkit.render.imagery.splat_renderer import render_splats
from twinkit.render.imagery.subject import PosedBody, Subject

RENDERERS = ("mesh", "splats")


@dataclass(frozen=True)
class Look:
    """How every image of a batch is made: longer side in pixels, lighting preset, background, renderer."""

    size: int = 1024
    lighting: str = "studio-soft"
    background: str = "white"
    renderer: str = "mesh"
    device: str = "auto"  # splats: where the rasterizer runs (auto: the GPU when there is one)


@dataclass
class Dressing:
    """An outfit dressed on the body in one pose: ``garments`` as (vertices in the rendering frame, faces),
    the avatar mesh's ``skin_faces`` it leaves bare (the rest are under the cloth) and the anny body vertices
    it covers (``covered_body`` (V,) bool; None for the bare avatar)."""

    garments: list[tuple[np.ndarray, np.ndarray]]
    skin_faces: np.ndarray
    covered_body: np.ndarray | None = None


@dataclass
class _PoseWork:
    """What the images of one pose share: the posed body, the posed splats, the anny body the garments
    collide with, the outfits dressed on it and, per outfit, the posed splats it leaves bare."""

    label: str
    body: PosedBody
    splats: Gaussians | None = None
    collider: BodyCollider | None = None
    outfits: dict[str, Dressing] = field(default_factory=dict)
    bare_splats: dict[str, Gaussians] = field(default_factory=dict)


class ImageMaker:
    """Renders images of one avatar; the GL renderer is reused across a batch, and the posed body, posed
    splats and dressed outfits across the images of one pose (a batch goes pose by pose, so only the
    latest pose's are kept)."""

    def __init__(self, avatar_dir: str | Path, look: Look, subject: Subject | None = None) -> None:
        """``subject``: the avatar already loaded (e.g. to render it in several looks), else loaded here."""
        if look.renderer not in RENDERERS:
            raise ValueError(f"unknown renderer {look.renderer!r}")
        self.look = look
        self.lighting = lighting_preset(look.lighting)
        self.background = parse_background(look.background)
        self.subject = subject or Subject(avatar_dir)
        self._mesh_renderer: MeshRenderer | None = None
        self._pose: _PoseWork | None = None

    @property
    def mesh_renderer(self) -> MeshRenderer:
        if self._mesh_renderer is None:
            self._mesh_renderer = MeshRenderer(self.subject.texture)
        return self._mesh_renderer

    def _posed(self, pose: PoseRequest) -> _PoseWork:
        if self._pose is None or self._pose.label != pose.label:
            self._pose = _PoseWork(pose.label, self.subject.posed(pose.pose))
        return self._pose

    def body(self, pose: PoseRequest) -> PosedBody:
        return self._posed(pose).body

    def camera(self, pose: PoseRequest, camera: CameraRequest) -> Camera:
        """The camera in the rendering frame: a preset framed on the posed body, or a file's camera."""
        if camera.preset is not None:
            body = self.body(pose)
            return frame_body(body.vertices, body.joints, camera.preset, self.look.size)
        return in_frame(camera.camera, self.subject.frame)

    def dressing(self, pose: PoseRequest, outfit: Outfit) -> Dressing:
        """The outfit dressed on the avatar's body in this pose (no garments, all skin for the bare avatar)."""
        if not outfit.items:
            return Dressing([], self.subject.faces)
        work = self._posed(pose)
        if outfit.label not in work.outfits:
            skeleton = self.subject.skeleton
            if work.collider is None:
                work.collider = BodyCollider(skeleton.body(pose.pose), skeleton.rig.faces)
            dressed = dress_body(work.collider, skeleton.transform[:3, 2], outfit.garments())
            worn = [(v, g.faces) for g, v in zip(dressed.garments, dressed.vertices)]
            covered = covered_vertices(dressed.body_vertices, worn)
            hidden = self.subject.covered_faces(covered)
            framed = [(trimesh.transform_points(v, self.subject.frame), f) for v, f in worn]
            work.outfits[outfit.label] = Dressing(framed, self.subject.faces[~hidden], covered)
        return work.outfits[outfit.label]

    def splats(self, pose: PoseRequest, outfit: Outfit) -> Gaussians:
        """The Gaussians in this pose (capture world frame) less those the outfit covers, as the mesh renderer
        leaves out the covered faces, so no skin or hair splat shows through the cloth."""
        work = self._posed(pose)
        if work.splats is None:
            work.splats = self.subject.posed_splats(pose.pose)
        if not outfit.items:
            return work.splats
        if outfit.label not in work.bare_splats:
            bare = torch.from_numpy(~self.subject.covered_splats(self.dressing(pose, outfit).covered_body))
            work.bare_splats[outfit.label] = Gaussians(*(t[bare] for t in work.splats.tensors()))
        return work.bare_splats[outfit.label]

    def layer(self, pose: PoseRequest, camera: Camera, outfit: Outfit) -> Layer:
        """The avatar (and outfit) seen by ``camera``, before the background."""
        body = self.body(pose)
        target = 0.5 * (body.vertices.min(axis=0) + body.vertices.max(axis=0))
        dressing = self.dressing(pose, outfit)
        clothes = [self.mesh_renderer.garment(v, f, i) for i, (v, f) in enumerate(dressing.garments)]
        if self.look.renderer == "mesh":
            skin = self.mesh_renderer.body(body.vertices, dressing.skin_faces, self.subject.mesh.uv)
            return self.mesh_renderer.render([skin, *clothes], camera, self.lighting, target)
        splats = render_splats(self.splats(pose, outfit), camera, self.subject.frame, self.look.device)
        return over(self.mesh_renderer.render(clothes, camera, self.lighting, target), splats) if clothes else splats

    def image(self, pose: PoseRequest, camera: Camera, outfit: Outfit) -> np.ndarray:
        """The finished image (uint8 RGB, or RGBA on a transparent background) seen by ``camera`` (from
        :meth:`camera`)."""
        return compose(self.layer(pose, camera, outfit), self.background)

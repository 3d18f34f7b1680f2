"""The avatar being rendered: its rigged mesh and splats, posed, in the rendering frame.

The rendering frame is the avatar's glTF frame (Y along the capture's up, metres, feet at y = 0, the root
over the origin) turned about Y so that the body faces +z, whatever way it faced in the studio. Rigging
work (skin-weight transfer, rest pose, splat binding) is done once per avatar and reused for every pose.
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import trimesh
from PIL import Image

from twinkit.core.errors import InputError
from twinkit.core.manifest import Manifest
from twinkit.reconstruct.splats import Gaussians
from twinkit.rig.avatar import avatar_rig
from twinkit.rig.posing import rest_vertices
from twinkit.rig.skeleton import Pose
from twinkit.rig.skinning import skin_points


@dataclass
class PosedBody:
    """The avatar's mesh in one pose, rendering frame: ``vertices`` (V, 3), and joint positions by name."""

    vertices: np.ndarray
    joints: dict[str, np.ndarray]


def facing_frame(gltf_from_world: np.ndarray, anny_to_world: np.ndarray) -> np.ndarray:
    """4x4 world -> rendering frame: ``gltf_from_world`` then the turn about Y that brings the body's
    front (anny's -y axis, through the body fit's transform) onto +z."""
    front = gltf_from_world[:3, :3] @ anny_to_world[:3, :3] @ np.array([0.0, -1.0, 0.0])
    angle = np.arctan2(front[0], front[2])
    c, s = np.cos(angle), np.sin(angle)
    turn = np.array([[c, 0.0, -s, 0.0], [0.0, 1.0, 0.0, 0.0], [s, 0.0, c, 0.0], [0.0, 0.0, 0.0, 1.0]])
    return turn @ gltf_from_world


class Subject:
    """One avatar folder prepared for rendering (loads lazily; cache one per avatar within a call)."""

    def __init__(self, avatar_dir: str | Path) -> None:
        self.avatar_dir = Path(avatar_dir)
        self.manifest = Manifest.read(self.avatar_dir, kind="avatar")
        self.skeleton, self.mesh, transfer = avatar_rig(self.avatar_dir)
        self.weights = transfer.weights
        self.faces = np.asarray(self.mesh.faces, np.int64)
        gltf = self.manifest.extra.get("gltf_from_world")
        if gltf is None:
            raise InputError("the avatar manifest has no gltf_from_world (run `twin rig` on it)",
                             self.avatar_dir / "manifest.json")
        self.frame = facing_frame(np.asarray(gltf, np.float64).reshape(4, 4), self.skeleton.transform)
        # pose_mesh split in two: the rest pose once per avatar, then forward skinning per pose.
        self._rest = rest_vertices(self.mesh.vertices, self.weights, self.skeleton)

    @functools.cached_property
    def captured_body(self) -> np.ndarray:
        """The fitted anny body's vertices (V, 3) in the captured pose (world frame)."""
        return self.skeleton.body(self.skeleton.bind_pose)

    @functools.cached_property
    def skin_map(self):
        """The mesh's correspondence with the fitted anny body, both as captured (world frame)."""
        from twinkit.render.garments.covering import SkinMap

        return SkinMap.between(self.mesh.vertices, self.captured_body, self.skeleton.rig.faces)

    @functools.cached_property
    def splat_map(self):
        """The Gaussians' correspondence with the fitted anny body (their centres' closest body points), both as
        captured (world frame)."""
        from twinkit.render.garments.covering import SkinMap

        return SkinMap.between(self.splats[0].means.detach().double().numpy(), self.captured_body,
                               self.skeleton.rig.faces)

    def covered_faces(self, covered_body: np.ndarray) -> np.ndarray:
        """(F,) bool: the mesh faces over anny body vertices ``covered_body`` (V,) (a dressed outfit's)."""
        return self.skin_map.hidden_faces(self.faces, self.skeleton.rig.faces, covered_body)

    def covered_splats(self, covered_body: np.ndarray) -> np.ndarray:
        """(N,) bool: the Gaussians over anny body vertices ``covered_body`` (V,), by the rule of
        :meth:`covered_faces` (their centres map to covered body surface)."""
        return self.splat_map.hidden_points(self.skeleton.rig.faces, covered_body)

    @functools.cached_property
    def texture(self) -> Image.Image | None:
        """The mesh's colour texture, or None for an untextured mesh."""
        return None if self.mesh.texture_png is None else Image.open(io.BytesIO(self.mesh.texture_png)).convert("RGB")

    def posed(self, pose: Pose) -> PosedBody:
        """The mesh and joints in ``pose`` (rendering frame)."""
        frames = self.skeleton.frames(pose)
        world = skin_points(self._rest, self.weights, frames @ np.linalg.inv(self.skeleton.rest))
        joints = trimesh.transform_points(frames[:, :3, 3], self.frame)
        return PosedBody(trimesh.transform_points(world, self.frame), dict(zip(self.skeleton.joint_names, joints)))

    @functools.cached_property
    def splats(self) -> tuple[Gaussians, np.ndarray]:
        """The avatar's Gaussians (captured pose, world frame) and their skin weights (N, J)."""
        from twinkit.rig.splats import avatar_splats

        return avatar_splats(self.avatar_dir, self.mesh.vertices, self.faces, self.weights)

    def posed_splats(self, pose: Pose) -> Gaussians:
        """The Gaussians in ``pose`` (capture world frame)."""
        from twinkit.rig.splats import pose_splats

        gaussians, weights = self.splats
        return pose_splats(gaussians, weights, self.skeleton, pose)

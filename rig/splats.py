"""Bind Gaussian splats to the skeleton: each Gaussian's mean and rotation follow linear-blend skinning."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from twinkit.core.errors import InputError
from twinkit.reconstruct.splats import Gaussians, read_ply
from twinkit.rig.skeleton import Pose, Skeleton
from twinkit.rig.skinning import Weights, apply, blend_transforms, nearest_rotations
from twinkit.rig.weights import closest_points, interpolate


def bind_splats(means: np.ndarray, vertices: np.ndarray, faces: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Skin weights (N, J) for splat centres (N, 3): the weights of a skinned mesh (vertices, faces, per-vertex
    weights (V, J)) in the same pose, interpolated at each centre's closest surface point."""
    face, bary, _ = closest_points(means, vertices, faces)
    return interpolate(faces, face, bary, weights)


def pose_splats(gaussians: Gaussians, weights: Weights, skeleton: Skeleton, pose: Pose) -> Gaussians:
    """Gaussians in the captured pose moved into ``pose``: each mean by inverse then forward linear-blend
    skinning (through the rest pose, like :func:`twinkit.rig.posing.pose_mesh`), each orientation by the
    rotations nearest to those two blended transforms. Scales, opacities and colours are unchanged."""
    import roma
    import torch

    from twinkit.reconstruct.splats.projection import quat_to_rotmat

    to_bind = blend_transforms(weights, skeleton.bind @ np.linalg.inv(skeleton.rest))
    to_pose = blend_transforms(weights, skeleton.transforms(pose))
    means = apply(to_pose, apply(np.linalg.inv(to_bind), gaussians.means.detach().double().numpy()))
    turn = nearest_rotations(to_pose) @ nearest_rotations(to_bind).transpose(0, 2, 1)
    rotations = turn @ quat_to_rotmat(gaussians.quats.detach().double()).numpy()
    xyzw = roma.rotmat_to_unitquat(torch.from_numpy(rotations))
    dtype = gaussians.means.dtype
    return dataclasses.replace(gaussians, means=torch.from_numpy(means).to(dtype),
                               quats=xyzw[:, [3, 0, 1, 2]].to(dtype))  # roma is xyzw, 3DGS wxyz


def avatar_splats(avatar_dir: str | Path, vertices: np.ndarray, faces: np.ndarray, weights: np.ndarray
                  ) -> tuple[Gaussians, np.ndarray]:
    """The splats of an avatar folder (``splats.ply``, captured pose) and their skin weights (N, J), bound to
    the avatar's rigged mesh (``vertices``, ``faces``, per-vertex ``weights`` from
    :func:`twinkit.rig.avatar.avatar_rig`) so that :func:`pose_splats` moves them with it."""
    path = Path(avatar_dir) / "splats.ply"
    if not path.is_file():
        raise InputError("no splats in the avatar folder (reconstruct it with splats)", path)
    gaussians = read_ply(path)
    return gaussians, bind_splats(gaussians.means.detach().double().numpy(), vertices, faces, weights)

"""Pose a mesh bound to a skeleton: rest pose by inverse skinning, any pose by forward skinning from it."""

from __future__ import annotations

import numpy as np

from twinkit.rig.skeleton import Pose, Skeleton
from twinkit.rig.skinning import Weights, skin_points, unskin_points


def rest_vertices(vertices: np.ndarray, weights: Weights, skeleton: Skeleton) -> np.ndarray:
    """Vertices (V, 3) in the captured pose taken to the skeleton's rest A-pose by inverse skinning."""
    return unskin_points(vertices, weights, skeleton.bind @ np.linalg.inv(skeleton.rest))


def pose_mesh(vertices: np.ndarray, weights: Weights, skeleton: Skeleton, pose: Pose) -> np.ndarray:
    """Vertices (V, 3) in the captured pose moved into ``pose`` (through the rest pose, so that the fitted
    body's own mesh lands exactly on anny's body in ``pose``)."""
    return skin_points(rest_vertices(vertices, weights, skeleton), weights, skeleton.transforms(pose))

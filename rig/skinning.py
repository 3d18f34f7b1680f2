"""Linear-blend skinning of points and of oriented points (Gaussian splats), forward and inverse."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

Weights = np.ndarray | sp.spmatrix  # (N, J), rows summing to 1


def blend_transforms(weights: Weights, transforms: np.ndarray) -> np.ndarray:
    """Per-point blended 4x4 matrices ``sum_j w_ij T_j``: weights (N, J), transforms (J, 4, 4) -> (N, 4, 4)."""
    blended = weights @ transforms.reshape(len(transforms), 16)
    return np.asarray(blended).reshape(-1, 4, 4)


def apply(matrices: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Per-point 4x4 matrices (N, 4, 4) applied to points (N, 3)."""
    return np.einsum("nij,nj->ni", matrices[:, :3, :3], points) + matrices[:, :3, 3]


def skin_points(points: np.ndarray, weights: Weights, transforms: np.ndarray) -> np.ndarray:
    """Linear-blend skinning: points (N, 3) moved by bone transforms (J, 4, 4) blended with weights (N, J)."""
    return apply(blend_transforms(weights, transforms), points)


def unskin_points(points: np.ndarray, weights: Weights, transforms: np.ndarray) -> np.ndarray:
    """Inverse skinning: the points that :func:`skin_points` with the same weights and transforms maps to
    ``points`` (each point's blended matrix inverted)."""
    return apply(np.linalg.inv(blend_transforms(weights, transforms)), points)


def nearest_rotations(matrices: np.ndarray) -> np.ndarray:
    """The rotation nearest each 3x3 linear part of (N, 4, 4) matrices (special Procrustes)."""
    import roma
    import torch

    return roma.special_procrustes(torch.from_numpy(np.ascontiguousarray(matrices[:, :3, :3]))).numpy()

"""anny as a differentiable function of phenotype, per-bone rotations and a rigid anny-to-world transform."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import roma
import torch

from twinkit.reconstruct.bodyfit.blazepose_regressor import blazepose_weights

PHENOTYPE_KEYS = ("gender", "age", "muscle", "weight", "height", "proportions")
# Bones the fit rotates (anny "local-ref" deltas about world-aligned axes); the rest keep anny's rest pose.
POSE_BONES = ("upperarm01.L", "upperarm01.R", "lowerarm01.L", "lowerarm01.R", "upperleg01.L",
              "upperleg01.R", "lowerleg01.L", "lowerleg01.R", "spine02", "neck01", "head")


def phenotype_logits(values) -> np.ndarray:
    """The logits (inverse sigmoid) that :class:`BodyState` stores for phenotype ``values`` in [0, 1]."""
    values = np.clip(np.asarray(values, dtype=np.float64), 1e-6, 1 - 1e-6)
    return np.log(values / (1 - values))


@dataclass
class BodyState:
    """Optimisable parameters: phenotype logits (sigmoid -> [0, 1]), bone rotvecs, anny-to-world rigid."""

    phenotype_logits: torch.Tensor  # (6,)
    pose: torch.Tensor              # (len(POSE_BONES), 3) rotation vectors
    rotation: torch.Tensor          # (3,) rotation vector, anny frame -> world
    translation: torch.Tensor       # (3,) metres

    @classmethod
    def rest(cls, rotation: np.ndarray, translation: np.ndarray) -> "BodyState":
        f64 = torch.float64
        return cls(torch.zeros(len(PHENOTYPE_KEYS), dtype=f64), torch.zeros(len(POSE_BONES), 3, dtype=f64),
                   torch.as_tensor(rotation, dtype=f64).clone(), torch.as_tensor(translation, dtype=f64).clone())

    @classmethod
    def from_parameters(cls, phenotype: dict[str, float], pose: dict[str, np.ndarray],
                        transform: np.ndarray) -> "BodyState":
        """The state of a written fit (``body.json``'s phenotype, per-bone rotation vectors and 4x4)."""
        rotvecs = np.array([np.asarray(pose.get(bone, np.zeros(3)), dtype=np.float64) for bone in POSE_BONES])
        transform = torch.as_tensor(np.asarray(transform, dtype=np.float64))
        return cls(torch.as_tensor(phenotype_logits([phenotype[k] for k in PHENOTYPE_KEYS])), torch.as_tensor(rotvecs),
                   roma.rotmat_to_rotvec(transform[:3, :3]), transform[:3, 3].clone())

    def tensors(self) -> list[torch.Tensor]:
        return [self.phenotype_logits, self.pose, self.rotation, self.translation]

    def phenotype(self) -> torch.Tensor:
        return torch.sigmoid(self.phenotype_logits)

    def transform(self) -> np.ndarray:
        """4x4 anny frame -> world."""
        m = np.eye(4)
        m[:3, :3] = roma.rotvec_to_rotmat(self.rotation.detach()).numpy()
        m[:3, 3] = self.translation.detach().numpy()
        return m


@dataclass
class Posed:
    """A forward pass: world-frame vertices, COCO keypoints in anny's convention and in BlazePose's (what
    the detections are compared to), plus anny's rest-pose vertices."""

    vertices: torch.Tensor       # (V, 3) world
    keypoints: torch.Tensor      # (K, 3) world, anny's COCO regressor
    landmarks: torch.Tensor      # (K, 3) world, the same names where BlazePose puts them
    rest_vertices: torch.Tensor  # (V, 3) anny frame, rest pose (for anthropometry)


class AnnyBody:
    """The anny model with its COCO keypoint regressors (anny's, and corrected to BlazePose's convention)
    and anthropometry, evaluated from a :class:`BodyState`."""

    def __init__(self) -> None:
        from twinkit.capture.studio.body import anny_model  # heavy (torch, warp): only when fitting
        from twinkit.core.anny_runtime import anny

        self.model, self.regressor, self.anthropometry = anny_model()
        self.keypoint_names: list[str] = list(self.regressor.labels)
        weights = blazepose_weights(self.regressor.regression_weights.numpy(), self.keypoint_names)
        self.landmark_regressor = anny.KeypointsRegressor(self.regressor.regression_weights.new_tensor(weights),
                                                          self.keypoint_names)
        self.faces = self.model.faces.numpy().astype(np.int64)

    def __call__(self, state: BodyState) -> Posed:
        phenotype = state.phenotype()
        deltas = {}
        rotmats = roma.rotvec_to_rotmat(state.pose)
        for bone, rotmat in zip(POSE_BONES, rotmats):
            delta = torch.eye(4, dtype=torch.float64)
            delta = torch.cat([torch.cat([rotmat, delta[:3, 3:]], 1), delta[3:]], 0)
            deltas[bone] = delta[None]
        out = self.model(deltas, phenotype_kwargs={k: phenotype[i:i + 1] for i, k in enumerate(PHENOTYPE_KEYS)})
        rot = roma.rotvec_to_rotmat(state.rotation)
        world = lambda p: p @ rot.T + state.translation  # noqa: E731
        return Posed(world(out["vertices"][0]), world(self.regressor(out)[0]),
                     world(self.landmark_regressor(out)[0]), out["rest_vertices"][0])

    def stature(self, posed: Posed) -> float:
        """Standing height in metres (anny's anthropometry on the rest-pose mesh)."""
        return float(self.anthropometry.height(posed.rest_vertices[None])[0])

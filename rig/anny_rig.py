"""anny's skeleton for one phenotype: bone frames for any pose, and the body mesh with its skin weights."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from twinkit.core.errors import InputError
from twinkit.reconstruct.bodyfit.model import PHENOTYPE_KEYS

if TYPE_CHECKING:
    import torch


def _model():
    from twinkit.core.anny_runtime import load_model  # heavy (torch, warp): only when rigging

    return load_model()


class AnnyRig:
    """anny evaluated at a fixed phenotype, in anny's frame (Z up, metres).

    A pose is ``{bone: rotation vector}`` in anny's ``local-ref`` form (radians, world-aligned axes, the
    parameterisation the body fit uses); bones left out keep anny's reference (A-)pose.
    """

    def __init__(self, phenotype: dict[str, float]) -> None:
        missing = [k for k in PHENOTYPE_KEYS if k not in phenotype]
        if missing:
            raise InputError(f"phenotype lacks {', '.join(missing)}")
        self.phenotype = {k: float(phenotype[k]) for k in PHENOTYPE_KEYS}
        model = _model()
        self.names: list[str] = list(model.bone_labels)
        self.parents = np.asarray(model.bone_parents, dtype=np.int64)
        self.faces = model.faces.numpy().astype(np.int64)
        weights = np.zeros((model.template_vertices.shape[0], len(self.names)))
        np.put_along_axis(weights, model.vertex_bone_indices.numpy(), model.vertex_bone_weights.numpy(), axis=1)
        self.weights = weights  # (V, J) anny's skin weights, rows sum to 1
        _, _, self.rest_frames = self._forward({})  # (J, 4, 4) bone frames of the mesh anny skins from

    def evaluate(self, pose: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """``(vertices (V, 3), bone frames (J, 4, 4))`` of the body in ``pose``, anny frame."""
        vertices, frames, _ = self._forward(pose)
        return vertices, frames

    def bone_heads(self, pose: dict[str, torch.Tensor]) -> torch.Tensor:
        """Differentiable (J, 3) bone heads (anny frame) for a pose of rotation-vector tensors (3,)."""
        return _model()(_deltas(pose), phenotype_kwargs=self.phenotype)["bone_poses"][0, :, :3, 3]

    def _forward(self, pose: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        import torch

        unknown = sorted(set(pose) - set(self.names))
        if unknown:
            raise InputError(f"unknown anny bone(s) {', '.join(unknown)}")
        deltas = _deltas({bone: torch.as_tensor(np.asarray(v, dtype=np.float64)) for bone, v in pose.items()})
        with torch.no_grad():
            out = _model()(deltas or None, phenotype_kwargs=self.phenotype)
        return tuple(out[k][0].numpy().astype(np.float64) for k in ("vertices", "bone_poses", "rest_bone_poses"))


def _deltas(pose: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """anny's per-bone (1, 4, 4) pose deltas from rotation-vector tensors (differentiable)."""
    import roma
    import torch

    dtype = _model().dtype
    still = torch.zeros(3, dtype=dtype)
    return {bone: roma.Rigid(roma.rotvec_to_rotmat(rotvec.to(dtype)), still).to_homogeneous()[None]
            for bone, rotvec in pose.items()}

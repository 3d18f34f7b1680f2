"""Inverse kinematics on anny's rig from bone directions: scale-free, so a target may come from another person.

Solved bones: the root (free), the chest and the four limb roots (ball joints pulled gently towards the
A-pose), elbows and knees (hinges about their A-pose bending axes, flexion kept between straight and
``max_flex_deg``). Directions fix a ball joint's swing only; the twist that no direction sees stays near the
A-pose through the prior, the same for the left and the right side.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twinkit.rig.anny_rig import AnnyRig
from twinkit.rig.skeleton import Pose

BALL_JOINTS = ("spine02", "upperarm01.L", "upperarm01.R", "upperleg01.L", "upperleg01.R")
# hinge bone -> (bone whose head starts the segment above, bone whose head ends this segment)
HINGES = {"lowerarm01.L": ("upperarm01.L", "wrist.L"), "lowerarm01.R": ("upperarm01.R", "wrist.R"),
          "lowerleg01.L": ("upperleg01.L", "foot.L"), "lowerleg01.R": ("upperleg01.R", "foot.R")}


@dataclass
class DirectionTarget:
    """The segment from the mean head of ``start`` bones to the mean head of ``end`` bones should point
    along ``direction`` (anny frame, any length), with confidence ``weight`` >= 0."""

    start: tuple[str, ...]
    end: tuple[str, ...]
    direction: np.ndarray
    weight: float


@dataclass
class IKOptions:
    """Solver settings: L-BFGS iterations, the pull towards the A-pose (per rad^2, ball joints only), the
    largest elbow and knee flexion, and how much the targets' depth (their y, along the camera's view) is
    trusted relative to their image-plane (x, z) part, and the pull of the torso towards upright in depth
    (a single photo shows a forward or backward lean least well)."""

    iterations: int = 60
    prior: float = 0.01
    max_flex_deg: float = 150.0
    depth_trust: float = 1.0
    upright: float = 1.0


@dataclass
class _Hinge:
    axis: np.ndarray   # (3,) unit, anny frame, positive rotation bends the joint further
    rest_flex: float   # radians, the A-pose's flexion


def _hinges(rig: AnnyRig) -> dict[str, _Hinge]:
    """Each hinge's bending axis and flexion in the A-pose, from the segments meeting at the joint."""
    heads = rig.rest_frames[:, :3, 3]
    index = rig.names.index
    out = {}
    for bone, (above, end) in HINGES.items():
        upper = heads[index(bone)] - heads[index(above)]
        lower = heads[index(end)] - heads[index(bone)]
        normal = np.cross(upper, lower)
        # knees are nearly straight in the A-pose, so their axis is the body's left-right axis (x)
        axis = np.array([1.0, 0.0, 0.0]) if bone.startswith("lowerleg") else normal / np.linalg.norm(normal)
        out[bone] = _Hinge(axis, float(np.arctan2(normal @ axis, upper @ lower)))
    return out


def initial_root(targets: list[DirectionTarget]) -> np.ndarray:
    """A root rotation vector turning the A-pose about the vertical (z) so that its left-right axis follows
    the targets' mean left-right direction (those running from a right bone to a left one); this picks the
    right basin for the solver, which could otherwise face the body backwards."""
    lateral = sum((t.weight * np.asarray(t.direction, float) / np.linalg.norm(t.direction) for t in targets
                   if all(b.endswith(".R") for b in t.start) and all(b.endswith(".L") for b in t.end)),
                  np.zeros(3))
    if np.linalg.norm(lateral[:2]) < 1e-6:
        return np.zeros(3)
    return np.array([0.0, 0.0, np.arctan2(lateral[1], lateral[0])])


def solve_directions(rig: AnnyRig, targets: list[DirectionTarget], options: IKOptions | None = None) -> Pose:
    """The pose (root, chest, limbs) whose segments best point along ``targets``: minimises the weighted
    ``1 - cos`` of each segment's angle to its target plus the priors, with L-BFGS (deterministic)."""
    import torch

    opts = options or IKOptions()
    f64 = torch.float64
    hinges = _hinges(rig)
    index = {n: i for i, n in enumerate(rig.names)}
    root = torch.tensor(initial_root(targets), dtype=f64, requires_grad=True)
    balls = torch.zeros(len(BALL_JOINTS), 3, dtype=f64, requires_grad=True)
    bends = torch.zeros(len(HINGES), dtype=f64, requires_grad=True)  # radians beyond the A-pose flexion
    axes = torch.tensor(np.stack([h.axis for h in hinges.values()]), dtype=f64)
    rest_flex = torch.tensor([h.rest_flex for h in hinges.values()], dtype=f64)
    starts = [torch.tensor([index[b] for b in t.start]) for t in targets]
    ends = [torch.tensor([index[b] for b in t.end]) for t in targets]
    directions = torch.tensor(np.stack([np.asarray(t.direction, float) / max(np.linalg.norm(t.direction), 1e-12)
                                        for t in targets]), dtype=f64)
    weights = torch.tensor([t.weight for t in targets], dtype=f64)
    max_flex = np.deg2rad(opts.max_flex_deg)
    hips = torch.tensor([index["upperleg01.L"], index["upperleg01.R"]])
    shoulders = torch.tensor([index["upperarm01.L"], index["upperarm01.R"]])

    def pose_of() -> dict[str, torch.Tensor]:
        pose = {"root": root, **dict(zip(BALL_JOINTS, balls))}
        pose.update({bone: axis * bend for bone, axis, bend in zip(HINGES, axes, bends)})
        return pose

    def loss() -> torch.Tensor:
        heads = rig.bone_heads(pose_of())
        segments = torch.stack([heads[e].mean(0) - heads[s].mean(0) for s, e in zip(starts, ends)])
        cosine = torch.nn.functional.cosine_similarity(segments, directions, dim=1)
        plane = torch.nn.functional.cosine_similarity(segments[:, [0, 2]], directions[:, [0, 2]], dim=1)
        in_plane = directions[:, [0, 2]].norm(dim=1)  # a segment seen end-on shows no image direction
        fit = in_plane * (1 - plane) + opts.depth_trust * (1 - cosine)
        torso = heads[shoulders].mean(0) - heads[hips].mean(0)
        lean = (torso[1] / torso.norm()) ** 2
        flex = rest_flex + bends
        limits = torch.relu(-flex) ** 2 + torch.relu(flex - max_flex) ** 2
        return (weights * fit).sum() / weights.sum().clamp_min(1e-12) \
            + opts.prior * (balls ** 2).sum() + opts.upright * lean + 10.0 * limits.sum()

    optimiser = torch.optim.LBFGS([root, balls, bends], lr=1.0, max_iter=opts.iterations,
                                  line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        optimiser.zero_grad()
        value = loss()
        value.backward()
        return value

    optimiser.step(closure)
    return {bone: rotvec.detach().numpy().copy() for bone, rotvec in pose_of().items()}

"""The virtual subject: an anny body with a phenotype and a standing studio pose, in the studio frame.

Studio frame: Z up, metres, feet on ``z = 0``, body centred over the origin, facing ``-y`` (anny's front).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

PHENOTYPE_KEYS = ("gender", "age", "muscle", "weight", "height", "proportions")
# Ranges of a plausible adult: anny age 2/3 is "young", 1 "old"; gender 0 male, 1 female; height
# 0.25-0.5 spans about 1.63-1.90 m (male) and 1.50-1.77 m (female).
ADULT_RANGES = {"gender": (0.0, 1.0), "age": (0.6, 0.9), "muscle": (0.3, 0.7), "weight": (0.3, 0.7),
                "height": (0.25, 0.5), "proportions": (0.3, 0.7)}


@dataclass
class Body:
    """A posed body in the studio frame; arrays are float64 metres."""

    vertices: np.ndarray          # (V, 3)
    faces: np.ndarray             # (F, 3) int
    bone_names: list[str]
    bone_heads: np.ndarray        # (J, 3)
    keypoint_names: list[str]     # 17 COCO + 6 foot keypoints, anny's regressor order
    keypoints: np.ndarray         # (K, 3)
    phenotype: dict[str, float]
    measurements: dict[str, float]
    offset: np.ndarray            # (3,) translation from anny's frame into the studio frame

    def keypoint_dict(self) -> dict[str, list[float]]:
        return {n: p.tolist() for n, p in zip(self.keypoint_names, self.keypoints)}

    def joint_dict(self) -> dict[str, list[float]]:
        return {n: p.tolist() for n, p in zip(self.bone_names, self.bone_heads)}


@lru_cache(maxsize=1)
def anny_model():
    """The anny model with its COCO keypoint regressor and anthropometry (loaded once per process)."""
    from twinkit.core.anny_runtime import anny, load_model  # heavy (torch, warp): only when needed

    model = load_model()
    return model, anny.KeypointsRegressor.coco(model), anny.Anthropometry(model)


def random_phenotype(rng: np.random.Generator, **given: float) -> dict[str, float]:
    """A plausible adult phenotype drawn from ``rng``; ``given`` values (in [0, 1]) override the draw."""
    unknown = set(given) - set(PHENOTYPE_KEYS)
    if unknown:
        raise ValueError(f"unknown phenotype key(s) {', '.join(sorted(unknown))}; "
                         f"known: {', '.join(PHENOTYPE_KEYS)}")
    drawn = {k: float(rng.uniform(*ADULT_RANGES[k])) for k in PHENOTYPE_KEYS}
    for key, value in given.items():
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"phenotype {key}={value} is outside [0, 1]")
        drawn[key] = float(value)
    return drawn


def _rotvec(axis: str, degrees: float) -> np.ndarray:
    return {"x": np.array([1.0, 0, 0]), "y": np.array([0, 1.0, 0]),
            "z": np.array([0, 0, 1.0])}[axis] * np.deg2rad(degrees)


def studio_pose(seed: int, variation_deg: float = 4.0,
                arm_raise_deg: float = 0.0, torso_turn_deg: float = 0.0) -> dict[str, np.ndarray]:
    """Scan A-pose as bone -> rotation vector (anny ``local-ref`` deltas, world-aligned axes).

    anny's rest pose already holds the arms ~45 degrees from the body; ``seed`` fixes a small
    variation, ``arm_raise_deg`` lifts both arms sideways and ``torso_turn_deg`` turns the chest about z.
    """
    jitter = np.random.default_rng(seed).uniform(-variation_deg, variation_deg, size=5)
    raise_l = -(5.0 + arm_raise_deg + jitter[0])  # negative about +y lifts the left arm outwards
    raise_r = 5.0 + arm_raise_deg + jitter[1]
    return {
        "upperarm01.L": _rotvec("y", raise_l),
        "upperarm01.R": _rotvec("y", raise_r),
        "lowerarm01.L": _rotvec("z", jitter[2]),
        "lowerarm01.R": _rotvec("z", -jitter[2]),
        "spine02": _rotvec("z", torso_turn_deg),
        "head": _rotvec("z", jitter[3]) + _rotvec("x", jitter[4]),
    }


def pose_body(phenotype: dict[str, float], pose: dict[str, np.ndarray],
              offset: np.ndarray | None = None) -> Body:
    """Evaluate anny; ``offset`` (3,) moves it into the studio frame (default: feet on z=0, centred)."""
    import roma
    import torch

    model, regressor, anthropometry = anny_model()
    # anny takes its batch size from the first pose entry, so an empty pose is spelled as one zero rotation
    deltas = {model.bone_labels[0]: torch.eye(4, dtype=model.dtype)[None]}
    for bone, rotvec in pose.items():
        delta = torch.eye(4, dtype=model.dtype)
        delta[:3, :3] = roma.rotvec_to_rotmat(torch.as_tensor(rotvec, dtype=model.dtype))
        deltas[bone] = delta[None]
    with torch.no_grad():
        out = model(deltas, phenotype_kwargs={k: float(phenotype[k]) for k in PHENOTYPE_KEYS})
        keypoints = regressor(out)[0].numpy()
        measured = {k: float(v[0]) for k, v in anthropometry(out["rest_vertices"]).items()}
    vertices = out["vertices"][0].numpy()
    if offset is None:
        offset = floor_offset(vertices)
    return Body(
        vertices=vertices + offset,
        faces=model.faces.numpy().astype(np.int64),
        bone_names=list(model.bone_labels),
        bone_heads=out["bone_poses"][0, :, :3, 3].numpy() + offset,
        keypoint_names=list(regressor.labels),
        keypoints=keypoints + offset,
        phenotype=dict(phenotype),
        measurements={"stature_m": measured["height"],
                      "waist_circumference_m": measured["waist_circumference"],
                      "volume_m3": measured["volume"], "mass_kg": measured["mass"],
                      "bmi": measured["bmi"]},
        offset=np.asarray(offset, dtype=np.float64),
    )


def floor_offset(vertices: np.ndarray) -> np.ndarray:
    """Translation that puts the lowest vertex on z=0 and the x/y bounding-box centre on the origin."""
    lo, hi = vertices.min(axis=0), vertices.max(axis=0)
    return np.array([-(lo[0] + hi[0]) / 2, -(lo[1] + hi[1]) / 2, -lo[2]])


def motion_pose(seed: int, phase: float, arm_raise_deg: float, torso_turn_deg: float) -> dict[str, np.ndarray]:
    """The studio pose during a simple motion at ``phase`` in [0, 1]: arms rise and fall once while the
    torso turns one way and back. Phase 0 (and 1) is exactly ``studio_pose(seed)``."""
    wave = (1 - np.cos(2 * np.pi * phase)) / 2
    return studio_pose(seed, arm_raise_deg=arm_raise_deg * wave,
                       torso_turn_deg=torso_turn_deg * np.sin(2 * np.pi * phase))

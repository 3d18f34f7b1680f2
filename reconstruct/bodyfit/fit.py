"""Fit anny (phenotype, major-bone pose, rigid placement) to a capture frame's landmarks and silhouettes."""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import numpy as np
import roma
import torch

from twinkit.capture.layout import Capture
from twinkit.core.errors import QualityError
from twinkit.core.progress import detail, progress
from twinkit.reconstruct.bodyfit.losses import landmark_loss, silhouette_loss
from twinkit.reconstruct.bodyfit.model import PHENOTYPE_KEYS, POSE_BONES, AnnyBody, BodyState, phenotype_logits
from twinkit.reconstruct.bodyfit.targets import Landmarks, read_landmarks, read_silhouettes


@dataclass
class FitOptions:
    """Optimisation settings; the result is a deterministic function of these and the capture."""

    frame: int | None = None          # default: the capture's key frame
    max_cameras: int = 8              # silhouettes used (evenly spread over the rig)
    vertex_stride: int = 6            # every n-th vertex enters the silhouette term
    contour_points: int = 200         # per mask
    landmark_steps: int = 100
    silhouette_steps: int = 250
    learning_rate: float = 0.03       # decays to final_lr_fraction of itself over each stage (cosine)
    final_lr_fraction: float = 0.1
    coarse_scale_m: float = 0.3       # stage 1 starts with this robust scale and narrows it to fine_scale_m,
    fine_scale_m: float = 0.03        # so landmarks far from the average body still pull (graduated
                                      # non-convexity) and outliers stop pulling once the body is close
    landmark_weight: float = 0.3      # relative to the silhouette term in stage 2, where the landmarks that
    inlier_m: float = 0.09            # stage 1 explains within inlier_m pull without bound (least squares), so
                                      # silhouette errors cannot drag a limb off them; the others are left out
    pose_prior: float = 1e-3          # squared rotation angle (rad^2) penalty per bone
    # Stage 2 also starts from these phenotypes (with stage 1's pose and placement) and keeps whichever start
    # reaches the lowest loss after probe_steps. Landmarks hardly constrain age, weight and muscle, which trade
    # off against each other in silhouettes, so stage 1 can end in a valley far from the subject's: on virtual
    # bodies aged 0.6-0.9 it ended at age ~0.5 and weight +0.3 to +0.4, with shoulder joints 1-1.6 cm high.
    phenotype_starts: tuple[dict[str, float], ...] = ({"age": 0.75, "weight": 0.5, "muscle": 0.5},)
    probe_steps: int = 100
    seed: int = 0


@dataclass
class BodyFit:
    """A fitted body; ``transform`` maps anny's frame (Z up, metres) into the capture's world frame."""

    phenotype: dict[str, float]
    pose: dict[str, np.ndarray]       # bone -> rotation vector (anny "local-ref" delta)
    transform: np.ndarray             # (4, 4)
    vertices: np.ndarray              # (V, 3) posed, world frame
    faces: np.ndarray                 # (F, 3)
    keypoints: np.ndarray             # (K, 3) anny's COCO keypoints of the posed body, world frame
    keypoint_names: list[str]
    stature_m: float
    frame: int
    losses: dict[str, float] = field(default_factory=dict)   # final loss per stage
    timings_s: dict[str, float] = field(default_factory=dict)
    landmarks: np.ndarray | None = None  # (K, 3) the keypoints where BlazePose puts them (for fit_quality)


def _initial_placement(body: AnnyBody, landmarks: Landmarks) -> BodyState:
    """Rigidly align the average anny's keypoints to the landmarks (weighted Kabsch, no scale)."""
    state = BodyState.rest(np.zeros(3), np.zeros(3))
    with torch.no_grad():
        rest = body(state).landmarks[torch.from_numpy(landmarks.keypoint_index)]
    rotation, translation = roma.rigid_points_registration(
        rest, torch.from_numpy(landmarks.points), weights=torch.from_numpy(landmarks.weights))
    return BodyState.rest(roma.rotmat_to_rotvec(rotation).numpy(), translation.numpy())


def _inliers(body: AnnyBody, state: BodyState, landmarks: Landmarks, within_m: float) -> Landmarks:
    """The landmarks the landmark-only fit explains (keypoint within ``within_m``); the others weigh 0."""
    with torch.no_grad():
        keypoints = body(state).landmarks[torch.from_numpy(landmarks.keypoint_index)].numpy()
    explained = np.linalg.norm(keypoints - landmarks.points, axis=1) <= within_m
    return replace(landmarks, weights=np.where(explained, landmarks.weights, 0.0))


def with_phenotype(state: BodyState, phenotype: dict[str, float]) -> BodyState:
    """A copy of ``state`` whose phenotype keys named in ``phenotype`` are set to those values."""
    logits = state.phenotype_logits.clone()
    for key, value in phenotype.items():
        logits[PHENOTYPE_KEYS.index(key)] = float(phenotype_logits(value))
    return BodyState(logits, state.pose.clone(), state.rotation.clone(), state.translation.clone())


def optimise(state: BodyState, params: list[torch.Tensor], loss_fn, steps: int, lr: float,
             label: str, final_lr_fraction: float = 1.0) -> float:
    """Adam on ``params`` for ``steps``, the learning rate falling from ``lr`` to ``final_lr_fraction * lr``
    along a cosine; returns the loss of the last step."""
    for p in params:
        p.requires_grad_(True)
    optimiser = torch.optim.Adam(params, lr=lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, max(steps, 1), eta_min=final_lr_fraction * lr)
    loss = torch.zeros(())
    for _ in progress(range(steps), label, unit="step"):
        optimiser.zero_grad()
        loss = loss_fn()
        loss.backward()
        optimiser.step()
        schedule.step()
    for p in state.tensors():
        p.requires_grad_(False)
    return float(loss.detach())


def fit_body(capture: Capture, options: FitOptions | None = None, body: AnnyBody | None = None) -> BodyFit:
    """Fit anny to one frame of ``capture``: stage 1 places, shapes and poses the body from the 3D landmarks,
    stage 2 refines all of it against every selected view's silhouette as well."""
    options = options or FitOptions()
    torch.manual_seed(options.seed)
    frame = options.frame if options.frame is not None else int(capture.manifest.extra.get("key_frame",
                                                                                          capture.frames[0]))
    if not capture.metric:
        raise QualityError("capture has no metric scale: a body fit needs metres (re-ingest with "
                           "--subject-height or --known-distance)", capture.root / "manifest.json")
    body = body or AnnyBody()
    timings = {}
    start = time.perf_counter()
    landmarks = read_landmarks(capture, frame, body.keypoint_names)
    silhouettes = read_silhouettes(capture, frame, options.max_cameras, options.contour_points)
    centre = landmarks.points.mean(axis=0)
    metres_per_px = [np.linalg.norm(s.camera.center - centre) / s.camera.K[0, 0] for s in silhouettes]
    timings["read"] = time.perf_counter() - start

    state = _initial_placement(body, landmarks)
    losses = {}
    start = time.perf_counter()
    schedule = iter(np.geomspace(options.coarse_scale_m, options.fine_scale_m, options.landmark_steps))

    def landmarks_loss() -> torch.Tensor:
        posed = body(state)
        return landmark_loss(posed.landmarks, landmarks, float(next(schedule))) \
            + options.pose_prior * (state.pose.norm(dim=-1) ** 2).sum()

    losses["landmarks"] = optimise(state, state.tensors(), landmarks_loss, options.landmark_steps,
                                   options.learning_rate, "body fit: landmarks", options.final_lr_fraction)
    timings["landmarks"] = time.perf_counter() - start

    inliers = _inliers(body, state, landmarks, options.inlier_m)

    def full_loss(s: BodyState) -> torch.Tensor:
        posed = body(s)
        verts = posed.vertices[::options.vertex_stride]
        sil = sum(silhouette_loss(verts, view, m) for view, m in zip(silhouettes, metres_per_px)) / len(silhouettes)
        angles = s.pose.norm(dim=-1)
        return sil + options.landmark_weight * landmark_loss(posed.landmarks, inliers, scale=None) \
            + options.pose_prior * (angles**2).sum()

    start = time.perf_counter()
    starts = [state] + [with_phenotype(state, p) for p in options.phenotype_starts]
    if len(starts) > 1:
        probed = []
        for k, s in enumerate(starts):
            optimise(s, s.tensors(), lambda s=s: full_loss(s), options.probe_steps, options.learning_rate,
                     f"body fit: silhouettes, start {k + 1}/{len(starts)}")
            with torch.no_grad():
                probed.append(float(full_loss(s)))
            losses[f"start_{k + 1}"] = probed[-1]
        state = starts[int(np.argmin(probed))]
    losses["silhouettes"] = optimise(state, state.tensors(), lambda: full_loss(state), options.silhouette_steps,
                                     options.learning_rate, "body fit: silhouettes", options.final_lr_fraction)
    timings["silhouettes"] = time.perf_counter() - start

    detail(f"body fit: losses {losses}, {sum(timings.values()):.1f} s")
    return body_fit_from_state(body, state, frame, losses, {k: round(v, 2) for k, v in timings.items()})


def body_fit_from_state(body: AnnyBody, state: BodyState, frame: int, losses: dict[str, float],
                        timings_s: dict[str, float]) -> BodyFit:
    """The :class:`BodyFit` that ``state`` poses (vertices, keypoints, stature evaluated here)."""
    with torch.no_grad():
        posed = body(state)
    return BodyFit(
        phenotype={k: float(v) for k, v in zip(PHENOTYPE_KEYS, state.phenotype().numpy())},
        pose={bone: rv for bone, rv in zip(POSE_BONES, state.pose.numpy().copy())},
        transform=state.transform(),
        vertices=posed.vertices.numpy().copy(),
        faces=body.faces,
        keypoints=posed.keypoints.numpy().copy(),
        landmarks=posed.landmarks.numpy().copy(),
        keypoint_names=body.keypoint_names,
        stature_m=body.stature(posed),
        frame=frame,
        losses=losses,
        timings_s=timings_s,
    )

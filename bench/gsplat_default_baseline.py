"""The comparison point for twinkit's avatar training: gsplat's simple_trainer with its defaults, as a user
would run it on a calibrated studio capture that has no SfM points (``--init_type random``).

No body prior (100k Gaussians at random in a cube of 3x the camera extent, random colours, opacity 0.1,
sizes from the 3 nearest neighbours), no masks (the whole photo, studio included, over a black
background), no exposure compensation, no Gaussian cap; gsplat's DefaultStrategy, 3DGS learning rates, SH
degree 3 raised every 1000 steps. ``steps_scaler`` shortens the schedule as simple_trainer's does. Only
the rasterizer differs by machine (gsplat on CUDA, twinkit's PyTorch path on CPU), as for twinkit's own
training. Held-out quality is measured on the subject alone (render and photo both masked), the more
lenient measure: twinkit's avatars are measured on the whole render.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch
from gsplat.strategy import DefaultStrategy
from scipy.spatial import cKDTree

from twinkit.capture.cameras import Camera
from twinkit.reconstruct.splats import Gaussians, camera_tensors
from twinkit.reconstruct.splats.backend import Rasterizer
from twinkit.reconstruct.splats.gaussians import rgb_to_sh
from twinkit.reconstruct.train.image_metrics import photometric_loss, psnr, ssim
from twinkit.reconstruct.train.options import TrainOptions
from twinkit.reconstruct.train.parameters import make_optimizers, set_means_lr, to_gaussians, to_params
from twinkit.reconstruct.train.trainer import camera_order, curve_point
from twinkit.reconstruct.train.views import View

# gsplat examples/simple_trainer.py Config defaults
INIT_POINTS, INIT_EXTENT, INIT_OPACITY, SH_DEGREE, SH_INTERVAL, MAX_STEPS = 100_000, 3.0, 0.1, 3, 1000, 30_000
LEARNING_RATES = {"lr_means": 1.6e-4, "lr_scales": 5e-3, "lr_quats": 1e-3, "lr_opacities": 5e-2, "lr_sh": 2.5e-3}


@dataclass
class BaselineResult:
    curve: list[dict[str, float]]  # held-out subject PSNR against training seconds (evaluation excluded)
    gaussians: int
    steps: int


def camera_extent(cameras: list[Camera]) -> tuple[np.ndarray, float]:
    """simple_trainer's scene centre and scale: the camera centres' mean and 1.1x their largest distance
    from it."""
    centres = np.array([-cam.R.T @ cam.t for cam in cameras])
    centre = centres.mean(0)
    return centre, 1.1 * float(np.linalg.norm(centres - centre, axis=1).max())


def random_init(centre: np.ndarray, scene_scale: float, count: int, seed: int, device: torch.device) -> Gaussians:
    """simple_trainer's ``init_type="random"`` Gaussians."""
    gen = torch.Generator().manual_seed(seed)
    points = INIT_EXTENT * scene_scale * (torch.rand(count, 3, generator=gen) * 2 - 1) + torch.as_tensor(
        centre, dtype=torch.float32)
    rgbs = torch.rand(count, 3, generator=gen)
    distances, _ = cKDTree(points.numpy()).query(points.numpy(), k=4)
    spacing = torch.as_tensor(np.sqrt((distances[:, 1:] ** 2).mean(1)), dtype=torch.float32)
    sh = torch.zeros(count, (SH_DEGREE + 1) ** 2, 3)
    sh[:, 0] = rgb_to_sh(rgbs)
    logits = torch.full((count,), float(np.log(INIT_OPACITY / (1 - INIT_OPACITY))))
    quats = torch.rand(count, 4, generator=gen)
    return Gaussians(points, spacing.log()[:, None].repeat(1, 3), quats, logits, sh).to(device)


@torch.no_grad()
def subject_quality(gaussians: Gaussians, views: list[View], rasterize: Rasterizer) -> dict[str, float]:
    """Mean PSNR and SSIM over ``views`` of the render and the photo, both masked to the subject (over
    black)."""
    psnrs, ssims = [], []
    for view in views:
        viewmat, K = camera_tensors([view.camera], view.image.device)
        render = rasterize(gaussians, viewmat, K, view.camera.width, view.camera.height).rgb[0].clamp(0, 1)
        psnrs.append(psnr(render * view.mask, view.image * view.mask))
        ssims.append(float(ssim(render * view.mask, view.image * view.mask)))
    return {"psnr_mean": sum(psnrs) / len(psnrs), "ssim_mean": sum(ssims) / len(ssims)}


def train_baseline(train_views: list[View], held_views: list[View], rasterize: Rasterizer, device: torch.device,
                   steps: int, eval_every: int, seed: int = 0, init_points: int = INIT_POINTS,
                   stop_at_db: float | None = None, max_seconds: float | None = None) -> BaselineResult:
    """Train simple_trainer's default recipe for ``steps`` steps (its schedule scaled by steps / 30000), or
    until the held-out PSNR reaches ``stop_at_db``, or until an evaluation finds ``max_seconds`` spent."""
    factor = steps / MAX_STEPS
    torch.manual_seed(seed)
    centre, scene_scale = camera_extent([v.camera for v in train_views + held_views])
    params = to_params(random_init(centre, scene_scale, init_points, seed, device))
    options = TrainOptions(steps=steps, sh_degree=SH_DEGREE, **LEARNING_RATES)
    optimizers = make_optimizers(params, options, scene_scale)
    strategy = DefaultStrategy(refine_start_iter=int(500 * factor), refine_stop_iter=int(15000 * factor),
                               reset_every=int(3000 * factor), refine_every=max(1, int(100 * factor)))
    state = strategy.initialize_state(scene_scale=scene_scale)
    sh_interval = max(1, int(SH_INTERVAL * factor))
    cams = [camera_tensors([v.camera], device) for v in train_views]
    curve = [curve_point(0, 0.0, subject_quality(to_gaussians(params), held_views, rasterize))]
    seconds, clock = 0.0, time.perf_counter()
    for step in range(steps):
        index = camera_order(step, len(train_views), seed)
        view, (viewmat, K) = train_views[index], cams[index]
        set_means_lr(optimizers, options, scene_scale, step)
        out = rasterize(to_gaussians(params), viewmat, K, view.camera.width, view.camera.height,
                        sh_degree=min(SH_DEGREE, step // sh_interval))
        loss = photometric_loss(out.rgb[0], view.image, 0.2)
        info = {**out.meta, "width": view.camera.width, "height": view.camera.height, "n_cameras": 1,
                "gaussian_ids": None}
        strategy.step_pre_backward(params, optimizers, state, step, info)
        loss.backward()
        for opt in optimizers.values():
            opt.step()
            opt.zero_grad(set_to_none=True)
        strategy.step_post_backward(params, optimizers, state, step, info)
        if (step + 1) % eval_every == 0 or step + 1 == steps:
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            seconds += time.perf_counter() - clock
            curve.append(curve_point(step + 1, seconds, subject_quality(to_gaussians(params), held_views, rasterize)))
            if ((stop_at_db is not None and curve[-1]["psnr_mean"] >= stop_at_db)
                    or (max_seconds is not None and seconds >= max_seconds)):
                break
            clock = time.perf_counter()
    return BaselineResult(curve, len(params["means"]), curve[-1]["step"])

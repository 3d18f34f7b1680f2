"""Train the avatar's Gaussians on a capture's key frame, starting from the fitted body."""

from __future__ import annotations

import math
import resource
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from gsplat.strategy import DefaultStrategy

from twinkit.capture.layout import Capture, shows_subject
from twinkit.core.atomic import write_json
from twinkit.core.errors import InputError
from twinkit.core.progress import detail, progress, progress_bar
from twinkit.reconstruct.splats import Gaussians, camera_tensors, get_rasterizer, write_ply
from twinkit.reconstruct.train.checkpoint import CHECKPOINTS, load_latest, save_checkpoint
from twinkit.reconstruct.train.evaluate import evaluate
from twinkit.reconstruct.train.exposure import Exposure
from twinkit.reconstruct.train.image_metrics import photometric_loss, psnr
from twinkit.reconstruct.train.init import init_gaussians
from twinkit.reconstruct.train.options import TrainOptions, profile
from twinkit.reconstruct.train.parameters import Params, make_optimizers, set_means_lr, to_gaussians, to_params
from twinkit.reconstruct.train.pruning import dilated_masks, enforce_cap, prune_outside_masks
from twinkit.reconstruct.train.views import View, load_view, split_cameras

SPLATS, METRICS = "splats.ply", "metrics.json"
MASK_DILATION_PX = 2  # slack for mask edges when pruning Gaussians outside the silhouettes

StepCallback = Callable[[int, dict[str, float]], bool | None]


@dataclass
class TrainResult:
    """The trained Gaussians (CPU, float32), the metrics written to ``metrics_path``, and the PLY path."""

    gaussians: Gaussians
    metrics: dict[str, Any]
    splats_path: Path
    metrics_path: Path


def camera_order(step: int, n: int, seed: int) -> int:
    """The training camera of ``step``: a fresh seeded permutation each epoch (a function of the step only)."""
    epoch, offset = divmod(step, n)
    return int(np.random.default_rng([seed, epoch]).permutation(n)[offset])


def step_background(step: int, seed: int, device: torch.device) -> torch.Tensor:
    """A random background colour per step, so that no Gaussian can pass for the background."""
    return torch.as_tensor(np.random.default_rng([seed, step, 1]).random(3), dtype=torch.float32, device=device)


def _synchronize(device: torch.device) -> None:
    """Wait for queued GPU work, so that a clock read after it counts it."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def curve_point(step: int, train_seconds: float, held: dict[str, Any]) -> dict[str, float]:
    """One point of ``metrics.json``'s ``held_out_curve``: held-out quality after ``step`` steps."""
    return {"step": step, "train_seconds": train_seconds, "psnr_mean": held["psnr_mean"],
            "ssim_mean": held["ssim_mean"]}


def _peak_memory_mib(device: torch.device) -> float:
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def load_views(capture: Capture, options: TrainOptions, device: torch.device) -> tuple[list[View], list[View]]:
    """The key frame's (training, held-out) views at ``options.resolution`` on ``device``, less those
    without the subject."""
    frame = int(capture.manifest.extra.get("key_frame", capture.frames[0]))
    train_cams, held_cams = split_cameras(capture.cameras, options.holdout_every)
    views = [load_view(capture, cam, frame, options.resolution)
             for cam in progress(train_cams + held_cams, "loading views", unit="view")]
    for view in views:
        view.image, view.mask = view.image.to(device), view.mask.to(device)
    train, held = views[:len(train_cams)], views[len(train_cams):]
    return without_subjectless(train), without_subjectless(held)


def without_subjectless(views: list[View]) -> list[View]:
    """``views`` less those whose mask is empty (see :func:`~twinkit.capture.layout.shows_subject`)."""
    kept = [view for view in views if shows_subject(view.mask, view.camera.name, "training")]
    if views and not kept:
        raise InputError("no view has the subject in its mask")
    return kept


def train_splats(capture: Capture, body_vertices: np.ndarray, body_faces: np.ndarray, out_dir: str | Path,
                 options: TrainOptions | None = None, device: Literal["auto", "cpu", "cuda"] = "auto",
                 resume: bool = False, callback: StepCallback | None = None) -> TrainResult:
    """Train Gaussians on ``capture``'s key frame and write ``out_dir/splats.ply`` and ``metrics.json``.

    Initialised on the fitted body (``body_vertices`` (V,3) in the capture world, ``body_faces`` (F,3)),
    trained with L1 + SSIM and an alpha-vs-mask loss over random backgrounds, per-camera exposure, gsplat's
    3DGS densification plus pruning outside the silhouettes. Every ``holdout_every``-th camera is held out
    and evaluated every ``eval_every`` steps (``metrics.json``'s ``held_out_curve``: PSNR against training
    seconds, evaluation time excluded) and at the end. Checkpoints go to ``out_dir/checkpoints/`` every
    ``checkpoint_every`` steps; ``resume`` continues from the latest one (they are deleted once the outputs
    are written). ``callback(step, stats)`` runs after each step (``step`` steps done; ``stats`` has
    ``held_out_psnr`` after an evaluation); when it returns True, training ends there (the outputs record
    the steps done).
    """
    options = options or profile("preview")
    out_dir = Path(out_dir)
    started = time.perf_counter()
    rasterize, dev = get_rasterizer(device)
    if dev.type == "cpu":
        torch.set_num_threads(options.threads)
    torch.manual_seed(options.seed)
    if dev.type == "cuda":
        torch.cuda.reset_peak_memory_stats(dev)
    train_views, held_views = load_views(capture, options, dev)
    eval_bg = torch.tensor(options.eval_background, dtype=torch.float32, device=dev)
    scene_scale = float(np.linalg.norm(np.ptp(np.asarray(body_vertices), axis=0))) / 2.0
    tracked = {k: v for k, v in options.to_dict().items() if k != "threads"}
    ckpt_dir = out_dir / CHECKPOINTS
    saved = load_latest(ckpt_dir, tracked) if resume else None

    if saved is None:
        gaussians = init_gaussians(body_vertices, body_faces, train_views, options.init_points, options.sh_degree,
                                   options.seed, rasterize, dev)
        initial = evaluate(gaussians, held_views, rasterize, eval_bg)
        params = to_params(gaussians)
        start, elapsed_before, curve = 0, 0.0, [curve_point(0, 0.0, initial)]
    else:
        params = Params({name: torch.nn.Parameter(t.to(dev)) for name, t in saved["params"].items()})
        initial, start, elapsed_before, curve = saved["initial"], saved["step"], saved["elapsed"], saved["curve"]
    optimizers = make_optimizers(params, options, scene_scale)
    exposure = Exposure(len(train_views)).to(dev)
    exposure_opt = torch.optim.Adam(exposure.parameters(), lr=options.lr_exposure)
    strategy = DefaultStrategy(grow_grad2d=options.grow_grad2d, refine_start_iter=options.refine_start,
                               refine_stop_iter=options.refine_stop, refine_every=options.refine_every)
    strategy_state = strategy.initialize_state(scene_scale=scene_scale)
    if saved is not None:
        for name, opt in optimizers.items():
            opt.load_state_dict(saved["optimizers"][name])
        exposure.load_state_dict(saved["exposure"])
        exposure_opt.load_state_dict(saved["exposure_opt"])
        strategy_state.update({k: (v.to(dev) if torch.is_tensor(v) else v) for k, v in saved["strategy"].items()})
        torch.set_rng_state(saved["rng"])
        if dev.type == "cuda":
            torch.cuda.set_rng_state(saved["cuda_rng"], dev)
    masks = dilated_masks(train_views, MASK_DILATION_PX)
    cams = [camera_tensors([v.camera], dev) for v in train_views]

    bar = progress_bar(options.steps, "training splats", initial=start, unit="step")
    running_psnr = math.nan
    session_start, eval_seconds, done = time.perf_counter(), 0.0, start

    def train_seconds() -> float:
        _synchronize(dev)
        return elapsed_before + time.perf_counter() - session_start - eval_seconds

    try:
        for step in range(start, options.steps):
            index = camera_order(step, len(train_views), options.seed)
            view, (viewmat, K) = train_views[index], cams[index]
            background = step_background(step, options.seed, dev)
            set_means_lr(optimizers, options, scene_scale, step)
            out = rasterize(to_gaussians(params), viewmat, K, view.camera.width, view.camera.height,
                            sh_degree=min(options.sh_degree, step // options.sh_interval))
            alpha = out.alpha[0]
            render = exposure(index, out.rgb[0], alpha) + (1.0 - alpha) * background
            target = view.target(background)
            loss = (photometric_loss(render, target, options.ssim_weight)
                    + options.alpha_weight * torch.abs(alpha - view.mask).mean()
                    + options.exposure_weight * exposure.penalty())
            info = {**out.meta, "width": view.camera.width, "height": view.camera.height, "n_cameras": 1,
                    "gaussian_ids": None}
            strategy.step_pre_backward(params, optimizers, strategy_state, step, info)
            loss.backward()
            for opt in [*optimizers.values(), exposure_opt]:
                opt.step()
                opt.zero_grad(set_to_none=True)
            strategy.step_post_backward(params, optimizers, strategy_state, step, info)
            if options.refine_start < step < options.refine_stop and step % options.refine_every == 0:
                pruned = prune_outside_masks(params, optimizers, strategy_state, train_views, masks,
                                             options.mask_prune_fraction)
                capped = enforce_cap(params, optimizers, strategy_state, options.max_gaussians)
                detail(f"step {step}: pruned {pruned} outside the masks, {capped} over the cap; "
                       f"{len(params['means'])} Gaussians")

            step_psnr = psnr(render.detach(), target)
            running_psnr = step_psnr if math.isnan(running_psnr) else 0.9 * running_psnr + 0.1 * step_psnr
            done = step + 1
            stats = {"loss": float(loss.detach()), "psnr": step_psnr, "gaussians": len(params["means"])}
            if done % options.eval_every == 0 and done < options.steps:
                seconds, eval_start = train_seconds(), time.perf_counter()
                curve.append(curve_point(done, seconds, evaluate(to_gaussians(params), held_views, rasterize,
                                                                 eval_bg)))
                stats["held_out_psnr"] = curve[-1]["psnr_mean"]
                eval_seconds += time.perf_counter() - eval_start
            if done % options.checkpoint_every == 0 and done < options.steps:
                save_checkpoint(ckpt_dir, done, {
                    "options": tracked, "step": done, "initial": initial, "curve": curve,
                    "elapsed": train_seconds(),
                    "params": {k: p.detach().cpu() for k, p in params.items()},
                    "optimizers": {k: o.state_dict() for k, o in optimizers.items()},
                    "exposure": exposure.state_dict(), "exposure_opt": exposure_opt.state_dict(),
                    "strategy": {k: (v.cpu() if torch.is_tensor(v) else v) for k, v in strategy_state.items()},
                    "rng": torch.get_rng_state(),
                    "cuda_rng": torch.cuda.get_rng_state(dev) if dev.type == "cuda" else None})
            bar.update(1)
            bar.set_postfix(psnr=f"{running_psnr:.2f}", gaussians=len(params["means"]))
            if callback is not None and callback(done, stats):
                break
    finally:
        bar.close()

    seconds = train_seconds()
    gaussians = Gaussians(*(t.detach() for t in to_gaussians(params).tensors()))
    held = evaluate(gaussians, held_views, rasterize, eval_bg)
    if curve[-1]["step"] != done:  # (stopped by the callback right after an evaluation: that point stands)
        curve.append(curve_point(done, seconds, held))
    metrics = {
        "device": torch.cuda.get_device_name(dev) if dev.type == "cuda" else "cpu",
        "threads": options.threads if dev.type == "cpu" else None,
        "steps": done, "gaussians": len(gaussians), "held_out": held,
        "initial_held_out_psnr_mean": initial["psnr_mean"], "held_out_curve": curve,
        "train_seconds": seconds, "total_seconds_this_run": time.perf_counter() - started,
        "peak_memory_mib": _peak_memory_mib(dev),
        "exposure": exposure.delta.detach().cpu().tolist(),
        "options": options.to_dict(),
    }
    gaussians = gaussians.to("cpu")
    splats_path, metrics_path = out_dir / SPLATS, out_dir / METRICS
    write_ply(splats_path, gaussians)
    write_json(metrics_path, metrics)
    shutil.rmtree(ckpt_dir, ignore_errors=True)
    return TrainResult(gaussians, metrics, splats_path, metrics_path)

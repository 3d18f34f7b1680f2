"""Benchmark: time to a held-out PSNR target, twinkit's avatar training against gsplat's default 3DGS recipe
(no body prior, no masks; see gsplat_default_baseline.py) on the same images, machine and run.

GPU (issue #3's acceptance: standard profile, 48 cameras at 1024 px, 33 dB, ratio <= 0.5):
    python bench/bench_vs_gsplat_default.py --work /tmp/vs --cameras 48 --size 1024 --profile standard --target 33
CPU (preview profile, 24 cameras at 256 px):
    .venv/bin/python bench/bench_vs_gsplat_default.py --work /tmp/vs --cameras 24 --size 256 --profile preview \
        --target 28 --baseline-steps 2000

Builds WORK/session, WORK/capture and WORK/body (the fitted body, timed), then trains twinkit
(WORK/twinkit/metrics.json) and the baseline (WORK/baseline.json), each evaluated on the held-out cameras
every --eval-every steps (evaluation time excluded) and ended at the first evaluation reaching the target
(unless --full). Every part is skipped once its
output exists, and a killed twinkit run resumes from its checkpoint: on a machine that stops commands
after a few minutes, run the same command again until it reports. Prints both curves, the time each took
to reach the target, and their ratio (twinkit / baseline) with and without the body fit's time, and writes
WORK/result.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gsplat_default_baseline import train_baseline  # noqa: E402

from twinkit.capture.ingest import ingest  # noqa: E402
from twinkit.capture.layout import Capture  # noqa: E402
from twinkit.capture.studio.session import StudioOptions, simulate  # noqa: E402
from twinkit.core.atomic import read_json, write_json  # noqa: E402
from twinkit.core.meshes import load_mesh  # noqa: E402
from twinkit.reconstruct.bodyfit import fit_body, write_body  # noqa: E402
from twinkit.reconstruct.splats import get_rasterizer  # noqa: E402
from twinkit.reconstruct.train import profile, train_splats  # noqa: E402
from twinkit.reconstruct.train.options import TrainOptions  # noqa: E402
from twinkit.reconstruct.train.trainer import load_views  # noqa: E402


def build_inputs(work: Path, cameras: int, size: int) -> tuple[Path, Path, float]:
    """Session, capture and fitted body (reused when there); returns the capture, body folder and the
    body fit's seconds (as first measured)."""
    session, capture, body = work / "session", work / "capture", work / "body"
    if not session.exists():
        simulate(session, StudioOptions(cameras=cameras, size=size))
    if not capture.exists():
        ingest(session, capture)
    if not (body / "fit_seconds.json").exists():
        start = time.perf_counter()
        write_body(body, fit_body(Capture.open(capture)))
        write_json(body / "fit_seconds.json", {"seconds": time.perf_counter() - start})
    return capture, body, read_json(body / "fit_seconds.json")["seconds"]


def train_twinkit(capture: Capture, body_dir: Path, out: Path, options: TrainOptions, device: str,
                  stop_at_db: float | None) -> dict:
    """twinkit's metrics.json, training (or resuming a killed run) unless it is there; the training ends at
    the first evaluation reaching ``stop_at_db`` (None: runs the profile to its end)."""
    if not (out / "metrics.json").exists():
        body = load_mesh(body_dir / "body.ply")
        train_splats(capture, body.vertices, body.faces, out, options, device=device,
                     resume=(out / "checkpoints").exists(),
                     callback=lambda step, stats: stop_at_db is not None
                     and stats.get("held_out_psnr", -1.0) >= stop_at_db)
    return read_json(out / "metrics.json")


def train_gsplat_default(capture: Capture, options: TrainOptions, args: argparse.Namespace, path: Path,
                         stop_at_db: float | None) -> dict:
    """The baseline's curve, steps and Gaussian count, training it unless ``path`` is there (ending at
    ``stop_at_db`` like :func:`train_twinkit`)."""
    if not path.exists():
        rasterize, device = get_rasterizer(args.device)
        train_views, held_views = load_views(capture, options, device)
        result = train_baseline(train_views, held_views, rasterize, device, args.baseline_steps or options.steps,
                                options.eval_every, options.seed, args.baseline_init_points, stop_at_db,
                                args.baseline_max_seconds)
        write_json(path, {"curve": result.curve, "steps": result.steps, "gaussians": result.gaussians,
                          "init_points": args.baseline_init_points, "max_seconds": args.baseline_max_seconds})
    return read_json(path)


def time_to(curve: list[dict], target: float) -> float | None:
    """Training seconds at the first evaluation reaching ``target`` dB, or None."""
    return next((p["train_seconds"] for p in curve if p["psnr_mean"] >= target), None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--cameras", type=int, default=48)
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--profile", default="standard")
    parser.add_argument("--target", type=float, default=33.0)
    parser.add_argument("--baseline-steps", type=int, default=None, help="default: the profile's steps")
    parser.add_argument("--baseline-init-points", type=int, default=100_000)
    parser.add_argument("--baseline-max-seconds", type=float, default=None,
                        help="end the baseline at the first evaluation past this much training time")
    parser.add_argument("--eval-every", type=int, default=None, help="default: the profile's eval_every")
    parser.add_argument("--full", action="store_true",
                        help="train both to their last step instead of ending each at the target")
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    capture_dir, body_dir, fit_seconds = build_inputs(args.work, args.cameras, args.size)
    capture = Capture.open(capture_dir)
    overrides = {"threads": args.threads} | ({"eval_every": args.eval_every} if args.eval_every else {})
    options = profile(args.profile, **overrides)
    stop_at_db = None if args.full else args.target
    ours = train_twinkit(capture, body_dir, args.work / "twinkit", options, args.device, stop_at_db)
    baseline = train_gsplat_default(capture, options, args, args.work / "baseline.json", stop_at_db)

    ours_curve = ours["held_out_curve"]
    ours_t, base_t = time_to(ours_curve, args.target), time_to(baseline["curve"], args.target)
    result = {
        "device": ours["device"], "machine": platform.node(), "torch": torch.__version__,
        "cameras": args.cameras, "size": args.size, "profile": args.profile, "resolution": options.resolution,
        "target_db": args.target, "body_fit_seconds": round(fit_seconds, 1),
        "twinkit": {"curve": ours_curve, "steps": ours["steps"], "gaussians": ours["gaussians"],
                    "seconds_to_target": ours_t, "final_psnr": ours_curve[-1]["psnr_mean"]},
        "baseline": {**baseline, "seconds_to_target": base_t, "final_psnr": baseline["curve"][-1]["psnr_mean"]},
    }
    if ours_t is not None:
        base_bound = base_t if base_t is not None else baseline["curve"][-1]["train_seconds"]
        qualifier = "" if base_t is not None else "< "  # the baseline never got there: an upper bound
        result["ratio"] = f"{qualifier}{ours_t / base_bound:.3f}"
        result["ratio_with_body_fit"] = f"{qualifier}{(ours_t + fit_seconds) / base_bound:.3f}"
    write_json(args.work / "result.json", result)

    print(f"{result['device']}, {args.cameras} cameras at {args.size} px, profile {args.profile} "
          f"(images at most {options.resolution} px), target {args.target} dB")
    for name in ("twinkit", "baseline"):
        r = result[name]
        points = ", ".join(f"{p['step']}: {p['psnr_mean']:.2f} dB @ {p['train_seconds']:.0f} s" for p in r["curve"])
        print(f"{name}: {r['steps']} steps, {r['gaussians']} Gaussians; to target: {r['seconds_to_target']} s\n"
              f"  {points}")
    print(f"body fit {fit_seconds:.0f} s; ratio twinkit / baseline: {result.get('ratio', 'twinkit missed the target')}"
          f" (with the body fit: {result.get('ratio_with_body_fit', '-')})")
    print(json.dumps({k: v for k, v in result.items() if k not in ("twinkit", "baseline")}))


if __name__ == "__main__":
    main()

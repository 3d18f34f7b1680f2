"""Train the preview profile on the default virtual session (24 cameras, 256 px) and print held-out
quality, time and peak memory.

    .venv/bin/python bench/bench_train.py --work /tmp/bench_train [--threads 2] [--profile preview]

Builds WORK/session, WORK/capture and WORK/avatar (body fit) first unless they exist.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from twinkit.core.meshes import load_mesh


def build_inputs(work: Path) -> tuple[Path, Path]:
    """The default session at 256 px, ingested, with its fitted body (reused when already there)."""
    from twinkit.capture.ingest import ingest
    from twinkit.capture.layout import Capture
    from twinkit.capture.studio.session import StudioOptions, simulate
    from twinkit.reconstruct.bodyfit import fit_body, write_body

    session, capture, avatar = work / "session", work / "capture", work / "avatar"
    if not session.exists():
        simulate(session, StudioOptions(size=256))
    if not capture.exists():
        ingest(session, capture)
    if not (avatar / "body.ply").exists():
        write_body(avatar, fit_body(Capture.open(capture)))
    return capture, avatar


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("/tmp/bench_train"))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--profile", default="preview")
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    args = parser.parse_args()

    from twinkit.capture.layout import Capture
    from twinkit.reconstruct.train import profile, train_splats

    capture_dir, avatar = build_inputs(args.work)
    body = load_mesh(avatar / "body.ply")
    start = time.perf_counter()
    result = train_splats(Capture.open(capture_dir), body.vertices, body.faces, avatar,
                          profile(args.profile, threads=args.threads), device=args.device)
    wall = time.perf_counter() - start
    m, held = result.metrics, result.metrics["held_out"]
    print(f"profile {args.profile} on {m['device']} ({args.threads} threads), {m['steps']} steps, "
          f"{m['gaussians']} Gaussians")
    print("held-out PSNR dB: " + ", ".join(f"{k} {v:.2f}" for k, v in held["psnr"].items())
          + f"; mean {held['psnr_mean']:.2f} (initialisation {m['initial_held_out_psnr_mean']:.2f})")
    print(f"held-out SSIM mean {held['ssim_mean']:.4f}")
    print(f"wall {wall:.0f} s (training {m['train_seconds']:.0f} s), peak memory {m['peak_memory_mib']:.0f} MiB")


if __name__ == "__main__":
    main()

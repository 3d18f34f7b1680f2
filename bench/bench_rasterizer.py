"""Time the PyTorch (CPU) rasterizer: forward and backward, per scene size and kind.

    .venv/bin/python bench/bench_rasterizer.py --threads 2 --sizes 20000 50000 --resolution 256
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from splat_scenes import blob_scene  # noqa: E402

from twinkit.reconstruct.splats.composite import bin_to_tiles  # noqa: E402
from twinkit.reconstruct.splats.projection import project  # noqa: E402
from twinkit.reconstruct.splats.torch_backend import TILE_SIZE, rasterize  # noqa: E402


def time_once(scene, resolution: int) -> tuple[float, float, float]:
    """Seconds for forward, backward, and the coverage (mean alpha) of one render + loss."""
    g, viewmats, Ks = scene
    g.requires_grad_()
    start = time.perf_counter()
    out = rasterize(g, viewmats, Ks, resolution, resolution, background=torch.ones(3))
    mid = time.perf_counter()
    (out.rgb.square().mean() + out.depth.mean()).backward()
    end = time.perf_counter()
    return mid - start, end - mid, out.alpha.mean().item()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--sizes", type=int, nargs="+", default=[20000, 50000])
    parser.add_argument("--kinds", nargs="+", default=["trained", "initial"])
    parser.add_argument("--resolution", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {args.threads} threads, {args.resolution}x{args.resolution}, "
          f"median of {args.repeats} after one warm-up")
    print(f"{'kind':8} {'N':>7} {'pairs':>8} {'alpha':>6} {'forward s':>10} {'backward s':>11} {'total s':>8}")
    for kind in args.kinds:
        for n in args.sizes:
            scene = blob_scene(n, kind, args.resolution)
            with torch.no_grad():
                g, viewmats, Ks = scene
                proj = project(g.means, g.quats, g.scales, g.opacities, viewmats, Ks, args.resolution, args.resolution)
                pairs = int(bin_to_tiles(proj.means2d, proj.radii, proj.depths, args.resolution, args.resolution,
                                         TILE_SIZE).counts.sum())
            time_once(scene, args.resolution)  # warm-up
            runs = [time_once(scene, args.resolution) for _ in range(args.repeats)]
            fwd, bwd = statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)
            print(f"{kind:8} {n:>7} {pairs:>8} {runs[0][2]:>6.2f} {fwd:>10.3f} {bwd:>11.3f} {fwd + bwd:>8.3f}")
    print(f"peak resident memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()

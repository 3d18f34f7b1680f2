"""Time one mesh render of a posed avatar (pose + frame + render + composite + PNG encode), after a warm-up.

    .venv/bin/python bench/bench_render.py AVATAR --size 1024 --repeats 7 --pose t_pose --camera front
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import torch

from twinkit.render.imagery.compositing import compose
from twinkit.core.atomic import png_bytes
from twinkit.render.imagery.images import ImageMaker, Look
from twinkit.render.imagery.outfits import parse_outfit
from twinkit.render.imagery.requests import camera_requests, pose_requests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("avatar", type=Path, help="A rigged avatar folder (e.g. twin-demo/avatar).")
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--pose", default="t_pose")
    parser.add_argument("--camera", default="front")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    pose, camera_request, outfit = pose_requests([args.pose])[0], camera_requests([args.camera])[0], parse_outfit("")
    start = time.perf_counter()
    maker = ImageMaker(args.avatar, Look(size=args.size))
    print(f"load + rig transfer (once per avatar): {time.perf_counter() - start:.2f} s, "
          f"{len(maker.subject.mesh.vertices)} vertices, {len(maker.subject.faces)} faces")
    runs = []
    for _ in range(args.repeats + 1):  # the first is the warm-up (GL context, texture upload)
        maker._pose = None  # pose every time, as a batch of different poses would
        t0 = time.perf_counter()
        cam = maker.camera(pose, camera_request)
        t1 = time.perf_counter()
        layer = maker.layer(pose, cam, outfit)
        t2 = time.perf_counter()
        image = compose(layer, maker.background)
        t3 = time.perf_counter()
        png_bytes(image)
        t4 = time.perf_counter()
        runs.append((t1 - t0, t2 - t1, t3 - t2, t4 - t3, t4 - t0))
    steps = ("pose + frame", "render", "composite", "png encode", "total")
    print(f"{args.size} px, {args.threads} threads, median of {args.repeats} after a warm-up "
          f"(warm-up total {runs[0][-1]:.3f} s)")
    for k, step in enumerate(steps):
        print(f"  {step:14} {statistics.median(r[k] for r in runs[1:]):.3f} s")


if __name__ == "__main__":
    main()

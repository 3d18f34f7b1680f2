"""Benchmark: ingest of the default 24-camera virtual studio session, with its acceptance figures.

Usage: .venv/bin/python bench/bench_ingest.py [--workdir DIR] [--seed N]
Prints wall time of ingest (target <= 60 s on the 2-core CPU) and the quality figures measured against the
session's ground truth: median mask IoU (>= 0.95) and mean 3D error of the 12 limb landmarks (<= 3 cm).
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from pathlib import Path

from twinkit.capture.ingest import ingest
from twinkit.capture.studio.evaluate import capture_quality
from twinkit.capture.studio.session import StudioOptions, simulate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="twinkit-bench-"))
    session = work / "session"
    if not session.exists():
        t0 = time.perf_counter()
        simulate(session, StudioOptions(seed=args.seed))
        print(f"simulate: {time.perf_counter() - t0:.1f} s")
    capture = work / "capture"
    t0 = time.perf_counter()
    ingest(session, capture, overwrite=True)
    elapsed = time.perf_counter() - t0
    figures = capture_quality(session, capture)
    print(json.dumps({"ingest_s": round(elapsed, 1), **figures, "machine": platform.processor() or
                      platform.machine(), "python": platform.python_version()}, indent=2))


if __name__ == "__main__":
    main()

"""Benchmark: ISO 8559-1 measurements of reconstructed avatars against the GT body, on varied virtual bodies.

Usage: .venv/bin/python bench/bench_measure.py [--bodies N] [--workdir DIR] [--first-seed S]
Per body (studio seed s = S+i, gender = frac(0.618 s) spread over 0..1, the other phenotype keys drawn from
the seed):
simulate -> ingest -> reconstruct (preview profile) -> `twin measure`'s values, against the same
measurements on the GT mesh with the GT landmarks. Acceptance: |error| within each measurement's tolerance
(twice the ISO 20685-1 allowance). Resumable: a stage whose output folder exists in WORKDIR/body_NN is not
redone (a killed reconstruction resumes); the measuring (seconds) always runs, so it follows code changes.
Prints a markdown table (errors in mm, * = outside tolerance) and the JSON.
About 3-4 min per body on the 2-core CPU.
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from pathlib import Path

import numpy as np

from twinkit.capture.ingest import ingest
from twinkit.capture.studio.evaluate import mesh_chamfer_mm
from twinkit.capture.studio.session import StudioOptions, simulate
from twinkit.core.atomic import read_json, write_json
from twinkit.reconstruct.pipeline import ReconstructOptions, reconstruct_avatar
from twinkit.render.measure import DEFINITIONS
from twinkit.render.measure.evaluate import measurement_errors

GOLDEN = (np.sqrt(5.0) - 1.0) / 2.0


def gender_of(seed: int) -> float:
    """Genders that cover 0..1 evenly for any number of consecutive seeds (golden-ratio sequence)."""
    return float((seed * GOLDEN) % 1.0)


def run_body(folder: Path, seed: int, gender: float) -> dict:
    """Simulate, ingest, reconstruct (each unless done) and measure one body in ``folder``; returns its
    errors document (also written to ``folder/errors.json``)."""
    t0 = time.perf_counter()
    session, capture, avatar = folder / "session", folder / "capture", folder / "avatar"
    if not session.exists():
        simulate(session, StudioOptions(seed=seed, phenotype={"gender": gender}))
    if not capture.exists():
        ingest(session, capture)
    if not avatar.exists():
        reconstruct_avatar(capture, avatar, ReconstructOptions(profile="preview"))
    errors, anny = measurement_errors(avatar, session), read_json(session / "gt" / "measurements.json")
    waist_vs_anny = errors["waist_girth"]["truth"] - anny["waist_circumference_m"]
    document = {"seed": seed, "phenotype": read_json(session / "gt" / "phenotype.json"),
                "chamfer_mm": mesh_chamfer_mm(session, avatar),
                # the GT mesh's figures against anny.Anthropometry's (its waist walks a 3D loop: see docs)
                "truth_minus_anny_mm": {"stature": 1000 * (errors["stature"]["truth"] - anny["stature_m"]),
                                        "waist": 1000 * waist_vs_anny},
                "measurements": errors,
                "seconds": round(time.perf_counter() - t0, 1)}
    write_json(folder / "errors.json", document)
    return document


def markdown(results: list[dict]) -> str:
    """Errors (avatar - GT, mm) per body and measurement; ``*`` marks an error outside its tolerance."""
    names = [d.name for d in DEFINITIONS]
    head = ["body", "gender", "weight", "height", "chamfer mm", "offset mm", "GT-anny stature", "GT-anny waist",
            *names]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in results:
        m = r["measurements"]
        phenotype, offset = r["phenotype"], m["_surface"]["signed_offset_mm"]
        cells = [str(r["seed"]), f"{phenotype['gender']:.2f}", f"{phenotype['weight']:.2f}",
                 f"{phenotype['height']:.2f}", f"{r['chamfer_mm']:.1f}", f"{offset:+.1f}",
                 *(f"{r['truth_minus_anny_mm'][k]:+.1f}" for k in ("stature", "waist"))]
        cells += [f"{1000 * m[n]['error']:+.1f}" + ("*" if abs(m[n]["error"]) > m[n]["tolerance"] else "")
                  for n in names]
        lines.append("| " + " | ".join(cells) + " |")
    summary = ["tolerance (mm)", "", "", "", "", "", "", ""] + [f"{1000 * d.tolerance_m:.0f}" for d in DEFINITIONS]
    lines.append("| " + " | ".join(summary) + " |")
    within = [f"{sum(abs(r['measurements'][n]['error']) <= r['measurements'][n]['tolerance'] for r in results)}"
              f"/{len(results)}" for n in names]
    lines.append("| within tolerance | | | | | | | | " + " | ".join(within) + " |")
    mean = [f"{1000 * np.mean([r['measurements'][n]['error'] for r in results]):+.1f}" for n in names]
    lines.append("| mean error | | | | | | | | " + " | ".join(mean) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bodies", type=int, default=10)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--first-seed", type=int, default=0)
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="twinkit-bench-measure-"))
    results = []
    for seed in range(args.first_seed, args.first_seed + args.bodies):
        results.append(run_body(work / f"body_{seed:02d}", seed, gender_of(seed)))
        print(f"body {seed}: done ({results[-1]['seconds']} s)", flush=True)
    print(markdown(results))
    print(json.dumps({"workdir": str(work), "machine": platform.machine(), "python": platform.python_version(),
                      "bodies": results}, indent=1))


if __name__ == "__main__":
    main()

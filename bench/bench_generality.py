"""Benchmark: the pipeline on subjects and studios outside the default draw (tall, short, plus-size, older,
teenage, athletic bodies; few cameras, lens distortion, other calibration formats, a wide ring).

Usage: .venv/bin/python bench/bench_generality.py [--workdir DIR] [--only NAME ...]
Per case: simulate -> ingest -> capture quality -> reconstruct (preview) -> rig -> measure, against the
ground truth. Prints a markdown table and the JSON. Resumable like bench_measure.py: a stage whose output
folder exists in WORKDIR/NAME is not redone. About 3-5 min per case on the 2-core CPU.
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
import traceback
from pathlib import Path

from twinkit.capture.ingest import ingest
from twinkit.capture.studio.evaluate import body_fit_error_cm, capture_quality, mesh_chamfer_mm
from twinkit.capture.studio.session import StudioOptions, simulate
from twinkit.core.atomic import read_json
from twinkit.reconstruct.pipeline import ReconstructOptions, reconstruct_avatar
from twinkit.render.measure.evaluate import measurement_errors
from twinkit.rig.avatar import rig_avatar

# name -> studio options; seeds differ so no two cases share a person's undrawn keys
CASES: dict[str, StudioOptions] = {
    "tall_model": StudioOptions(seed=101, phenotype={"gender": 1.0, "height": 0.75, "weight": 0.3}),
    "short": StudioOptions(seed=102, phenotype={"height": 0.05}),
    "plus_size": StudioOptions(seed=103, phenotype={"weight": 0.95, "muscle": 0.3}),
    "older": StudioOptions(seed=104, phenotype={"age": 1.0}),
    "teen": StudioOptions(seed=105, phenotype={"age": 0.55}),
    "athletic": StudioOptions(seed=106, phenotype={"gender": 0.0, "muscle": 0.95, "weight": 0.45}),
    "twelve_cameras": StudioOptions(seed=107, cameras=12, rings=1),
    "distorted_lenses": StudioOptions(seed=108, distortion=0.2, format="colmap"),
    "pose2sim_wide_ring": StudioOptions(seed=109, radius=5.0, format="pose2sim"),
}


def run_case(folder: Path, options: StudioOptions) -> dict:
    """Run one case in ``folder``; returns its figures (or the error that stopped it)."""
    t0 = time.perf_counter()
    session, capture, avatar = folder / "session", folder / "capture", folder / "avatar"
    try:
        if not session.exists():
            simulate(session, options)
        if not capture.exists():
            ingest(session, capture)
        quality = capture_quality(session, capture)
        if not avatar.exists():
            reconstruct_avatar(capture, avatar, ReconstructOptions(profile="preview"))
        if not (avatar / "rig.json").exists():
            rig_avatar(avatar)
        errors = measurement_errors(avatar, session)
    except Exception as error:  # a bench reports every case, including the ones that fail
        return {"error": f"{type(error).__name__}: {error}", "traceback": traceback.format_exc()}
    names = [n for n in errors if not n.startswith("_")]
    outside = {n: round(1000 * errors[n]["error"], 1) for n in names
               if abs(errors[n]["error"]) > errors[n]["tolerance"]}
    metrics = read_json(avatar / "metrics.json")
    return {"phenotype": read_json(session / "gt" / "phenotype.json"),
            "stature_m": errors["stature"]["truth"],
            "capture": quality,
            "body_error_cm": round(body_fit_error_cm(session, avatar), 2),
            "stature_error_mm": round(1000 * errors["stature"]["error"], 1),
            "psnr_db": round(metrics["held_out"]["psnr_mean"], 2),
            "chamfer_mm": round(mesh_chamfer_mm(session, avatar), 2),
            "measurements_within": f"{len(names) - len(outside)}/{len(names)}",
            "outside_tolerance_mm": outside,
            "seconds": round(time.perf_counter() - t0, 1)}


def markdown(results: dict[str, dict]) -> str:
    """One row per case."""
    lines = ["| case | stature m | mask IoU (median) | limb error cm | body error cm | stature error mm | "
             "held-out PSNR dB | Chamfer mm | measurements within tolerance |", "|" + "---|" * 9]
    for name, r in results.items():
        if "error" in r:
            lines.append(f"| {name} | failed: {r['error']} |" + " |" * 7)
            continue
        outside = ", ".join(f"{k} {v:+.1f}" for k, v in r["outside_tolerance_mm"].items())
        lines.append(f"| {name} | {r['stature_m']:.2f} | {r['capture']['median_mask_iou']:.3f} | "
                     f"{r['capture']['limb_error_cm_mean']:.2f} | {r['body_error_cm']:.2f} | "
                     f"{r['stature_error_mm']:+.1f} | {r['psnr_db']:.2f} | {r['chamfer_mm']:.2f} | "
                     f"{r['measurements_within']}" + (f" ({outside})" if outside else "") + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--only", nargs="*", choices=sorted(CASES), default=None)
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="twinkit-bench-generality-"))
    results = {}
    for name in args.only or CASES:
        results[name] = run_case(work / name, CASES[name])
        print(f"{name}: {results[name].get('error') or 'done'} ({results[name].get('seconds', '-')} s)", flush=True)
    print(markdown(results))
    print(json.dumps({"workdir": str(work), "machine": platform.machine(), "python": platform.python_version(),
                      "cases": results}, indent=1))


if __name__ == "__main__":
    main()

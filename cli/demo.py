"""``twin demo``: the whole pipeline built so far, from nothing, on a virtual studio session.

It simulates a session with known ground truth, ingests it, checks it, fits the body, and prints where
every result is and how close it came to the ground truth. Each later stage adds its step here as it is
built.
"""

from __future__ import annotations

import time
from pathlib import Path

import click

from twinkit.core.atomic import prepare_output
from twinkit.core.progress import info


@click.command()
@click.option("-o", "--output", "out", type=click.Path(path_type=Path), default=Path("twin-demo"),
              show_default=True, help="Folder for everything the demo makes.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the virtual person and studio.")
@click.option("--cameras", type=int, default=24, show_default=True, help="Cameras in the virtual rig.")
@click.option("--size", type=int, default=512, show_default=True, help="Image size of the virtual cameras (px).")
@click.option("--overwrite", is_flag=True, help="Replace an earlier demo in OUTPUT.")
def demo(out: Path, seed: int, cameras: int, size: int, overwrite: bool) -> None:
    """Run the pipeline end to end on a built-in virtual studio session.

    Writes OUTPUT/session (the simulated studio session, ground truth in session/gt), OUTPUT/capture
    (the ingested capture with report.json and contact_sheet.png), OUTPUT/avatar (the fitted body:
    body.json, body.ply), and prints the measured quality against the ground truth.
    """
    from twinkit.capture.check import check_capture, format_table, write_report
    from twinkit.capture.ingest import ingest
    from twinkit.capture.layout import Capture
    from twinkit.capture.studio.evaluate import body_fit_error_cm, capture_quality
    from twinkit.capture.studio.session import StudioOptions, simulate
    from twinkit.reconstruct.cli import body

    if out.exists() and not overwrite and any(out.iterdir()):
        prepare_output(out, overwrite=False)  # raises the standard "already exists" error
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    info(f"[1/4] simulating a virtual studio session ({cameras} cameras, {size} px)")
    session = simulate(out / "session", StudioOptions(seed=seed, cameras=cameras, size=size), overwrite=True)
    info("[2/4] ingesting it: frames, masks, 2D landmarks, triangulated 3D landmarks")
    capture = ingest(session, out / "capture", overwrite=True)
    info("[3/4] checking the capture")
    cap = Capture.open(capture)
    report = check_capture(cap)
    report_path, sheet_path = write_report(cap, report)
    click.echo(format_table(report))
    info("[4/4] fitting the body model to the capture")
    click.get_current_context().invoke(body, capture_dir=capture, out=out / "avatar", frame=None, seed=seed,
                                       overwrite=True)
    quality = capture_quality(session, capture)
    fit_error_cm = body_fit_error_cm(session, out / "avatar")
    click.echo(
        f"\nagainst the ground truth: median mask IoU {quality['median_mask_iou']:.3f}, "
        f"limb landmarks {quality['limb_error_cm_mean']:.2f} cm mean error, fitted body "
        f"{fit_error_cm:.2f} cm mean vertex error\n"
        f"session:       {session}\ncapture:       {capture}\nreport:        {report_path}\n"
        f"contact sheet: {sheet_path}\navatar:        {out / 'avatar'}\n"
        f"done in {time.perf_counter() - started:.0f} s (splats, mesh, rig and render are not built yet)")

"""``twin demo``: the whole pipeline built so far, from nothing, on a virtual studio session.

It simulates a session with known ground truth, ingests and checks it, reconstructs the avatar (preview
profile), rigs and measures it, records the virtual person's consent and a demo licence, dresses and renders
a small grid of images, writes a garment fit report, and prints where every result is and how close it came
to the ground truth.
"""

from __future__ import annotations

import json
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
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True,
              help="Where the splats train (auto: the GPU when there is one).")
@click.option("--overwrite", is_flag=True, help="Replace an earlier demo in OUTPUT.")
def demo(out: Path, seed: int, cameras: int, size: int, device: str, overwrite: bool) -> None:
    """Run the pipeline end to end on a built-in virtual studio session.

    \b
    Writes OUTPUT/session   the simulated studio session (ground truth in session/gt)
           OUTPUT/capture   the ingested capture, with report.json and contact_sheet.png
           OUTPUT/avatar    body.json/.ply, splats.ply, metrics.json, mesh.glb/.obj, rig.json,
                            avatar.glb (rigged), measurements.json
           OUTPUT/renders   poses x cameras x outfits, marked as AI-generated, and a contact sheet
           OUTPUT/fit       a t-shirt in S, M, L: report.html (open it in a browser), fit.json, heat maps
           OUTPUT/registry.db  the demo's consent, licence and ledger of every image and report
    and prints the measured quality against the ground truth.
    """
    from twinkit.capture.check import check_capture, format_table, write_report
    from twinkit.capture.ingest import ingest
    from twinkit.capture.layout import Capture
    from twinkit.capture.studio.evaluate import body_fit_error_cm, capture_quality
    from twinkit.capture.studio.session import StudioOptions, simulate
    from twinkit.cli.demo_rights import demo_registry
    from twinkit.core.manifest import command_line
    from twinkit.reconstruct.pipeline import ReconstructOptions, reconstruct_avatar
    from twinkit.render.measure.avatar import format_table as measurement_table
    from twinkit.render.measure.avatar import measure_avatar, write_measurements
    from twinkit.render.fit.report import make_fit_report
    from twinkit.render.imagery import Look, plan, render_grid
    from twinkit.render.imagery.outfits import parse_outfit
    from twinkit.render.imagery.requests import camera_requests, pose_requests
    from twinkit.rights.registry import twin_id_of
    from twinkit.rig.avatar import rig_avatar

    if out.exists() and not overwrite and any(out.iterdir()):
        prepare_output(out, overwrite=False)  # raises the standard "already exists" error
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    info(f"[1/9] simulating a virtual studio session ({cameras} cameras, {size} px)")
    session = simulate(out / "session", StudioOptions(seed=seed, cameras=cameras, size=size), overwrite=True)
    info("[2/9] ingesting it: frames, masks, 2D landmarks, triangulated 3D landmarks")
    capture = ingest(session, out / "capture", overwrite=True)
    info("[3/9] checking the capture")
    cap = Capture.open(capture)
    report = check_capture(cap)
    report_path, sheet_path = write_report(cap, report)
    click.echo(format_table(report))
    info("[4/9] reconstructing the avatar (preview profile: body fit, splats, textured mesh)")
    avatar = reconstruct_avatar(capture, out / "avatar", ReconstructOptions(profile="preview", device=device,
                                                                            seed=seed), overwrite=True)
    info("[5/9] rigging it")
    rigged = rig_avatar(avatar)
    info("[6/9] measuring it")
    measurements = measure_avatar(avatar)
    write_measurements(avatar, measurements)
    click.echo(measurement_table(measurements))
    info("[7/9] recording the virtual person's consent and licensing the demo brand")
    requests = demo_registry(out, avatar)
    twin_id, command = twin_id_of(avatar)[0], command_line()
    info("[8/9] dressing and rendering the avatar: 2 poses x 2 cameras x 2 outfits")
    shop = requests["e-commerce"]
    grant = shop.authorize(twin_id)
    jobs = plan(pose_requests(["relaxed_stand", "hands_on_hips"]), camera_requests(["front", "three-quarter"]),
                [parse_outfit("base"), parse_outfit("tshirt:M,trousers:M")])
    renders = render_grid(avatar, out / "renders", jobs, Look(size=512),
                          lambda staged, final: shop.publish_image(grant, staged, final, command),
                          marks=shop.marks, overwrite=True, twin_id=twin_id)
    info("[9/9] fitting a t-shirt in S, M and L")
    fitting = requests["fit-testing"]
    fit_report = make_fit_report(avatar, ["tshirt"], ["S", "M", "L"], out / "fit", rights=fitting,
                                 grant=fitting.authorize(twin_id), command=command, overwrite=True)

    quality = capture_quality(session, capture)
    metrics = json.loads((avatar / "metrics.json").read_text())
    truth = json.loads((session / "gt" / "measurements.json").read_text())
    stature = measurements["measurements"]["stature"]["value"]
    click.echo(
        f"\nagainst the ground truth: mask IoU {quality['median_mask_iou']:.3f} (median), limb landmarks "
        f"{quality['limb_error_cm_mean']:.2f} cm, fitted body {body_fit_error_cm(session, avatar):.2f} cm "
        f"(mean vertex error), stature {100 * (stature - truth['stature_m']):+.1f} cm; held-out PSNR of the "
        f"splats {metrics['held_out']['psnr_mean']:.2f} dB\n"
        f"session:       {session}\ncapture:       {capture}\nreport:        {report_path}\n"
        f"contact sheet: {sheet_path}\navatar:        {avatar}\nrigged glTF:   {rigged}\n"
        f"images:        {out / 'renders'} ({len(renders.rendered)} images, {renders.contact_sheet})\n"
        f"fit report:    {fit_report / 'report.html'}\nrights ledger: {out / 'registry.db'}\n"
        f"done in {time.perf_counter() - started:.0f} s")

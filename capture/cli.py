"""``twin capture``: simulate a virtual studio session, ingest a real one, check it before the subject leaves."""

from __future__ import annotations

from pathlib import Path

import click


@click.group()
def capture() -> None:
    """Capture stage: studio session -> validated capture folder (masks, 2D and 3D landmarks)."""


def _frame_range(ctx: click.Context, param: click.Parameter, value: str | None) -> tuple[int, int] | None:
    """Parse ``a:b`` (source frame indices, b exclusive; either end may be left out)."""
    if value is None:
        return None
    try:
        a, b = value.split(":")
        return (int(a) if a else 0, int(b) if b else -1)
    except ValueError:
        raise click.BadParameter("expected a:b, e.g. 0:100 or 20:") from None


def _known_distance(ctx: click.Context, param: click.Parameter,
                    value: str | None) -> tuple[str, str, float] | None:
    if value is None:
        return None
    try:
        a, b, metres = value.split(",")
        return (a, b, float(metres))
    except ValueError:
        raise click.BadParameter("expected CAM_A,CAM_B,METRES, e.g. cam00,cam06,2.5") from None


@capture.command()
@click.argument("src", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("-o", "--output", "out", required=True, type=click.Path(path_type=Path),
              help="Capture folder to write (built in OUTPUT.partial, moved into place when complete).")
@click.option("--fps", type=float, help="Sample videos at this rate (default: every frame).")
@click.option("--frames", callback=_frame_range, help="Source frame range a:b (b exclusive).")
@click.option("--sync", type=click.Choice(["auto", "none"]), default="auto", show_default=True,
              help="auto: estimate per-camera time offsets from 2D motion when the input gives none.")
@click.option("--max-people", type=int, default=3, show_default=True,
              help="People looked for per view; the subject is the one the views agree on.")
@click.option("--no-plates", is_flag=True, help="Ignore clean background plates (background/<cam>.png).")
@click.option("--subject-height", type=float, help="Metres; gives an uncalibrated capture metric scale.")
@click.option("--known-distance", callback=_known_distance,
              help="CAM_A,CAM_B,METRES between two camera centres; metric scale for an uncalibrated capture.")
@click.option("--units", type=click.Choice(["m", "arbitrary"]),
              help="Declare the calibration's units (default: Pose2Sim metres; transforms.json its 'units' "
                   "key; COLMAP arbitrary).")
@click.option("--key-frame", type=int, help="Frame written to transforms.json (default: the best-seen frame).")
@click.option("--refine-orientations", is_flag=True,
              help="Turn each camera about its centre to fit the subject's landmarks over all frames, for a rig "
                   "whose calibration has drifted; kept only when the median landmark error drops by 20%.")
@click.option("--overwrite", is_flag=True, help="Replace OUTPUT if it exists.")
def ingest(src: Path, out: Path, fps: float | None, frames: tuple[int, int] | None, sync: str,
           max_people: int, no_plates: bool, subject_height: float | None,
           known_distance: tuple[str, str, float] | None, units: str | None, key_frame: int | None,
           refine_orientations: bool, overwrite: bool) -> None:
    """Ingest the studio session SRC into a capture folder.

    \b
    Reads (never modifies) one of:
      - images + nerfstudio transforms.json
      - images + a COLMAP sparse model (sparse/0, text or binary)
      - per-camera videos or image folders + a Pose2Sim/anipose calibration TOML
      - images alone (cameras solved by SfM; scale arbitrary unless --subject-height/--known-distance)
    and an optional clean background plate per camera in background/<cam>.png.

    \b
    Writes OUTPUT/: images/<cam>/<frame>.png, masks/<cam>/<frame>.png, landmarks2d.json (33 BlazePose
    landmarks per view), landmarks3d.json (triangulated, metres, reprojection errors), cameras.json,
    calibration.toml, transforms.json (nerfstudio) and manifest.json (inputs with SHA-256, parameters,
    tool versions, world frame). An interrupted run resumes when the same command is run again.
    """
    from twinkit.capture.ingest import IngestOptions, ingest as run_ingest

    options = IngestOptions(fps=fps, frames=frames, sync=sync, max_people=max_people,
                            use_plates=not no_plates, subject_height=subject_height,
                            known_distance=known_distance, key_frame=key_frame, units=units,
                            refine_orientations=refine_orientations)
    run_ingest(src, out, options, overwrite=overwrite)


@capture.command()
@click.argument("capture_dir", metavar="CAPTURE", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--min-cameras", type=int, default=4, show_default=True, help="Fewer usable cameras is fatal.")
@click.option("--min-landmarks", type=float, default=0.6, show_default=True,
              help="Share of the 33 landmarks a usable camera must see.")
@click.option("--max-reprojection", type=float, default=15.0, show_default=True,
              help="Pixels; a camera whose landmarks disagree more with the 3D landmarks is unusable.")
@click.option("--min-sharpness", type=float, default=0.4, show_default=True,
              help="Sharpness relative to the rig's median below which a camera counts as blurred.")
@click.option("--max-clipped", type=float, default=0.05, show_default=True,
              help="Share of clipped person pixels above which exposure is flagged.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON instead of a table.")
def check(capture_dir: Path, min_cameras: int, min_landmarks: float, max_reprojection: float,
          min_sharpness: float, max_clipped: float, as_json: bool) -> None:
    """Check a capture before the subject leaves the studio.

    Reads CAPTURE (from `twin capture ingest`). Prints a per-camera table (sharpness relative to the rig,
    clipped %, mask coverage %, landmarks found %, reprojection error px) and a verdict; writes
    CAPTURE/report.json and CAPTURE/contact_sheet.png (masks and landmarks drawn). Exits with 4 when a
    fatal check fails (too few usable cameras).
    """
    import json

    from twinkit.capture.check import Thresholds, check_capture, format_table, write_report
    from twinkit.capture.layout import Capture
    from twinkit.core.errors import QualityError

    cap = Capture.open(capture_dir)
    thresholds = Thresholds(min_cameras=min_cameras, min_landmarks=min_landmarks,
                            max_reprojection_px=max_reprojection, min_relative_sharpness=min_sharpness,
                            max_clipped=max_clipped)
    report = check_capture(cap, thresholds)
    report_path, sheet_path = write_report(cap, report)
    click.echo(json.dumps(report, indent=2) if as_json else format_table(report))
    click.echo(f"report: {report_path}\ncontact sheet: {sheet_path}", err=True)
    if report["fatal"]:
        raise QualityError("; ".join(report["fatal"]), capture_dir)


def _phenotype(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> dict[str, float]:
    """Parse repeated ``key=value`` phenotype settings (values in [0, 1])."""
    from twinkit.capture.studio.body import PHENOTYPE_KEYS

    parsed = {}
    for item in values:
        key, sep, value = item.partition("=")
        try:
            number = float(value)
        except ValueError:
            number = float("nan")
        if not sep or key not in PHENOTYPE_KEYS or not 0.0 <= number <= 1.0:
            raise click.BadParameter(f"{item!r}: expected KEY=VALUE with KEY one of "
                                     f"{', '.join(PHENOTYPE_KEYS)} and VALUE in [0, 1]")
        parsed[key] = number
    return parsed


@capture.command()
@click.option("-o", "--output", "out", required=True, type=click.Path(path_type=Path),
              help="Session folder to write (built in OUTPUT.partial, moved into place when complete).")
@click.option("--seed", type=int, default=0, show_default=True, help="Fixes every random choice.")
@click.option("--cameras", type=click.IntRange(1), default=24, show_default=True, help="Number of cameras.")
@click.option("--rings", type=click.IntRange(1), default=2, show_default=True,
              help="Camera rings between 0.8 m and 1.6 m height (staggered).")
@click.option("--size", type=click.IntRange(64, 4096), default=512, show_default=True,
              help="Square image size in pixels (even).")
@click.option("--radius", type=click.FloatRange(1.5, 6.0), default=3.0, show_default=True,
              help="Ring radius in metres.")
@click.option("--distortion", type=click.FloatRange(0.0, 0.3), default=0.0, show_default=True,
              help="Magnitude of seeded radial lens distortion (k1, k2); 0 for ideal lenses.")
@click.option("--format", "fmt", type=click.Choice(["nerfstudio", "colmap", "pose2sim", "uncalibrated"]),
              default="nerfstudio", show_default=True, help="Input format the calibration is written in.")
@click.option("--video", "video_seconds", type=click.FloatRange(0.0, 30.0), default=0.0,
              help="Also write SECONDS-long H.264 clips of a simple motion per camera.")
@click.option("--fps", type=click.IntRange(1, 120), default=30, show_default=True, help="Video frame rate.")
@click.option("--desync", type=click.IntRange(0), default=0, show_default=True,
              help="Shift each clip's start by a seeded 0..N frames (true offsets in gt/time_offsets.json).")
@click.option("--bystander", is_flag=True, help="Add a second person outside the camera ring.")
@click.option("--phenotype", multiple=True, callback=_phenotype, metavar="KEY=VALUE",
              help="Fix a phenotype value in [0, 1] (gender, age, muscle, weight, height, proportions); "
                   "repeatable. Unset keys are drawn from the seed (a plausible adult).")
@click.option("--overwrite", is_flag=True, help="Replace OUTPUT if it exists.")
def simulate(out: Path, seed: int, cameras: int, rings: int, size: int, radius: float, distortion: float,
             fmt: str, video_seconds: float, fps: int, desync: int, bystander: bool,
             phenotype: dict[str, float], overwrite: bool) -> None:
    """Render a virtual studio session of a seeded anny person (test data and the demo's input).

    \b
    Writes OUTPUT/:
      images/<cam>/000000.png   one still per camera (person in a textured studio)
      background/<cam>.png      clean background plate per camera
      transforms.json | sparse/0/ | calibration.toml   per --format (uncalibrated: images only)
      videos/<cam>.mp4 + calibration.toml               with --video
      gt/   ground truth the pipeline never reads: body.ply, joints.json, keypoints_coco.json,
            masks/, depth/ (uint16 mm), phenotype.json, measurements.json, cameras.json,
            session.json, and bystander.json / keypoints_coco_frames.json / time_offsets.json
    """
    from twinkit.capture.studio.session import StudioOptions, simulate as run_simulate

    if size % 2 or rings > cameras:
        raise click.BadParameter("--size must be even and --rings at most --cameras")
    if desync and not video_seconds:
        raise click.BadParameter("--desync needs --video")
    run_simulate(out, StudioOptions(seed=seed, cameras=cameras, rings=rings, size=size, radius=radius,
                                    distortion=distortion, format=fmt, video_seconds=video_seconds, fps=fps,
                                    desync=desync, bystander=bystander, phenotype=phenotype),
                 overwrite=overwrite)

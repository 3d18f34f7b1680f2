"""``twin reconstruct``: a capture folder to the person's avatar (body fit now; splats and mesh to come)."""

from __future__ import annotations

from pathlib import Path

import click


@click.group()
def reconstruct() -> None:
    """Reconstruct stage: capture folder -> avatar folder (fitted body, Gaussian splats, textured mesh)."""


@reconstruct.command()
@click.argument("capture_dir", metavar="CAPTURE", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("-o", "--output", "out", required=True, type=click.Path(path_type=Path),
              help="Avatar folder to write (built in OUTPUT.partial, moved into place when complete).")
@click.option("--frame", type=int, help="Capture frame to fit (default: the capture's key frame).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the optimiser's sampling.")
@click.option("--overwrite", is_flag=True, help="Replace OUTPUT if it exists.")
def body(capture_dir: Path, out: Path, frame: int | None, seed: int, overwrite: bool) -> None:
    """Fit the anny body (phenotype, pose, placement) to CAPTURE's 3D landmarks and silhouettes.

    Reads CAPTURE (from `twin capture ingest`; it must be metric). Writes OUTPUT/body.json (phenotype,
    per-bone rotations, the 4x4 from anny's frame to the capture world, stature), OUTPUT/body.ply (the
    posed body mesh in the capture world, metres) and OUTPUT/manifest.json.
    """
    from twinkit.capture.layout import Capture
    from twinkit.core.atomic import commit_output, prepare_output
    from twinkit.core.hashing import sha256_file
    from twinkit.core.manifest import Manifest, command_line
    from twinkit.core.progress import info
    from twinkit.reconstruct.bodyfit import FitOptions, fit_body, write_body

    cap = Capture.open(capture_dir)
    stage = prepare_output(out, overwrite=overwrite)
    fit = fit_body(cap, FitOptions(frame=frame, seed=seed))
    write_body(stage, fit)
    inputs = {name: sha256_file(capture_dir / name) for name in ("manifest.json", "landmarks3d.json",
                                                                  "cameras.json")}
    Manifest(kind="avatar", inputs=inputs, command=command_line(),
             parameters={"frame": fit.frame, "seed": seed},
             extra={"twin_id": cap.manifest.extra.get("twin_id"), "capture": str(capture_dir.resolve()),
                    "contents": ["body.json", "body.ply"]}).write(stage)
    commit_output(out)
    info(f"body fitted to {capture_dir} (frame {fit.frame}): stature {fit.stature_m:.3f} m -> {out}")

"""``twin reconstruct``: a capture folder to the person's avatar (fitted body, splats, textured mesh)."""

from __future__ import annotations

from pathlib import Path

import click
from click_default_group import DefaultGroup


@click.group(cls=DefaultGroup, default="run")
def reconstruct() -> None:
    """Reconstruct stage: capture folder -> avatar folder (fitted body, Gaussian splats, textured mesh).

    `twin reconstruct CAPTURE -o AVATAR` runs every step (same as `twin reconstruct run ...`);
    `twin reconstruct body` runs the body fit alone.
    """


@reconstruct.command()
@click.argument("capture_dir", metavar="CAPTURE", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("-o", "--output", "out", required=True, type=click.Path(path_type=Path),
              help="Avatar folder to write (built in OUTPUT.partial, moved into place when complete).")
@click.option("--profile", type=click.Choice(["preview", "standard", "high"]), default="preview",
              show_default=True, help="preview: 256 px, minutes on a CPU; standard/high: GPU quality.")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True,
              help="auto: gsplat's CUDA rasterizer when a GPU is present, else the PyTorch CPU path.")
@click.option("--engine", type=click.Choice(["twinkit", "nerfstudio"]), default="twinkit", show_default=True,
              help="nerfstudio: train with `ns-train splatfacto` from its own environment.")
@click.option("--ns-bin", type=click.Path(file_okay=False), help="Folder holding ns-train/ns-export.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--overwrite", is_flag=True, help="Replace OUTPUT if it exists.")
def run(capture_dir: Path, out: Path, profile: str, device: str, engine: str, ns_bin: str | None, seed: int,
        overwrite: bool) -> None:
    """Turn CAPTURE into a textured avatar.

    Reads CAPTURE (from `twin capture ingest`; metric). Writes OUTPUT/: body.json + body.ply (fitted anny
    body), splats.ply (3D Gaussian Splatting PLY, capture world) + metrics.json (held-out PSNR/SSIM per
    view and their curve over training time, time, memory, Gaussian count, device), mesh.glb (glTF 2.0,
    Y-up, metres, feet at y=0) + mesh.obj/.mtl/mesh_texture.png, and manifest.json (with the 4x4 from the
    capture world to the glTF frame). A killed run resumes when the same command is run again.
    """
    from twinkit.reconstruct.pipeline import ReconstructOptions, reconstruct_avatar

    reconstruct_avatar(capture_dir, out, ReconstructOptions(profile=profile, device=device, engine=engine,
                                                            seed=seed, ns_bin=ns_bin), overwrite=overwrite)


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
    from twinkit.reconstruct.bodyfit.quality import few_views_statement, fit_quality
    from twinkit.reconstruct.pipeline import MIN_CAMERAS

    cap = Capture.open(capture_dir)
    stage = prepare_output(out, overwrite=overwrite)
    fit = fit_body(cap, FitOptions(frame=frame, seed=seed))
    quality = fit_quality(cap, fit)
    write_body(stage, fit, quality.as_dict())
    inputs = {name: sha256_file(capture_dir / name) for name in ("manifest.json", "landmarks3d.json",
                                                                  "cameras.json")}
    Manifest(kind="avatar", inputs=inputs, command=command_line(),
             parameters={"frame": fit.frame, "seed": seed},
             extra={"twin_id": cap.manifest.extra.get("twin_id"), "capture": str(capture_dir.resolve()),
                    "contents": ["body.json", "body.ply"]}).write(stage)
    commit_output(out)
    info(f"body fitted to {capture_dir} (frame {fit.frame}): stature {fit.stature_m:.3f} m -> {out}")
    for view in quality.views:
        info(f"  {view.camera:>12}: keypoints {view.keypoints_px:6.1f} px median ({view.keypoints:2d} compared), "
             f"silhouette IoU {view.silhouette_iou:.3f}")
    info(f"  all views: keypoints {quality.keypoints_px_median:.1f} px median, silhouette IoU min "
         f"{quality.silhouette_iou_min:.3f} / mean {quality.silhouette_iou_mean:.3f}")
    refined = cap.manifest.extra.get("orientation_refinement") or {}
    if refined.get("applied"):
        info(f"  (measured with the camera orientations ingest refined on the landmarks, by up to "
             f"{max(refined['corrections_deg'].values()):.2f} deg: see the capture's manifest.json)")
    statement = few_views_statement(len(cap.cameras), MIN_CAMERAS["preview"], quality)
    if statement:
        info(statement)


@reconstruct.command()
@click.argument("avatar_dir", metavar="AVATAR", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--capture", "capture_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Capture folder (default: the one recorded in AVATAR's manifest).")
@click.option("--preview", is_flag=True, help="Faster and coarser: 8 mm voxels, 30k faces, 1024 texture.")
@click.option("--faces", type=int, help="Target triangle count (default 80000, preview 30000).")
@click.option("--texture-size", type=int, help="Texture width and height in texels (default 2048, preview 1024).")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True,
              help="Where to render the splats' depth maps.")
def mesh(avatar_dir: Path, capture_dir: Path | None, preview: bool, faces: int | None,
         texture_size: int | None, device: str) -> None:
    """Mesh and texture the trained splats of AVATAR (AVATAR/splats.ply).

    Renders the splats' depth at the capture cameras, fuses it into a closed surface, simplifies it, fits
    its outlines to the masks, refits the body (AVATAR/body.json, unless refitted before) to that skin and
    lets the parts no outline constrains follow it, UV-unwraps it and bakes a texture from the key-frame
    photos. Writes AVATAR/mesh.glb (glTF 2.0, Y up, metres, feet at y = 0), AVATAR/mesh.obj + mesh.mtl +
    mesh_texture.png (the same frame), and the 4x4 from the capture world to that frame as "gltf_from_world"
    in AVATAR/manifest.json.
    """
    from dataclasses import replace

    from twinkit.capture.layout import Capture
    from twinkit.core.errors import InputError
    from twinkit.core.manifest import Manifest
    from twinkit.core.progress import info
    from twinkit.reconstruct.bodyfit import read_body
    from twinkit.reconstruct.mesh import MeshOptions, build_mesh
    from twinkit.reconstruct.splats import read_ply

    manifest = Manifest.read(avatar_dir, kind="avatar")
    if capture_dir is None:
        if not manifest.extra.get("capture"):
            raise InputError("the avatar manifest names no capture folder (use --capture)",
                             avatar_dir / "manifest.json")
        capture_dir = Path(manifest.extra["capture"])
    options = MeshOptions.preview(device=device) if preview else MeshOptions(device=device)
    options = replace(options, faces=faces or options.faces, texture_size=texture_size or options.texture_size)
    body = read_body(avatar_dir) if (avatar_dir / "body.json").is_file() else None
    figures = build_mesh(Capture.open(capture_dir), read_ply(avatar_dir / "splats.ply"), avatar_dir, options, body)
    info(f"mesh of {figures['faces']} faces ({'watertight' if figures['watertight'] else 'not watertight'}) "
         f"-> {avatar_dir / 'mesh.glb'}")

"""``twin reconstruct CAPTURE -o AVATAR``: body fit -> splat training -> textured mesh, resumable.

The avatar is built in ``AVATAR.partial``; each step is skipped when its outputs are already there (and the
trainer resumes from its last checkpoint), so a killed run continues where it stopped when the same
command is run again. A change of options restarts from scratch.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from twinkit.capture.layout import Capture
from twinkit.core.atomic import STATE_NAME, commit_output, prepare_output, read_json, remove, resume_staging
from twinkit.core.errors import InputError
from twinkit.core.hashing import sha256_file
from twinkit.core.manifest import MANIFEST_NAME, Manifest, command_line
from twinkit.core.progress import info
from twinkit.reconstruct.bodyfit import FitOptions, fit_body, read_body, write_body
from twinkit.reconstruct.bodyfit.quality import fit_quality
from twinkit.reconstruct.mesh import MeshOptions, build_mesh
from twinkit.reconstruct.splats import read_ply, write_ply
from twinkit.reconstruct.train import profile as train_profile
from twinkit.reconstruct.train import train_splats

# Cameras a profile needs: with every 8th held out, fewer leave too little to train on.
MIN_CAMERAS = {"preview": 8, "standard": 16, "high": 24}


@dataclass(frozen=True)
class ReconstructOptions:
    profile: str = "preview"
    device: str = "auto"
    engine: str = "twinkit"        # or "nerfstudio" (splatfacto as an external program)
    seed: int = 0
    ns_bin: str | None = None


def reconstruct_avatar(capture_dir: str | Path, out: str | Path, options: ReconstructOptions = ReconstructOptions(),
                       *, overwrite: bool = False) -> Path:
    """Build the avatar folder ``out`` from the capture folder ``capture_dir``; returns ``out``."""
    capture_dir, out = Path(capture_dir), Path(out)
    capture = Capture.open(capture_dir)
    _check(capture, options)
    stage = prepare_output(out, overwrite=overwrite)
    if resume_staging(stage, {"options": asdict(options),
                              "capture": sha256_file(capture.root / MANIFEST_NAME)})[1]:
        info(f"resuming from {stage}")

    if not (stage / "body.json").exists():
        info("[1/3] fitting the body")
        fit = fit_body(capture, FitOptions(seed=options.seed))
        write_body(stage, fit, fit_quality(capture, fit).as_dict())
    body = read_body(stage)

    if not (stage / "splats.ply").exists():
        info(f"[2/3] training the splats ({options.profile} profile, engine {options.engine})")
        if options.engine == "nerfstudio":
            from twinkit.reconstruct.nerfstudio_engine import train_with_nerfstudio

            gaussians = train_with_nerfstudio(capture, stage / "nerfstudio",
                                              bin_dir=Path(options.ns_bin) if options.ns_bin else None)
            write_ply(stage / "splats.ply", gaussians)
            remove(stage / "nerfstudio")
        else:
            train_splats(capture, body.vertices, body.faces, stage,
                         train_profile(options.profile, seed=options.seed), device=options.device, resume=True)

    if not (stage / "mesh.glb").exists():
        info("[3/3] meshing and texturing")
        mesh_options = MeshOptions.preview(device=options.device) if options.profile == "preview" else \
            MeshOptions(device=options.device)
        build_mesh(capture, read_ply(stage / "splats.ply"), stage, mesh_options, body)

    manifest = Manifest.read(stage, kind="avatar")
    manifest.inputs = {f"capture/{name}": sha256_file(capture_dir / name)
                       for name in ("manifest.json", "cameras.json", "landmarks3d.json")}
    manifest.parameters = asdict(options)
    manifest.command = command_line()
    manifest.extra["twin_id"] = capture.manifest.extra.get("twin_id")
    manifest.extra["capture"] = str(capture_dir.resolve())
    manifest.extra["contents"] = sorted(p.name for p in stage.iterdir() if not p.name.startswith("."))
    manifest.write(stage)
    remove(stage / STATE_NAME)
    commit_output(out)
    metrics = read_json(out / "metrics.json") if (out / "metrics.json").exists() else {}
    info(f"avatar written to {out}" + (f": held-out PSNR {metrics['held_out']['psnr_mean']:.2f} dB"
                                        if "held_out" in metrics else ""))
    return out


def _check(capture: Capture, options: ReconstructOptions) -> None:
    """Refuse captures the profile cannot use, naming the file at fault."""
    if options.profile not in MIN_CAMERAS:
        raise InputError(f"unknown profile {options.profile!r} (choose {', '.join(MIN_CAMERAS)})")
    if not capture.metric:
        raise InputError("the capture's scale is arbitrary; ingest it with --subject-height or "
                         "--known-distance for metres", capture.root / MANIFEST_NAME)
    need, have = MIN_CAMERAS[options.profile], len(capture.cameras)
    if have < need:
        raise InputError(f"the {options.profile} profile needs at least {need} cameras; the capture has {have} "
                         f"(`twin reconstruct body` still fits and checks the body from them)",
                         capture.root / "cameras.json")
    if not (capture.root / "landmarks3d.json").exists():
        raise InputError("the capture has no 3D landmarks (was it made by `twin capture ingest`?)",
                         capture.root / "landmarks3d.json")

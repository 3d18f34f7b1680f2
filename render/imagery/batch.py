"""A grid of images (poses x cameras x outfits) into one output folder, resumable, with a contact sheet.

Images are named ``{pose}_{camera}_{outfit}.png``. Each is rendered into a hidden staging folder and handed
to ``publish`` (which marks it and moves it into place), then recorded in ``OUT/manifest.json`` with the
fingerprint of its request; a later run skips every image whose request is unchanged (``overwrite`` redoes
them). The contact sheet ``OUT/contact_sheet.png`` shows the grid, a row per pose and outfit.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image

from twinkit.capture.contact_sheet import label_tile, tile_grid
from twinkit.core.atomic import png_bytes, write_bytes
from twinkit.core.errors import InputError
from twinkit.core.hashing import sha256_file
from twinkit.core.manifest import MANIFEST_NAME, Manifest, command_line
from twinkit.core.progress import progress_bar
from twinkit.render.imagery.images import ImageMaker, Look
from twinkit.render.imagery.outfits import Outfit
from twinkit.render.imagery.requests import CameraRequest, PoseRequest

CONTACT_SHEET = "contact_sheet.png"
KIND = "render"
_STAGING = ".render-staging"
_TILE_HEIGHT = 256
Publish = Callable[[Path, Path], None]  # (staged image, final path): mark, record and move into place


@dataclass(frozen=True)
class Job:
    pose: PoseRequest
    camera: CameraRequest
    outfit: Outfit

    @property
    def name(self) -> str:
        return f"{self.pose.label}_{self.camera.label}_{self.outfit.label}.png"


@dataclass
class GridResult:
    rendered: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    contact_sheet: Path | None = None


def plan(poses: list[PoseRequest], cameras: list[CameraRequest], outfits: list[Outfit]) -> list[Job]:
    """Every combination, pose-major (the order of the contact sheet's rows and columns)."""
    return [Job(p, c, o) for p in poses for o in outfits for c in cameras]


def _digest(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()


def avatar_inputs(avatar_dir: Path, renderer: str) -> dict[str, str]:
    """SHA-256 of the avatar files an image depends on."""
    names = ["manifest.json", "body.json", "mesh.glb" if (avatar_dir / "mesh.glb").is_file() else "body.ply"]
    names += ["splats.ply"] if renderer == "splats" else []
    return {f"avatar/{n}": sha256_file(avatar_dir / n) for n in names if (avatar_dir / n).is_file()}


def _look_fingerprint(look: Look) -> dict[str, Any]:
    background = Path(look.background)
    image = sha256_file(background) if background.is_file() else None
    return {**asdict(look), "background_sha256": image}


def open_output(out: Path) -> Manifest:
    """The output folder's manifest (a new one for a new folder); InputError if it cannot be written or
    holds something other than renders."""
    if out.exists() and not out.is_dir():
        raise InputError("the output is a file, not a folder", out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create the output folder ({exc.strerror})", out) from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise InputError("the output folder is not writable", out)
    if (out / MANIFEST_NAME).is_file():
        return Manifest.read(out, kind=KIND)
    if any(out.iterdir()):
        raise InputError("the output folder holds other files (choose an empty or a `twin render` folder)", out)
    return Manifest(kind=KIND)


def render_grid(avatar_dir: Path, out: Path, jobs: list[Job], look: Look, publish: Publish,
                marks: dict[str, Any] | None = None, overwrite: bool = False,
                twin_id: str | None = None) -> GridResult:
    """Render ``jobs`` into ``out`` (see the module docstring). ``marks`` (e.g. licensee, use, badge) are
    part of every image's request: changing them renders again."""
    avatar_dir, out = Path(avatar_dir), Path(out)
    manifest = open_output(out)
    inputs = avatar_inputs(avatar_dir, look.renderer)
    common = {"avatar": inputs, "look": _look_fingerprint(look), "marks": marks or {}}
    manifest.inputs, manifest.command = inputs, command_line()
    manifest.parameters = {**asdict(look), "marks": marks or {}}
    manifest.extra.update({"twin_id": twin_id, "avatar": str(avatar_dir.resolve())})
    images: dict[str, dict] = manifest.extra.setdefault("images", {})
    requests = {job.name: _digest({**common, "pose": job.pose.fingerprint(), "camera": job.camera.fingerprint(),
                                   "outfit": job.outfit.fingerprint()}) for job in jobs}
    manifest.write(out)
    result = GridResult()
    todo = [job for job in jobs if overwrite or not (out / job.name).is_file()
            or images.get(job.name, {}).get("request") != requests[job.name]]
    result.skipped = sorted({job.name for job in jobs} - {job.name for job in todo})
    stage = out / _STAGING
    if todo:
        stage.mkdir(exist_ok=True)
        maker = ImageMaker(avatar_dir, look)
        with progress_bar(len(todo), "rendering", unit="image") as bar:
            manifest.extra["frame_from_world"] = maker.subject.frame.tolist()  # the cameras' frame
            for job in todo:
                bar.set_postfix_str(job.name)
                camera = maker.camera(job.pose, job.camera)
                staged = stage / job.name
                write_bytes(staged, png_bytes(maker.image(job.pose, camera, job.outfit)))
                publish(staged, out / job.name)
                staged.unlink(missing_ok=True)
                images[job.name] = {"request": requests[job.name], "pose": job.pose.label,
                                    "camera": job.camera.label, "outfit": job.outfit.label,
                                    "camera_model": camera.to_dict()}
                manifest.write(out)
                result.rendered.append(job.name)
                bar.update()
    result.contact_sheet = _contact_sheet(out, jobs, requests, manifest, publish, stage, overwrite)
    shutil.rmtree(stage, ignore_errors=True)
    return result


def _contact_sheet(out: Path, jobs: list[Job], requests: dict[str, str], manifest: Manifest, publish: Publish,
                   stage: Path, overwrite: bool) -> Path:
    """The grid's contact sheet (a row per pose and outfit, a column per camera), made again only when
    the images in it changed."""
    final = out / CONTACT_SHEET
    key = _digest([requests[job.name] for job in jobs])
    if not overwrite and final.is_file() and manifest.extra.get("contact_sheet", {}).get("request") == key:
        return final
    tiles = []
    for job in jobs:
        with Image.open(out / job.name) as image:
            image = image.convert("RGBA")
            tile = Image.new("RGB", image.size, (200, 200, 200))
            tile.paste(image, mask=image.getchannel("A"))
        tile = tile.resize((max(1, round(tile.width * _TILE_HEIGHT / tile.height)), _TILE_HEIGHT), Image.LANCZOS)
        label_tile(tile, job.name.removesuffix(".png"), (40, 40, 40))
        tiles.append(tile)
    columns = len({job.camera.label for job in jobs})
    stage.mkdir(exist_ok=True)
    staged = stage / CONTACT_SHEET
    write_bytes(staged, png_bytes(tile_grid(tiles, columns)))
    publish(staged, final)
    manifest.extra["contact_sheet"] = {"request": key, "images": [job.name for job in jobs]}
    manifest.write(out)
    return final

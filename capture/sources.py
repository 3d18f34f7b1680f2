"""Open a studio session folder of any supported kind as one :class:`Source`.

Kinds, detected in this order (or from ``calibration=`` when given):

1. ``nerfstudio``: images + ``transforms.json``;
2. ``colmap``: images + a COLMAP model in ``sparse/0/``, ``sparse/`` or the folder itself;
3. ``pose2sim``: per-camera videos (``videos/<cam>.mp4|mov`` or ``<cam>.mp4``) or per-camera image
   folders (``images/<cam>/`` or ``<cam>/``) + a Pose2Sim/anipose calibration TOML;
4. ``uncalibrated``: images only; the views carry placeholder cameras that SfM
   (:func:`twinkit.capture.sfm.solve_cameras`) replaces.

Every assumption made while reconciling calibration and media (dropped cameras, size differences, the
world's up axis) is recorded in ``Source.notes``. Inputs are only read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from twinkit.capture.cameras import PINHOLE, Camera
from twinkit.capture.formats import camera_names, colmap, nerfstudio, pose2sim
from twinkit.capture.media import is_image, list_images, list_videos, media_size, video_fps
from twinkit.core.atomic import read_json
from twinkit.core.errors import InputError
from twinkit.core.progress import warn

NERFSTUDIO, COLMAP, POSE2SIM, UNCALIBRATED = "nerfstudio", "colmap", "pose2sim", "uncalibrated"
Z_UP = np.array([0.0, 0.0, 1.0])
_CROP_TOLERANCE = 0.02  # media up to 2% smaller/larger than calibrated: assume a top-left crop
_PLATE_SUFFIXES = (".png", ".jpg", ".jpeg")
_NOT_CAMERAS = ("images", "videos", "background", "sparse", "calibration", "masks")  # session sub-folders


@dataclass
class SourceView:
    """One camera of a session: its calibration and its media (a video, or images in time order)."""

    camera: Camera
    images: list[Path] = field(default_factory=list)
    video: Path | None = None

    @property
    def media(self) -> Path:
        """The file whose size the camera must match (the video, else the first image)."""
        return self.video if self.video is not None else self.images[0]


@dataclass
class Source:
    """A session opened for ingest: cameras with their media, and what is known about the world."""

    root: Path
    format: str
    views: list[SourceView]
    up: np.ndarray
    scale: Literal["metric", "arbitrary"]
    time_offsets: dict[str, float] = field(default_factory=dict)
    plates: dict[str, Path] = field(default_factory=dict)
    input_files: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def estimate_up(cameras: list[Camera]) -> np.ndarray:
    """World up as the mean of the cameras' up vectors (the -y axis of OpenCV cameras), unit length."""
    up = -np.mean([c.R[1] for c in cameras], axis=0)
    norm = np.linalg.norm(up)
    if norm < 1e-6:
        raise ValueError("camera up vectors cancel out: cannot estimate the world's up axis")
    return up / norm


def _key(name: str) -> str:
    """Loose camera-name key: ``cam_01`` and ``Cam01`` match."""
    return re.sub(r"[^0-9a-z]", "", name.lower())


# ---- reconciling calibration and media ---------------------------------------------------------------
def fit_to_media(cam: Camera, width: int, height: int, media: Path) -> tuple[Camera, str | None]:
    """The camera adjusted to media of ``width`` x ``height``, and a note saying what was assumed.

    A difference under 2% per side keeps K (the media is taken as the top-left part of the calibrated
    sensor); a uniform scale scales K; anything else raises :class:`InputError` naming ``media``.
    """
    cw, ch = cam.width, cam.height
    if (width, height) == (cw, ch):
        return cam, None
    what = f"{cam.name}: calibrated {cw}x{ch}, media {width}x{height} ({media.name})"
    if abs(width - cw) <= _CROP_TOLERANCE * cw and abs(height - ch) <= _CROP_TOLERANCE * ch:
        fixed = Camera(cam.name, width, height, cam.K, cam.R, cam.t, cam.dist, cam.model)
        return fixed, (f"{what}: kept K, assuming the media is the top-left {width}x{height} of the "
                       "calibrated sensor (a centred crop would shift the principal point by "
                       f"{(cw - width) / 2:.1f}, {(ch - height) / 2:.1f} px)")
    s = width / cw
    if abs(cw * s - width) <= 1 and abs(ch * s - height) <= 1:
        return cam.scaled(width, height), f"{what}: media uniformly scaled by {s:.4f}, scaled K to match"
    raise InputError(f"calibrated size {cw}x{ch} of camera {cam.name!r} does not match the media "
                     f"({width}x{height}): not a small crop and not a uniform scale", media)


def _pair(cameras: list[Camera], media: dict[str, SourceView | list[Path] | Path], calib: Path,
          notes: list[str]) -> list[tuple[Camera, list[Path] | Path]]:
    """Match calibrated cameras to media by name; drop unmatched ones while >= 2 cameras remain."""
    by_key = {_key(n): n for n in media}
    pairs, no_media = [], []
    for cam in cameras:
        name = by_key.pop(_key(cam.name), None)
        if name is None:
            no_media.append(cam.name)
        else:
            pairs.append((cam, media[name]))
    no_camera = sorted(by_key.values())
    if (no_media or no_camera) and len(pairs) < 2:
        raise InputError(f"only {len(pairs)} camera(s) have both calibration and media (cameras without "
                         f"media: {no_media or 'none'}; media without camera: {no_camera or 'none'})", calib)
    for label, names in (("calibrated camera(s) with no media", no_media),
                         ("media with no calibrated camera", no_camera)):
        if names:
            note = f"dropped {label}: {', '.join(names)}"
            warn(f"{calib}: {note}")
            notes.append(note)
    return pairs


def _views(pairs: list[tuple[Camera, list[Path] | Path]], notes: list[str]) -> list[SourceView]:
    views = []
    for cam, media in pairs:
        view = SourceView(cam, video=media) if isinstance(media, Path) else SourceView(cam, images=media)
        width, height = media_size(view.media)
        view.camera, note = fit_to_media(cam, width, height, view.media)
        if note:
            notes.append(note)
        views.append(view)
    return views


# ---- media discovery ----------------------------------------------------------------------------------
def _camera_media(root: Path) -> dict[str, list[Path] | Path]:
    """Per-camera media: videos in ``videos/`` or the root, else image folders in ``images/`` or root."""
    videos = list_videos(root / "videos") or list_videos(root)
    if videos:
        return {v.stem: v for v in videos}
    for parent in (root / "images", root):
        if parent.is_dir():
            folders = {d.name: list_images(d) for d in sorted(parent.iterdir())
                       if d.is_dir() and d.name not in _NOT_CAMERAS and list_images(d)}
            if folders:
                return folders
    return {}


def _plates(root: Path) -> dict[str, Path]:
    folder = root / "background"
    if not folder.is_dir():
        return {}
    return {p.stem: p for p in sorted(folder.iterdir()) if is_image(p) and p.suffix.lower() in _PLATE_SUFFIXES}


def _single(found: list[Path], root: Path, what: str) -> Path | None:
    if len(found) > 1:
        raise InputError(f"several {what} found ({', '.join(p.name for p in found)}): pass the one to use "
                         "as calibration", root)
    return found[0] if found else None


def _detect(root: Path, calibration: Path | None) -> tuple[str, Path | None]:
    """The session's kind and its calibration file or COLMAP model folder."""
    if calibration is not None:
        if calibration.is_dir() and colmap.model_files(calibration):
            return COLMAP, calibration
        if calibration.suffix.lower() == ".json":
            return NERFSTUDIO, calibration
        if calibration.suffix.lower() == ".toml":
            return POSE2SIM, calibration
        raise InputError("calibration must be a transforms.json, a Pose2Sim .toml or a COLMAP model folder",
                         calibration)
    if (root / "transforms.json").is_file():
        return NERFSTUDIO, root / "transforms.json"
    for folder in (root / "sparse" / "0", root / "sparse", root):
        if colmap.model_files(folder):
            return COLMAP, folder
    tomls = sorted(p for d in (root, root / "calibration") if d.is_dir() for p in d.glob("*.toml"))
    toml = _single(tomls, root, "calibration TOML files")
    if toml is not None:
        return POSE2SIM, toml
    return UNCALIBRATED, None


# ---- the four kinds -------------------------------------------------------------------------------
def _nerfstudio(root: Path, calib: Path, notes: list[str]) -> list[SourceView]:
    cameras, images, _ = nerfstudio.read_transforms(calib)
    _check_inside(root, images, calib)
    media = {c.name: [p] for c, p in zip(cameras, images) if p.is_file()}
    return _views(_pair(cameras, media, calib, notes), notes)


def _colmap(root: Path, model: Path, notes: list[str]) -> list[SourceView]:
    cameras, names = colmap.read_model(model)
    folder = root / "images" if (root / "images").is_dir() else root
    paths = [folder / n for n in names]
    _check_inside(folder, paths, model)
    media = {c.name: [p] for c, p in zip(cameras, paths) if p.is_file()}
    return _views(_pair(cameras, media, model, notes), notes)


def _pose2sim(root: Path, calib: Path, notes: list[str]) -> list[SourceView]:
    cameras = pose2sim.read_calibration(calib)
    media = _camera_media(root)
    if not media:
        raise InputError("no per-camera videos (videos/<cam>.mp4) or image folders (images/<cam>/) found "
                         "next to the calibration", root)
    return _views(_pair(cameras, media, calib, notes), notes)


def _uncalibrated(root: Path, notes: list[str]) -> list[SourceView]:
    folders = {k: v for k, v in _camera_media(root).items() if isinstance(v, list)}
    if folders:
        groups = folders
    else:
        stills = list_images(root / "images") or list_images(root)
        groups = {n: [p] for n, p in zip(camera_names([p.name for p in stills]), stills)}
    if len(groups) < 2:
        raise InputError("no calibration and fewer than 2 camera images: nothing to reconstruct from "
                         "(expected transforms.json, a COLMAP model, a calibration TOML, or images)", root)
    views = []
    for name, images in groups.items():
        w, h = media_size(images[0])
        f = 1.2 * max(w, h)  # COLMAP's default focal-length guess; SfM replaces the whole camera
        views.append(SourceView(Camera(name, w, h, [[f, 0, w / 2], [0, f, h / 2], [0, 0, 1]], model=PINHOLE),
                                images=images))
    notes.append(f"no calibration: {len(views)} cameras to be solved by SfM (structure from motion)")
    return views


def _check_inside(root: Path, paths: list[Path], source: Path) -> None:
    """Refuse media paths (e.g. via symlinks or COLMAP names) that resolve outside the session."""
    top = root.resolve()
    for p in paths:
        if top not in p.resolve().parents:
            raise InputError(f"{p} is outside the session folder {root}", source)


TIME_OFFSETS = "time_offsets.json"


def _time_offsets(root: Path, views: list[SourceView]) -> dict[str, float]:
    """Per-camera offsets in seconds from ``SESSION/time_offsets.json``, if the session has one.

    The file holds ``{"units": "s" | "frames", "offsets": {camera: value}}``: frame ``i`` of the camera's
    media shows the instant of the rig's reference frame ``i + offset`` (frames are the camera's own).
    """
    path = root / TIME_OFFSETS
    if not path.exists():
        return {}
    data = read_json(path)
    units, offsets = data.get("units", "s"), data.get("offsets")
    if units not in ("s", "frames") or not isinstance(offsets, dict) or not all(
            isinstance(v, (int, float)) and np.isfinite(v) for v in offsets.values()):
        raise InputError('expected {"units": "s" | "frames", "offsets": {camera: number}}', path)
    by_key = {_key(v.camera.name): v for v in views}
    unknown = [c for c in offsets if _key(c) not in by_key]
    if unknown:
        raise InputError(f"offsets for camera(s) not in the session: {', '.join(unknown)}", path)
    out = {}
    for cam, value in offsets.items():
        view = by_key[_key(cam)]
        rate = video_fps(view.video) if units == "frames" and view.video is not None else 1.0
        if units == "frames" and view.video is None:
            raise InputError(f"offsets in frames need videos; {cam} has images (give seconds)", path)
        out[view.camera.name] = float(value) / rate
    return out


def _declared_units(kind: str, calib: Path | None) -> str | None:
    """Units a nerfstudio ``transforms.json`` declares with a top-level ``"units"`` key, if any."""
    if kind != NERFSTUDIO or calib is None:
        return None
    units = read_json(calib).get("units")
    return units if units in ("m", "arbitrary") else None


def open_source(path: str | Path, *, calibration: str | Path | None = None,
                units: str | None = None) -> Source:
    """Open a session folder (or its calibration file) and pair every calibrated camera with its media.

    Raises :class:`InputError` naming the file at fault for an empty folder, unreadable calibration,
    unmatched cameras/media when fewer than 2 pairs remain, media escaping the folder, and calibration
    sizes that neither a small crop nor a uniform scale explain. ``units`` ("m" or "arbitrary")
    overrides what the calibration implies (Pose2Sim: metres; transforms.json: its ``"units"`` key;
    COLMAP: arbitrary).
    """
    path = Path(path)
    if path.is_file() and calibration is None:
        path, calibration = path.parent, path
    if not path.is_dir():
        raise InputError("session folder not found", path)
    if not any(p for p in path.iterdir() if not p.name.startswith(".")):
        raise InputError("session folder is empty", path)
    calib = Path(calibration) if calibration is not None else None
    if calib is not None and not calib.exists():
        raise InputError("calibration not found", calib)
    kind, calib = _detect(path, calib)
    notes: list[str] = []
    if kind == NERFSTUDIO:
        views = _nerfstudio(path, calib, notes)
    elif kind == COLMAP:
        views = _colmap(path, calib, notes)
    elif kind == POSE2SIM:
        views = _pose2sim(path, calib, notes)
    else:
        views = _uncalibrated(path, notes)
    if kind == POSE2SIM:
        up, scale = Z_UP, "metric"
        notes.append("world: Z-up, metres (Pose2Sim calibration)")
    elif kind == UNCALIBRATED:
        up, scale = Z_UP, "arbitrary"
        notes.append("world: SfM frame rotated so the cameras' mean up is +Z; arbitrary scale")
    else:
        up, scale = estimate_up([v.camera for v in views]), "arbitrary"
        notes.append(f"world: up estimated as the cameras' mean up vector {np.round(up, 3).tolist()}; "
                     f"{kind} calibration")
    declared = units or _declared_units(kind, calib)
    if declared is not None and kind != UNCALIBRATED and declared != scale:
        scale = "metric" if declared == "m" else "arbitrary"
        notes.append(f"world: scale taken as {scale} ({'--units' if units else 'declared by ' + calib.name})")
    names = {v.camera.name for v in views}
    plates = {n: p for n, p in _plates(path).items() if n in names}
    files = [calib] if calib is not None and calib.is_file() else []
    if kind == COLMAP:
        files = colmap.model_files(calib)[1]
    files += [v.video for v in views if v.video] + [p for v in views for p in v.images] + list(plates.values())
    offsets = _time_offsets(path, views)
    if offsets:
        files.append(path / TIME_OFFSETS)
        notes.append(f"time offsets taken from {TIME_OFFSETS}")
    return Source(path, kind, views, up, scale, offsets, plates, files, notes)

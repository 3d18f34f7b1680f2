"""nerfstudio ``transforms.json``: read and write a multi-camera dataset description.

Poses are camera-to-world in the OpenGL convention (x right, y up, z back); intrinsics are either shared
(top level) or per frame. An ``applied_transform`` (3x4 or 4x4, written by ``ns-process-data``) maps the
original world onto the poses in the file; the reader undoes it, the writer never writes one.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from twinkit.capture.cameras import CV_TO_GL, OPENCV, OPENCV_FISHEYE, PINHOLE, Camera
from twinkit.capture.formats import PIXEL_CENTER_SHIFT, camera_names
from twinkit.core.atomic import read_json, write_json
from twinkit.core.errors import InputError

_INTRINSIC_KEYS = ("camera_model", "fl_x", "fl_y", "cx", "cy", "w", "h", "k1", "k2", "k3", "k4", "p1", "p2")


def _intrinsics(cam: Camera) -> dict[str, Any]:
    """nerfstudio intrinsic keys of one camera."""
    d: dict[str, Any] = {
        "camera_model": cam.model,
        "fl_x": float(cam.K[0, 0]), "fl_y": float(cam.K[1, 1]),
        "cx": float(cam.K[0, 2] + PIXEL_CENTER_SHIFT), "cy": float(cam.K[1, 2] + PIXEL_CENTER_SHIFT),
        "w": cam.width, "h": cam.height,
    }
    if cam.model == OPENCV:
        d.update(zip(("k1", "k2", "p1", "p2", "k3"), map(float, cam.dist)))
    elif cam.model == OPENCV_FISHEYE:
        d.update(zip(("k1", "k2", "k3", "k4"), map(float, cam.dist)))
    return d


def _relative(path: Path, root: Path) -> str:
    """``path`` relative to the dataset folder ``root`` (POSIX), refusing paths outside it."""
    path = Path(os.path.abspath(root / path))
    try:
        return path.relative_to(os.path.abspath(root)).as_posix()
    except ValueError:
        raise ValueError(f"{path} is outside the dataset folder {root}") from None


def write_transforms(path: str | Path, cameras: list[Camera], image_paths: list[str | Path],
                     mask_paths: list[str | Path] | None = None, units: str | None = None) -> None:
    """Write ``transforms.json`` with one frame per camera (paths relative to the file's folder).

    Each intrinsic value goes to the top level when all cameras share it, otherwise into each frame.
    ``units="m"`` adds a top-level ``"units"`` key (nerfstudio ignores it) declaring metric poses.
    """
    path = Path(path)
    root = path.parent
    if len(image_paths) != len(cameras) or (mask_paths is not None and len(mask_paths) != len(cameras)):
        raise ValueError("write_transforms: need one image (and mask) path per camera")
    per_cam = [_intrinsics(c) for c in cameras]
    out: dict[str, Any] = {k: v for k, v in per_cam[0].items() if all(d.get(k) == v for d in per_cam)}
    frames = []
    for i, cam in enumerate(cameras):
        c2w = cam.c2w
        c2w[:3, :3] = c2w[:3, :3] @ CV_TO_GL
        frame: dict[str, Any] = {"file_path": _relative(Path(image_paths[i]), root)}
        if mask_paths is not None:
            frame["mask_path"] = _relative(Path(mask_paths[i]), root)
        frame.update({k: v for k, v in per_cam[i].items() if k not in out})
        frame["transform_matrix"] = c2w.tolist()
        frames.append(frame)
    if units is not None:
        out["units"] = units
    out["frames"] = frames
    write_json(path, out)


def _inside(root: Path, rel: Any, key: str, source: Path) -> Path:
    """Resolve a frame's file path, refusing absolute paths and paths that leave ``root``."""
    if not isinstance(rel, str) or not rel:
        raise InputError(f"frame {key} must be a non-empty string", source)
    if Path(rel).is_absolute() or ".." in Path(rel).parts:
        raise InputError(f"{key} {rel!r} points outside the dataset folder", source)
    return root / rel


def _camera(name: str, d: dict[str, Any], undo: np.ndarray, source: Path) -> Camera:
    """One camera from a frame merged over the shared intrinsics; ``undo`` reverts applied_transform."""
    model = d.get("camera_model", OPENCV)
    if model not in (OPENCV, PINHOLE, OPENCV_FISHEYE):
        raise InputError(f"camera_model {model!r} is not supported (OPENCV, PINHOLE, OPENCV_FISHEYE)", source)
    try:
        fx, fy, cx, cy = (float(d[k]) for k in ("fl_x", "fl_y", "cx", "cy"))
        w, h = int(d["w"]), int(d["h"])
        c2w_gl = np.asarray(d["transform_matrix"], dtype=np.float64)
        keys = ("k1", "k2", "k3", "k4") if model == OPENCV_FISHEYE else ("k1", "k2", "p1", "p2", "k3")
        dist = [float(d.get(k, 0.0)) for k in keys]
    except KeyError as exc:
        raise InputError(f"frame for {name!r} has no {exc.args[0]!r} (neither per frame nor shared)",
                         source) from None
    except (TypeError, ValueError) as exc:
        raise InputError(f"frame for {name!r}: malformed value ({exc})", source) from None
    if c2w_gl.shape not in ((4, 4), (3, 4)):
        raise InputError(f"frame for {name!r}: transform_matrix has shape {c2w_gl.shape}, not 4x4", source)
    c2w_gl = undo @ np.vstack([c2w_gl[:3], [0.0, 0.0, 0.0, 1.0]])
    K = [[fx, 0.0, cx - PIXEL_CENTER_SHIFT], [0.0, fy, cy - PIXEL_CENTER_SHIFT], [0.0, 0.0, 1.0]]
    R_c2w = c2w_gl[:3, :3] @ CV_TO_GL
    R = R_c2w.T
    cam = Camera(name, w, h, K, R, -R @ c2w_gl[:3, 3], dist, model)
    cam.validate(source)
    return cam


def _applied(data: dict[str, Any], source: Path) -> np.ndarray:
    """The 4x4 ``applied_transform`` (identity when absent)."""
    m = np.eye(4)
    if "applied_transform" in data:
        try:
            a = np.asarray(data["applied_transform"], dtype=np.float64)
            m[: a.shape[0], :] = a
        except (TypeError, ValueError, IndexError) as exc:
            raise InputError(f"applied_transform is malformed ({exc})", source) from None
        if not np.all(np.isfinite(m)) or abs(np.linalg.det(m)) < 1e-9:
            raise InputError("applied_transform is singular or not finite", source)
    return m


def read_transforms(path: str | Path) -> tuple[list[Camera], list[Path], list[Path | None]]:
    """Read ``transforms.json``: cameras (world of the original data), image paths, mask paths (or None).

    Raises :class:`InputError` naming the file for missing keys, bad types, NaN or singular matrices and
    file paths that leave the dataset folder.
    """
    path = Path(path)
    data = read_json(path)
    if not isinstance(data, dict) or not isinstance(data.get("frames"), list) or not data["frames"]:
        raise InputError("no 'frames' list (is this a nerfstudio transforms.json?)", path)
    shared = {k: data[k] for k in _INTRINSIC_KEYS if k in data}
    undo = np.linalg.inv(_applied(data, path))
    root = path.parent
    files, frames = [], []
    for i, frame in enumerate(data["frames"]):
        if not isinstance(frame, dict) or "file_path" not in frame:
            raise InputError(f"frame {i} has no file_path", path)
        files.append(frame["file_path"])
        frames.append(frame)
    images = [_inside(root, f, "file_path", path) for f in files]
    names = camera_names(files)
    cameras, masks = [], []
    for name, frame in zip(names, frames):
        cameras.append(_camera(name, {**shared, **frame}, undo, path))
        masks.append(_inside(root, frame["mask_path"], "mask_path", path) if "mask_path" in frame else None)
    return cameras, images, masks

"""COLMAP sparse models (``cameras``, ``images``, ``points3D`` as ``.txt`` or ``.bin``) through pycolmap.

COLMAP poses are world-to-camera in the OpenCV axes, like ours; only the principal point moves by half a
pixel (see :mod:`twinkit.capture.formats`). Camera models map onto ours as:
SIMPLE_PINHOLE/PINHOLE -> PINHOLE; SIMPLE_RADIAL/RADIAL/OPENCV/FULL_OPENCV (k4..k6 = 0) -> OPENCV;
OPENCV_FISHEYE -> OPENCV_FISHEYE. The writer uses PINHOLE, OPENCV (FULL_OPENCV when k3 != 0) and
OPENCV_FISHEYE, one COLMAP camera per camera, and an empty ``points3D``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pycolmap

from twinkit.capture.cameras import OPENCV, OPENCV_FISHEYE, PINHOLE, Camera
from twinkit.capture.formats import PIXEL_CENTER_SHIFT, camera_names
from twinkit.core.errors import InputError

_FILES = ("cameras", "images", "points3D")


def _colmap_camera(cam: Camera, camera_id: int) -> pycolmap.Camera:
    fx, fy = cam.K[0, 0], cam.K[1, 1]
    cx, cy = cam.K[0, 2] + PIXEL_CENTER_SHIFT, cam.K[1, 2] + PIXEL_CENTER_SHIFT
    if cam.model == PINHOLE:
        model, params = "PINHOLE", [fx, fy, cx, cy]
    elif cam.model == OPENCV_FISHEYE:
        model, params = "OPENCV_FISHEYE", [fx, fy, cx, cy, *cam.dist]
    elif cam.dist[4] == 0.0:
        model, params = "OPENCV", [fx, fy, cx, cy, *cam.dist[:4]]
    else:
        model, params = "FULL_OPENCV", [fx, fy, cx, cy, *cam.dist, 0.0, 0.0, 0.0]
    return pycolmap.Camera(camera_id=camera_id, model=model, width=cam.width, height=cam.height,
                           params=np.asarray(params, dtype=np.float64))


def to_reconstruction(cameras: list[Camera], image_names: list[str]) -> pycolmap.Reconstruction:
    """A pycolmap reconstruction with one camera, rig and registered image per camera (no points)."""
    if len(image_names) != len(cameras):
        raise ValueError("write_model: need one image name per camera")
    rec = pycolmap.Reconstruction()
    for i, (cam, name) in enumerate(zip(cameras, image_names), start=1):
        rec.add_camera_with_trivial_rig(_colmap_camera(cam, i))
        pose = pycolmap.Rigid3d(np.hstack([cam.R, cam.t[:, None]]))
        rec.add_image_with_trivial_frame(pycolmap.Image(name=str(name), camera_id=i, image_id=i), pose)
    return rec


def write_model(folder: str | Path, cameras: list[Camera], image_names: list[str], binary: bool = False) -> None:
    """Write a COLMAP sparse model into ``folder`` (``.bin`` files if ``binary``, else ``.txt``).

    The three files are written to a temporary folder and moved into place, so a failure leaves no
    half-written model.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rec = to_reconstruction(cameras, image_names)
    ext = ".bin" if binary else ".txt"
    with tempfile.TemporaryDirectory(dir=folder, prefix=".colmap.") as tmp:
        (rec.write_binary if binary else rec.write_text)(tmp)
        for stem in _FILES:
            (Path(tmp) / f"{stem}{ext}").replace(folder / f"{stem}{ext}")


def model_files(folder: Path) -> tuple[str, list[Path]] | None:
    """``(".bin" | ".txt", files)`` when ``folder`` holds a COLMAP model (binary preferred), else None."""
    for ext in (".bin", ".txt"):
        if (folder / f"cameras{ext}").is_file():
            return ext, [folder / f"{s}{ext}" for s in _FILES if (folder / f"{s}{ext}").is_file()]
    return None


def _our_camera(name: str, cc: pycolmap.Camera, R: np.ndarray, t: np.ndarray, source: Path) -> Camera:
    """Map one COLMAP camera (+ pose) onto our model, refusing models we cannot represent."""
    model, p = cc.model.name, np.asarray(cc.params, dtype=np.float64)
    if model == "SIMPLE_PINHOLE":
        ours, (fx, fy, cx, cy), dist = PINHOLE, (p[0], p[0], p[1], p[2]), []
    elif model == "PINHOLE":
        ours, (fx, fy, cx, cy), dist = PINHOLE, p[:4], []
    elif model in ("SIMPLE_RADIAL", "RADIAL"):
        ours, (fx, fy, cx, cy), dist = OPENCV, (p[0], p[0], p[1], p[2]), [*p[3:], 0.0, 0.0]
    elif model == "OPENCV":
        ours, (fx, fy, cx, cy), dist = OPENCV, p[:4], p[4:8]
    elif model == "FULL_OPENCV" and not np.any(p[9:12]):
        ours, (fx, fy, cx, cy), dist = OPENCV, p[:4], p[4:9]
    elif model == "OPENCV_FISHEYE":
        ours, (fx, fy, cx, cy), dist = OPENCV_FISHEYE, p[:4], p[4:8]
    else:
        raise InputError(f"camera {cc.camera_id} uses the COLMAP model {model}, which twinkit does not "
                         "support (use PINHOLE, SIMPLE_RADIAL, RADIAL, OPENCV or OPENCV_FISHEYE)", source)
    if model in ("SIMPLE_RADIAL", "RADIAL"):
        dist = [dist[0], dist[1] if model == "RADIAL" else 0.0, 0.0, 0.0, 0.0]
    K = [[fx, 0.0, cx - PIXEL_CENTER_SHIFT], [0.0, fy, cy - PIXEL_CENTER_SHIFT], [0.0, 0.0, 1.0]]
    cam = Camera(name, cc.width, cc.height, K, R, t, dist, ours)
    cam.validate(source)
    return cam


def from_reconstruction(rec: pycolmap.Reconstruction, source: Path) -> tuple[list[Camera], list[str]]:
    """Registered images of a reconstruction as cameras (see :func:`camera_names`), sorted by image name."""
    images = sorted((im for im in rec.images.values() if im.has_pose), key=lambda im: im.name)
    names = [im.name for im in images]
    cams = []
    for cam_name, image in zip(camera_names(names), images):
        pose = image.cam_from_world().matrix()
        cams.append(_our_camera(cam_name, rec.cameras[image.camera_id], pose[:, :3], pose[:, 3], source))
    if not cams:
        raise InputError("COLMAP model has no registered images", source)
    return cams, names


def read_model(folder: str | Path) -> tuple[list[Camera], list[str]]:
    """Read a COLMAP sparse model: one camera per registered image, image names.

    Raises :class:`InputError` naming the model file for a missing or corrupt model, unsupported camera
    models, NaN or singular matrices.
    """
    folder = Path(folder)
    found = model_files(folder)
    if found is None:
        raise InputError("no COLMAP model here (cameras.bin or cameras.txt)", folder)
    ext, files = found
    if len(files) < 2:
        raise InputError(f"COLMAP model is incomplete (needs cameras{ext} and images{ext})", folder)
    rec = pycolmap.Reconstruction()
    try:
        (rec.read_binary if ext == ".bin" else rec.read_text)(str(folder))
    except (RuntimeError, ValueError) as exc:
        raise InputError(f"cannot read the COLMAP model {', '.join(f.name for f in files)} "
                         f"({str(exc).strip().splitlines()[-1]})", folder) from None
    return from_reconstruction(rec, folder / f"cameras{ext}")

"""Pose2Sim/anipose calibration TOML: one table per camera plus an optional ``[metadata]`` table.

Per camera: ``name``, ``size = [w, h]``, ``matrix`` (K), ``distortions`` (OpenCV k1 k2 p1 p2 [k3], or
k1..k4 when ``fisheye``), ``rotation`` (Rodrigues vector, world-to-camera), ``translation`` (metres),
``fisheye``. OpenCV pixel convention, so values map onto our :class:`Camera` unchanged.
Read with the standard library's ``tomllib`` and written with ``tomli_w``: the format is plain TOML.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import tomli_w
from scipy.spatial.transform import Rotation

from twinkit.capture.cameras import OPENCV, OPENCV_FISHEYE, Camera
from twinkit.core.atomic import write_text
from twinkit.core.errors import InputError

METADATA = "metadata"
_KEYS = ("size", "matrix", "distortions", "rotation", "translation")


def write_calibration(path: str | Path, cameras: list[Camera]) -> None:
    """Write the cameras as a Pose2Sim/anipose calibration TOML (atomically)."""
    doc: dict[str, Any] = {}
    for cam in cameras:
        fisheye = cam.model == OPENCV_FISHEYE
        dist = cam.dist if fisheye or cam.dist[4] != 0.0 else cam.dist[:4]
        doc[cam.name] = {
            "name": cam.name,
            "size": [cam.width, cam.height],
            "matrix": cam.K.tolist(),
            "distortions": [float(d) for d in dist],
            "rotation": Rotation.from_matrix(cam.R).as_rotvec().tolist(),
            "translation": cam.t.tolist(),
            "fisheye": fisheye,
        }
    doc[METADATA] = {"adjusted": False, "error": 0.0}
    write_text(path, tomli_w.dumps(doc))


def _camera(key: str, table: Any, source: Path) -> Camera:
    if not isinstance(table, dict):
        raise InputError(f"entry {key!r} is not a table", source)
    missing = [k for k in _KEYS if k not in table]
    if missing:
        raise InputError(f"camera [{key}] has no {', '.join(missing)}", source)
    name = str(table.get("name", key))
    try:
        w, h = (int(v) for v in table["size"])
        K = np.asarray(table["matrix"], dtype=np.float64).reshape(3, 3)
        rvec = np.asarray(table["rotation"], dtype=np.float64).reshape(3)
        t = np.asarray(table["translation"], dtype=np.float64).reshape(3)
        dist = np.asarray(table["distortions"], dtype=np.float64).ravel()
    except (TypeError, ValueError) as exc:
        raise InputError(f"camera [{key}]: malformed value ({exc})", source) from None
    fisheye = table.get("fisheye", False)
    if not isinstance(fisheye, bool):
        raise InputError(f"camera [{key}]: fisheye must be true or false", source)
    if len(dist) > (4 if fisheye else 5):
        raise InputError(f"camera [{key}]: {len(dist)} distortion coefficients (at most "
                         f"{4 if fisheye else 5} supported)", source)
    if not np.all(np.isfinite(rvec)):
        raise InputError(f"camera [{key}]: rotation contains NaN or infinite values", source)
    cam = Camera(name, w, h, K, Rotation.from_rotvec(rvec).as_matrix(), t, dist, OPENCV_FISHEYE if fisheye else OPENCV)
    cam.validate(source)
    return cam


def read_calibration(path: str | Path) -> list[Camera]:
    """Read a Pose2Sim/anipose calibration TOML, validating every camera.

    Raises :class:`InputError` naming the file when it is missing, not TOML, lacks keys, has values of the
    wrong type or shape, NaN or singular matrices, or duplicate camera names.
    """
    path = Path(path)
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("calibration file not found", path) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"not a valid TOML file ({exc})", path) from None
    cameras = [_camera(key, table, path) for key, table in doc.items() if key != METADATA]
    if not cameras:
        raise InputError("calibration lists no cameras", path)
    names = [c.name for c in cameras]
    if len(set(names)) != len(names):
        raise InputError(f"duplicate camera names in {names}", path)
    return cameras

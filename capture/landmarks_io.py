"""Read and write the capture's landmark files (2D per view, 3D per frame), keyed by frame name."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from twinkit.capture import blazepose
from twinkit.capture.layout import LANDMARKS_2D, LANDMARKS_3D, frame_name
from twinkit.core.atomic import read_json, write_json
from twinkit.core.errors import InputError


def _rounded(arr: np.ndarray, decimals: int) -> list:
    """Nested lists with NaN rows as ``None`` (JSON has no NaN)."""
    return [None if not np.all(np.isfinite(row)) else np.round(row, decimals).tolist() for row in arr]


def write_landmarks2d(path: str | Path, per_frame: dict[int, dict[str, np.ndarray | None]]) -> None:
    """``per_frame[frame][camera]`` is a (33, 3) array of ``[x_px, y_px, confidence]`` or None."""
    write_json(path, {
        "names": list(blazepose.NAMES),
        "columns": ["x_px", "y_px", "confidence"],
        "frames": {frame_name(f): {cam: None if lm is None else _rounded(lm, 2) for cam, lm in views.items()}
                   for f, views in sorted(per_frame.items())},
    })


def read_landmarks2d(path: str | Path) -> dict[int, dict[str, np.ndarray | None]]:
    """Inverse of :func:`write_landmarks2d`; missing landmarks come back as NaN rows."""
    data = read_json(path)
    try:
        return {int(f): {cam: None if lm is None else np.array(
                    [[np.nan] * 3 if p is None else p for p in lm], dtype=np.float64)
                 for cam, lm in views.items()} for f, views in data["frames"].items()}
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"malformed 2D landmark file ({exc})", path) from None


def write_landmarks3d(path: str | Path, per_frame: dict[int, dict]) -> None:
    """``per_frame[frame]`` holds ``points`` (33, 3) metres, ``reprojection_px`` (33,), ``n_views`` (33,)
    and ``inliers`` ``{camera: (33,) bool}`` (the views each landmark was triangulated from)."""
    write_json(path, {
        "names": list(blazepose.NAMES),
        "units": "m",
        "frames": {frame_name(f): {
            "points": _rounded(r["points"], 5),
            "reprojection_px": [None if not np.isfinite(e) else round(float(e), 3)
                                for e in r["reprojection_px"]],
            "n_views": [int(n) for n in r["n_views"]],
            "inliers": {cam: "".join("1" if v else "0" for v in flags) for cam, flags in r["inliers"].items()},
        } for f, r in sorted(per_frame.items())},
    })


def read_landmarks3d(path: str | Path) -> dict[int, dict[str, np.ndarray]]:
    """Inverse of :func:`write_landmarks3d`; unknown points and errors come back as NaN."""
    data = read_json(path)
    try:
        out = {}
        for f, r in data["frames"].items():
            out[int(f)] = {
                "points": np.array([[np.nan] * 3 if p is None else p for p in r["points"]], dtype=np.float64),
                "reprojection_px": np.array([np.nan if e is None else e for e in r["reprojection_px"]],
                                            dtype=np.float64),
                "n_views": np.asarray(r["n_views"], dtype=np.int64),
                "inliers": {cam: np.array([c == "1" for c in flags]) for cam, flags in r["inliers"].items()},
            }
        return out
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"malformed 3D landmark file ({exc})", path) from None


def landmark_files(root: str | Path) -> tuple[Path, Path]:
    root = Path(root)
    return root / LANDMARKS_2D, root / LANDMARKS_3D

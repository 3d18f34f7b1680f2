"""A body fit in an avatar folder: ``body.json`` (parameters) and ``body.ply`` (posed mesh), written and read."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import trimesh

from twinkit.core.atomic import read_json, write_bytes, write_json
from twinkit.core.errors import InputError
from twinkit.reconstruct.bodyfit.fit import BodyFit, body_fit_from_state
from twinkit.reconstruct.bodyfit.model import PHENOTYPE_KEYS, AnnyBody, BodyState

BODY_JSON = "body.json"
BODY_PLY = "body.ply"


def write_body(avatar_dir: str | Path, fit: BodyFit, quality: dict | None = None) -> Path:
    """Atomically write ``AVATAR/body.json`` (with the fit's per-view ``quality`` when given) and
    ``AVATAR/body.ply`` (world frame, metres); returns the JSON path."""
    avatar_dir = Path(avatar_dir)
    mesh = trimesh.Trimesh(fit.vertices, fit.faces, process=False)
    write_bytes(avatar_dir / BODY_PLY, mesh.export(file_type="ply"))
    path = avatar_dir / BODY_JSON
    write_json(path, {
        "model": "anny",
        "units": "m",
        "frame": fit.frame,
        "phenotype": fit.phenotype,
        "pose_parameterization": "local-ref",
        "pose": {bone: rotvec.tolist() for bone, rotvec in fit.pose.items()},
        "transform": fit.transform.tolist(),
        "transform_maps": "anny frame (Z up, metres) -> capture world",
        "stature_m": fit.stature_m,
        "mesh": BODY_PLY,
        "losses": fit.losses,
        "timings_s": fit.timings_s,
        **({"quality": quality} if quality is not None else {}),
    })
    return path


def read_body_parameters(path: str | Path) -> tuple[dict[str, float], dict[str, np.ndarray], np.ndarray]:
    """``(phenotype, pose, transform)`` from a body fit's ``body.json`` (every phenotype key present), with
    clear errors."""
    return _parameters(read_json(path), path)


def _parameters(data: dict, path: Path | str) -> tuple[dict[str, float], dict[str, np.ndarray], np.ndarray]:
    """:func:`read_body_parameters` of the already read ``data`` of ``path``."""
    try:
        phenotype = {k: float(v) for k, v in data["phenotype"].items()}
        pose = {bone: np.asarray(v, dtype=np.float64).reshape(3) for bone, v in data["pose"].items()}
        transform = np.asarray(data["transform"], dtype=np.float64).reshape(4, 4)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InputError(f"not a body fit, not an anny body description (needs phenotype, pose, transform): {exc}",
                         path) from None
    if data.get("pose_parameterization", "local-ref") != "local-ref":
        raise InputError(f"pose parameterisation {data['pose_parameterization']!r} is not anny local-ref", path)
    missing = [key for key in PHENOTYPE_KEYS if key not in phenotype]
    if missing:
        raise InputError(f"the body's phenotype lacks {', '.join(missing)}", path)
    return phenotype, pose, transform


def read_body(avatar_dir: str | Path, body: AnnyBody | None = None) -> BodyFit:
    """The :class:`BodyFit` written in ``AVATAR/body.json`` (the body re-evaluated from its parameters)."""
    path = Path(avatar_dir) / BODY_JSON
    data = read_json(path)
    phenotype, pose, transform = _parameters(data, path)
    state = BodyState.from_parameters(phenotype, pose, transform)
    return body_fit_from_state(body or AnnyBody(), state, int(data.get("frame", 0)), dict(data.get("losses", {})),
                               dict(data.get("timings_s", {})))

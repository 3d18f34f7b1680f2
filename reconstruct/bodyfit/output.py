"""Write a body fit into an avatar folder: ``body.json`` (parameters) and ``body.ply`` (posed mesh)."""

from __future__ import annotations

from pathlib import Path

import trimesh

from twinkit.core.atomic import write_bytes, write_json
from twinkit.reconstruct.bodyfit.fit import BodyFit

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

"""Measure an avatar folder: its mesh with the fitted body's landmarks, written to ``measurements.json``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import trimesh

from twinkit.core.atomic import read_json, write_json
from twinkit.core.errors import InputError
from twinkit.core.manifest import Manifest
from twinkit.core.meshes import load_mesh
from twinkit.core.progress import warn
from twinkit.render.measure.definitions import DEFINITIONS, thighs_touch
from twinkit.render.measure.landmarks import fitted_body_landmarks

MEASUREMENTS_JSON = "measurements.json"
BODY_JSON = "body.json"


def avatar_up(avatar_dir: Path) -> np.ndarray:
    """The capture world's up axis: from the avatar manifest's ``gltf_from_world`` (its +Y row), else the
    capture manifest's ``world.up``, else anny's +Z mapped by the fitted body's transform (with a warning)."""
    manifest = Manifest.read(avatar_dir, kind="avatar")
    if "gltf_from_world" in manifest.extra:
        return np.asarray(manifest.extra["gltf_from_world"], dtype=np.float64)[1, :3]
    capture = Path(manifest.extra.get("capture", ""))
    if (capture / "manifest.json").is_file():
        return np.asarray(Manifest.read(capture).extra["world"]["up"], dtype=np.float64)
    warn(f"{avatar_dir}: no gltf_from_world and capture {capture} not found; up taken from the fitted body")
    transform = np.asarray(read_json(avatar_dir / BODY_JSON)["transform"], dtype=np.float64)
    return transform[:3, 2]


# The reconstruct stage writes its textured mesh in the glTF frame (Y-up, feet at y=0); body.ply and any
# other mesh are in the capture world.
GLTF_FRAME_MESHES = ("mesh.glb", "mesh.obj")


def default_mesh(avatar_dir: Path) -> str:
    """The reconstructed textured mesh when the avatar has one, else the fitted body."""
    return GLTF_FRAME_MESHES[0] if (avatar_dir / GLTF_FRAME_MESHES[0]).is_file() else "body.ply"


def avatar_mesh(avatar_dir: Path, mesh_name: str | None = None) -> tuple[trimesh.Trimesh, str]:
    """``AVATAR/mesh_name`` (default :func:`default_mesh`) in the capture world, welded: vertices split
    only by texture seams are merged so that sections through it form closed loops. Returns it and its name."""
    mesh_name = mesh_name or default_mesh(avatar_dir)
    mesh = load_mesh(avatar_dir / mesh_name)
    if mesh_name in GLTF_FRAME_MESHES:
        gltf_from_world = Manifest.read(avatar_dir, kind="avatar").extra.get("gltf_from_world")
        if gltf_from_world is None:
            raise InputError(f"{mesh_name} is in the glTF frame but the manifest has no gltf_from_world",
                             avatar_dir / "manifest.json")
        mesh.apply_transform(np.linalg.inv(np.asarray(gltf_from_world, dtype=np.float64)))
    mesh.merge_vertices(merge_tex=True, merge_norm=True)
    return mesh, mesh_name


def measure_avatar(avatar_dir: str | Path, mesh_name: str | None = None) -> dict[str, Any]:
    """Measure ``AVATAR/mesh_name`` (default :func:`default_mesh`) with the landmarks of ``AVATAR/body.json``.

    Returns the ``measurements.json`` document: per measurement its value in metres, ISO 8559-1 name,
    label and tolerance (twice the ISO 20685-1 allowance).
    """
    avatar_dir = Path(avatar_dir)
    mesh, mesh_name = avatar_mesh(avatar_dir, mesh_name)
    up = avatar_up(avatar_dir)
    landmarks = fitted_body_landmarks(avatar_dir / BODY_JSON, up)
    return {
        "units": "m",
        "standard": "ISO 8559-1:2017",
        "mesh": mesh_name,
        "landmarks": BODY_JSON,
        "up": up.tolist(),
        "measurements": {d.name: {"value": d.measure(mesh, landmarks), "label": d.label,
                                  "iso_8559_1": d.iso_8559_1, "tolerance_m": d.tolerance_m}
                         for d in DEFINITIONS},
        "notes": (["the thighs touch in the scan: the crotch and the thigh girth are taken on the fitted body"]
                  if thighs_touch(mesh, landmarks) else []),
    }


def write_measurements(avatar_dir: str | Path, document: dict[str, Any]) -> Path:
    """Atomically write ``AVATAR/measurements.json``; returns its path."""
    path = Path(avatar_dir) / MEASUREMENTS_JSON
    write_json(path, document)
    return path


def format_table(document: dict[str, Any]) -> str:
    """The measurements as a plain-text table in centimetres."""
    rows = [f"{'measurement':<20} {'cm':>8}  ISO 8559-1"]
    for name, m in document["measurements"].items():
        rows.append(f"{m['label']:<20} {100 * m['value']:>8.1f}  {m['iso_8559_1']}")
    rows += [f"note: {note}" for note in document.get("notes", [])]
    return "\n".join(rows)

"""Garment files: a triangle mesh (PLY, OBJ, GLB...) with a JSON sidecar of the same stem.

The sidecar holds ``name``, ``size``, ``layer`` (0 next to the skin, 1 over it), ``openings`` (the names of
the garment's intended boundary loops: neck, cuffs, hem...), the reference body (``reference``: an anny
phenotype object, or ``reference_mesh``: a body mesh path relative to the sidecar, Z up, metres, A-pose, to
which twinkit fits anny) and optionally ``regions`` (region name -> vertex indices), ``part`` (``top``,
``bottom`` or ``full``: when absent, ``bottom`` for a garment covering the legs and not the chest, else
``top``) and ``tucked`` (a top worn tucked into the bottoms of its layer; default false); ``part`` and
``tucked`` set the stacking order within a layer (:mod:`twinkit.render.garments.stacking`). Rest lengths
are the stored mesh's edge lengths.

Validation rules (each failure is an :class:`InputError` naming the file): the mesh must be triangles; every
edge on at most two faces (manifold); exactly as many boundary loops as declared openings (a garment is open
only where it is meant to be: a hole, a tear or a missing opening breaks the count); a reference body; and a
mean distance to the reference body's surface of at most ``MAX_MEAN_DISTANCE``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import trimesh

from twinkit.core.atomic import read_json, write_bytes, write_json
from twinkit.core.errors import InputError
from twinkit.core.meshes import load_mesh
from twinkit.render.garments.garment import Garment, boundary_loops, edge_face_counts
from twinkit.render.garments.reference import fit_phenotype, parse_phenotype, reference_body
from twinkit.render.garments.regions import garment_regions
from twinkit.render.garments.stacking import PARTS
from twinkit.rig.weights import closest_points

MAX_MEAN_DISTANCE = 0.10  # metres from the reference body's surface


def sidecar_path(mesh_path: str | Path) -> Path:
    """The JSON sidecar of a garment mesh: same folder, same stem."""
    return Path(mesh_path).with_suffix(".json")


def write_garment(path: str | Path, garment: Garment) -> Path:
    """Write ``garment`` as a binary PLY mesh and its sidecar (each atomically); returns the mesh path."""
    path = Path(path)
    mesh = trimesh.Trimesh(garment.vertices, garment.faces, process=False)
    write_bytes(path, trimesh.exchange.ply.export_ply(mesh, encoding="binary", include_attributes=False))
    write_json(sidecar_path(path), {
        "name": garment.name, "size": garment.size, "layer": garment.layer, "part": garment.part,
        "tucked": garment.tucked, "openings": list(garment.openings), "reference": garment.reference,
        "regions": {k: np.flatnonzero(v).tolist() for k, v in garment.regions.items()},
    })
    return path


def _reference(meta: dict[str, Any], sidecar: Path) -> tuple[dict[str, float], np.ndarray]:
    """The reference phenotype and the offset of the garment's frame from anny's frame."""
    if "reference" in meta:
        return parse_phenotype(meta["reference"], sidecar), np.zeros(3)
    if "reference_mesh" in meta:
        body = load_mesh(sidecar.parent / str(meta["reference_mesh"]))
        body.merge_vertices()
        return fit_phenotype(np.asarray(body.vertices), np.asarray(body.faces))
    raise InputError("no reference body: the sidecar needs 'reference' (an anny phenotype) or "
                     "'reference_mesh' (a body mesh path)", sidecar)


def _openings(meta: dict[str, Any], sidecar: Path) -> tuple[str, ...]:
    openings = meta.get("openings")
    if isinstance(openings, int) and not isinstance(openings, bool) and openings >= 0:
        return tuple(f"opening {i + 1}" for i in range(openings))
    if isinstance(openings, list) and all(isinstance(o, str) for o in openings):
        return tuple(openings)
    raise InputError("'openings' must list the garment's intended openings (names, or their number)", sidecar)


def _stacking(meta: dict[str, Any], regions: dict[str, np.ndarray], sidecar: Path) -> tuple[str, bool]:
    """``(part, tucked)`` from the sidecar; an absent part is read off the regions."""
    legs = not regions.get("chest", np.zeros(0, bool)).any() and any(
        regions.get(k, np.zeros(0, bool)).any() for k in ("thigh", "leg"))
    part = meta.get("part", "bottom" if legs else "top")
    if part not in PARTS:
        raise InputError(f"'part' must be one of {', '.join(PARTS)}", sidecar)
    tucked = meta.get("tucked", False)
    if not isinstance(tucked, bool):
        raise InputError("'tucked' must be true or false", sidecar)
    return part, tucked


def validate_surface(vertices: np.ndarray, faces: np.ndarray, openings: tuple[str, ...], path: Path) -> None:
    """Raise :class:`InputError` unless the mesh is manifold with exactly one boundary loop per opening."""
    _, counts = edge_face_counts(faces)
    if (counts > 2).any():
        raise InputError(f"non-manifold: {int((counts > 2).sum())} edge(s) shared by more than two faces", path)
    loops = len(boundary_loops(faces))
    if loops != len(openings):
        raise InputError(f"the garment has {loops} boundary loop(s) but declares {len(openings)} opening(s) "
                         f"({', '.join(openings) or 'none'}): holes or openings do not match", path)


def read_garment(path: str | Path, trusted: bool = False) -> Garment:
    """A garment from a mesh file and its sidecar. ``trusted`` (the library's own files) skips the checks
    and keeps the stored vertex order; user files are merged, validated and given regions when absent."""
    path = Path(path)
    sidecar = sidecar_path(path)
    if not sidecar.is_file():
        raise InputError(f"no reference body: the garment's sidecar {sidecar.name} is missing", path)
    meta = read_json(sidecar)
    if not isinstance(meta, dict):
        raise InputError("the sidecar must be a JSON object", sidecar)
    mesh = load_mesh(path)
    if not trusted:
        mesh.merge_vertices(merge_tex=True, merge_norm=True)
    openings = _openings(meta, sidecar)
    try:
        layer = int(meta.get("layer", 0))
    except (TypeError, ValueError):
        raise InputError("'layer' must be 0 (next to the skin) or 1 (over it)", sidecar) from None
    if layer not in (0, 1):
        raise InputError("'layer' must be 0 (next to the skin) or 1 (over it)", sidecar)
    vertices, faces = np.asarray(mesh.vertices, dtype=np.float64), np.asarray(mesh.faces, dtype=np.int64)
    phenotype, offset = _reference(meta, sidecar)
    vertices = vertices - offset
    name, size = str(meta.get("name", path.stem)), str(meta.get("size", ""))
    if trusted:
        regions = {k: _mask(v, len(vertices), sidecar) for k, v in meta.get("regions", {}).items()}
        return Garment.from_mesh(name, size, vertices, faces, layer, regions, phenotype, openings,
                                 *_stacking(meta, regions, sidecar))
    validate_surface(vertices, faces, openings, path)
    body = reference_body(phenotype)
    _, _, distance = closest_points(vertices, body.vertices, body.faces)
    if distance.mean() > MAX_MEAN_DISTANCE:
        raise InputError(f"the garment is far from its reference body (mean distance {100 * distance.mean():.1f} cm"
                         f" > {100 * MAX_MEAN_DISTANCE:.0f} cm): wrong frame, units or reference?", path)
    if "regions" in meta:
        regions = {k: _mask(v, len(vertices), sidecar) for k, v in meta["regions"].items()}
    else:
        regions = garment_regions(vertices, faces, body)
    return Garment.from_mesh(name, size, vertices, faces, layer, regions, phenotype, openings,
                             *_stacking(meta, regions, sidecar))


def _mask(indices: Any, n: int, sidecar: Path) -> np.ndarray:
    try:
        index = np.asarray(indices, dtype=np.int64).reshape(-1)
    except (TypeError, ValueError):
        raise InputError("regions must map names to lists of vertex indices", sidecar) from None
    if len(index) and (index.min() < 0 or index.max() >= n):
        raise InputError(f"a region names a vertex outside 0..{n - 1}", sidecar)
    mask = np.zeros(n, dtype=bool)
    mask[index] = True
    return mask

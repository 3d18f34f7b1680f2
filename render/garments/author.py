"""Author the garment library: each garment cut from its reference anny body's skin along its openings,
offset outward by the garment's ease, relaxed clear of the body, and (the dress) lengthened by a flared skirt.

Deterministic: the same code and anny version write byte-identical files (``scripts/make_garments.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import trimesh

from twinkit.core.atomic import write_text
from twinkit.render.garments.cloth import ClothOptions, relax
from twinkit.render.garments.colliders import BodyCollider
from twinkit.render.garments.files import write_garment
from twinkit.render.garments.garment import Garment, boundary_loops, unique_edges, vertex_adjacency
from twinkit.render.garments.reference import ReferenceBody, reference_body
from twinkit.render.garments.regions import ARM_BONES, body_part_weights, bone_group, garment_regions, levels
from twinkit.rig.weights import closest_points, interpolate

# Unisex size chart (body girths, cm) and the anny phenotypes authored as each size's reference body; their
# measured girths are in data/garments/README.md.
SIZE_CHART = {"S": {"chest": (86, 94), "waist": (70, 78), "hip": (88, 96)},
              "M": {"chest": (94, 102), "waist": (78, 86), "hip": (96, 104)},
              "L": {"chest": (102, 110), "waist": (86, 94), "hip": (104, 112)}}
REFERENCES = {
    "S": {"gender": 0.5, "age": 0.7, "muscle": 0.35, "weight": 0.15, "height": 0.4, "proportions": 0.5},
    "M": {"gender": 0.4, "age": 0.75, "muscle": 0.5, "weight": 0.55, "height": 0.4, "proportions": 0.5},
    "L": {"gender": 0.3, "age": 0.8, "muscle": 0.65, "weight": 0.95, "height": 0.4, "proportions": 0.5},
}
SETTLE_STEPS = 40  # cloth steps (no gravity) that settle the eased garment clear of its reference body
COLLAPSE_ROUNDS = 3  # rounds of sliver removal after cutting (an edge's ends are merged once per round)
SNAP = 0.003  # metres: vertices this close to a cut are moved onto it, so the cut makes no sliver triangles


@dataclass(frozen=True)
class Spec:
    """How one garment is cut and eased. Heights are offsets (m) from the named level of :func:`levels`."""

    layer: int
    openings: tuple[str, ...]
    ease_cm: dict[str, float]                  # girth ease by band: chest, waist, hip, sleeve, thigh, leg
    top: tuple[str, float] | None = None       # keep the trunk below this level (trousers' waistband)
    neck: bool = True                          # cut at the base of the neck
    sleeve: tuple[str, str, float] | None = None  # cut each arm across bone a -> b at fraction t
    hem: tuple[str, float] | None = None       # keep the trunk (and legs) above this level
    ankle: float | None = None                 # keep the legs above the ankle joints + this (m)
    skirt: tuple[float, float] | None = None   # (length below the knee in m, flare in m of radius per m)
    part: str = "top"                          # top, bottom or full: the stacking rule within a layer


SPECS: dict[str, Spec] = {
    "tshirt": Spec(0, ("neck", "hem", "left sleeve", "right sleeve"),
                   {"chest": 8, "waist": 10, "hip": 10, "sleeve": 8}, sleeve=("upperarm01", "lowerarm01", 0.45),
                   hem=("hip", -0.02)),
    "trousers": Spec(0, ("waist", "left hem", "right hem"),
                     {"waist": 3, "hip": 6, "thigh": 8, "leg": 12}, top=("waist", 0.0), neck=False, ankle=0.05,
                     part="bottom"),
    "dress": Spec(0, ("neck", "left armhole", "right armhole", "hem"),
                  {"chest": 6, "waist": 8, "hip": 8, "sleeve": 6}, sleeve=("upperarm01", "lowerarm01", 0.05),
                  hem=("hip", 0.0), skirt=(0.05, 0.25), part="full"),
    "jacket": Spec(1, ("neck", "hem", "left cuff", "right cuff"),
                   {"chest": 16, "waist": 18, "hip": 18, "sleeve": 14}, sleeve=("lowerarm01", "wrist", 0.85),
                   hem=("crotch", 0.03)),
}


def _cut(vertices: np.ndarray, faces: np.ndarray, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The part of the mesh where the per-vertex field ``keep`` is positive, cut along its zero level."""
    keep = np.where(np.abs(keep) < SNAP, 0.0, keep)
    # trimesh slices along a plane; with the field as the z coordinate its plane z=0 is the field's zero
    # level, and two calls carrying (x, y) and (z, y) interpolate all three real coordinates of the cut.
    parts = [trimesh.intersections.slice_faces_plane(np.column_stack([a, vertices[:, 1], keep]), faces,
                                                     np.array([0.0, 0, 1]), np.zeros(3), cached_dots=keep)
             for a in (vertices[:, 0], vertices[:, 2])]
    (xy, f, _), (zy, _, _) = parts
    mesh = trimesh.Trimesh(np.column_stack([xy[:, 0], xy[:, 1], zy[:, 0]]), f, process=True)
    return np.asarray(mesh.vertices), np.asarray(mesh.faces)


def _side_arm(points: np.ndarray, body: ReferenceBody, side: str) -> np.ndarray:
    face, bary, _ = closest_points(points, body.vertices, body.faces)
    weights = interpolate(body.faces, face, bary, body.weights)
    mask = bone_group(body, ARM_BONES) & np.array([n.endswith(f".{side}") for n in body.bone_names])
    return weights[:, mask].sum(axis=1)


def cut_pattern(body: ReferenceBody, spec: Spec) -> tuple[np.ndarray, np.ndarray]:
    """The garment's piece of the body's skin: cut at the neck, the sleeves, the hem, waistband and ankles."""
    v, f = body.vertices, body.faces
    level = levels(body)
    if spec.neck:
        v, f = _cut(v, f, (body.head("neck01")[2] - 0.015) - v[:, 2])
    if spec.top is not None:
        off_arm = body_part_weights(v, body)["arm"] < 0.5
        v, f = _cut(v, f, np.where(off_arm, level[spec.top[0]] + spec.top[1] - v[:, 2], -1.0))
    if spec.sleeve is not None:
        a_name, b_name, t = spec.sleeve
        for side in ("L", "R"):
            a, b = body.head(f"{a_name}.{side}"), body.head(f"{b_name}.{side}")
            axis = (b - a) / np.linalg.norm(b - a)
            along = (a + t * (b - a) - v) @ axis
            v, f = _cut(v, f, np.where(_side_arm(v, body, side) > 0.5, along, 1.0))
    if spec.hem is not None:
        on_arm = body_part_weights(v, body)["arm"] > 0.5
        v, f = _cut(v, f, np.where(on_arm, 1.0, v[:, 2] - (level[spec.hem[0]] + spec.hem[1])))
    if spec.ankle is not None:
        ankle = (body.head("foot.L")[2] + body.head("foot.R")[2]) / 2 + spec.ankle
        v, f = _cut(v, f, v[:, 2] - ankle)
    pieces = trimesh.Trimesh(v, f, process=False).split(only_watertight=False)
    main = max(pieces, key=lambda m: len(m.faces))
    v, f = np.asarray(main.vertices), np.asarray(main.faces, dtype=np.int64)
    for _ in range(COLLAPSE_ROUNDS):
        v, f = collapse_short_edges(v, f)
    return v, f


def collapse_short_edges(vertices: np.ndarray, faces: np.ndarray, fraction: float = 0.3,
                         ) -> tuple[np.ndarray, np.ndarray]:
    """Collapse the edges shorter than ``fraction`` of the median edge that touch the boundary (the slivers a
    cut leaves), each into its boundary end; faces that degenerate are dropped."""
    edges = unique_edges(faces)
    length = np.linalg.norm(vertices[edges[:, 1]] - vertices[edges[:, 0]], axis=1)
    on_boundary = np.zeros(len(vertices), dtype=bool)
    for loop in boundary_loops(faces):
        on_boundary[loop] = True
    target = np.arange(len(vertices))
    touched = np.zeros(len(vertices), dtype=bool)
    for e in np.argsort(length, kind="stable"):
        if length[e] >= fraction * np.median(length):
            break
        a, b = edges[e]
        if touched[a] or touched[b] or not (on_boundary[a] or on_boundary[b]):
            continue
        keep, drop = (a, b) if on_boundary[a] else (b, a)
        target[drop] = keep
        touched[[a, b]] = True
    faces = target[faces]
    faces = faces[(faces[:, 0] != faces[:, 1]) & (faces[:, 1] != faces[:, 2]) & (faces[:, 2] != faces[:, 0])]
    mesh = trimesh.Trimesh(vertices, faces, process=False)
    mesh.remove_unreferenced_vertices()
    return np.asarray(mesh.vertices), np.asarray(mesh.faces, dtype=np.int64)


def ease_offsets(points: np.ndarray, body: ReferenceBody, ease_cm: dict[str, float]) -> np.ndarray:
    """(N,) outward offsets (m) that add each band's girth ease (girth = 2 pi x offset), blended between the
    trunk's bands by height and towards the sleeve and leg ease by the skin weights of arms and legs."""
    level = levels(body)
    to_m = lambda key: ease_cm.get(key, 0.0) / 100 / (2 * np.pi)  # noqa: E731
    trunk_bands = [b for b in ("hip", "waist", "chest") if b in ease_cm]
    trunk = np.interp(points[:, 2], [level[b] for b in trunk_bands], [to_m(b) for b in trunk_bands])
    leg = np.interp(points[:, 2], [level["knee"], level["crotch"]], [to_m("leg"), to_m("thigh")])
    if "thigh" not in ease_cm:  # a top's hem over the buttocks (skinned to the legs) keeps the trunk's ease
        leg = trunk
    part = body_part_weights(points, body)
    arm, legs = np.clip(part["arm"], 0, 1), np.clip(part["leg"], 0, 1)
    return (1 - arm - legs) * trunk + arm * to_m("sleeve") + legs * leg


def _smooth(values: np.ndarray, faces: np.ndarray, iterations: int) -> np.ndarray:
    adj = vertex_adjacency(unique_edges(faces), len(values))
    degree = np.asarray(adj.sum(axis=1)).ravel()[:, None]
    for _ in range(iterations):
        values = 0.5 * values + 0.5 * (adj @ values) / degree
    return values


def girth_normals(points: np.ndarray, body: ReferenceBody) -> np.ndarray:
    """The body's normals at the points' closest body points, less their part along the limb or trunk axis
    (vertical for trunk and legs, the upper arm's axis for arms): ease widens girths, so cloth stays on top
    of the shoulders and arms and hangs there."""
    face, bary, _ = closest_points(points, body.vertices, body.faces)
    normals = interpolate(body.faces, face, bary,
                          trimesh.Trimesh(body.vertices, body.faces, process=False).vertex_normals)
    arm = np.clip(body_part_weights(points, body)["arm"], 0, 1)[:, None]
    side = np.where(points[:, :1] > 0, 1.0, 0.0)
    axis_l = body.head("lowerarm01.L") - body.head("upperarm01.L")
    axis_r = body.head("lowerarm01.R") - body.head("upperarm01.R")
    axis = (1 - arm) * np.array([0.0, 0, 1]) + arm * (side * axis_l + (1 - side) * axis_r)
    axis /= np.linalg.norm(axis, axis=1, keepdims=True)
    return normals - np.einsum("ij,ij->i", normals, axis)[:, None] * axis


def offset_pattern(vertices: np.ndarray, faces: np.ndarray, body: ReferenceBody, spec: Spec) -> np.ndarray:
    """The pattern moved outward across the body's girths by the garment's ease."""
    normals = girth_normals(vertices, body)
    displacement = _smooth(normals * ease_offsets(vertices, body, spec.ease_cm)[:, None], faces, 20)
    return vertices + displacement


def add_skirt(vertices: np.ndarray, faces: np.ndarray, body: ReferenceBody, length: float,
              flare: float) -> tuple[np.ndarray, np.ndarray]:
    """A flared skirt lofted down from the lowest opening to ``length`` below the knees, wide enough to
    clear the legs at every height."""
    loops = boundary_loops(faces)
    loop = min(loops, key=lambda l: vertices[l, 2].mean())
    top = vertices[loop]
    z0 = float(top[:, 2].mean())
    bottom = levels(body)["knee"] - length
    spacing = float(np.linalg.norm(np.diff(top, axis=0, append=top[:1]), axis=1).mean())
    heights = np.linspace(z0, bottom, max(2, int(np.ceil((z0 - bottom) / spacing)) + 1))[1:]
    centre = top[:, :2].mean(axis=0)
    radial = top[:, :2] - centre
    angle = np.arctan2(radial[:, 1], radial[:, 0])
    order = np.argsort(angle)
    rings, scale = [], 1.0
    for z in heights:
        band = body.vertices[np.abs(body.vertices[:, 2] - z) < spacing]
        need = 1.0
        if len(band):
            rel = band[:, :2] - centre
            theta = np.arctan2(rel[:, 1], rel[:, 0])
            radius = np.interp(theta, angle[order], np.linalg.norm(radial, axis=1)[order], period=2 * np.pi)
            need = float((np.linalg.norm(rel, axis=1) / radius).max()) + 0.04
        scale = max(scale, need, 1.0 + flare * (z0 - z) / np.linalg.norm(radial, axis=1).mean())
        rings.append(np.column_stack([centre + scale * radial, np.full(len(loop), z)]))
    new = np.vstack(rings)
    index = np.vstack([loop[None], len(vertices) + np.arange(len(new)).reshape(len(heights), len(loop))])
    nxt = np.roll(index, -1, axis=1)
    quads = np.stack([index[:-1], nxt[:-1], nxt[1:], index[1:]], axis=-1).reshape(-1, 4)
    skirt = np.vstack([quads[:, [0, 1, 2]], quads[:, [0, 2, 3]]])
    mesh = trimesh.Trimesh(np.vstack([vertices, new]), np.vstack([faces, skirt]), process=False)
    trimesh.repair.fix_winding(mesh)
    return np.asarray(mesh.vertices), np.asarray(mesh.faces, dtype=np.int64)


def _outward(vertices: np.ndarray, faces: np.ndarray, body: ReferenceBody) -> np.ndarray:
    """``faces`` wound so that normals point away from the body."""
    mesh = trimesh.Trimesh(vertices, faces, process=False)
    face, bary, _ = closest_points(mesh.triangles_center, body.vertices, body.faces)
    away = mesh.triangles_center - interpolate(body.faces, face, bary, body.vertices)
    if np.einsum("ij,ij->i", mesh.face_normals, away).sum() < 0:
        return faces[:, ::-1].copy()
    return faces


def author_garment(name: str, size: str) -> Garment:
    """Garment ``name`` in ``size``, authored on that size's reference body."""
    spec = SPECS[name]
    body = reference_body(REFERENCES[size])
    vertices, faces = cut_pattern(body, spec)
    vertices = offset_pattern(vertices, faces, body, spec)
    bodice = len(vertices)
    if spec.skirt is not None:
        vertices, faces = add_skirt(vertices, faces, body, *spec.skirt)
    faces = _outward(vertices, faces, body)
    start = Garment.from_mesh(name, size, vertices, faces, spec.layer, {}, body.phenotype, spec.openings)
    settled = relax(start.vertices, start.edges, start.rest_lengths, [BodyCollider(body.vertices, body.faces)],
                    np.array([0.0, 0, 1]), ClothOptions(iterations=SETTLE_STEPS, gravity=0.0), label=f"{name} {size}")
    regions = garment_regions(settled, faces, body)
    if spec.skirt is not None:
        skirt = np.arange(len(settled)) >= bodice
        regions = {k: v for k, v in regions.items() if k not in ("thigh", "leg")} | {"skirt": skirt}
    return Garment.from_mesh(name, size, settled, faces, spec.layer, regions, body.phenotype, spec.openings,
                             spec.part)


def author_library(folder: str | Path) -> list[Path]:
    """Write every garment in every size and the library's README into ``folder``; returns the paths written."""
    folder = Path(folder)
    garments = [author_garment(name, size) for name in SPECS for size in REFERENCES]
    paths = [write_garment(folder / f"{g.name}_{g.size}.ply", g) for g in garments]
    write_text(folder / "README.md", library_readme(garments))
    return paths + [folder / "README.md"]


def body_girths(body: ReferenceBody) -> dict[str, float]:
    """Chest, waist and hip girths (cm) of a reference body, after ISO 8559-1 (``twin measure``'s definitions)."""
    from twinkit.capture.studio.body import pose_body
    from twinkit.render.measure import body_landmarks
    from twinkit.render.measure.definitions import chest_girth, hip_girth, waist_girth

    posed = pose_body(body.phenotype, {"root": np.zeros(3)}, offset=np.zeros(3))
    mesh = trimesh.Trimesh(posed.vertices, posed.faces, process=False)
    landmarks = body_landmarks(posed)
    return {name: round(100 * f(mesh, landmarks), 1)
            for name, f in (("chest", chest_girth), ("waist", waist_girth), ("hip", hip_girth))}


def garment_girth(garment: Garment, height: float) -> float:
    """Tape girth (cm) of the garment's trunk at anny height ``height`` (NaN where it has no trunk there)."""
    from twinkit.render.measure import girth

    mesh = trimesh.Trimesh(garment.vertices, garment.faces, process=False)
    centre = np.array([0.0, 0.0, height])
    return round(100 * girth(mesh, centre, np.array([0.0, 0, 1]), centre), 1)


def library_readme(garments: list[Garment]) -> str:
    """``data/garments/README.md``: the size chart, the reference phenotypes with their measured girths, and
    each garment's measured girth ease."""
    lines = ["# Garment library", "",
             "Written by `scripts/make_garments.py` (do not edit by hand). Each garment is a `NAME_SIZE.ply` mesh",
             "(anny frame: Z up, metres, rest A-pose of the size's reference body) with a `NAME_SIZE.json` sidecar",
             "(layer, part, tucked, openings, reference phenotype, regions as vertex indices). Rest edge lengths",
             "are the stored mesh's edge lengths.", "",
             "Stacking: an outfit is dressed from the skin out, each garment over (and colliding with) every",
             "garment before it: by layer (0 next to the skin), then within a layer tucked tops, bottoms, tops,",
             "full garments (`part`: top, bottom, full); ties keep the outfit's order.", "",
             "## Size chart (body girths, cm) and reference bodies", "",
             "| size | chest | waist | hip | reference chest | reference waist | reference hip | anny phenotype |",
             "|---|---|---|---|---|---|---|---|"]
    for size, phenotype in REFERENCES.items():
        chart, measured = SIZE_CHART[size], body_girths(reference_body(phenotype))
        lines.append(f"| {size} | " + " | ".join(f"{lo}-{hi}" for lo, hi in chart.values()) + " | "
                     + " | ".join(f"{measured[k]}" for k in ("chest", "waist", "hip")) + " | "
                     + ", ".join(f"{k} {v}" for k, v in phenotype.items()) + " |")
    lines += ["", "Reference girths are measured on the anny body with `twin measure`'s ISO 8559-1 definitions.",
              "", "## Garments: girth ease over the reference body (cm, tape girth of the garment minus the body's",
              "at anny's chest, waist and hip levels)", "",
              "| garment | size | layer | part | openings | vertices | chest ease | waist ease | hip ease |",
              "|---|---|---|---|---|---|---|---|---|"]
    for g in garments:
        body = reference_body(g.reference)
        level = levels(body)
        body_mesh = Garment.from_mesh("body", g.size, body.vertices, body.faces, 0, {}, body.phenotype)
        z = g.vertices[:, 2]
        ease = [garment_girth(g, level[b]) - garment_girth(body_mesh, level[b])
                if z.min() + 0.02 < level[b] < z.max() - 0.02 else np.nan for b in ("chest", "waist", "hip")]
        lines.append(f"| {g.name} | {g.size} | {g.layer} | {g.part} | {', '.join(g.openings)} | {len(g.vertices)} | "
                     + " | ".join("-" if np.isnan(e) else f"{e:.1f}" for e in ease) + " |")
    return "\n".join(lines) + "\n"

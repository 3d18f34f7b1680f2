"""Trained splats + capture -> textured mesh in the avatar folder (depth maps, fusion, UVs, texture, files)."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import trimesh

from twinkit.capture.layout import Capture
from twinkit.core.errors import InputError
from twinkit.core.manifest import MANIFEST_NAME, Manifest
from twinkit.core.progress import detail
from twinkit.reconstruct.bodyfit.fit import BodyFit
from twinkit.reconstruct.bodyfit.output import write_body
from twinkit.reconstruct.bodyfit.quality import fit_quality
from twinkit.reconstruct.bodyfit.surface_fit import SURFACE_LOSS, fit_body_to_surface
from twinkit.reconstruct.mesh.depth_maps import render_depth
from twinkit.reconstruct.mesh.export import FILES, gltf_from_world, write_mesh
from twinkit.reconstruct.mesh.fuse import close_holes, flatten_below, fuse_depth, keep_largest, simplify, smooth
from twinkit.reconstruct.mesh.silhouette import SilhouetteOptions, refine_to_silhouettes
from twinkit.reconstruct.mesh.texture import bake_texture
from twinkit.reconstruct.mesh.unseen import MIN_OUTLINE_VIEWS, fill_unseen_from_body
from twinkit.reconstruct.mesh.uv import unwrap
from twinkit.reconstruct.mesh.views import load_views
from twinkit.reconstruct.splats import Gaussians


@dataclass
class MeshOptions:
    """How finely to mesh and texture (defaults: the standard quality; :meth:`preview` is faster)."""

    voxel_size: float = 0.004  # TSDF voxel edge, metres
    faces: int = 80_000  # triangles after decimation
    texture_size: int = 2048  # texels per side
    depth_size: int = 512  # longer side of the rendered depth maps, px
    photo_size: int | None = None  # longer side of the photos the texture is baked from (None: original)
    frame: int | None = None  # capture frame to texture from (None: the key frame)
    cameras: list[str] | None = None  # cameras to use (None: all), e.g. to hold some out for evaluation
    device: str = "auto"  # where the splats are rendered: auto, cpu or cuda
    outline_iterations: int = 3  # silhouette refinement passes after fusion (0: none), see mesh/silhouette.py

    @classmethod
    def preview(cls, **changes: Any) -> "MeshOptions":
        """Coarser voxels, fewer faces, a 1024 texture, 256 px depth maps."""
        return replace(cls(voxel_size=0.008, faces=30_000, texture_size=1024, depth_size=256), **changes)


def build_mesh(capture: Capture, gaussians: Gaussians, out_dir: str | Path,
               options: MeshOptions | None = None, body: BodyFit | None = None) -> dict[str, Any]:
    """Mesh and texture the subject of ``capture`` from its trained ``gaussians`` into ``out_dir``:
    mesh.glb, mesh.obj, mesh.mtl, mesh_texture.png, and ``gltf_from_world`` in its manifest.json.

    With the fitted ``body``, the body is first refitted to the mesh's outline-constrained skin (unless it
    already was: bodyfit/surface_fit.py) and written to ``out_dir`` as body.json + body.ply; then the parts no
    silhouette constrains take its shape (mesh/unseen.py). Returns figures: faces, vertices, watertight, the
    outline refinement's residuals and the unseen parts' moves, seconds per step, the 4x4."""
    options = options or MeshOptions()
    out_dir = Path(out_dir)
    if not capture.metric:
        raise InputError("the capture's world is not metric: voxel sizes in metres would be meaningless",
                         capture.root / MANIFEST_NAME)
    if len(gaussians) == 0:
        raise InputError("the splat set is empty")
    seconds: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(step: str) -> None:
        nonlocal clock
        seconds[step] = round(time.perf_counter() - clock, 2)
        clock = time.perf_counter()
        detail(f"mesh: {step} {seconds[step]:.1f} s")

    small = load_views(capture, options.frame, options.depth_size, options.cameras)
    maps = render_depth(gaussians, [v.camera for v in small], options.device)
    lap("depth")
    mesh = fuse_depth([v.camera for v in small], maps.depth, maps.alpha, np.stack([v.mask for v in small]),
                      voxel_size=options.voxel_size)
    surface = smooth(keep_largest(mesh))
    feet = float((surface.vertices @ capture.up).min())  # the lowest point any camera saw
    mesh = simplify(flatten_below(close_holes(surface, options.voxel_size), capture.up, feet), options.faces)
    lap("fusion")
    photos = load_views(capture, options.frame, options.photo_size, options.cameras)
    outline: dict[str, Any] = {}
    if options.outline_iterations > 0:
        silhouettes = SilhouetteOptions(iterations=options.outline_iterations)
        mesh, outline, support = refine_to_silhouettes(mesh, photos, silhouettes)
        lap("outline")
        if body is not None:
            seen = support >= MIN_OUTLINE_VIEWS
            if SURFACE_LOSS not in body.losses:
                body = fit_body_to_surface(body, mesh.vertices[seen])
                write_body(out_dir, body, fit_quality(capture, body).as_dict())
                lap("body refit")
            body_mesh = trimesh.Trimesh(body.vertices, body.faces, process=False)
            mesh, outline["unseen"] = fill_unseen_from_body(mesh, seen, body_mesh)
            lap("unseen")
        mesh = flatten_below(mesh, capture.up, feet)
    split, source = unwrap(mesh, options.texture_size)
    lap("uv")
    texture = bake_texture(split, mesh.vertex_normals[source], photos, options.texture_size,
                           tolerance=2 * options.voxel_size)
    lap("texture")
    transform = gltf_from_world(capture.up, feet)
    figures = {"faces": len(mesh.faces), "vertices": len(split.vertices), "watertight": bool(mesh.is_watertight),
               "outline": outline, "seconds": seconds, "gltf_from_world": transform.tolist()}
    _record(out_dir, capture, options, figures)  # before the files: mesh.glb, written last, marks completion
    write_mesh(out_dir, split, texture, transform)
    return figures


def _record(out_dir: Path, capture: Capture, options: MeshOptions, figures: dict) -> None:
    """Add the mesh facts (the 4x4 to the glTF frame, parameters, files) to the avatar manifest."""
    if (out_dir / MANIFEST_NAME).exists():
        manifest = Manifest.read(out_dir, kind="avatar")
    else:
        manifest = Manifest(kind="avatar", extra={"twin_id": capture.manifest.extra.get("twin_id"),
                                                  "capture": str(capture.root.resolve())})
    manifest.extra["gltf_from_world"] = figures["gltf_from_world"]
    manifest.extra["mesh"] = {"parameters": asdict(options), "faces": figures["faces"],
                              "watertight": figures["watertight"], "outline": figures["outline"]}
    contents = manifest.extra.get("contents", [])
    manifest.extra["contents"] = contents + [name for name in FILES if name not in contents]
    manifest.write(out_dir)

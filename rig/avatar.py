"""Rig an avatar folder: skeleton from ``body.json``, skin weights on the textured mesh (or the body), the
rest pose, and the hand-over files ``rig.json`` and ``avatar.glb``."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from twinkit.core.atomic import write_json
from twinkit.core.manifest import Manifest
from twinkit.core.meshes import load_mesh
from twinkit.core.progress import detail, warn
from twinkit.rig.gltf import Clip, export_glb
from twinkit.rig.posing import rest_vertices
from twinkit.rig.skeleton import Skeleton, skeleton_from_body_json
from twinkit.rig.skin_cache import SKIN_WEIGHTS, read_transfer, transfer_key, write_transfer
from twinkit.rig.weights import Transfer, TransferOptions, limit_weights, transfer_weights

RIG_JSON = "rig.json"
AVATAR_GLB = "avatar.glb"
MAX_INFLUENCES = 4
# anny's Z-up frame to glTF's Y-up frame (x stays, z becomes y, y becomes -z: anny's front -y faces glTF's +z)
_Y_UP = np.array([[1.0, 0, 0, 0], [0, 0, 1, 0], [0, -1, 0, 0], [0, 0, 0, 1]])


@dataclass
class AvatarMesh:
    """The mesh to rig, in the capture world frame (captured pose), with its texture when it has one."""

    vertices: np.ndarray           # (V, 3)
    faces: np.ndarray              # (F, 3)
    uv: np.ndarray | None          # (V, 2), trimesh convention (origin bottom left)
    texture_png: bytes | None
    source: str                    # file name inside the avatar folder


def gltf_from_world(skeleton: Skeleton, body_vertices: np.ndarray) -> np.ndarray:
    """The 4x4 from the capture world to the glTF frame: Y up along the body's up, facing +z, metres, the
    captured body's lowest point on y=0 and its root joint over the origin."""
    m = _Y_UP @ np.linalg.inv(skeleton.transform)
    m[:3, 3] = 0.0
    moved = body_vertices @ m[:3, :3].T
    root = skeleton.joints[0] @ m[:3, :3].T
    m[:3, 3] = [-root[0], -moved[:, 1].min(), -root[2]]
    return m


def read_avatar_mesh(avatar_dir: Path, to_gltf: np.ndarray) -> AvatarMesh:
    """``mesh.glb`` (textured, glTF frame) taken into the world frame, or else ``body.ply`` untextured."""
    glb = avatar_dir / "mesh.glb"
    if not glb.is_file():
        body = avatar_dir / "body.ply"
        warn(f"{glb} not found: rigging the untextured body mesh {body.name}")
        mesh = load_mesh(body)
        return AvatarMesh(np.asarray(mesh.vertices, np.float64), np.asarray(mesh.faces), None, None, body.name)
    mesh = load_mesh(glb)
    world = np.linalg.inv(to_gltf)
    vertices = np.asarray(mesh.vertices, np.float64) @ world[:3, :3].T + world[:3, 3]
    uv, png = None, None
    material = getattr(mesh.visual, "material", None)
    image = getattr(material, "baseColorTexture", None) or getattr(material, "image", None)
    if getattr(mesh.visual, "uv", None) is not None and image is not None:
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        uv, png = np.asarray(mesh.visual.uv, np.float64), buffer.getvalue()
    return AvatarMesh(vertices, np.asarray(mesh.faces), uv, png, glb.name)


def _gltf_frame(manifest: Manifest, skeleton: Skeleton) -> np.ndarray:
    given = manifest.extra.get("gltf_from_world")
    if given is None:
        return gltf_from_world(skeleton, skeleton.body(skeleton.bind_pose))
    return np.asarray(given, np.float64).reshape(4, 4)


def avatar_gltf_frame(avatar_dir: str | Path, skeleton: Skeleton) -> np.ndarray:
    """The 4x4 from the capture world to ``avatar_dir``'s glTF frame (its manifest's, else computed)."""
    return _gltf_frame(Manifest.read(Path(avatar_dir), kind="avatar"), skeleton)


def avatar_rig(avatar_dir: str | Path, options: TransferOptions | None = None
               ) -> tuple[Skeleton, AvatarMesh, Transfer]:
    """The skeleton of ``avatar_dir``'s body fit, its mesh and that mesh's transferred skin weights: those
    stored in ``skin_weights.npz`` by :func:`rig_avatar` when they were computed from the same files and
    options, else computed afresh."""
    avatar_dir = Path(avatar_dir)
    skeleton, mesh, transfer, _, _ = _rig_parts(avatar_dir, Manifest.read(avatar_dir, kind="avatar"),
                                                options or TransferOptions())
    return skeleton, mesh, transfer


def _rig_parts(avatar_dir: Path, manifest: Manifest, options: TransferOptions
               ) -> tuple[Skeleton, AvatarMesh, Transfer, np.ndarray, dict[str, str]]:
    """:func:`avatar_rig`'s skeleton, mesh and transfer, with the glTF frame and the transfer's
    :func:`~twinkit.rig.skin_cache.transfer_key`."""
    skeleton = skeleton_from_body_json(avatar_dir / "body.json")
    to_gltf = _gltf_frame(manifest, skeleton)
    mesh = read_avatar_mesh(avatar_dir, to_gltf)
    key = transfer_key(avatar_dir, mesh.source, to_gltf, options)
    transfer = read_transfer(avatar_dir / SKIN_WEIGHTS, key)
    if transfer is None:
        transfer = transfer_weights(skeleton.body(skeleton.bind_pose), skeleton.rig.faces, skeleton.rig.weights,
                                    mesh.vertices, mesh.faces, options)
    detail(f"skin weights: {100 * transfer.matched.mean():.1f}% of {len(mesh.vertices)} vertices matched, "
           "the rest inpainted")
    return skeleton, mesh, transfer, to_gltf, key


def write_avatar_glb(path: str | Path, skeleton: Skeleton, mesh: AvatarMesh, transfer: Transfer,
                     to_gltf: np.ndarray, animations: list[Clip] | None = None) -> None:
    """Atomically write the rigged GLB of ``mesh`` (in the rest pose, at most :data:`MAX_INFLUENCES` weights
    per vertex, in the glTF frame ``to_gltf``) with the animation clips ``animations``."""
    indices, weights = limit_weights(transfer.weights, MAX_INFLUENCES)
    export_glb(path, rest_vertices(mesh.vertices, transfer.weights, skeleton), mesh.faces, indices, weights,
               skeleton, to_gltf, uv=mesh.uv, texture_png=mesh.texture_png, animations=animations)


def rig_avatar(avatar_dir: str | Path, options: TransferOptions | None = None) -> Path:
    """Rig the avatar in ``avatar_dir``: write ``rig.json``, ``avatar.glb`` and the skin weights
    ``skin_weights.npz`` there (each atomically) and list them in its manifest. Returns the path of
    ``avatar.glb``."""
    avatar_dir = Path(avatar_dir)
    manifest = Manifest.read(avatar_dir, kind="avatar")
    skeleton, mesh, transfer, to_gltf, key = _rig_parts(avatar_dir, manifest, options or TransferOptions())
    write_transfer(avatar_dir / SKIN_WEIGHTS, transfer, key)
    glb = avatar_dir / AVATAR_GLB
    write_avatar_glb(glb, skeleton, mesh, transfer, to_gltf)
    write_json(avatar_dir / RIG_JSON, {
        "rig": "anny",
        "units": "m",
        "frame": "capture world (gltf_from_world maps it into avatar.glb's frame)",
        "mesh": mesh.source,
        "joints": [{"name": n, "anny": a, "parent": int(p), "rest": r.tolist(), "bind": b.tolist()}
                   for n, a, p, r, b in zip(skeleton.joint_names, skeleton.names, skeleton.parents, skeleton.rest,
                                            skeleton.bind)],
        "phenotype": skeleton.phenotype,
        "bind_pose_deg": {b: np.rad2deg(v).tolist() for b, v in skeleton.bind_pose.items()},
        "transform": skeleton.transform.tolist(),
        "gltf_from_world": to_gltf.tolist(),
        "skin": {"max_influences": MAX_INFLUENCES, "matched_fraction": float(transfer.matched.mean()),
                 "vertices": len(mesh.vertices), "weights": SKIN_WEIGHTS},
    })
    contents = list(manifest.extra.get("contents", []))
    manifest.extra["contents"] = contents + [n for n in (RIG_JSON, AVATAR_GLB, SKIN_WEIGHTS)
                                           if n not in contents]
    manifest.extra.setdefault("gltf_from_world", to_gltf.tolist())
    manifest.write(avatar_dir)
    return glb

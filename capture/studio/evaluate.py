"""A capture measured against the virtual studio's ground truth (used by `twin demo`, the tests and bench/).

The studio writes its ground truth under SESSION/gt/; the pipeline never reads it, only this evaluation.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import trimesh

from twinkit.capture import blazepose
from twinkit.capture.landmarks_io import read_landmarks3d
from twinkit.capture.layout import Capture
from twinkit.capture.media import read_image
from twinkit.core.meshes import load_mesh


def mask_ious(session: Path, capture: Path, frame: int = 0) -> dict[str, float]:
    """IoU of every camera's capture mask with the GT mask at ``frame``."""
    cap = Capture.open(capture)
    out = {}
    for cam in cap.cameras:
        ours = read_image(cap.mask_path(cam.name, frame), mode="L") > 127
        gt = read_image(Path(session) / "gt" / "masks" / cam.name / f"{frame:06d}.png", mode="L") > 127
        out[cam.name] = float((ours & gt).sum() / max((ours | gt).sum(), 1))
    return out


def limb_errors_cm(session: Path, capture: Path, frame: int = 0) -> dict[str, float]:
    """3D distance (cm) between triangulated limb landmarks and anny's COCO keypoints."""
    gt = json.loads((Path(session) / "gt" / "keypoints_coco.json").read_text())["keypoints"]
    points = read_landmarks3d(Path(capture) / "landmarks3d.json")[frame]["points"]
    return {name: float(100 * np.linalg.norm(points[blazepose.INDEX[name]] - np.asarray(gt[name])))
            for name in blazepose.LIMBS}


def capture_quality(session: Path, capture: Path) -> dict[str, float]:
    """The acceptance figures of a virtual capture: median mask IoU and mean limb-landmark error."""
    ious = mask_ious(session, capture)
    errors = limb_errors_cm(session, capture)
    return {
        "median_mask_iou": round(float(np.median(list(ious.values()))), 4),
        "min_mask_iou": round(float(min(ious.values())), 4),
        "limb_error_cm_mean": round(float(np.nanmean(list(errors.values()))), 2),
        "limb_error_cm_max": round(float(np.nanmax(list(errors.values()))), 2),
    }


def body_fit_error_cm(session: Path, avatar: Path) -> float:
    """Mean distance (cm) between the fitted body mesh and the GT anny mesh (same topology)."""
    fitted = load_mesh(Path(avatar) / "body.ply")
    truth = load_mesh(Path(session) / "gt" / "body.ply")
    return float(100 * np.linalg.norm(fitted.vertices - truth.vertices, axis=1).mean())


def surface_distance(points: np.ndarray, mesh: trimesh.Trimesh) -> np.ndarray:
    """Distance (m) from each point to the nearest point of ``mesh``'s surface (open3d ray-casting scene)."""
    import open3d as o3d

    scene = o3d.t.geometry.RaycastingScene()
    scene.add_triangles(o3d.core.Tensor(mesh.vertices.astype(np.float32)),
                        o3d.core.Tensor(mesh.faces.astype(np.uint32)))
    return scene.compute_distance(o3d.core.Tensor(points.astype(np.float32))).numpy()


def chamfer_mm(a: trimesh.Trimesh, b: trimesh.Trimesh, count: int = 20_000) -> float:
    """Chamfer-L1 (mm): mean distance from ``count`` surface samples of each mesh to the other's surface,
    averaged over both directions."""
    pa = trimesh.sample.sample_surface(a, count, seed=1)[0]
    pb = trimesh.sample.sample_surface(b, count, seed=2)[0]
    return 500.0 * (surface_distance(pa, b).mean() + surface_distance(pb, a).mean())


def mesh_chamfer_mm(session: Path, avatar: Path) -> float:
    """Chamfer-L1 (mm) between an avatar's reconstructed mesh.glb (glTF frame, mapped back to the capture
    world with the manifest's ``gltf_from_world``) and the GT body surface."""
    transform = np.asarray(json.loads((Path(avatar) / "manifest.json").read_text())["gltf_from_world"])
    mesh = load_mesh(Path(avatar) / "mesh.glb").apply_transform(np.linalg.inv(transform))
    return chamfer_mm(mesh, load_mesh(Path(session) / "gt" / "body.ply"))

"""Measurements of an avatar checked against a virtual studio session's ground truth (bench/, tests).

The truth is the same measurement on the GT body mesh with the GT body's own landmarks (``SESSION/gt``:
body.ply in anny's topology, joints.json, keypoints_coco.json), so an error mixes the reconstructed
mesh's error with the fitted body's landmark error, as a user of ``twin measure`` would meet them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import trimesh

from twinkit.core.atomic import read_json
from twinkit.core.meshes import load_mesh
from twinkit.render.measure.avatar import avatar_mesh, avatar_up
from twinkit.render.measure.definitions import DEFINITIONS, measure_mesh
from twinkit.render.measure.landmarks import Landmarks, fitted_body_landmarks, surface_landmarks, waist_centre


def ground_truth_landmarks(gt_dir: str | Path, up: np.ndarray) -> tuple[trimesh.Trimesh, Landmarks]:
    """The GT body mesh of ``SESSION/gt`` and its landmarks (joint centres, COCO keypoints, surface landmarks,
    anny's waist)."""
    gt_dir = Path(gt_dir)
    mesh = load_mesh(gt_dir / "body.ply")
    points = {**read_json(gt_dir / "joints.json")["joints"], **read_json(gt_dir / "keypoints_coco.json")["keypoints"],
              **surface_landmarks(mesh.vertices), "waist": waist_centre(mesh.vertices)}
    return mesh, Landmarks(points, up, mesh)


def signed_offset_mm(mesh: trimesh.Trimesh, truth: trimesh.Trimesh, count: int = 4000) -> float:
    """Median signed distance (mm) from ``truth``'s surface to ``mesh``: positive when ``mesh`` lies outside
    the true skin (too fat), negative when inside. A girth scales with it by about 2 pi."""
    points = trimesh.sample.sample_surface(truth, count, seed=0)[0]
    return float(1000 * np.median(trimesh.proximity.signed_distance(mesh, points)))  # trimesh: + inside


def measurement_errors(avatar_dir: str | Path, session_dir: str | Path) -> dict[str, dict[str, float]]:
    """Per measurement: the avatar's value (``twin measure``'s: reconstructed mesh, fitted landmarks), the
    GT value, their difference and the tolerance, all in metres; plus ``_surface`` facts of the mesh."""
    avatar_dir = Path(avatar_dir)
    up = avatar_up(avatar_dir)
    mesh, mesh_name = avatar_mesh(avatar_dir)
    ours = measure_mesh(mesh, fitted_body_landmarks(avatar_dir / "body.json", up))
    truth_mesh, truth_lm = ground_truth_landmarks(Path(session_dir) / "gt", up)
    truth = measure_mesh(truth_mesh, truth_lm)
    rows = {d.name: {"avatar": ours[d.name], "truth": truth[d.name], "error": ours[d.name] - truth[d.name],
                     "tolerance": d.tolerance_m} for d in DEFINITIONS}
    rows["_surface"] = {"mesh": mesh_name, "signed_offset_mm": signed_offset_mm(mesh, truth_mesh)}
    return rows

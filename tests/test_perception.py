"""Perception on real pixels: the virtual studio (mask IoU and landmarks vs ground truth) and the real
pose2sim-balancing capture in ../shared (subject found, bystander ignored, reprojection error)."""

from __future__ import annotations

import time
import tomllib
from pathlib import Path

import cv2
import numpy as np
import pytest

from twinkit.capture.blazepose import INDEX, LIMBS
from twinkit.capture.cameras import Camera
from twinkit.capture.pose2d import PoseDetector
from twinkit.capture.segmentation import PersonSegmenter
from twinkit.capture.subject import choose_subject
from twinkit.capture.triangulation import triangulate, unswap

BALANCING = Path(__file__).resolve().parents[2] / "shared" / "captures" / "pose2sim-balancing"


def _chosen(dets: list, chosen: list[int | None]) -> np.ndarray:
    return np.stack([np.full((33, 3), np.nan) if c is None else d[c].landmarks for d, c in zip(dets, chosen)])


@pytest.mark.slow
def test_virtual_session_masks_and_landmarks() -> None:
    """24 cameras at 512 px with lens distortion and a clean plate, against the renderer's ground truth."""
    from twinkit.capture.studio.appearance import vertex_colours
    from twinkit.capture.studio.body import pose_body, random_phenotype, studio_pose
    from twinkit.capture.studio.render import StudioRenderer, person_mesh
    from twinkit.capture.studio.rig import ring_rig

    rng = np.random.default_rng(0)
    body = pose_body(random_phenotype(rng), studio_pose(rng))
    cams = ring_rig(body.vertices, 24, 2, 512, distortion=0.05, rng=rng)
    renderer = StudioRenderer(0)
    renderer.set_people(person_mesh(body, vertex_colours(rng)))
    views = [renderer.render(cam, plate=True) for cam in cams]
    with PoseDetector() as detector:
        dets = [detector.detect(v.rgb, max_people=2, plate=v.plate) for v in views]
    chosen = choose_subject(cams, dets)
    assert sum(c is not None for c in chosen) >= 18

    tri = triangulate(cams, _chosen(dets, chosen))
    truth = dict(zip(body.keypoint_names, body.keypoints))
    err_cm = np.array([np.linalg.norm(tri.points[INDEX[n]] - truth[n]) for n in LIMBS]) * 100
    assert np.isfinite(err_cm).all() and err_cm.mean() <= 3.0, err_cm

    ious = []
    with PersonSegmenter() as segmenter:
        for view, det, c in zip(views, dets, chosen):
            if c is not None:
                mask = segmenter.segment(view.rgb, plate=view.plate, roi=det[c].bbox) >= 0.5
                ious.append((mask & view.mask).sum() / (mask | view.mask).sum())
    assert np.median(ious) >= 0.95, ious


def balancing_cameras() -> list[Camera]:
    """The capture's calibration: Rodrigues world-to-camera rotations, K as calibrated (1088 wide)."""
    cal = tomllib.loads((BALANCING / "calibration.toml").read_text())
    cams = []
    for name, c in sorted((k, v) for k, v in cal.items() if isinstance(v, dict) and "matrix" in v):
        R, _ = cv2.Rodrigues(np.array(c["rotation"], dtype=np.float64))
        cams.append(Camera(name, c["size"][0], c["size"][1], c["matrix"], R, c["translation"],
                           list(c["distortions"]) + [0.0]))
    return cams


def balancing_frames(step: int = 10) -> list[list[np.ndarray]]:
    """Every ``step``-th frame of the four videos, RGB, per frame a list over cameras."""
    import av

    per_cam = []
    for video in sorted((BALANCING / "videos").glob("cam*.mp4")):
        with av.open(str(video)) as container:
            per_cam.append([f.to_ndarray(format="rgb24") for i, f in enumerate(container.decode(video=0))
                            if i % step == 0])
    return [list(frame) for frame in zip(*per_cam)]


@pytest.mark.slow
@pytest.mark.shared
@pytest.mark.skipif(not BALANCING.is_dir(), reason="../shared/captures/pose2sim-balancing not present")
def test_real_capture_subject_and_reprojection() -> None:
    cams = balancing_cameras()
    frames = balancing_frames()
    found = crowded = bystander = 0
    inlier_err, all_err = [], []
    hips = [INDEX["left_hip"], INDEX["right_hip"]]
    start = time.perf_counter()
    with PoseDetector() as detector:
        for images in frames:
            dets = [detector.detect(rgb, max_people=2) for rgb in images]
            chosen = choose_subject(cams, dets)
            found += sum(c is not None for c in chosen)
            obs = _chosen(dets, chosen)
            tri = triangulate(cams, obs)
            ok = np.isfinite(tri.points).all(axis=1)
            inlier_err.append(tri.reprojection_px[ok])
            obs = unswap(obs, tri.swapped)
            mid_hip = tri.points[hips].mean(axis=0, keepdims=True)
            for cam, det, c, view in zip(cams, dets, chosen, obs):
                seen = view[ok, 2] > 0.5  # every confident detection, not only the inliers
                all_err.append(np.linalg.norm(cam.project(tri.points[ok]) - view[ok, :2], axis=1)[seen])
                if len(det) > 1:  # the bystander is also detected: the subject's hips must be the nearer
                    crowded += 1
                    gap = [np.linalg.norm(d.landmarks[hips, :2].mean(axis=0) - cam.project(mid_hip)[0])
                           for d in det]
                    bystander += c != int(np.argmin(gap))
    seconds = time.perf_counter() - start
    inlier_err, all_err = np.concatenate(inlier_err), np.concatenate(all_err)
    print(f"views with subject {found}/{4 * len(frames)}, views with 2 people {crowded}, bystander chosen "
          f"{bystander}; reprojection (inlier views) median {np.median(inlier_err):.1f} px, p90 "
          f"{np.percentile(inlier_err, 90):.1f} px; (all views, confidence > 0.5) median "
          f"{np.median(all_err):.1f} px, p90 {np.percentile(all_err, 90):.1f} px; {seconds:.1f} s")
    assert found >= 0.95 * 4 * len(frames) and bystander == 0
    assert np.median(inlier_err) <= 12.0 and np.percentile(inlier_err, 90) <= 30.0
    assert np.median(all_err) <= 12.0 and np.percentile(all_err, 90) <= 30.0

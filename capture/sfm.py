"""Solve the cameras of an uncalibrated session with COLMAP (pycolmap, CPU), and similarity helpers.

SIFT features, exhaustive guided matching and incremental mapping (which ends with a global bundle
adjustment of focal length, k1 and poses); the largest model is kept. Intrinsics are SIMPLE_RADIAL, one
camera per image unless asked to share one. The solved world is rotated so that the cameras' mean up
vector is +Z (arbitrary scale and origin).
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pycolmap
from scipy.spatial.transform import Rotation

from twinkit.capture.cameras import Camera
from twinkit.capture.formats.colmap import from_reconstruction
from twinkit.capture.media import image_size
from twinkit.core.errors import InputError, QualityError
from twinkit.core.progress import verbosity


def apply_similarity(cameras: list[Camera], scale: float, R: np.ndarray, t: np.ndarray) -> list[Camera]:
    """The cameras in a new world ``x_new = scale * R @ x_old + t`` (intrinsics unchanged)."""
    R, t = np.asarray(R, dtype=np.float64), np.asarray(t, dtype=np.float64)
    out = []
    for c in cameras:
        Rc = c.R @ R.T
        out.append(Camera(c.name, c.width, c.height, c.K, Rc, scale * c.t - Rc @ t, c.dist, c.model))
    return out


def align_similarity(src_points: np.ndarray, dst_points: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Least-squares similarity ``(scale, R, t)`` with ``dst ≈ scale * R @ src + t`` (Umeyama, via OpenCV)."""
    src, dst = (np.asarray(p, dtype=np.float64).reshape(-1, 3) for p in (src_points, dst_points))
    if len(src) < 3 or len(src) != len(dst):
        raise ValueError("align_similarity needs at least 3 corresponding points")
    Rt, scale = cv2.estimateAffine3D(src, dst, force_rotation=True)
    return float(scale), Rt[:, :3], Rt[:, 3]


def scale_from_distance(cameras: list[Camera], a: str, b: str, metres: float) -> float:
    """Factor that makes the distance between the centres of cameras ``a`` and ``b`` equal ``metres``."""
    by_name = {c.name: c for c in cameras}
    missing = [n for n in (a, b) if n not in by_name]
    if missing:
        raise InputError(f"known distance names camera(s) not in the rig: {', '.join(missing)}")
    current = float(np.linalg.norm(by_name[a].center - by_name[b].center))
    if current <= 0 or metres <= 0:
        raise InputError(f"known distance {metres} m between {a} and {b} cannot set a scale")
    return metres / current


def scale_from_height(measured: float, metres: float) -> float:
    """Factor that makes a height measured in the reconstruction (e.g. the subject's) equal ``metres``."""
    if measured <= 0 or metres <= 0:
        raise InputError(f"heights must be positive (measured {measured}, given {metres} m)")
    return metres / measured


def _link_images(images: dict[str, Path], folder: Path) -> dict[str, str]:
    """Expose the inputs to COLMAP as ``<camera><suffix>`` links (the inputs are never copied or touched)."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    names = {}
    for cam, path in images.items():
        name = f"{cam.replace('/', '_')}{path.suffix.lower()}"
        os.symlink(Path(path).resolve(), folder / name)
        names[name] = cam
    return names


def _extraction_options() -> pycolmap.FeatureExtractionOptions:
    """SIFT tuned for studio stills (measured on the virtual studio, 24 views of 512 px).

    A low peak threshold (0.001, default 0.0067) lifts ~600 to ~1,600 features per view, without which
    only 6 of 24 views register; affine-shape estimation adds ~15% features and the most verified pairs
    (domain-size pooling lost pairs and broke the model).
    """
    options = pycolmap.FeatureExtractionOptions(use_gpu=False, num_threads=os.cpu_count() or 1)
    options.sift.peak_threshold = 0.001
    options.sift.estimate_affine_shape = True
    return options


def _matching_options(seed: int) -> tuple[pycolmap.FeatureMatchingOptions, pycolmap.TwoViewGeometryOptions]:
    """Guided matching (about twice the 3D points, focal length within 0.5%) and seeded verification.

    1,000 RANSAC trials (default 10,000) make verification ~6x faster: most pairs of a ring of cameras
    do not overlap and would otherwise run the full budget; the registered poses do not get worse.
    """
    matching = pycolmap.FeatureMatchingOptions(use_gpu=False, num_threads=os.cpu_count() or 1,
                                               guided_matching=True)
    verification = pycolmap.TwoViewGeometryOptions()
    verification.ransac.max_num_trials = 1000
    verification.ransac.random_seed = seed
    return matching, verification


def solve_cameras(images: dict[str, Path], work_dir: str | Path, *, seed: int = 0,
                  shared_intrinsics: bool = False) -> tuple[list[Camera], list[str], dict[str, Any]]:
    """Solve one camera per image by SfM: ``(cameras, registered camera names, report)``.

    ``images`` maps camera names to one image each. ``work_dir`` receives the COLMAP database and model
    (rebuilt on every call). ``shared_intrinsics`` solves one camera for all images (they must share one
    size): best when the lenses are truly identical, wrong when each lens has its own distortion.
    Raises :class:`QualityError` when fewer than 2 images register.
    """
    if len(images) < 2:
        raise InputError("SfM needs at least 2 images")
    sizes = {image_size(p) for p in images.values()}
    if shared_intrinsics and len(sizes) > 1:
        raise InputError(f"shared intrinsics need images of one size, got {len(sizes)} sizes")
    pycolmap.logging.minloglevel = pycolmap.logging.INFO if verbosity() >= 2 else pycolmap.logging.WARNING
    work = Path(work_dir)
    names = _link_images(images, work / "images")
    database = work / "database.db"
    database.unlink(missing_ok=True)
    timings = {}
    clock = time.perf_counter()
    mode = pycolmap.CameraMode.SINGLE if shared_intrinsics else pycolmap.CameraMode.PER_IMAGE
    reader = pycolmap.ImageReaderOptions(camera_model="SIMPLE_RADIAL")
    # Import first: threaded extraction would number the images in completion order (not deterministic).
    pycolmap.Database.open(database).close()
    pycolmap.import_images(database, work / "images", camera_mode=mode, options=reader)
    pycolmap.extract_features(database, work / "images", camera_mode=mode, reader_options=reader,
                              extraction_options=_extraction_options(), device=pycolmap.Device.cpu)
    timings["extract_s"] = time.perf_counter() - clock
    clock = time.perf_counter()
    matching, verification = _matching_options(seed)
    pycolmap.match_exhaustive(database, matching_options=matching, verification_options=verification,
                              device=pycolmap.Device.cpu)
    timings["match_s"] = time.perf_counter() - clock
    clock = time.perf_counter()
    options = pycolmap.IncrementalPipelineOptions(random_seed=seed, num_threads=os.cpu_count() or 1)
    models = pycolmap.incremental_mapping(database, work / "images", work / "sparse", options=options)
    if not models:
        raise QualityError(f"SfM found no model: the {len(images)} images do not overlap enough")
    timings["map_s"] = time.perf_counter() - clock
    best = max(models.values(), key=lambda r: r.num_reg_images())
    cams, image_names = from_reconstruction(best, work / "sparse")
    if len(cams) < 2:
        raise QualityError(f"SfM registered only {len(cams)} of {len(images)} images")
    for cam, image_name in zip(cams, image_names):
        cam.name = names[image_name]
    up = -np.mean([c.R[1] for c in cams], axis=0)
    to_z, _ = Rotation.align_vectors([[0.0, 0.0, 1.0]], [up / np.linalg.norm(up)])
    cams = apply_similarity(cams, 1.0, to_z.as_matrix(), np.zeros(3))
    report = {
        "registered": len(cams), "images": len(images), "models": len(models),
        "points3D": best.num_points3D(), "mean_reprojection_px": float(best.compute_mean_reprojection_error()),
        "shared_intrinsics": shared_intrinsics, **{k: round(v, 2) for k, v in timings.items()},
    }
    return cams, [c.name for c in cams], report

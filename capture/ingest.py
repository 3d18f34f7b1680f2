"""``twin capture ingest``: a studio session (any supported input) to a capture folder.

Steps, each resumable from the staging folder ``CAPTURE.partial`` (re-run the same command to continue):

1. open the source and (when it has no calibration) solve the cameras by SfM;
2. decode and sample the frames of every camera;
3. detect people (MediaPipe Pose) in every view;
4. estimate per-camera time offsets (video without given offsets) and map frames onto one timeline;
5. choose the subject in every view: the detection that agrees with the other views;
6. segment the subject (MediaPipe selfie segmentation refined by a clean plate when the session has one,
   else MediaPipe Pose's own segmentation of the subject);
7. triangulate 3D landmarks per frame;
8. write transforms.json, cameras.json, calibration.toml, landmark files and the manifest, then move the
   finished folder into place.
"""

from __future__ import annotations

import os
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from twinkit.capture import blazepose
from twinkit.capture.cameras import CAMERAS_NAME, Camera, write_cameras
from twinkit.capture.formats.nerfstudio import write_transforms
from twinkit.capture.formats.pose2sim import write_calibration
from twinkit.capture.landmarks_io import write_landmarks2d, write_landmarks3d
from twinkit.capture.layout import (CALIBRATION_TOML, KIND, LANDMARKS_2D, LANDMARKS_3D, TRANSFORMS,
                                    image_relpath, mask_relpath)
from twinkit.capture.media import iter_frames, read_image, video_fps
from twinkit.capture.orientation import refine_orientations
from twinkit.capture.pose2d import Detection, PoseDetector
from twinkit.capture.segmentation import PersonSegmenter
from twinkit.capture.sfm import scale_from_distance, scale_from_height, solve_cameras
from twinkit.capture.sources import Source, open_source
from twinkit.capture.subject import choose_subject
from twinkit.capture.sync import estimate_offsets
from twinkit.capture.triangulation import triangulate
from twinkit.core.atomic import (STATE_NAME, commit_output, prepare_output, read_json, remove,
                                 resume_staging, write_json, write_png)
from twinkit.core.errors import InputError, QualityError
from twinkit.core.hashing import sha256_file
from twinkit.core.manifest import Manifest, command_line
from twinkit.core.progress import info, progress, warn

_DETECTIONS = "cache/detections"
# Height of the eyes above BlazePose's heel landmarks, as a share of stature: eye height is ~0.936 of
# stature for adults (ISO 7250 / NASA-STD-3000 tables) and the heel landmark sits at the back of the heel,
# ~0.03 of stature above the floor (measured on the virtual studio). Used only to turn --subject-height
# into a scale for an uncalibrated capture; the result is stated as approximate (about 3 %).
_EYE_ABOVE_HEEL_RATIO = 0.905


@dataclass(frozen=True)
class IngestOptions:
    """Everything that changes the result (recorded in the manifest; a change restarts a resumed run)."""

    fps: float | None = None
    frames: tuple[int, int] | None = None
    sync: str = "auto"            # auto: estimate offsets for unsynchronised video; none: trust the input
    max_people: int = 3
    use_plates: bool = True
    subject_height: float | None = None
    known_distance: tuple[str, str, float] | None = None
    key_frame: int | None = None
    units: str | None = None      # "m" / "arbitrary" overrides what the calibration implies
    refine_orientations: bool = False  # rotate cameras about their centres to fit the landmarks (drifted rigs)


def ingest(src: str | Path, out: str | Path, options: IngestOptions = IngestOptions(), *,
           overwrite: bool = False) -> Path:
    """Ingest the session at ``src`` into the capture folder ``out`` and return ``out``."""
    src, out = Path(src), Path(out)
    if out.resolve() == src.resolve() or src.resolve() in out.resolve().parents:
        raise InputError("the capture folder must not be inside the session folder (inputs are read-only)",
                         out)
    timings: dict[str, float] = {}
    clock = time.perf_counter()
    source = open_source(src, units=options.units)
    for note in source.notes:
        info(f"note: {note}")
    input_hashes = {_rel(p, src): sha256_file(p) for p in progress(source.input_files, "hashing inputs",
                                                                     unit="file")}
    stage = prepare_output(out, overwrite=overwrite)
    state, resumed = resume_staging(stage, {"options": asdict(options), "inputs": input_hashes},
                                    fresh={"twin_id": str(uuid.uuid4())})
    if resumed:
        info(f"resuming from {stage}")
    timings["open"] = time.perf_counter() - clock

    cameras = _calibrate(source, stage, timings)
    names = [c.name for c in cameras]
    views = {v.camera.name: v for v in source.views}

    clock = time.perf_counter()
    samples = {name: _decode(views[name], stage, options) for name in progress(names, "decoding", unit="cam")}
    timings["decode"] = time.perf_counter() - clock

    clock = time.perf_counter()
    detections = _detect(names, samples, stage, options)
    timings["detect"] = time.perf_counter() - clock

    offsets = _time_offsets(source, cameras, detections, samples, options)
    timeline = _timeline(names, samples, offsets)
    if not timeline:
        raise InputError("no frame is shared by the cameras after time-offset correction", src)

    clock = time.perf_counter()
    subject = _choose_subjects(cameras, detections, timeline)
    if not any(sum(c is not None for c in by_cam.values()) >= 2 for by_cam in subject.values()):
        raise InputError("no person found in at least two views of any frame (is the subject in front of "
                         "the cameras? see the images under " + str(stage / "images") + ")", src)
    _segment(cameras, views, source, samples, detections, subject, timeline, stage, options)
    timings["segment"] = time.perf_counter() - clock

    clock = time.perf_counter()
    lm2d = {t: {n: None if subject[t][n] is None else detections[n][s][subject[t][n]].landmarks
                for n, s in by_cam.items()} for t, by_cam in timeline.items()}
    lm3d = {t: _triangulate(cameras, lm2d[t]) for t in progress(sorted(timeline), "triangulating",
                                                                unit="frame")}
    refinement = refine_orientations(cameras, lm2d, lm3d) if options.refine_orientations else None
    if refinement is not None and refinement.applied:
        cameras = refinement.cameras
        turns = ", ".join(f"{name} {deg:.2f} deg" for name, deg in refinement.corrections_deg.items())
        info(f"camera orientations refined on the landmarks ({turns}): median landmark error "
             f"{refinement.median_px_before:.1f} -> {refinement.median_px_after:.1f} px")
        lm3d = {t: _triangulate(cameras, lm2d[t]) for t in sorted(timeline)}
    timings["triangulate"] = time.perf_counter() - clock

    scale_note = _apply_scale(source, cameras, lm3d, options)
    _finalise(stage, cameras, timeline, samples)
    key = options.key_frame if options.key_frame is not None else _best_frame(lm3d)
    if key not in timeline:
        raise InputError(f"key frame {key} is not on the capture's timeline "
                         f"({min(timeline)}..{max(timeline)})")
    write_cameras(stage / CAMERAS_NAME, cameras, up=source.up.tolist())
    write_calibration(stage / CALIBRATION_TOML, cameras)
    write_transforms(stage / TRANSFORMS, cameras, [image_relpath(n, key) for n in names],
                     [mask_relpath(n, key) for n in names],
                     units="m" if source.scale == "metric" else None)
    write_landmarks2d(stage / LANDMARKS_2D, lm2d)
    write_landmarks3d(stage / LANDMARKS_3D, lm3d)
    found = [lm is not None for views_ in lm2d.values() for lm in views_.values()]
    summary = {
        "views": len(found), "views_with_subject": int(sum(found)),
        "median_reprojection_px": _median_error(lm3d),
    }
    Manifest(
        kind=KIND, inputs=input_hashes, parameters=asdict(options), command=command_line(),
        extra={
            "twin_id": state["twin_id"], "source": {"path": str(src.resolve()), "format": source.format},
            "world": {"up": source.up.tolist(), "units": "m" if source.scale == "metric" else "arbitrary",
                      "scale": source.scale, "convention": "opencv", "scale_note": scale_note},
            "cameras": names, "frames": sorted(timeline), "key_frame": key,
            "time_offsets_frames": offsets,
            "source_frames": {str(t): by_cam for t, by_cam in sorted(timeline.items())},
            "notes": source.notes, "summary": summary,
            "orientation_refinement": None if refinement is None else refinement.as_dict(),
            "timings_s": {k: round(v, 2) for k, v in timings.items()},
        },
    ).write(stage)
    for leftover in ("cache", STATE_NAME):
        remove(stage / leftover)
    commit_output(out)
    info(f"capture written to {out}: {len(names)} cameras, {len(timeline)} frame(s), subject in "
         f"{summary['views_with_subject']}/{summary['views']} views, median reprojection "
         f"{summary['median_reprojection_px']} px")
    return out


# ---- steps ------------------------------------------------------------------------------------------
def _calibrate(source: Source, stage: Path, timings: dict[str, float]) -> list[Camera]:
    """The source's cameras, or cameras solved by SfM for an uncalibrated source."""
    if source.format != "uncalibrated":
        return [v.camera for v in source.views]
    clock = time.perf_counter()
    images = {v.camera.name: (v.images[0] if v.images else None) for v in source.views}
    cameras, registered, _ = solve_cameras({k: p for k, p in images.items() if p is not None},
                                           stage / "cache" / "sfm")
    missing = sorted(set(images) - set(registered))
    if missing:
        warn(f"SfM could not register {len(missing)} view(s): {', '.join(missing)}; they are left out")
    source.views = [v for v in source.views if v.camera.name in registered]
    by_name = {c.name: c for c in cameras}
    for v in source.views:
        v.camera = by_name[v.camera.name]
    timings["sfm"] = time.perf_counter() - clock
    return [v.camera for v in source.views]


def _decode(view, stage: Path, options: IngestOptions) -> list[int]:
    """Decode and sample one camera into ``stage/images/<cam>/``; returns the source frame indices."""
    name = view.camera.name
    done = stage / "cache" / f"decoded_{name}.json"
    if done.exists():
        return read_json(done)
    indices = []
    for k, (index, rgb) in enumerate(iter_frames(view, fps=options.fps, frames=options.frames)):
        if (rgb.shape[1], rgb.shape[0]) != (view.camera.width, view.camera.height):
            raise InputError(f"frame {index} is {rgb.shape[1]}x{rgb.shape[0]}, expected "
                             f"{view.camera.width}x{view.camera.height} like the camera's other frames",
                             view.video or view.images[k])
        write_png(stage / image_relpath(name, k), rgb)
        indices.append(index)
    if not indices:
        raise InputError("no frame could be read", view.video or (view.images[0] if view.images else None))
    write_json(done, indices)
    return indices


def _detect(names: list[str], samples: dict[str, list[int]], stage: Path,
            options: IngestOptions) -> dict[str, list[list[Detection]]]:
    """People detected in every decoded view, cached per camera for resume."""
    out: dict[str, list[list[Detection]]] = {}
    todo = sum(len(samples[n]) for n in names)
    with PoseDetector() as detector:
        bar = iter(progress(range(todo), "detecting people", total=todo, unit="view"))
        for name in names:
            cache = stage / _DETECTIONS / f"{name}.json"
            if cache.exists():
                out[name] = [[Detection.from_dict(d) for d in frame] for frame in read_json(cache)]
                for _ in samples[name]:
                    next(bar, None)
                continue
            per_frame = []
            for k in range(len(samples[name])):
                rgb = read_image(stage / image_relpath(name, k))
                per_frame.append(detector.detect(rgb, max_people=options.max_people))
                next(bar, None)
            write_json(cache, [[d.to_dict() for d in frame] for frame in per_frame])
            out[name] = per_frame
    return out


def _time_offsets(source: Source, cameras: list[Camera], detections, samples,
                  options: IngestOptions) -> dict[str, int]:
    """Per-camera offsets in sampled frames (timeline index = sample index - offset)."""
    names = [c.name for c in cameras]
    if source.time_offsets:  # media frame i shows reference instant i + offset: the timeline is i + offset
        rate = _sample_rate(source, options)
        first = source.time_offsets.get(names[0], 0.0)  # the first camera is the timeline's reference
        return {n: -int(round((source.time_offsets.get(n, 0.0) - first) * rate)) for n in names}
    if options.sync == "none" or min(len(samples[n]) for n in names) < 10:
        return {n: 0 for n in names}
    tracks = {n: np.stack([_best(frame) for frame in detections[n]]) for n in names}
    result = estimate_offsets(cameras, tracks)
    info(f"estimated time offsets (frames): {result.offsets}" + (f" - {result.note}" if result.note else ""))
    return result.offsets


def _sample_rate(source: Source, options: IngestOptions) -> float:
    if options.fps:
        return options.fps
    videos = [v.video for v in source.views if v.video is not None]
    return video_fps(videos[0]) if videos else 1.0


def _best(frame: list[Detection]) -> np.ndarray:
    """Landmarks of a view's most confident detection (NaN when nobody was found)."""
    if not frame:
        return np.full((len(blazepose.NAMES), 3), np.nan)
    return max(frame, key=lambda d: d.score).landmarks


def _timeline(names: list[str], samples: dict[str, list[int]], offsets: dict[str, int]) -> dict[int, dict[str, int]]:
    """Timeline frame -> {camera: sample index}, for frames every camera has."""
    per_cam = {n: {k - offsets[n]: k for k in range(len(samples[n]))} for n in names}
    shared = set.intersection(*(set(d) for d in per_cam.values()))
    shared = {t for t in shared if t >= 0}
    return {t: {n: per_cam[n][t] for n in names} for t in sorted(shared)}


def _choose_subjects(cameras: list[Camera], detections, timeline) -> dict[int, dict[str, int | None]]:
    """Per timeline frame and camera, the index of the subject's detection (None: not seen)."""
    out = {}
    for t, by_cam in progress(timeline.items(), "choosing the subject", total=len(timeline), unit="frame"):
        per_view = [detections[c.name][by_cam[c.name]] for c in cameras]
        chosen = choose_subject(cameras, per_view)
        out[t] = {c.name: chosen[i] for i, c in enumerate(cameras)}
    return out


def _segment(cameras, views, source: Source, samples, detections, subject, timeline, stage: Path,
             options: IngestOptions) -> None:
    """Write the subject's mask for every view (skipping masks a resumed run already wrote)."""
    jobs = [(c, t, k) for t, by_cam in timeline.items() for c in cameras for k in [by_cam[c.name]]]
    plates = {}
    if options.use_plates:
        for name, path in source.plates.items():
            plate = read_image(path)
            cam = next((c for c in cameras if c.name == name), None)
            if cam is not None and (plate.shape[1], plate.shape[0]) != (cam.width, cam.height):
                warn(f"{path}: background plate is {plate.shape[1]}x{plate.shape[0]}, the camera's images "
                     f"are {cam.width}x{cam.height}; the plate is not used")
                continue
            plates[name] = plate
    with PersonSegmenter() as segmenter:
        for cam, t, k in progress(jobs, "segmenting", unit="view"):
            target = stage / "cache" / "masks" / cam.name / f"{k:06d}.png"
            if target.exists():
                continue
            rgb = read_image(stage / image_relpath(cam.name, k))
            choice = subject[t][cam.name]
            if choice is None:
                mask = np.zeros(rgb.shape[:2], dtype=np.uint8)
            else:
                person = detections[cam.name][k][choice]
                prob = segmenter.segment(rgb, plate=plates.get(cam.name), roi=person.bbox,
                                         landmarks=person.landmarks)
                mask = (prob >= 0.5).astype(np.uint8) * 255
            write_png(target, mask)


def _triangulate(cameras: list[Camera], views: dict[str, np.ndarray | None]) -> dict[str, np.ndarray]:
    nan = np.full((len(blazepose.NAMES), 3), np.nan)
    obs = np.stack([nan if views[c.name] is None else views[c.name] for c in cameras])
    result = triangulate(cameras, obs)
    return {"points": result.points, "reprojection_px": result.reprojection_px,
            "n_views": result.inliers.sum(axis=0),
            "inliers": {c.name: result.inliers[i] for i, c in enumerate(cameras)}}


def _apply_scale(source: Source, cameras: list[Camera], lm3d, options: IngestOptions) -> str:
    """Give an SfM (arbitrary-scale) capture metric scale when a reference was given; say what was done."""
    if source.scale == "metric":
        return "metric from the calibration"
    factor = None
    if options.known_distance is not None:
        a, b, metres = options.known_distance
        factor = scale_from_distance(cameras, a, b, metres)
        how = f"metric from the known distance {metres} m between {a} and {b}"
    elif options.subject_height is not None:
        eyes = [blazepose.INDEX["left_eye"], blazepose.INDEX["right_eye"]]
        heels = [blazepose.INDEX["left_heel"], blazepose.INDEX["right_heel"]]
        heights = [np.dot(np.nanmean(r["points"][eyes], 0) - np.nanmean(r["points"][heels], 0), source.up)
                   for r in lm3d.values()]
        heights = [h for h in heights if np.isfinite(h) and h > 0]
        if not heights:
            raise QualityError("--subject-height needs the eyes and heels triangulated in at least one frame")
        factor = scale_from_height(float(np.median(heights)), options.subject_height * _EYE_ABOVE_HEEL_RATIO)
        how = (f"approximately metric (about 3 %) from the subject height {options.subject_height} m, "
               f"taking the eyes to be {_EYE_ABOVE_HEEL_RATIO} of stature above the heel landmarks")
    if factor is None:
        warn("the capture has no calibration and no scale reference: its scale is ARBITRARY "
             "(give --subject-height or --known-distance for metres)")
        return "arbitrary: no calibration and no scale reference"
    for cam in cameras:
        cam.t = cam.t * factor
    for r in lm3d.values():
        r["points"] = r["points"] * factor
    source.scale = "metric"
    return how


def _finalise(stage: Path, cameras, timeline, samples) -> None:
    """Move images and masks from sample indices to timeline frame names; drop unused samples."""
    for cam in cameras:
        keep = {by_cam[cam.name]: t for t, by_cam in timeline.items()}
        for k in range(len(samples[cam.name])):
            image = stage / image_relpath(cam.name, k)
            if k not in keep:
                image.unlink(missing_ok=True)
                continue
            os.replace(image, stage / f"images/{cam.name}/.{keep[k]:06d}.png")
            mask = stage / mask_relpath(cam.name, keep[k])
            mask.parent.mkdir(parents=True, exist_ok=True)
            os.replace(stage / "cache" / "masks" / cam.name / f"{k:06d}.png", mask)
        for t in keep.values():
            os.replace(stage / f"images/{cam.name}/.{t:06d}.png", stage / image_relpath(cam.name, t))


def _best_frame(lm3d) -> int:
    """The frame with the most triangulated landmarks, then the lowest median reprojection error."""
    def score(t: int) -> tuple[int, float]:
        r = lm3d[t]
        err = r["reprojection_px"][np.isfinite(r["reprojection_px"])]
        return int(np.isfinite(r["points"]).all(1).sum()), -float(np.median(err)) if len(err) else -1e9
    return max(lm3d, key=score)


def _median_error(lm3d) -> float | None:
    errs = np.concatenate([r["reprojection_px"] for r in lm3d.values()])
    errs = errs[np.isfinite(errs)]
    return round(float(np.median(errs)), 2) if len(errs) else None


def _rel(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path.resolve())

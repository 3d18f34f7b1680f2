"""Write a simulated studio session: images in one of the input formats, clean plates, and ground truth.

::

    SESSION/
      images/<cam>/000000.png        one still per camera (the subject in the studio)
      background/<cam>.png           clean plate: the same view without the subject
      transforms.json | sparse/0/ | calibration.toml    per --format (uncalibrated: none)
      videos/<cam>.mp4, calibration.toml                with --video
      gt/                            ground truth; the pipeline never reads it
        body.ply joints.json keypoints_coco.json phenotype.json measurements.json cameras.json
        session.json masks/<cam>/000000.png depth/<cam>/000000.png (uint16 millimetres)
        bystander.json keypoints_coco_frames.json time_offsets.json   (with --bystander / --video)
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import trimesh

from twinkit.capture.cameras import Camera, write_cameras
from twinkit.capture.formats import colmap, nerfstudio, pose2sim
from twinkit.capture.layout import CALIBRATION_TOML, TRANSFORMS, frame_name
from twinkit.capture.studio.appearance import vertex_colours
from twinkit.capture.studio.body import Body, motion_pose, pose_body, random_phenotype, studio_pose
from twinkit.capture.studio.render import StudioRenderer, person_mesh
from twinkit.capture.studio.rig import UP, ring_rig
from twinkit.capture.studio.video import ClipWriter
from twinkit.core.atomic import commit_output, prepare_output, write_json, write_png
from twinkit.core.manifest import Manifest, command_line
from twinkit.core.progress import info, progress

FORMATS = ("nerfstudio", "colmap", "pose2sim", "uncalibrated")
BYSTANDER_DISTANCE = 4.3  # metres from the subject: outside the camera ring, inside the backdrop
ARM_RAISE_DEG, TORSO_TURN_DEG = (25.0, 50.0), (10.0, 25.0)  # ranges of the seeded video motion


@dataclass
class StudioOptions:
    """What to simulate; every random choice derives from ``seed``."""

    seed: int = 0
    cameras: int = 24
    rings: int = 2
    size: int = 512
    radius: float = 3.0
    distortion: float = 0.0
    format: str = "nerfstudio"
    video_seconds: float = 0.0
    fps: int = 30
    desync: int = 0
    bystander: bool = False
    phenotype: dict[str, float] = field(default_factory=dict)


def _bystander(rng: np.random.Generator) -> tuple[Body, np.ndarray, dict]:
    """A second person outside the camera ring, behind the subject's back half, facing the subject."""
    body = pose_body(random_phenotype(rng), studio_pose(int(rng.integers(2**31))))
    azimuth = rng.uniform(np.pi / 4, 3 * np.pi / 4)  # +y half: behind the subject (who faces -y)
    position = BYSTANDER_DISTANCE * np.array([np.cos(azimuth), np.sin(azimuth), 0.0])
    turn = trimesh.transformations.rotation_matrix(azimuth - np.pi / 2 + np.pi, [0, 0, 1])[:3, :3]
    body.vertices = body.vertices @ turn.T + position
    facts = {"position": position.tolist(), "azimuth_deg": float(np.rad2deg(azimuth)),
             "phenotype": body.phenotype, "stature_m": body.measurements["stature_m"]}
    return body, vertex_colours(rng), facts


def _write_format(stage: Path, fmt: str, cameras: list[Camera], image_paths: list[str]) -> None:
    if fmt == "nerfstudio":
        nerfstudio.write_transforms(stage / TRANSFORMS, cameras, image_paths, units="m")
    elif fmt == "colmap":
        colmap.write_model(stage / "sparse" / "0", cameras, [p.removeprefix("images/") for p in image_paths])
    elif fmt == "pose2sim":
        pose2sim.write_calibration(stage / CALIBRATION_TOML, cameras)


def _write_ground_truth(gt: Path, body: Body, cameras: list[Camera], options: StudioOptions) -> None:
    trimesh.Trimesh(body.vertices, body.faces, process=False).export(gt / "body.ply")
    write_json(gt / "joints.json", {"units": "m", "joints": body.joint_dict()})
    write_json(gt / "keypoints_coco.json", {"units": "m", "keypoints": body.keypoint_dict()})
    write_json(gt / "phenotype.json", body.phenotype)
    write_json(gt / "measurements.json", body.measurements)
    write_cameras(gt / "cameras.json", cameras, up=UP.tolist())
    write_json(gt / "session.json", Manifest(kind="simulated-session", parameters=asdict(options),
                                            command=command_line()).to_dict())


def simulate(out: str | Path, options: StudioOptions, overwrite: bool = False) -> Path:
    """Render a virtual studio session into ``out`` (staged, then moved into place); returns ``out``."""
    if options.format not in FORMATS:
        raise ValueError(f"unknown format {options.format!r}; choose from {', '.join(FORMATS)}")
    stage = prepare_output(out, overwrite=overwrite, fresh=True)  # cheap to redo: never mix two runs' pieces
    gt = stage / "gt"
    (gt / "masks").mkdir(parents=True)
    body_seq, look_seq, set_seq, bystander_seq, motion_seq, sync_seq = np.random.SeedSequence(options.seed).spawn(6)
    body_rng = np.random.default_rng(body_seq)
    pose_seed = int(body_rng.integers(2**31))
    body = pose_body(random_phenotype(body_rng, **options.phenotype), studio_pose(pose_seed))
    colours = vertex_colours(np.random.default_rng(look_seq))
    frames = _motion(body, pose_seed, options, np.random.default_rng(motion_seq))
    fit = np.concatenate([body.vertices, *(b.vertices[::20] for b in frames)])
    cameras = ring_rig(fit, cameras=options.cameras, rings=options.rings, size=options.size,
                       radius=options.radius, distortion=options.distortion,
                       rng=np.random.default_rng(look_seq))
    others, bystander_facts = [], None
    if options.bystander:
        other, other_colours, bystander_facts = _bystander(np.random.default_rng(bystander_seq))
        others = [person_mesh(other, other_colours)]
        write_json(gt / "bystander.json", bystander_facts)
    image_paths = []
    renderer = StudioRenderer(int(set_seq.generate_state(1)[0]))
    renderer.set_people(person_mesh(body, colours), others)
    for cam in progress(cameras, "rendering stills", unit="camera"):
        view = renderer.render(cam, plate=True)
        rel = f"images/{cam.name}/{frame_name(0)}.png"
        write_png(stage / rel, view.rgb)
        write_png(stage / "background" / f"{cam.name}.png", view.plate)
        write_png(gt / "masks" / cam.name / f"{frame_name(0)}.png", view.mask.astype(np.uint8) * 255)
        write_png(gt / "depth" / cam.name / f"{frame_name(0)}.png",
                  np.clip(np.round(view.depth * 1000), 0, 65535).astype(np.uint16))
        image_paths.append(rel)
    if frames:
        _render_videos(stage, renderer, frames, colours, others, cameras, options,
                       np.random.default_rng(sync_seq))
    _write_format(stage, options.format, cameras, image_paths)
    _write_ground_truth(gt, body, cameras, options)
    info(f"simulated {len(cameras)} cameras of a {body.measurements['stature_m']:.2f} m person "
         f"({options.format}{', video' if frames else ''}) in {out}")
    return commit_output(out)


def _motion(body: Body, pose_seed: int, options: StudioOptions, rng: np.random.Generator) -> list[Body]:
    """Bodies at every world frame of the clip (empty without video); the feet stay where the still's are."""
    if options.video_seconds <= 0:
        return []
    count = int(round(options.video_seconds * options.fps)) + options.desync
    arm, turn = rng.uniform(*ARM_RAISE_DEG), rng.uniform(*TORSO_TURN_DEG) * rng.choice([-1, 1])
    period = max(count - 1, 1)
    return [pose_body(body.phenotype, motion_pose(pose_seed, i / period, arm, turn), offset=body.offset)
            for i in range(count)]


def _render_videos(stage: Path, renderer: StudioRenderer, frames: list[Body], colours: np.ndarray,
                   others: list, cameras: list[Camera], options: StudioOptions,
                   rng: np.random.Generator) -> None:
    """Per-camera H.264 clips, each starting at its seeded offset; GT keypoints for every world frame."""
    offsets = {c.name: int(rng.integers(0, options.desync + 1)) for c in cameras}
    length = len(frames) - options.desync
    (stage / "videos").mkdir()
    with ExitStack() as stack:
        writers = [stack.enter_context(ClipWriter(stage / "videos" / f"{c.name}.mp4", c.width, c.height,
                                                  options.fps)) for c in cameras]
        for world, body in enumerate(progress(frames, "rendering video", unit="frame")):
            renderer.set_people(person_mesh(body, colours), others)
            for cam, writer in zip(cameras, writers):
                if 0 <= world - offsets[cam.name] < length:
                    writer.add(renderer.image(cam))
    pose2sim.write_calibration(stage / CALIBRATION_TOML, cameras)
    write_json(stage / "gt" / "keypoints_coco_frames.json",
               {"units": "m", "fps": options.fps, "frames": [b.keypoint_dict() for b in frames]})
    write_json(stage / "gt" / "time_offsets.json",
               {"definition": "frame i of videos/<cam>.mp4 shows world frame i + offset (the index into "
                              "keypoints_coco_frames.json)", "offsets": offsets})

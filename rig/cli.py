"""``twin rig``: skeleton, skin weights and the rigged glTF of an avatar folder."""

from __future__ import annotations

from pathlib import Path

import click
import numpy as np
from click_default_group import DefaultGroup

from twinkit.rights.options import LicensedRequest, licensed_options


@click.group(cls=DefaultGroup, default="build")
def rig() -> None:
    """Rig stage: an avatar folder gets a skeleton (anny's 104 joints at the fitted body's joints), skin
    weights on its mesh and a rigged glTF. `twin rig AVATAR` is `twin rig build AVATAR`."""


@rig.command()
@click.argument("avatar_dir", metavar="AVATAR", type=click.Path(exists=True, file_okay=False, path_type=Path))
def build(avatar_dir: Path) -> None:
    """Rig AVATAR (from `twin reconstruct`): writes AVATAR/rig.json (joints with readable names, rest and
    captured-pose frames, the glTF frame) and AVATAR/avatar.glb (the textured mesh, or the fitted body when
    there is no mesh.glb, in the rest A-pose with a skin of at most 4 weights per vertex; Y up, metres,
    feet at y=0)."""
    from twinkit.core.progress import info
    from twinkit.rig.avatar import rig_avatar

    glb = rig_avatar(avatar_dir)
    info(f"rigged {avatar_dir} -> {glb}")


@rig.command()
@click.argument("avatar_dir", metavar="AVATAR", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("pose_name", metavar="[POSE]", required=False)
@click.option("-o", "--output", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Posed mesh to write (.ply or .glb, capture world frame, metres).")
@click.option("--bvh", "motion_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Take the pose from this BVH motion (CMU or Mixamo joint names) instead of POSE.")
@click.option("--frame", type=click.IntRange(min=0), default=0, show_default=True,
              help="With --bvh: the motion frame to take.")
@click.option("--photo", "photo_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Take the pose of the person in this photo (MediaPipe Pose + inverse kinematics) instead of POSE.")
@click.option("--save-pose", "save_path", type=click.Path(dir_okay=False, path_type=Path),
              help="With --photo: also write the solved pose as a pose file (.json) for later use as POSE.")
@licensed_options
def pose(avatar_dir: Path, pose_name: str | None, out: Path, motion_path: Path | None, frame: int,
         photo_path: Path | None, save_path: Path | None, rights: LicensedRequest) -> None:
    """Pose AVATAR's mesh: POSE is a library pose (a_pose, t_pose, seated, ...) or a pose file (.json); or
    give --bvh MOTION.bvh --frame N for a frame of a motion (standing where the avatar stands), or --photo
    IMAGE for the pose of the person in a photo. The posed mesh is the twin's body leaving its folder, an
    export: it needs a licence for the twin and is recorded in the rights ledger (the --save-pose file holds
    joint rotations only, nothing of the twin, and is not)."""
    import trimesh

    from twinkit.core.errors import InputError
    from twinkit.core.manifest import command_line
    from twinkit.core.progress import info
    from twinkit.rig.animate import bvh_pose
    from twinkit.rig.avatar import avatar_rig
    from twinkit.rig.posing import pose_mesh
    from twinkit.rig.poses import load_pose
    from twinkit.rights.registry import twin_id_of

    grant = rights.authorize(twin_id_of(avatar_dir)[0])
    if out.suffix not in (".ply", ".glb"):
        raise InputError("the output must end in .ply or .glb", out)
    if sum(x is not None for x in (pose_name, motion_path, photo_path)) != 1:
        raise InputError("give one of POSE, --bvh MOTION.bvh or --photo IMAGE")
    if save_path is not None and (photo_path is None or save_path.suffix != ".json"):
        raise InputError("--save-pose needs --photo and a .json file name", save_path)
    target = load_pose(pose_name) if pose_name is not None else None
    skeleton, mesh, transfer = avatar_rig(avatar_dir)
    shift = np.zeros(3)
    if motion_path is not None:
        target, shift = bvh_pose(motion_path, skeleton, frame)
    if photo_path is not None:
        from twinkit.rig.photo_pose import pose_from_photo
        from twinkit.rig.poses import write_pose

        target = pose_from_photo(photo_path, skeleton.phenotype)
        if save_path is not None:
            write_pose(save_path, target, save_path.stem, f"solved from the photo {photo_path.name}")
    vertices = pose_mesh(mesh.vertices, transfer.weights, skeleton, target) + shift
    with rights.staged_output(grant, out, command_line()) as staged:
        trimesh.Trimesh(vertices, mesh.faces, process=False).export(staged.path, file_type=out.suffix[1:])
    source = pose_name or (f"of {photo_path}" if photo_path else f"{motion_path} frame {frame}")
    info(f"{avatar_dir} in pose {source} -> {out}")


@rig.command()
@click.argument("avatar_dir", metavar="AVATAR", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("motion_path", metavar="MOTION.bvh", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Animated rigged glTF to write (.glb).")
@click.option("--frames", "frame_range", metavar="A:B", default=":", show_default=True,
              help="Motion frames A to B-1 (either end optional).")
@click.option("--name", "clip_name", default=None, help="Name of the animation clip [default: the BVH file name].")
@licensed_options
def animate(avatar_dir: Path, motion_path: Path, out: Path, frame_range: str, clip_name: str | None,
            rights: LicensedRequest) -> None:
    """Animate AVATAR with a BVH motion (CMU or Mixamo joint names): writes OUT, AVATAR's rigged GLB (as
    `twin rig build` makes it) with the motion retargeted onto its skeleton as an animation clip (a rotation
    per joint, the root's translation, at the motion's frame rate). Needs a licence for the twin."""
    from twinkit.core.errors import InputError
    from twinkit.core.manifest import command_line
    from twinkit.core.progress import info
    from twinkit.rig.animate import animate_avatar, parse_frames
    from twinkit.rights.registry import twin_id_of

    grant = rights.authorize(twin_id_of(avatar_dir)[0])
    if out.suffix != ".glb":
        raise InputError("the output must end in .glb", out)
    with rights.staged_output(grant, out, command_line()) as staged:
        motion = animate_avatar(avatar_dir, motion_path, staged.path, parse_frames(frame_range), clip_name)
    info(f"{avatar_dir} animated by {motion_path} ({motion.frame_count} frames at {motion.fps:.0f} fps) -> {out}")

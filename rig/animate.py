"""Animate an avatar folder: a BVH motion retargeted onto its skeleton, written as its rigged GLB with the clip,
or one frame of it as a pose."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from twinkit.core.errors import InputError
from twinkit.core.progress import detail, warn
from twinkit.rig.avatar import avatar_gltf_frame, avatar_rig, write_avatar_glb
from twinkit.rig.bvh import Bvh, read_bvh
from twinkit.rig.retarget import RetargetedMotion, joint_steps, max_step_bound, motion_clip, retarget
from twinkit.rig.skeleton import Pose, Skeleton


def parse_frames(text: str) -> slice:
    """``"A:B"`` (frames A to B-1, either end optional, Python slice rules) as a slice."""
    start, colon, stop = text.partition(":")
    try:
        if not colon:
            raise ValueError
        return slice(int(start) if start.strip() else None, int(stop) if stop.strip() else None)
    except ValueError:
        raise InputError(f"frames must be A:B (e.g. 0:120 or 100:), got {text!r}") from None


def select_frames(motion: Bvh, frames: slice, path: str | Path) -> Bvh:
    """The frames ``frames`` of ``motion`` (read from ``path``), at least one."""
    start, stop, _ = frames.indices(motion.frame_count)
    if stop <= start:
        raise InputError(f"frames {frames.start}:{frames.stop} select none of the motion's {motion.frame_count} "
                         "frames", path)
    return motion.frames(start, stop)


def retarget_checked(motion: Bvh, skeleton: Skeleton, motion_path: str | Path) -> RetargetedMotion:
    """``motion`` (read from ``motion_path``) retargeted onto ``skeleton``; warns when a joint turns
    implausibly fast between frames (a flip or a jump in the data)."""
    motion = retarget(motion, skeleton, motion_path)
    if motion.frame_count > 1:
        steps = joint_steps(motion)
        frame, joint = np.unravel_index(np.argmax(steps), steps.shape)
        detail(f"largest joint turn between frames: {steps.max():.1f} deg ({motion.bones[joint]}, frame {frame})")
        if steps.max() > max_step_bound(motion.fps):
            warn(f"{motion_path}: {motion.bones[joint]} turns {steps.max():.0f} deg between frames {frame} and "
                 f"{frame + 1} (more than {max_step_bound(motion.fps):.0f} deg at {motion.fps:.0f} fps): a jump "
                 "in the motion data")
    return motion


def bvh_pose(motion_path: str | Path, skeleton: Skeleton, frame: int) -> tuple[Pose, np.ndarray]:
    """``(pose, root displacement in the world frame)`` of the BVH file's frame ``frame`` on ``skeleton``,
    standing where the avatar stands (only its height above the floor follows the motion)."""
    selected = select_frames(read_bvh(motion_path), slice(frame, frame + 1), motion_path)
    motion = retarget_checked(selected, skeleton, motion_path)
    return motion.pose(0), motion.translations[0]


def animate_avatar(avatar_dir: str | Path, motion_path: str | Path, out: str | Path, frames: slice = slice(None),
                   name: str | None = None) -> RetargetedMotion:
    """Write ``out``: ``avatar_dir``'s rigged GLB (as `twin rig build` makes it) with the BVH motion's
    ``frames`` as an animation clip ``name`` (default: the BVH file's name)."""
    selected = select_frames(read_bvh(motion_path), frames, motion_path)  # a bad motion fails before the rig
    skeleton, mesh, transfer = avatar_rig(avatar_dir)
    motion = retarget_checked(selected, skeleton, motion_path)
    to_gltf = avatar_gltf_frame(avatar_dir, skeleton)
    clip = motion_clip(name or Path(motion_path).stem, motion, skeleton, to_gltf)
    write_avatar_glb(out, skeleton, mesh, transfer, to_gltf, animations=[clip])
    return motion

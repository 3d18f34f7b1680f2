"""Retarget BVH motion onto the avatar's skeleton ("world-delta" retargeting).

Joints are matched by name through ``data/skeletons/anny.json`` (its ``cmu_bvh`` or ``mixamo`` column, whichever
names more of the file's joints; Mixamo's ``mixamorig:`` prefixes are dropped). The BVH's axes are mapped onto
anny's (x to the subject's left, y backwards, z up) from its body: left is from the right to the left hip, up
from the hips to the neck, each snapped to the nearest signed coordinate axis. Each mapped avatar bone first
turns from its reference A-pose to the BVH's rest direction of the same bone, then takes the BVH joint's world
rotation relative to ITS rest; bones in between keep their parent's rotation. The root moves with the BVH's
root, scaled by the ratio of leg lengths, its height measured from the BVH's floor (up = 0, the mocap
convention) to the avatar's.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.spatial.transform import Rotation

from twinkit.core.errors import InputError
from twinkit.core.progress import warn
from twinkit.rig.bvh import Bvh
from twinkit.rig.gltf import Clip
from twinkit.rig.skeleton import Pose, Skeleton, joint_table

CONVENTIONS = ("cmu_bvh", "mixamo")
# A joint turning more than this between two frames at 120 fps (3600 deg/s, several times the peak angular
# speed of limbs in walking, running or jumping) is a representation flip, not motion.
MAX_STEP_DEG_AT_120FPS = 30.0
_LEGS = (("left_upper_leg", "left_lower_leg", "left_foot"), ("right_upper_leg", "right_lower_leg", "right_foot"))


@dataclass
class RetargetedMotion:
    """The avatar's motion: per frame, each anny bone's pose rotation and the root's displacement.

    ``rotvecs`` are anny ``local-ref`` rotation vectors (a :data:`Pose` per frame); ``deltas`` are the same
    motion as each bone's world rotation from its reference A-pose (anny axes); ``translations`` move the
    whole skeleton of :meth:`Skeleton.frames` in the capture world frame (metres).
    """

    bones: list[str]             # anny bone labels, the skeleton's order
    rotvecs: np.ndarray          # (F, J, 3)
    deltas: np.ndarray           # (F, J, 3, 3)
    translations: np.ndarray     # (F, 3)
    fps: float
    scale: float                 # avatar metres per BVH unit
    mapped: dict[str, str]       # BVH joint -> anny bone

    @property
    def frame_count(self) -> int:
        return len(self.rotvecs)

    def pose(self, frame: int) -> Pose:
        """Frame ``frame`` as a :data:`Pose` (without its root displacement)."""
        return {bone: self.rotvecs[frame, j].copy() for j, bone in enumerate(self.bones)}


def canonical_name(name: str) -> str:
    """A BVH joint name without a namespace such as Mixamo's ``mixamorig:``."""
    return name.rsplit(":", 1)[-1]


def match_joints(names: list[str]) -> tuple[dict[str, str], list[str]]:
    """``({BVH joint: anny bone}, unmatched BVH joints)`` through the naming convention that fits best."""
    table = joint_table()
    best: dict[str, str] = {}
    for convention in CONVENTIONS:
        column = {row[convention]: row["anny"] for row in table if convention in row}
        found = {n: column[canonical_name(n)] for n in names if canonical_name(n) in column}
        if len(found) > len(best):
            best = found
    return best, [n for n in names if n not in best]


def _axes(positions: dict[str, np.ndarray], path: str | Path | None) -> np.ndarray:
    """3x3 whose columns are the body's left, up and forward directions, snapped to signed coordinate axes."""
    needed = ("left_upper_leg", "right_upper_leg")
    top = next((n for n in ("neck", "head", "upper_chest") if n in positions), None)
    if top is None or any(n not in positions for n in needed):
        raise InputError("cannot tell the motion's up and left axes: it needs both upper legs and the neck, "
                         "head or upper chest", path)
    hips = (positions["left_upper_leg"] + positions["right_upper_leg"]) / 2
    axes = np.zeros((3, 3))
    for column, direction in enumerate((positions["left_upper_leg"] - positions["right_upper_leg"],
                                        positions[top] - hips)):
        direction = direction.copy()
        if column == 1:
            direction[np.argmax(np.abs(axes[:, 0]))] = 0.0  # up cannot be the left axis
        k = np.argmax(np.abs(direction))
        axes[k, column] = np.sign(direction[k])
    axes[:, 2] = np.cross(axes[:, 0], axes[:, 1])
    return axes


def _leg_length(positions: dict[str, np.ndarray]) -> float | None:
    legs = [sum(np.linalg.norm(positions[a] - positions[b]) for a, b in zip(leg, leg[1:]))
            for leg in _LEGS if all(n in positions for n in leg)]
    return float(np.mean(legs)) if legs else None


def _alignments(skeleton: Skeleton, reference: np.ndarray, mapped: dict[int, int], rest: np.ndarray,
                to_anny: np.ndarray) -> np.ndarray:
    """(J, 3, 3) per avatar bone, the rotation taking its reference direction(s) to the BVH's rest ones.

    A mapped bone's directions run from its head to the heads of the mapped bones below it (those whose
    nearest mapped ancestor it is); a bone with none usable takes its nearest mapped ancestor's rotation.
    """
    nearest = np.full(len(skeleton.names), -1)  # nearest mapped proper ancestor
    for j, parent in enumerate(skeleton.parents):
        if parent >= 0:
            nearest[j] = parent if parent in mapped else nearest[parent]
    tiny = 1e-6 * np.ptp(rest, axis=0).max()
    align = np.broadcast_to(np.eye(3), (len(skeleton.names), 3, 3)).copy()
    for j, parent in enumerate(skeleton.parents):
        inherited = align[parent] if parent >= 0 else np.eye(3)
        if j not in mapped:
            align[j] = inherited
            continue
        pairs = [(reference[c, :3, 3] - reference[j, :3, 3], to_anny @ (rest[mapped[c]] - rest[mapped[j]]))
                 for c in np.flatnonzero(nearest == j) if c in mapped]
        pairs = [(a, b) for a, b in pairs if np.linalg.norm(a) > tiny and np.linalg.norm(b) > tiny]
        if not pairs:
            align[j] = inherited
            continue
        avatar, motion = (np.stack([v / np.linalg.norm(v) for v in side]) for side in zip(*pairs))
        align[j] = Rotation.align_vectors(motion, avatar)[0].as_matrix()
    return align


def retarget(motion: Bvh, skeleton: Skeleton, path: str | Path | None = None) -> RetargetedMotion:
    """The avatar's motion following ``motion``; ``path`` (the BVH file) names it in errors and warnings."""
    matched, unmatched = match_joints(motion.names)
    if not matched:
        raise InputError("none of the motion's joints maps to the avatar's (expected CMU or Mixamo joint "
                         f"names, found {', '.join(motion.names[:6])}...)", path)
    if unmatched:
        warn(f"{path or 'motion'}: {len(unmatched)} joint(s) with no avatar counterpart are ignored: "
             f"{', '.join(unmatched)}")
    bone_index = {n: j for j, n in enumerate(skeleton.names)}
    bvh_index = {n: i for i, n in enumerate(motion.names)}
    mapped = {bone_index[bone]: bvh_index[name] for name, bone in matched.items()}  # avatar j -> BVH i
    readable = {skeleton.joint_names[j]: i for j, i in mapped.items()}

    world_to_anny = np.linalg.inv(skeleton.transform)
    reference = world_to_anny @ skeleton.frames({})  # the A-pose that an empty pose gives, anny frame
    rest = motion.rest_positions()
    avatar_points = {skeleton.joint_names[j]: reference[j, :3, 3] for j in mapped}
    motion_points = {name: rest[i] for name, i in readable.items()}
    to_anny = _axes(avatar_points, None) @ _axes(motion_points, path).T
    avatar_leg, motion_leg = _leg_length(avatar_points), _leg_length(motion_points)
    if avatar_leg is None or motion_leg is None or motion_leg <= 0:
        raise InputError("cannot scale the motion: it needs the upper leg, lower leg and foot of a leg", path)
    scale = avatar_leg / motion_leg

    align = _alignments(skeleton, reference, mapped, rest, to_anny)
    world = motion.world()
    count, joints = motion.frame_count, len(skeleton.names)
    deltas = np.empty((count, joints, 3, 3))
    rotations = np.empty_like(deltas)  # local-ref: each delta relative to its parent's
    for j, parent in enumerate(skeleton.parents):
        if j in mapped:
            deltas[:, j] = to_anny @ world[:, mapped[j], :3, :3] @ to_anny.T @ align[j]
        else:
            deltas[:, j] = deltas[:, parent] if parent >= 0 else np.eye(3)
        rotations[:, j] = deltas[:, j] if parent < 0 else np.swapaxes(deltas[:, parent], 1, 2) @ deltas[:, j]
    rotvecs = Rotation.from_matrix(rotations.reshape(-1, 3, 3)).as_rotvec().reshape(count, joints, 3)

    legs = [skeleton.joint_names.index(side) for side in ("left_upper_leg", "right_upper_leg")]
    motion_hips = scale * world[:, [mapped[j] for j in legs]][..., :3, 3].mean(axis=1) @ to_anny.T
    floor = (skeleton.body({}) @ world_to_anny[:3, :3].T + world_to_anny[:3, 3])[:, 2].min()
    translations = _root_path(_forward(reference, skeleton.parents, deltas)[:, legs][..., :3, 3].mean(axis=1),
                              motion_hips, floor) @ skeleton.transform[:3, :3].T
    return RetargetedMotion(list(skeleton.names), rotvecs, deltas, translations, motion.fps, scale,
                            {motion.names[i]: skeleton.names[j] for j, i in mapped.items()})


def _root_path(hips: np.ndarray, motion_hips: np.ndarray, floor: float) -> np.ndarray:
    """(F, 3) root displacement (anny frame) that puts the avatar's hip-joint centre ``hips`` (F, 3, root in
    place) on the motion's, ``motion_hips`` (F, 3, anny axes and scale, the motion's floor at z = 0): at the
    same height above the avatar's ``floor``, horizontally from where the avatar stands in the first frame."""
    target = motion_hips.copy()
    target[:, :2] += hips[0, :2] - motion_hips[0, :2]
    target[:, 2] += floor
    return target - hips


def _forward(reference: np.ndarray, parents: np.ndarray, deltas: np.ndarray) -> np.ndarray:
    """(F, J, 4, 4) bone frames from the reference frames (J, 4, 4) and each bone's rotation from them
    (F, J, 3, 3), the root in place: anny's ``local-ref`` forward kinematics batched over frames (anny itself
    evaluates the whole body for one pose at a time)."""
    frames = np.zeros(deltas.shape[:2] + (4, 4))
    frames[..., 3, 3] = 1.0
    frames[..., :3, :3] = deltas @ reference[:, :3, :3]
    for j, parent in enumerate(parents):
        if parent < 0:
            frames[:, j, :3, 3] = reference[j, :3, 3]
        else:
            offset = reference[j, :3, 3] - reference[parent, :3, 3]
            frames[:, j, :3, 3] = frames[:, parent, :3, 3] + deltas[:, parent] @ offset
    return frames


def posed_frames(skeleton: Skeleton, motion: RetargetedMotion) -> np.ndarray:
    """(F, J, 4, 4) world bone frames of the avatar in every frame of ``motion``, root displacement included
    (frame f is ``skeleton.frames(motion.pose(f))`` moved by ``motion.translations[f]``)."""
    rotate = skeleton.transform[:3, :3]
    frames = _forward(skeleton.frames({}), skeleton.parents, rotate @ motion.deltas @ rotate.T)
    frames[..., :3, 3] += motion.translations[:, None]
    return frames


def joint_steps(motion: RetargetedMotion) -> np.ndarray:
    """(F-1, J) angle in degrees between each bone's pose rotation in consecutive frames."""
    rotations = Rotation.from_rotvec(motion.rotvecs.reshape(-1, 3))
    flat = rotations[:-len(motion.bones)].inv() * rotations[len(motion.bones):]
    return np.degrees(flat.magnitude()).reshape(motion.frame_count - 1, len(motion.bones))


def max_step_bound(fps: float) -> float:
    """The largest credible frame-to-frame joint rotation (degrees) at ``fps`` (see MAX_STEP_DEG_AT_120FPS)."""
    return MAX_STEP_DEG_AT_120FPS * 120.0 / fps


def motion_clip(name: str, motion: RetargetedMotion, skeleton: Skeleton, gltf_from_world: np.ndarray) -> Clip:
    """``motion`` as a glTF animation clip for :func:`twinkit.rig.gltf.export_glb`'s node tree: each joint
    node's local rotation and the root node's translation, quaternion signs kept continuous."""
    frames = np.asarray(gltf_from_world, np.float64) @ posed_frames(skeleton, motion)
    local = frames[..., :3, :3].copy()
    for j, parent in enumerate(skeleton.parents):
        if parent >= 0:
            local[:, j] = np.swapaxes(frames[:, parent, :3, :3], 1, 2) @ frames[:, j, :3, :3]
    quats = Rotation.from_matrix(local.reshape(-1, 3, 3)).as_quat().reshape(motion.frame_count, -1, 4)
    flips = np.einsum("fjk,fjk->fj", quats[1:], quats[:-1]) < 0  # q and -q are one rotation: keep the nearer
    quats[1:] *= np.where(np.cumsum(flips, axis=0) % 2 == 1, -1.0, 1.0)[..., None]
    root = int(np.flatnonzero(skeleton.parents < 0)[0])
    return Clip(name, np.arange(motion.frame_count) / motion.fps, quats, frames[:, root, :3, 3])

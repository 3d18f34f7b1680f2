"""Write the rigged avatar as binary glTF 2.0: the mesh in its rest pose, the skeleton as a node tree, and a
skin (inverse bind matrices, JOINTS_0 / WEIGHTS_0 with at most four weights per vertex) and optional animation
clips (linear samplers: a rotation per joint node, the root node's translation). Y up, metres.

trimesh writes glTF but no skins, so the document is assembled with pygltflib.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pygltflib as gl
from scipy.spatial.transform import Rotation

from twinkit.core.atomic import write_bytes
from twinkit.rig.skeleton import Skeleton


@dataclass
class Clip:
    """An animation of the skeleton's node tree, sampled at ``times``, in the glTF frame."""

    name: str
    times: np.ndarray            # (F,) seconds, increasing
    rotations: np.ndarray        # (F, J, 4) each joint node's local rotation, quaternion x, y, z, w
    translations: np.ndarray     # (F, 3) the root node's translation


class _Blob:
    """The GLB binary chunk, built from 4-byte aligned buffer views."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.views: list[gl.BufferView] = []
        self.accessors: list[gl.Accessor] = []

    def view(self, payload: bytes, target: int | None = None) -> int:
        self.data.extend(b"\0" * (-len(self.data) % 4))
        self.views.append(gl.BufferView(buffer=0, byteOffset=len(self.data), byteLength=len(payload), target=target))
        self.data.extend(payload)
        return len(self.views) - 1

    def accessor(self, array: np.ndarray, kind: str, component: int, target: int | None = None,
                 bounds: bool = False) -> int:
        view = self.view(array.tobytes(), target)
        extra = {"min": array.min(axis=0).tolist(), "max": array.max(axis=0).tolist()} if bounds else {}
        self.accessors.append(gl.Accessor(bufferView=view, componentType=component, count=len(array), type=kind,
                                          **extra))
        return len(self.accessors) - 1


def _trs(matrix: np.ndarray) -> dict[str, list[float]]:
    """A rigid 4x4 as glTF translation and rotation (quaternion x, y, z, w)."""
    return {"translation": matrix[:3, 3].tolist(), "rotation": Rotation.from_matrix(matrix[:3, :3]).as_quat().tolist()}


def export_glb(path: str | Path, vertices: np.ndarray, faces: np.ndarray, joint_indices: np.ndarray,
               joint_weights: np.ndarray, skeleton: Skeleton, gltf_from_world: np.ndarray,
               uv: np.ndarray | None = None, texture_png: bytes | None = None,
               animations: list[Clip] | None = None) -> None:
    """Atomically write a skinned GLB.

    ``vertices`` (V, 3) are the mesh in the skeleton's rest pose, capture world frame; ``joint_indices`` and
    ``joint_weights`` (V, k<=4) its normalised skin weights; ``gltf_from_world`` (4, 4, rigid) maps the world
    into the glTF frame. ``uv`` (V, 2) uses trimesh's convention (origin bottom left); ``texture_png`` is the
    base colour image. ``animations`` are clips of the joint nodes (:class:`Clip`); a joint whose rotation
    never leaves its rest gets no channel.
    """
    import trimesh

    k = joint_indices.shape[1]
    if k > 4:
        raise ValueError(f"glTF JOINTS_0 holds at most 4 joints per vertex, got {k}")
    joints = np.zeros((len(vertices), 4), np.uint8)
    weights = np.zeros((len(vertices), 4), np.float32)
    joints[:, :k] = joint_indices
    weights[:, :k] = joint_weights
    weights /= weights.sum(axis=1, keepdims=True)
    joints[weights == 0] = 0  # the validator flags joints listed with zero weight

    to_gltf = np.asarray(gltf_from_world, dtype=np.float64)
    mesh = trimesh.Trimesh(vertices @ to_gltf[:3, :3].T + to_gltf[:3, 3], faces, process=False)
    frames = to_gltf @ skeleton.rest  # (J, 4, 4) joint frames in the glTF frame

    blob = _Blob()
    attributes = gl.Attributes(
        POSITION=blob.accessor(mesh.vertices.astype(np.float32), gl.VEC3, gl.FLOAT, gl.ARRAY_BUFFER, bounds=True),
        NORMAL=blob.accessor(mesh.vertex_normals.astype(np.float32), gl.VEC3, gl.FLOAT, gl.ARRAY_BUFFER),
        JOINTS_0=blob.accessor(joints, gl.VEC4, gl.UNSIGNED_BYTE, gl.ARRAY_BUFFER),
        WEIGHTS_0=blob.accessor(weights, gl.VEC4, gl.FLOAT, gl.ARRAY_BUFFER))
    material = gl.Material(name="skin", pbrMetallicRoughness=gl.PbrMetallicRoughness(
        baseColorFactor=[0.8, 0.65, 0.55, 1.0], metallicFactor=0.0, roughnessFactor=0.8), doubleSided=False)
    images, textures, samplers = [], [], []
    if uv is not None and texture_png is not None:
        flipped = np.column_stack([uv[:, 0], 1.0 - uv[:, 1]]).astype(np.float32)  # glTF's origin is top left
        attributes.TEXCOORD_0 = blob.accessor(flipped, gl.VEC2, gl.FLOAT, gl.ARRAY_BUFFER)
        images = [gl.Image(bufferView=blob.view(texture_png), mimeType="image/png")]
        samplers = [gl.Sampler(magFilter=gl.LINEAR, minFilter=gl.LINEAR_MIPMAP_LINEAR)]
        textures = [gl.Texture(source=0, sampler=0)]
        material.pbrMetallicRoughness.baseColorFactor = [1.0, 1.0, 1.0, 1.0]
        material.pbrMetallicRoughness.baseColorTexture = gl.TextureInfo(index=0)
    indices = blob.accessor(mesh.faces.astype(np.uint32).reshape(-1, 1), gl.SCALAR, gl.UNSIGNED_INT,
                            gl.ELEMENT_ARRAY_BUFFER)
    inverse_bind = np.linalg.inv(frames).transpose(0, 2, 1).astype(np.float32)  # glTF matrices are column-major
    ibm = blob.accessor(inverse_bind.reshape(-1, 16), gl.MAT4, gl.FLOAT)

    count = len(skeleton.names)
    nodes = []
    for j in range(count):
        parent = skeleton.parents[j]
        local = frames[j] if parent < 0 else np.linalg.inv(frames[parent]) @ frames[j]
        children = [int(c) for c in np.flatnonzero(skeleton.parents == j)]
        nodes.append(gl.Node(name=skeleton.joint_names[j], children=children or None, **_trs(local)))
    nodes.append(gl.Node(name="avatar", mesh=0, skin=0))
    roots = [int(r) for r in np.flatnonzero(skeleton.parents < 0)]
    rest_rotations = np.stack([node.rotation for node in nodes[:count]])
    clips = [_animation(blob, clip, rest_rotations, roots[0]) for clip in animations or []]
    document = gl.GLTF2(
        asset=gl.Asset(generator="twinkit rig", version="2.0"),
        scene=0, scenes=[gl.Scene(nodes=roots + [count])], nodes=nodes,
        meshes=[gl.Mesh(name="avatar", primitives=[gl.Primitive(attributes=attributes, indices=indices, material=0)])],
        skins=[gl.Skin(name="anny", joints=list(range(count)), inverseBindMatrices=ibm, skeleton=roots[0])],
        animations=clips, materials=[material], images=images, textures=textures, samplers=samplers,
        accessors=blob.accessors, bufferViews=blob.views, buffers=[gl.Buffer(byteLength=len(blob.data))])
    document.set_binary_blob(bytes(blob.data))
    write_bytes(path, b"".join(document.save_to_bytes()))


def _animation(blob: _Blob, clip: Clip, rest_rotations: np.ndarray, root: int) -> gl.Animation:
    """One glTF animation: LINEAR samplers sharing the clip's time accessor."""
    count = len(clip.times)
    if count < 1 or clip.rotations.shape != (count, len(rest_rotations), 4) or clip.translations.shape != (count, 3):
        raise ValueError(f"clip {clip.name!r}: {count} times but rotations {clip.rotations.shape} and "
                         f"translations {clip.translations.shape}")
    times = blob.accessor(np.asarray(clip.times, np.float32).reshape(-1, 1), gl.SCALAR, gl.FLOAT, bounds=True)
    quats = clip.rotations / np.linalg.norm(clip.rotations, axis=-1, keepdims=True)
    moved = 1.0 - np.abs(np.einsum("fjk,jk->fj", quats, rest_rotations)).min(axis=0) > 1e-9
    samplers, channels = [], []
    for node in np.flatnonzero(moved):
        samplers.append(gl.AnimationSampler(input=times, output=blob.accessor(
            quats[:, node].astype(np.float32), gl.VEC4, gl.FLOAT), interpolation=gl.ANIM_LINEAR))
        channels.append(gl.AnimationChannel(sampler=len(samplers) - 1,
                                            target=gl.AnimationChannelTarget(node=int(node), path=gl.ROTATION)))
    samplers.append(gl.AnimationSampler(input=times, output=blob.accessor(
        np.asarray(clip.translations, np.float32), gl.VEC3, gl.FLOAT), interpolation=gl.ANIM_LINEAR))
    channels.append(gl.AnimationChannel(sampler=len(samplers) - 1,
                                        target=gl.AnimationChannelTarget(node=root, path=gl.TRANSLATION)))
    return gl.Animation(name=clip.name, samplers=samplers, channels=channels)

"""Garment-to-body correspondence: each garment point bound to its closest body point (face, barycentric
coordinates) with its offset in the surface's local frame, so it can be rebuilt on any body of the same
topology (anny with another phenotype or pose)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import trimesh

from twinkit.rig.weights import closest_points, interpolate


@dataclass
class Binding:
    """Per garment point: body face (N,), barycentric coordinates (N, 3), offset (N, 3) in the local frame
    (tangent, bitangent, normal) of the body surface at the bound point."""

    face: np.ndarray
    bary: np.ndarray
    offset: np.ndarray


def surface_frames(vertices: np.ndarray, faces: np.ndarray, face: np.ndarray,
                   bary: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(points (N, 3), frames (N, 3, 3))`` at surface points: rows tangent (along the face's first edge),
    bitangent and the interpolated vertex normal."""
    normals = trimesh.Trimesh(vertices, faces, process=False).vertex_normals
    normal = interpolate(faces, face, bary, normals)
    normal /= np.maximum(np.linalg.norm(normal, axis=1, keepdims=True), 1e-12)
    edge = vertices[faces[face, 1]] - vertices[faces[face, 0]]
    tangent = edge - np.einsum("ij,ij->i", edge, normal)[:, None] * normal
    tangent /= np.maximum(np.linalg.norm(tangent, axis=1, keepdims=True), 1e-12)
    return interpolate(faces, face, bary, vertices), np.stack([tangent, np.cross(normal, tangent), normal], axis=1)


def bind(points: np.ndarray, body_vertices: np.ndarray, body_faces: np.ndarray,
         allowed: np.ndarray | None = None) -> Binding:
    """Bind ``points`` to the body surface (vertices, faces), to the ``allowed`` faces (F,) bool only if given."""
    candidates = np.flatnonzero(allowed) if allowed is not None else np.arange(len(body_faces))
    face, bary, _ = closest_points(points, body_vertices, body_faces[candidates])
    face = candidates[face]
    origin, frames = surface_frames(body_vertices, body_faces, face, bary)
    return Binding(face, bary, np.einsum("nij,nj->ni", frames, points - origin))


def rebuild(binding: Binding, body_vertices: np.ndarray, body_faces: np.ndarray) -> np.ndarray:
    """The bound points placed on another body of the same topology."""
    origin, frames = surface_frames(body_vertices, body_faces, binding.face, binding.bary)
    return origin + np.einsum("nji,nj->ni", frames, binding.offset)

"""What cloth collides with: a closed body (inside/outside by signed distance) and an inner garment layer
(an open surface that the outer layer must stay on the outer side of)."""

from __future__ import annotations

import numpy as np
import trimesh

LAYER_ROUNDS = 4  # projections onto an inner layer per step
RIM_TOLERANCE = 0.005  # metres beside an inner layer's rim within which a point still counts as over it
CONTACT_BAND = 0.002  # metres beyond the clearance within which cloth rests on a surface (static friction)


class BodyCollider:
    """A closed body surface; points must stay ``clearance`` outside it."""

    def __init__(self, vertices: np.ndarray, faces: np.ndarray) -> None:
        import igl

        self.vertices = np.ascontiguousarray(vertices, dtype=np.float64)
        self.faces = np.ascontiguousarray(faces, dtype=np.int64)
        self.tree = igl.AABB()
        self.tree.init(self.vertices, self.faces)
        tri = self.vertices[self.faces]
        normals = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
        self.face_normals = normals / np.maximum(np.linalg.norm(normals, axis=1, keepdims=True), 1e-12)

    def closest(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(distance (N,), closest face (N,), closest point (N, 3))``."""
        points = np.ascontiguousarray(points, dtype=np.float64)
        squared, face, closest = self.tree.squared_distance(self.vertices, self.faces, points)
        return np.sqrt(squared), face, closest

    def signed_distance(self, points: np.ndarray, exact: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(signed distance (N,), closest points (N, 3), outward directions there (N, 3))``; negative
        inside. ``exact`` decides inside by the winding number, which stays right where a posed body's parts
        overlap (an armpit, a bent knee); otherwise by the side of the closest face (cheap, right elsewhere)."""
        import igl

        points = np.ascontiguousarray(points, dtype=np.float64)
        distance, face, closest = self.closest(points)
        away = points - closest
        if exact:
            inside = igl.fast_winding_number(self.vertices, self.faces, points) > 0.5
        else:
            inside = np.einsum("ij,ij->i", away, self.face_normals[face]) < 0
        sign = np.where(inside, -1.0, 1.0)
        direction = np.where(distance[:, None] > 1e-6, sign[:, None] * away / np.maximum(distance, 1e-12)[:, None],
                             self.face_normals[face])
        return sign * distance, closest, direction

    def project(self, points: np.ndarray, clearance: float,
                exact: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Points moved out to ``clearance`` above the surface where they are closer or inside, the mask of
        the points in contact (within ``CONTACT_BAND`` of that) and the surface normals there (N, 3)."""
        s, closest, normals = self.signed_distance(points, exact)
        inside = s < clearance
        out = points.copy()
        out[inside] = closest[inside] + clearance * normals[inside]
        return out, s < clearance + CONTACT_BAND, normals


class LayerCollider(BodyCollider):
    """An inner garment (open surface, normals pointing away from the body) with a cloth ``thickness``:
    points over it must stay ``thickness`` on its outer side. Points whose closest point lies on the layer's
    rim (beyond a hem or cuff) or more than ``reach`` inside are not over it and are left alone.
    """

    def __init__(self, vertices: np.ndarray, faces: np.ndarray, thickness: float, reach: float = 0.03) -> None:
        from twinkit.render.garments.garment import boundary_loops

        super().__init__(vertices, faces)
        self.thickness = thickness
        self.reach = reach
        rim = np.zeros(len(self.vertices), dtype=bool)
        for loop in boundary_loops(self.faces):
            rim[loop] = True
        self.rim_faces = rim[self.faces].any(axis=1)
        self.vertex_normals = trimesh.Trimesh(self.vertices, self.faces, process=False).vertex_normals

    def signed_distance(self, points: np.ndarray, exact: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        import igl

        _, face, closest = self.closest(points)
        normals = self.face_normals[face]
        offset = points - closest
        s = np.einsum("ij,ij->i", offset, normals)
        lateral = np.linalg.norm(offset - s[:, None] * normals, axis=1)
        over = (lateral < RIM_TOLERANCE) | ~self.rim_faces[face]  # off the rim, edges and corners count too
        s = np.where(over & (s > -self.reach), s, np.inf)
        tri = self.vertices[self.faces[face]]
        bary = igl.barycentric_coordinates(closest, tri[:, 0], tri[:, 1], tri[:, 2])
        smooth = np.einsum("nk,nkj->nj", bary, self.vertex_normals[self.faces[face]])
        smooth /= np.maximum(np.linalg.norm(smooth, axis=1, keepdims=True), 1e-12)
        return s, closest, smooth  # pushed out along the smooth normal: in a fold, face normals disagree

    def project(self, points: np.ndarray, clearance: float,
                exact: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """As :meth:`BodyCollider.project` at the layer's ``thickness``, repeated (``LAYER_ROUNDS``): where the
        layer folds, a point pushed off one face can land under the next."""
        points, contact, normals = super().project(points, self.thickness, exact)
        for _ in range(LAYER_ROUNDS - 1):
            points, again, renormals = super().project(points, self.thickness, exact)
            normals[again] = renormals[again]
            contact |= again
        return points, contact, normals

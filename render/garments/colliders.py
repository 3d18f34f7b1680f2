"""What cloth collides with: a closed body (inside/outside by signed distance) and an inner garment layer
(an open surface that the outer layer must stay on the outer side of)."""

from __future__ import annotations

import numpy as np
import trimesh

BODY_ROUNDS = 3  # projections out of the body per step (a point pushed out of one part may land in another)
LAYER_ROUNDS = 4  # projections onto an inner layer per step
RIM_TOLERANCE = 0.005  # metres beside an inner layer's rim within which a point still counts as over it
CONTACT_BAND = 0.002  # metres beyond the clearance within which cloth rests on a surface (static friction)
OUTER_PROBE = 0.0005  # metres off a body face at which it is tested for lying on the outer surface


class BodyCollider:
    """A closed body surface; points must stay ``clearance`` outside it.

    Where a posed body's parts overlap (a hand pressed on the hip), faces of one part lie buried inside
    another; points are pushed out to the closest face of the outer surface only (faces whose outer side
    is outside the body), so cloth caught between the parts ends outside both."""

    rounds = BODY_ROUNDS

    def __init__(self, vertices: np.ndarray, faces: np.ndarray) -> None:
        import igl

        self.vertices = np.ascontiguousarray(vertices, dtype=np.float64)
        self.faces = np.ascontiguousarray(faces, dtype=np.int64)
        tri = self.vertices[self.faces]
        normals = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
        self.face_normals = normals / np.maximum(np.linalg.norm(normals, axis=1, keepdims=True), 1e-12)
        self.surface = self.outer_faces()
        self.surface_faces = np.ascontiguousarray(self.faces[self.surface])  # the tree keeps referring to it
        self.tree = igl.AABB()
        self.tree.init(self.vertices, self.surface_faces)

    def outer_faces(self) -> np.ndarray:
        """Indices of the faces wholly on the outer surface: points just off the face's outer side at its
        centre and its corners are outside the body (winding number below one half)."""
        import igl

        tri = self.vertices[self.faces]
        probes = np.concatenate([tri.mean(axis=1, keepdims=True), tri], axis=1)
        probes = probes + OUTER_PROBE * self.face_normals[:, None]
        winding = igl.fast_winding_number(self.vertices, self.faces, probes.reshape(-1, 3)).reshape(-1, 4)
        return np.flatnonzero((winding < 0.5).all(axis=1))

    def closest(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(distance (N,), closest face (N,), closest point (N, 3))`` on the outer surface."""
        points = np.ascontiguousarray(points, dtype=np.float64)
        squared, face, closest = self.tree.squared_distance(self.vertices, self.surface_faces, points)
        return np.sqrt(squared), self.surface[face], closest

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
        # outside: away from the surface; inside: along the closest face's normal, which leads out of a crease
        # where a limb meets the trunk (the way to a crease's edge can run on under the other side)
        direction = np.where((distance[:, None] > 1e-6) & ~inside[:, None],
                             away / np.maximum(distance, 1e-12)[:, None], self.face_normals[face])
        return sign * distance, closest, direction

    def project(self, points: np.ndarray, clearance: float,
                exact: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Points moved out to ``clearance`` above the surface where they are closer or inside, the mask of
        the points in contact (within ``CONTACT_BAND`` of that) and the surface normals there (N, 3)."""
        s, closest, normals = self.signed_distance(points, exact)
        contact = s < clearance + CONTACT_BAND
        out = points.copy()
        moved = np.flatnonzero(s < clearance)
        out[moved] = closest[moved] + clearance * normals[moved]
        for _ in range(self.rounds - 1):  # a point pushed off one face can land under another (a fold, a crease)
            if not len(moved):
                break
            s, closest, again = self.signed_distance(out[moved], exact)
            touching = s < clearance + CONTACT_BAND
            contact[moved[touching]] = True
            normals[moved[touching]] = again[touching]
            inside = s < clearance
            moved = moved[inside]
            out[moved] = closest[inside] + clearance * again[inside]
        return out, contact, normals


class LayerCollider(BodyCollider):
    """An inner garment (open surface, normals pointing away from the body) with a cloth ``thickness``:
    points over it must stay ``thickness`` on its outer side. Points whose closest point lies on the layer's
    rim (beyond a hem or cuff) or more than ``reach`` inside are not over it and are left alone.
    """

    rounds = LAYER_ROUNDS

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

    def outer_faces(self) -> np.ndarray:
        """Every face: an open layer has no inside of its own."""
        return np.arange(len(self.faces))

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
        length = np.linalg.norm(smooth, axis=1, keepdims=True)
        smooth = np.where(length > 1e-6, smooth / np.maximum(length, 1e-12), normals)  # a crushed face: its normal
        return s, closest, smooth  # pushed out along the smooth normal: in a fold, face normals disagree

    def project(self, points: np.ndarray, clearance: float,
                exact: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """As :meth:`BodyCollider.project`, at the layer's ``thickness`` whatever the ``clearance``."""
        return super().project(points, self.thickness, exact)

"""The one camera model used from ingest onwards: OpenCV pinhole + distortion, world-to-camera pose, metres.

A :class:`Camera` is a plain object holding numpy arrays (trimesh style). Projection and undistortion use
OpenCV's own functions, so the distortion maths is exactly OpenCV's (and COLMAP's ``OPENCV`` model).
Conversions to the conventions of other tools live next to their readers/writers in ``capture/formats``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from twinkit.core.atomic import read_json, write_json
from twinkit.core.errors import InputError

PINHOLE, OPENCV, OPENCV_FISHEYE = "PINHOLE", "OPENCV", "OPENCV_FISHEYE"
_MODELS = (PINHOLE, OPENCV, OPENCV_FISHEYE)  # OPENCV dist: k1 k2 p1 p2 k3; fisheye: k1 k2 k3 k4

# Flip between OpenCV camera axes (x right, y down, z forward) and OpenGL/nerfstudio (x right, y up, z back).
CV_TO_GL = np.diag([1.0, -1.0, -1.0])
# OpenCV (and so Camera) puts the centre of the top-left pixel at (0, 0); gsplat, Open3D, OpenGL, COLMAP and
# nerfstudio put it at (0.5, 0.5): their principal points are ours plus this.
PIXEL_CENTER_SHIFT = 0.5


@dataclass
class Camera:
    """An intrinsically and extrinsically calibrated camera.

    ``R``, ``t`` map world to camera: ``x_cam = R @ x_world + t`` (OpenCV convention, metres).
    ``dist`` holds the model's coefficients in OpenCV order (zeros are fine for an undistorted camera).
    """

    name: str
    width: int
    height: int
    K: np.ndarray
    R: np.ndarray = field(default_factory=lambda: np.eye(3))
    t: np.ndarray = field(default_factory=lambda: np.zeros(3))
    dist: np.ndarray = field(default_factory=lambda: np.zeros(5))
    model: str = OPENCV

    def __post_init__(self) -> None:
        self.K = np.asarray(self.K, dtype=np.float64).reshape(3, 3)
        self.R = np.asarray(self.R, dtype=np.float64).reshape(3, 3)
        self.t = np.asarray(self.t, dtype=np.float64).reshape(3)
        if self.model not in _MODELS:
            raise ValueError(f"camera {self.name}: unknown model {self.model!r}")
        n_dist = 4 if self.model == OPENCV_FISHEYE else 5
        given = np.asarray(self.dist, dtype=np.float64).ravel()[:n_dist]
        self.dist = np.zeros(n_dist)
        if self.model != PINHOLE:
            self.dist[: len(given)] = given
        self.width, self.height = int(self.width), int(self.height)

    # ---- geometry -------------------------------------------------------------------------------
    @property
    def center(self) -> np.ndarray:
        """Camera centre in world coordinates."""
        return -self.R.T @ self.t

    @property
    def w2c(self) -> np.ndarray:
        """4x4 world-to-camera matrix (OpenCV axes)."""
        m = np.eye(4)
        m[:3, :3], m[:3, 3] = self.R, self.t
        return m

    @property
    def c2w(self) -> np.ndarray:
        """4x4 camera-to-world matrix (OpenCV axes)."""
        return np.linalg.inv(self.w2c)

    @property
    def gl_pose(self) -> np.ndarray:
        """4x4 camera-to-world matrix in OpenGL camera axes (x right, y up, z back): pyrender's camera pose."""
        pose = self.c2w
        pose[:3, :3] = pose[:3, :3] @ CV_TO_GL
        return pose

    @property
    def P(self) -> np.ndarray:
        """3x4 projection matrix of the undistorted camera, ``K [R | t]``."""
        return self.K @ np.hstack([self.R, self.t[:, None]])

    def to_camera(self, points: np.ndarray) -> np.ndarray:
        """World points (N, 3) to camera coordinates (N, 3)."""
        return np.asarray(points, dtype=np.float64) @ self.R.T + self.t

    def project(self, points: np.ndarray) -> np.ndarray:
        """World points (N, 3) to distorted pixel coordinates (N, 2). Points behind give NaN."""
        pts = np.asarray(points, dtype=np.float64).reshape(-1, 3)
        if len(pts) == 0:
            return np.zeros((0, 2))
        rvec, _ = cv2.Rodrigues(self.R)
        if self.model == OPENCV_FISHEYE:
            px, _ = cv2.fisheye.projectPoints(pts[:, None, :], rvec, self.t, self.K, self.dist)
        else:
            px, _ = cv2.projectPoints(pts, rvec, self.t, self.K, self.dist)
        px = px.reshape(-1, 2)
        px[self.to_camera(pts)[:, 2] <= 0] = np.nan
        return px

    def undistort_pixels(self, pixels: np.ndarray) -> np.ndarray:
        """Distorted pixels (N, 2) to pixels of the equivalent undistorted camera (same ``K``)."""
        px = np.asarray(pixels, dtype=np.float64).reshape(-1, 1, 2)
        if len(px) == 0 or not np.any(self.dist):
            return px.reshape(-1, 2).copy()
        if self.model == OPENCV_FISHEYE:
            out = cv2.fisheye.undistortPoints(px, self.K, self.dist, P=self.K)
        else:
            out = cv2.undistortPoints(px, self.K, self.dist, P=self.K)
        return out.reshape(-1, 2)

    @property
    def half_pixel_K(self) -> np.ndarray:
        """``K`` for tools whose pixel centres lie at +0.5 (gsplat, Open3D, OpenGL/pyrender)."""
        K = np.array(self.K, np.float64)
        K[:2, 2] += PIXEL_CENTER_SHIFT
        return K

    def resample_image(self, image: np.ndarray, target: "Camera", nearest: bool = False) -> np.ndarray:
        """``image`` (taken by this camera) as the distortion-free ``target`` camera at the same pose sees it,
        at ``target``'s size; ``nearest`` keeps label images (masks) binary."""
        u, v = np.meshgrid(np.arange(target.width) + 0.0, np.arange(target.height) + 0.0)
        rays = np.stack([u.ravel(), v.ravel(), np.ones(u.size)], axis=1) @ np.linalg.inv(target.K).T
        # Every target pixel mapped through this camera's own model (distortion included).
        px = self.project((rays - target.t) @ target.R).astype(np.float32).reshape(target.height, target.width, 2)
        factor = self.width / target.width
        if factor > 1.5 and not nearest:  # remap has no area filter: shrink first, then map into the small image
            image = cv2.resize(image, (round(self.width / factor), round(self.height / factor)),
                               interpolation=cv2.INTER_AREA)
            px = (px + 0.5) / factor - 0.5
        interpolation = cv2.INTER_NEAREST if nearest else cv2.INTER_LINEAR
        return cv2.remap(image, px[..., 0], px[..., 1], interpolation, borderMode=cv2.BORDER_CONSTANT)

    def undistort_image(self, image: np.ndarray, nearest: bool = False) -> np.ndarray:
        """``image`` as the distortion-free camera with the same ``K`` and size would see it."""
        if not np.any(self.dist):
            return image
        ideal = Camera(self.name, self.width, self.height, self.K, self.R, self.t, model=PINHOLE)
        return self.resample_image(image, ideal, nearest)

    def scaled(self, width: int, height: int) -> "Camera":
        """The same camera for images resized to ``width`` x ``height`` (pixel centres at integers: a
        principal point scales about the image corner at -0.5, as cv2.resize maps pixels)."""
        sx, sy = width / self.width, height / self.height
        K = self.K.copy()
        K[0] *= sx
        K[1] *= sy
        K[0, 2] += 0.5 * (sx - 1)
        K[1, 2] += 0.5 * (sy - 1)
        return Camera(self.name, width, height, K, self.R, self.t, self.dist, self.model)

    # ---- validation and serialisation -----------------------------------------------------------
    def validate(self, source: str | Path | None = None) -> None:
        """Raise :class:`InputError` (naming ``source``) for NaN/inf values or singular matrices."""
        where = f"camera {self.name!r}"
        for label, arr in (("intrinsic matrix", self.K), ("rotation", self.R), ("translation", self.t),
                           ("distortion", self.dist)):
            if not np.all(np.isfinite(arr)):
                raise InputError(f"{where}: {label} contains NaN or infinite values", source)
        if self.width <= 0 or self.height <= 0:
            raise InputError(f"{where}: image size {self.width}x{self.height} is not positive", source)
        if abs(np.linalg.det(self.K)) < 1e-9 or self.K[0, 0] <= 0 or self.K[1, 1] <= 0:
            raise InputError(f"{where}: intrinsic matrix is singular or has non-positive focal length",
                             source)
        if abs(np.linalg.det(self.R) - 1.0) > 1e-3 or not np.allclose(self.R @ self.R.T, np.eye(3),
                                                                         atol=1e-3):
            raise InputError(f"{where}: rotation is not orthonormal (det {np.linalg.det(self.R):.4f})",
                             source)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "model": self.model, "width": self.width, "height": self.height,
            "K": self.K.tolist(), "dist": self.dist.tolist(), "R": self.R.tolist(), "t": self.t.tolist(),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Camera":
        return cls(name=str(d["name"]), width=d["width"], height=d["height"], K=d["K"], R=d["R"],
                   t=d["t"], dist=d.get("dist", []), model=d.get("model", OPENCV))


def look_at(eye: np.ndarray, target: np.ndarray, up: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """World-to-camera ``(R, t)`` of an OpenCV camera at ``eye`` looking at ``target`` with ``up``."""
    eye, target, up = (np.asarray(v, dtype=np.float64) for v in (eye, target, up))
    z = target - eye
    z /= np.linalg.norm(z)
    x = np.cross(z, up)
    if np.linalg.norm(x) < 1e-9:
        raise ValueError("look_at: viewing direction is parallel to the up vector")
    x /= np.linalg.norm(x)
    y = np.cross(z, x)
    R = np.stack([x, y, z])
    return R, -R @ eye


CAMERAS_NAME = "cameras.json"


def write_cameras(path: str | Path, cameras: list[Camera], up: list[float], units: str = "m") -> None:
    """Write the capture's canonical camera file (OpenCV convention, world frame facts)."""
    write_json(path, {"convention": "opencv", "units": units, "up": list(map(float, up)),
                      "cameras": [c.to_dict() for c in cameras]})


def read_cameras(path: str | Path) -> list[Camera]:
    """Read a canonical camera file written by :func:`write_cameras`, validating every camera."""
    data = read_json(path)
    try:
        cams = [Camera.from_dict(d) for d in data["cameras"]]
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"malformed camera entry ({exc})", path) from None
    for cam in cams:
        cam.validate(path)
    return cams

"""Training data: the key frame's images and masks, resized and undistorted to pinhole cameras."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import torch
from torch import Tensor

from twinkit.capture.cameras import PINHOLE, Camera
from twinkit.capture.layout import Capture
from twinkit.capture.media import read_image
from twinkit.core.errors import InputError


@dataclass
class View:
    """One camera's undistorted data: a pinhole ``camera`` and float tensors ``image`` (H,W,3) and
    ``mask`` (H,W,1) in [0, 1]."""

    camera: Camera
    image: Tensor
    mask: Tensor

    def target(self, background: Tensor) -> Tensor:
        """The image with everything outside the mask replaced by ``background`` (3,)."""
        return self.image * self.mask + background * (1.0 - self.mask)


def load_view(capture: Capture, camera: Camera, frame: int, resolution: int) -> View:
    """Camera ``camera``'s image and mask of ``frame``, long side at most ``resolution``, undistorted."""
    image_path, mask_path = capture.image_path(camera.name, frame), capture.mask_path(camera.name, frame)
    image, mask = read_image(image_path), read_image(mask_path, mode="L")
    if image.shape[:2] != (camera.height, camera.width):
        raise InputError(f"image is {image.shape[1]}x{image.shape[0]} but camera {camera.name} is "
                         f"{camera.width}x{camera.height}", image_path)
    if mask.shape != image.shape[:2]:
        raise InputError(f"mask is {mask.shape[1]}x{mask.shape[0]}, its image {image.shape[1]}x{image.shape[0]}",
                         mask_path)
    scale = min(1.0, resolution / max(camera.width, camera.height))
    width, height = max(1, round(camera.width * scale)), max(1, round(camera.height * scale))
    if (width, height) != (camera.width, camera.height):
        image = cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)
        mask = cv2.resize(mask, (width, height), interpolation=cv2.INTER_AREA)
    scaled = camera.scaled(width, height)
    image, mask = scaled.undistort_image(image), scaled.undistort_image(mask)
    pinhole = Camera(camera.name, width, height, scaled.K, camera.R, camera.t, model=PINHOLE)
    # torch.tensor copies: the decoded arrays may be read-only, which torch.from_numpy warns about
    image_t, mask_t = (torch.tensor(a, dtype=torch.float32) / 255.0 for a in (image, mask))
    return View(pinhole, image_t, mask_t[..., None])


def split_cameras(cameras: list[Camera], holdout_every: int) -> tuple[list[Camera], list[Camera]]:
    """(training, held-out) cameras: every ``holdout_every``-th camera by index (0, n, 2n, ...) is held out."""
    held = [cam for i, cam in enumerate(cameras) if i % holdout_every == 0]
    train = [cam for i, cam in enumerate(cameras) if i % holdout_every != 0]
    if not train:
        raise InputError(f"no training cameras left after holding out every {holdout_every}th of {len(cameras)}")
    return train, held

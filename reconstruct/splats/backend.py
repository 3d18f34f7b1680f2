"""Choose a rasterizer for a device, and turn capture cameras into the tensors rasterizers take."""

from __future__ import annotations

from typing import Literal, Protocol

import numpy as np
import torch
from torch import Tensor

from twinkit.capture.cameras import Camera
from twinkit.core.errors import InputError
from twinkit.reconstruct.splats.gaussians import Gaussians
from twinkit.reconstruct.splats.result import Render


class Rasterizer(Protocol):
    """The signature both backends share (see torch_backend.rasterize)."""

    def __call__(self, gaussians: Gaussians, viewmats: Tensor, Ks: Tensor, width: int, height: int,
                 sh_degree: int | None = None, background: Tensor | None = None, near: float = 0.01,
                 far: float = 1e10, eps2d: float = 0.3) -> Render: ...


def get_rasterizer(device: Literal["auto", "cpu", "cuda"] = "auto") -> tuple[Rasterizer, torch.device]:
    """The rasterizer and torch device for ``device``: gsplat on CUDA, the PyTorch backend on CPU;
    ``auto`` picks CUDA when available."""
    if device not in ("auto", "cpu", "cuda"):
        raise InputError(f"unknown device {device!r} (choose auto, cpu or cuda)")
    if device == "cuda" and not torch.cuda.is_available():
        raise InputError("device 'cuda' was requested but PyTorch sees no CUDA GPU (use --device cpu or auto)")
    if device == "cuda" or (device == "auto" and torch.cuda.is_available()):
        from twinkit.reconstruct.splats import gsplat_backend

        return gsplat_backend.rasterize, torch.device("cuda")
    from twinkit.reconstruct.splats import torch_backend

    return torch_backend.rasterize, torch.device("cpu")


def camera_tensors(cameras: list[Camera], device: torch.device | str = "cpu",
                   dtype: torch.dtype = torch.float32) -> tuple[Tensor, Tensor]:
    """World-to-camera matrices (C,4,4) and intrinsics (C,3,3) of same-sized, distortion-free cameras.

    Rasterizers model pinhole cameras only: undistort the images (and use ``dist`` = 0) first. gsplat (and
    the PyTorch path) put pixel centres at +0.5, our cameras (OpenCV's) at integers: the principal point is
    shifted so that a render lines up with the photo pixel for pixel.
    """
    sizes = {(cam.width, cam.height) for cam in cameras}
    if not cameras or len(sizes) != 1:
        raise InputError(f"rasterizing needs one or more cameras of one image size, got sizes {sorted(sizes)}")
    distorted = [cam.name for cam in cameras if np.any(cam.dist != 0)]
    if distorted:
        raise InputError(f"cameras {', '.join(distorted)} have lens distortion; undistort them before rasterizing")
    viewmats = torch.as_tensor(np.stack([cam.w2c for cam in cameras]), dtype=dtype, device=device)
    Ks = torch.as_tensor(np.stack([cam.half_pixel_K for cam in cameras]), dtype=dtype, device=device)
    return viewmats, Ks

"""The splat renderer: posed Gaussians through reconstruct's rasterizer (gsplat on CUDA, PyTorch on CPU)."""

from __future__ import annotations

import numpy as np
import torch

from twinkit.capture.cameras import Camera
from twinkit.reconstruct.splats import Gaussians, camera_tensors, get_rasterizer
from twinkit.render.imagery.camera_files import in_frame
from twinkit.render.imagery.compositing import Layer


def render_splats(gaussians: Gaussians, camera: Camera, frame: np.ndarray, device: str = "auto") -> Layer:
    """``gaussians`` (capture world frame) seen by ``camera`` (rendering frame, ``frame`` = 4x4 world ->
    rendering frame) as a premultiplied layer with the expected depth."""
    rasterize, torch_device = get_rasterizer(device)
    viewmats, Ks = camera_tensors([in_frame(camera, np.linalg.inv(frame))], torch_device)
    with torch.no_grad():
        out = rasterize(gaussians.to(torch_device, torch.float32), viewmats, Ks, camera.width, camera.height)
    alpha = out.alpha[0, ..., 0].cpu().numpy()
    depth = np.where(alpha > 0, out.depth[0, ..., 0].cpu().numpy(), 0.0)
    return Layer(out.rgb[0].clamp(0.0, 1.0).cpu().numpy(), alpha, depth.astype(np.float32))

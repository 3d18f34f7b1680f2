"""Avatar-specific pruning on top of gsplat's 3DGS strategy: nothing outside the silhouettes, and a cap
on the number of Gaussians."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import torch
from gsplat.strategy.ops import remove
from torch import Tensor

from twinkit.reconstruct.train.parameters import Optimizers, Params
from twinkit.reconstruct.train.views import View


def dilated_masks(views: list[View], pixels: int) -> list[Tensor]:
    """Each view's binary mask grown by ``pixels`` (boolean (H,W) tensors on the views' device)."""
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * pixels + 1, 2 * pixels + 1))
    out = []
    for view in views:
        binary = (view.mask[..., 0] > 0.5).cpu().numpy().astype(np.uint8)
        out.append(torch.from_numpy(cv2.dilate(binary, kernel) > 0).to(view.mask.device))
    return out


@torch.no_grad()
def outside_fraction(means: Tensor, views: list[View], masks: list[Tensor]) -> Tensor:
    """Per Gaussian (N,): the share of views that see its centre in frame but outside their mask."""
    outside = torch.zeros(len(means), device=means.device)
    in_frame = torch.zeros(len(means), device=means.device)
    for view, mask in zip(views, masks):
        cam = view.camera
        R = torch.as_tensor(cam.R, dtype=means.dtype, device=means.device)
        t = torch.as_tensor(cam.t, dtype=means.dtype, device=means.device)
        K = torch.as_tensor(cam.K, dtype=means.dtype, device=means.device)
        pts = means @ R.T + t
        pix = pts @ K.T
        # OpenCV's pixel centres lie at integers: the pixel holding a point is its rounded coordinate
        u = (pix[:, 0] / pix[:, 2].clamp_min(1e-9)).round().long()
        v = (pix[:, 1] / pix[:, 2].clamp_min(1e-9)).round().long()
        ok = (pts[:, 2] > 0) & (u >= 0) & (u < cam.width) & (v >= 0) & (v < cam.height)
        hit = mask[v.clamp(0, cam.height - 1), u.clamp(0, cam.width - 1)]
        in_frame += ok.float()
        outside += (ok & ~hit).float()
    return outside / in_frame.clamp_min(1)


def prune_outside_masks(params: Params, optimizers: Optimizers, state: dict[str, Any], views: list[View],
                        masks: list[Tensor], fraction: float) -> int:
    """Remove Gaussians outside the (dilated) masks in more than ``fraction`` of the views; returns how many."""
    doomed = outside_fraction(params["means"].detach(), views, masks) > fraction
    count = int(doomed.sum())
    if count:
        remove(params=params, optimizers=optimizers, state=state, mask=doomed)
    return count


def enforce_cap(params: Params, optimizers: Optimizers, state: dict[str, Any], limit: int) -> int:
    """Remove the faintest Gaussians beyond ``limit``; returns how many."""
    excess = len(params["means"]) - limit
    if excess <= 0:
        return 0
    faintest = torch.argsort(params["opacities"].detach())[:excess]
    doomed = torch.zeros(len(params["means"]), dtype=torch.bool, device=params["means"].device)
    doomed[faintest] = True
    remove(params=params, optimizers=optimizers, state=state, mask=doomed)
    return excess

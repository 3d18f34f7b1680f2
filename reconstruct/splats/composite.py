"""Tile-based front-to-back alpha compositing of projected 2D Gaussians, in differentiable PyTorch.

gsplat's compositing runs only as a CUDA kernel (its PyTorch reference still calls CUDA), so the CPU path
is written here. The maths and cut-offs are gsplat's: pixel centres at +0.5, alpha = min(0.999,
o * exp(-sigma)), fragments with sigma < 0 or alpha < 1/255 skipped, and a pixel stops (exclusively) at the
first fragment that would bring its transmittance to 1e-4 or below. Work is vectorised over tiles: each
tile sees only the Gaussians whose bounding box touches it, depth-sorted, processed in chunks so that
memory stays bounded and finished tiles drop out early. The tile size does not change the image: the
projection's opacity-aware box holds every fragment with alpha >= 1/255, so no tile misses a visible one.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch import Tensor

from twinkit.reconstruct.splats.projection import ALPHA_THRESHOLD

MAX_ALPHA = 0.999
MIN_TRANSMITTANCE = 1e-4


class TileBins(NamedTuple):
    """Depth-sorted Gaussian lists per tile, concatenated tile after tile: ``ids`` (M,) flat camera*N+gaussian
    indices; ``offsets`` and ``counts`` (tiles,) where each tile's list starts and how long it is; tile grid
    ``tiles_x`` x ``tiles_y`` per camera (tiles of all cameras in a row)."""

    ids: Tensor
    offsets: Tensor
    counts: Tensor
    tiles_x: int
    tiles_y: int


@torch.no_grad()
def bin_to_tiles(means2d: Tensor, radii: Tensor, depths: Tensor, width: int, height: int, tile_size: int) -> TileBins:
    """Assign each visible Gaussian to every tile its bounding box touches (gsplat's rule) and sort by depth."""
    n_cams, n = depths.shape
    tiles_x, tiles_y = math.ceil(width / tile_size), math.ceil(height / tile_size)
    n_tiles = n_cams * tiles_x * tiles_y
    mean, rad = means2d.reshape(-1, 2) / tile_size, radii.reshape(-1, 2).to(means2d.dtype) / tile_size
    limit = torch.tensor([tiles_x, tiles_y], device=mean.device)
    lo = torch.minimum(torch.floor(mean - rad).long().clamp_min(0), limit)
    hi = torch.minimum(torch.ceil(mean + rad).long().clamp_min(0), limit)
    span = (hi - lo) * (radii.reshape(-1, 2) > 0).all(-1, keepdim=True)
    per_gauss = span[:, 0] * span[:, 1]
    gauss = torch.repeat_interleave(torch.arange(n_cams * n, device=mean.device), per_gauss)
    # Position of each intersection inside its Gaussian's box, then its tile.
    start = torch.cumsum(per_gauss, 0) - per_gauss
    local = torch.arange(gauss.numel(), device=mean.device) - start[gauss]
    width_in_tiles = span[gauss, 0]
    tx = lo[gauss, 0] + local % width_in_tiles
    ty = lo[gauss, 1] + local // width_in_tiles
    tile = (gauss // n) * (tiles_x * tiles_y) + ty * tiles_x + tx
    order = torch.argsort(depths.reshape(-1)[gauss], stable=True)
    order = order[torch.argsort(tile[order], stable=True)]
    counts = torch.bincount(tile[order], minlength=n_tiles)
    return TileBins(gauss[order], torch.cumsum(counts, 0) - counts, counts, tiles_x, tiles_y)


def _tile_pixel_centres(bins: TileBins, tile_size: int, n_cams: int, dtype: torch.dtype,
                        device: torch.device) -> Tensor:
    """Pixel centres (tiles, tile_size^2, 2) of every tile of every camera, row-major inside a tile."""
    offs = torch.arange(tile_size, device=device, dtype=dtype)
    iy, ix = torch.meshgrid(offs, offs, indexing="ij")
    ty, tx = torch.meshgrid(torch.arange(bins.tiles_y, device=device, dtype=dtype),
                            torch.arange(bins.tiles_x, device=device, dtype=dtype), indexing="ij")
    px = tx.reshape(-1, 1) * tile_size + ix.reshape(1, -1) + 0.5
    py = ty.reshape(-1, 1) * tile_size + iy.reshape(1, -1) + 0.5
    return torch.stack([px, py], -1).repeat(n_cams, 1, 1)


def _blend_chunk(mean_x: Tensor, mean_y: Tensor, conic: Tensor, opac: Tensor, feat: Tensor, px: Tensor,
                 py: Tensor, t_live: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """Blend B depth-sorted Gaussians into the pixels of A tiles.

    Per Gaussian (A,1,B): centre ``mean_x``, ``mean_y``, ``opac`` (0 for padding); ``conic`` (A,1,B,3);
    ``feat`` (A,B,D). Per pixel (A,P,1): centre ``px``, ``py``; ``t_live`` (A,P) transmittance so far, 0 where
    the pixel has stopped. Returns the added features (A,P,D), the summed weights (A,P) and whether the pixel
    stopped in this chunk (A,P).
    """
    dx, dy = mean_x - px, mean_y - py  # (A,P,B)
    a, b, c = conic.unbind(-1)
    sigma = dx * (0.5 * a * dx + b * dy) + 0.5 * c * dy * dy
    alpha = torch.clamp_max(opac * torch.exp(-sigma), MAX_ALPHA)
    with torch.no_grad():
        kept = (sigma >= 0) & (alpha >= ALPHA_THRESHOLD)
    alpha = alpha * kept
    t_incl = torch.cumprod(1.0 - alpha, dim=-1) * t_live[..., None]  # transmittance after each Gaussian
    with torch.no_grad():
        blend = t_incl > MIN_TRANSMITTANCE  # a prefix of each pixel's list: t_incl never increases
    t_excl = torch.cat([t_live[..., None], t_incl[..., :-1]], dim=-1)
    weights = alpha * t_excl * blend
    return torch.bmm(weights, feat), weights.sum(-1), ~blend[..., -1]


def composite(means2d: Tensor, conics: Tensor, opacities: Tensor, features: Tensor, bins: TileBins,
              width: int, height: int, tile_size: int, chunk: int = 16) -> tuple[Tensor, Tensor]:
    """Blend per-Gaussian ``features`` (C,N,D) front to back into images (C,H,W,D) and alpha (C,H,W,1).

    ``means2d`` (C,N,2), ``conics`` (C,N,3) and ``opacities`` (C,N) come from the projection; ``bins`` from
    :func:`bin_to_tiles`. ``chunk`` Gaussians per tile are blended at a time.
    """
    n_cams, n, dims = features.shape
    dtype, device = features.dtype, features.device
    n_tiles, pix = bins.counts.shape[0], tile_size * tile_size
    centres = _tile_pixel_centres(bins, tile_size, n_cams, dtype, device)
    flat_mean, flat_conic = means2d.reshape(-1, 2), conics.reshape(-1, 3)
    flat_opac, flat_feat = opacities.reshape(-1), features.reshape(-1, dims)

    image = torch.zeros(n_tiles, pix, dims, dtype=dtype, device=device)
    trans = torch.ones(n_tiles, pix, dtype=dtype, device=device)
    done = torch.zeros(n_tiles, pix, dtype=torch.bool, device=device)
    longest = int(bins.counts.max()) if n_tiles else 0
    for start in range(0, longest, chunk):
        live = ((bins.counts > start) & ~done.all(-1)).nonzero().squeeze(-1)
        if live.numel() == 0:
            break
        rank = start + torch.arange(chunk, device=device)
        valid = rank < bins.counts[live, None]  # (A,B): False pads short lists
        ids = bins.ids[(bins.offsets[live, None] + rank).clamp_max(bins.ids.numel() - 1)]
        mean = flat_mean[ids].transpose(1, 2)[:, :, None]  # (A,2,1,B)
        pixel = centres[live].transpose(1, 2)[..., None]  # (A,2,P,1)
        added, weight, stopped = _blend_chunk(
            mean[:, 0], mean[:, 1], flat_conic[ids][:, None], (flat_opac[ids] * valid)[:, None], flat_feat[ids],
            pixel[:, 0], pixel[:, 1], trans[live] * ~done[live])
        done[live] |= stopped
        image = image.index_add(0, live, added)
        trans = trans.index_add(0, live, -weight)  # telescoping: T_new = T_prev - sum of weights
    return (_untile(image, bins, tile_size, width, height),
            _untile((1.0 - trans)[..., None], bins, tile_size, width, height))


def _untile(tiled: Tensor, bins: TileBins, tile_size: int, width: int, height: int) -> Tensor:
    """Per-tile pixels (tiles, tile_size^2, D) back to images (C,H,W,D)."""
    dims = tiled.shape[-1]
    grid = tiled.reshape(-1, bins.tiles_y, bins.tiles_x, tile_size, tile_size, dims).permute(0, 1, 3, 2, 4, 5)
    return grid.reshape(-1, bins.tiles_y * tile_size, bins.tiles_x * tile_size, dims)[:, :height, :width]

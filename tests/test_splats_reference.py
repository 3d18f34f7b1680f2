"""The PyTorch rasterizer against gsplat's own PyTorch reference functions (which run on CPU) and against a
line-by-line transcription of gsplat's CUDA compositing loop, on random scenes."""

from __future__ import annotations

import math

import pytest
import torch

from twinkit.reconstruct.splats.composite import bin_to_tiles, composite
from twinkit.reconstruct.splats.gaussians import Gaussians
from twinkit.reconstruct.splats.projection import covariances, project
from twinkit.reconstruct.splats.sh import eval_sh

ref = pytest.importorskip("gsplat.cuda._torch_impl")

W, H = 61, 47  # not multiples of the 16 px tile, to exercise partial tiles


@pytest.fixture(autouse=True)
def single_thread():
    """These scenes are tiny: one thread avoids OpenMP overhead that dominates on a shared 2-core machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)  # not multiples of the 16 px tile, to exercise partial tiles


def random_scene(n: int, seed: int, dtype: torch.dtype = torch.float64, sh_degree: int = 3):
    """N Gaussians in front of two cameras looking at the origin from 2.5 m (x-offset)."""
    gen = torch.Generator().manual_seed(seed)
    means = (torch.rand(n, 3, generator=gen, dtype=dtype) - 0.5) * torch.tensor([1.6, 1.2, 1.0], dtype=dtype)
    g = Gaussians(means, math.log(0.05) + 0.5 * torch.randn(n, 3, generator=gen, dtype=dtype),
                  torch.randn(n, 4, generator=gen, dtype=dtype), torch.randn(n, generator=gen, dtype=dtype) + 1.0,
                  0.5 * torch.randn(n, (sh_degree + 1) ** 2, 3, generator=gen, dtype=dtype))
    viewmats = torch.eye(4, dtype=dtype).repeat(2, 1, 1)
    viewmats[:, 2, 3] = 2.5
    viewmats[1, 0, 3] = 0.3
    Ks = torch.tensor([[[60.0, 0, 30.0], [0, 62.0, 24.0], [0, 0, 1]]], dtype=dtype).repeat(2, 1, 1)
    return g, viewmats, Ks


def test_projection_matches_gsplat_reference():
    g, viewmats, Ks = random_scene(400, seed=1)
    g.requires_grad_()
    ours = project(g.means, g.quats, g.scales, g.opacities, viewmats, Ks, W, H)
    radii, means2d, depths, conics, _ = ref._fully_fused_projection(
        g.means, covariances(g.quats, g.scales), viewmats, Ks, W, H, eps2d=0.3)
    visible = (ours.radii > 0).all(-1)
    assert visible.sum() > 300
    assert torch.allclose(ours.means2d, means2d, rtol=0, atol=1e-9)
    assert torch.allclose(ours.depths, depths, rtol=0, atol=1e-12)
    assert torch.allclose(ours.conics[visible], conics[visible], rtol=1e-9, atol=1e-12)
    # gsplat's CUDA kernel (which we follow) shrinks the 3.33-sigma box by opacity: sqrt(2 ln(255 o)) sigma.
    det = conics[..., 0] * conics[..., 2] - conics[..., 1] ** 2
    cov_diag = torch.stack([conics[..., 2], conics[..., 0]], -1) / det[..., None]
    extent = torch.sqrt(2 * torch.log(255 * g.opacities)).clamp_max(3.33)[None, :, None]
    assert torch.equal(ours.radii[visible], torch.ceil(extent * cov_diag.sqrt())[visible].int())
    assert torch.equal(visible, (radii > 0).all(-1) & (g.opacities >= 1 / 255)[None])
    # Gradients of the projected quantities agree too.
    weights = torch.randn(3, *conics.shape, dtype=conics.dtype, generator=torch.Generator().manual_seed(0))
    loss_ours = (weights[0][visible] * ours.conics[visible]).sum() + (weights[1, ..., :2] * ours.means2d).sum()
    loss_ref = (weights[0][visible] * conics[visible]).sum() + (weights[1, ..., :2] * means2d).sum()
    for a, b in zip(torch.autograd.grad(loss_ours, [g.means, g.log_scales, g.quats]),
                    torch.autograd.grad(loss_ref, [g.means, g.log_scales, g.quats])):
        assert torch.allclose(a, b, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("degree", [0, 1, 2, 3])
def test_sh_matches_gsplat_reference(degree):
    gen = torch.Generator().manual_seed(degree)
    dirs = torch.randn(500, 3, generator=gen, dtype=torch.float64)
    coeffs = torch.randn(500, 16, 3, generator=gen, dtype=torch.float64)
    assert torch.allclose(eval_sh(degree, dirs, coeffs), ref._spherical_harmonics(degree, dirs, coeffs),
                          rtol=1e-12, atol=1e-12)


def test_tile_binning_matches_gsplat_reference():
    g, viewmats, Ks = random_scene(60, seed=2)
    proj = project(g.means, g.quats, g.scales, g.opacities, viewmats, Ks, W, H)
    bins = bin_to_tiles(proj.means2d, proj.radii, proj.depths, W, H, 16)
    _, _, flatten_ids = ref._isect_tiles(proj.means2d, proj.radii, proj.depths.float(), 16, bins.tiles_x, bins.tiles_y)
    assert torch.equal(bins.ids, flatten_ids.long())  # same pairs, same (tile, depth) order


def composite_like_cuda(means2d, conics, opacities, colors, radii, depths, width, height, tile_size=16):
    """Transcription of gsplat's RasterizeToPixels3DGSFwd kernel with gsplat's own tile lists: each tile walks
    its Gaussians one by one, front to back, for all its pixels at once (one CUDA thread per pixel)."""
    tiles_x, tiles_y = math.ceil(width / tile_size), math.ceil(height / tile_size)
    _, isect_ids, flatten_ids = ref._isect_tiles(means2d, radii, depths.float(), tile_size, tiles_x, tiles_y)
    offsets = ref._isect_offset_encode(isect_ids, means2d.shape[0], tiles_x, tiles_y).flatten().tolist()
    offsets.append(len(flatten_ids))
    n_cams, n, dims = colors.shape
    image = torch.zeros(n_cams, tiles_y * tile_size, tiles_x * tile_size, dims, dtype=colors.dtype)
    alpha_img = torch.zeros(n_cams, tiles_y * tile_size, tiles_x * tile_size, 1, dtype=colors.dtype)
    mean, conic, opac, col = (t.reshape(n_cams * n, -1) for t in (means2d, conics, opacities, colors))
    iy, ix = torch.meshgrid(torch.arange(tile_size), torch.arange(tile_size), indexing="ij")
    for tile in range(n_cams * tiles_x * tiles_y):
        cam, rest = divmod(tile, tiles_x * tiles_y)
        y0, x0 = (rest // tiles_x) * tile_size, (rest % tiles_x) * tile_size
        px, py = ((x0 + ix).flatten() + 0.5).to(colors.dtype), ((y0 + iy).flatten() + 0.5).to(colors.dtype)
        trans = torch.ones(px.shape, dtype=colors.dtype)
        done = torch.zeros(px.shape, dtype=torch.bool)
        pix = torch.zeros(px.shape + (dims,), dtype=colors.dtype)
        for gid in flatten_ids[offsets[tile]:offsets[tile + 1]].tolist():
            dx, dy = mean[gid, 0] - px, mean[gid, 1] - py
            a, b, c = conic[gid]
            sigma = 0.5 * (a * dx * dx + c * dy * dy) + b * dx * dy
            alpha = torch.clamp_max(opac[gid, 0] * torch.exp(-sigma), 0.999)
            skip = (sigma < 0) | (alpha < 1 / 255) | done
            next_trans = trans * (1 - alpha)
            stop = ~skip & (next_trans <= 1e-4)  # this pixel is done: exclusive
            done |= stop
            blend = ~skip & ~stop
            pix += torch.where(blend[:, None], col[gid] * (alpha * trans)[:, None], 0.0)
            trans = torch.where(blend, next_trans, trans)
        image[cam, y0:y0 + tile_size, x0:x0 + tile_size] = pix.reshape(tile_size, tile_size, dims)
        alpha_img[cam, y0:y0 + tile_size, x0:x0 + tile_size, 0] = (1 - trans).reshape(tile_size, tile_size)
    return image[:, :height, :width], alpha_img[:, :height, :width]


def test_compositing_matches_cuda_kernel_loop():
    g, viewmats, Ks = random_scene(200, seed=3)
    g.opacity_logits.data += 3.0  # large, mostly opaque Gaussians: exercises the 1e-4 early stop
    g.log_scales.data += 0.7
    proj = project(g.means, g.quats, g.scales, g.opacities, viewmats, Ks, W, H)
    opac = g.opacities.expand_as(proj.depths)
    colors = torch.cat([torch.sigmoid(g.sh[None, :, 0]).expand(2, -1, -1), proj.depths[..., None]], -1)
    bins = bin_to_tiles(proj.means2d, proj.radii, proj.depths, W, H, 8)  # ours: 8 px tiles; gsplat's: 16
    image, alpha = composite(proj.means2d, proj.conics, opac, colors, bins, W, H, 8, chunk=7)
    want_image, want_alpha = composite_like_cuda(proj.means2d, proj.conics, opac[..., None], colors, proj.radii,
                                                 proj.depths, W, H)
    assert want_alpha.mean() > 0.5 and (want_alpha > 1 - 2e-4).sum() > 500  # many pixels stopped early
    assert (image - want_image).abs().max() < 1e-12
    assert (alpha - want_alpha).abs().max() < 1e-12


def test_full_render_colour_matches_gsplat_sh_convention():
    from twinkit.reconstruct.splats.torch_backend import camera_centres, rasterize

    g, viewmats, Ks = random_scene(80, seed=4, sh_degree=2)
    out = rasterize(g, viewmats, Ks, W, H, background=torch.tensor([0.2, 0.3, 0.4], dtype=torch.float64))
    proj = project(g.means, g.quats, g.scales, g.opacities, viewmats, Ks, W, H)
    dirs = g.means[None] - camera_centres(viewmats)[:, None]
    rgb = torch.clamp_min(ref._spherical_harmonics(2, dirs, g.sh[None].expand(2, -1, -1, -1)) + 0.5, 0.0)
    colors = torch.cat([rgb, proj.depths[..., None]], -1)
    image, alpha = composite_like_cuda(proj.means2d, proj.conics, g.opacities.expand(2, -1)[..., None], colors,
                                       proj.radii, proj.depths, W, H)
    want_rgb = image[..., :3] + (1 - alpha) * torch.tensor([0.2, 0.3, 0.4], dtype=torch.float64)
    assert (out.rgb - want_rgb).abs().max() < 1e-12
    covered = alpha[..., 0] > 0.01
    assert (out.depth[covered] - (image[..., 3:] / alpha)[covered]).abs().max() < 1e-9
    # Camera centres from view matrices: the second camera sits at x = -0.3.
    assert torch.allclose(camera_centres(viewmats)[1], torch.tensor([-0.3, 0, -2.5], dtype=torch.float64))

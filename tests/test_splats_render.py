"""The PyTorch rasterizer against analytic images, finite differences, and its own invariances."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from twinkit.capture.cameras import Camera, look_at
from twinkit.core.errors import InputError
from twinkit.reconstruct.splats import Gaussians, camera_tensors, get_rasterizer
from twinkit.reconstruct.splats.torch_backend import rasterize

F64 = torch.float64


@pytest.fixture(autouse=True)
def single_thread():
    """These scenes are tiny: one thread avoids OpenMP overhead that dominates on a shared 2-core machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def pinhole(f: float, cx: float, cy: float, n: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` identity-pose cameras (looking down +z from the origin) with focal ``f`` and centre (cx, cy)."""
    K = torch.tensor([[f, 0, cx], [0, f, cy], [0, 0, 1]], dtype=F64)
    return torch.eye(4, dtype=F64).repeat(n, 1, 1), K.repeat(n, 1, 1)


def one_gaussian(xyz, sigma: float, opacity: float, rgb) -> Gaussians:
    return Gaussians.from_points(torch.tensor([xyz], dtype=F64), torch.tensor([rgb], dtype=F64), sigma,
                                 sh_degree=0, opacity=opacity)


def test_isotropic_gaussian_facing_camera_matches_analytic_image():
    # sigma 2 cm at 2 m with f = 100 px: 1 px on screen, plus gsplat's 0.3 px^2 low-pass -> variance 1.3 px^2.
    g = one_gaussian([0.0, 0.0, 2.0], sigma=0.02, opacity=0.8, rgb=[0.9, 0.5, 0.1])
    viewmats, Ks = pinhole(100.0, 16.5, 16.5)  # the centre projects onto the centre of pixel (16, 16)
    bg = torch.tensor([0.1, 0.2, 0.3], dtype=F64)
    out = rasterize(g, viewmats, Ks, 32, 32, background=bg)
    v, u = torch.meshgrid(torch.arange(32, dtype=F64), torch.arange(32, dtype=F64), indexing="ij")
    d2 = (u + 0.5 - 16.5) ** 2 + (v + 0.5 - 16.5) ** 2
    alpha = 0.8 * torch.exp(-d2 / (2 * 1.3))
    alpha = torch.where(alpha >= 1 / 255, alpha, 0.0)  # gsplat skips fragments fainter than 1/255
    want = alpha[..., None] * torch.tensor([0.9, 0.5, 0.1], dtype=F64) + (1 - alpha[..., None]) * bg
    assert (out.alpha[0, ..., 0] - alpha).abs().max() < 1e-12
    assert (out.rgb[0] - want).abs().max() < 1e-12
    assert torch.allclose(out.depth[0, ..., 0][alpha > 0], torch.tensor(2.0, dtype=F64), atol=1e-12)
    assert (out.depth[0, ..., 0][alpha == 0] == 0).all()
    assert out.meta["radii"][0, 0].tolist() == [4, 4]  # ceil(sqrt(2 ln(255 * 0.8)) * sqrt(1.3))


def test_two_gaussians_composite_front_to_back():
    front = one_gaussian([0.0, 0.0, 2.0], sigma=0.02, opacity=0.6, rgb=[1.0, 0.0, 0.0])
    back = one_gaussian([0.0, 0.0, 3.0], sigma=0.03, opacity=0.7, rgb=[0.0, 0.0, 1.0])
    # Listed back first: order in the set must not matter, only depth.
    g = Gaussians(*(torch.cat([b, f]) for b, f in zip(back.tensors(), front.tensors())))
    viewmats, Ks = pinhole(100.0, 16.5, 16.5)
    out = rasterize(g, viewmats, Ks, 32, 32)
    assert torch.allclose(out.rgb[0, 16, 16], torch.tensor([0.6, 0.0, 0.4 * 0.7], dtype=F64), atol=1e-12)
    assert abs(out.alpha[0, 16, 16, 0].item() - (1 - 0.4 * 0.3)) < 1e-12
    assert abs(out.depth[0, 16, 16, 0].item() - (0.6 * 2 + 0.28 * 3) / 0.88) < 1e-12


def tiny_scene(n: int = 4, seed: int = 0) -> tuple[Gaussians, torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    means = torch.stack([torch.linspace(-0.25, 0.25, n, dtype=F64), 0.1 * torch.randn(n, generator=gen, dtype=F64),
                         2.0 + 0.3 * torch.rand(n, generator=gen, dtype=F64)], dim=1)
    g = Gaussians(means, math.log(0.06) + 0.3 * torch.randn(n, 3, generator=gen, dtype=F64),
                  torch.randn(n, 4, generator=gen, dtype=F64), torch.randn(n, generator=gen, dtype=F64),
                  0.4 * torch.randn(n, 4, 3, generator=gen, dtype=F64))
    viewmats, Ks = pinhole(40.0, 16.0, 6.0, n=2)
    viewmats[1, :3, :3] = torch.tensor([[0.995, 0, 0.0998], [0, 1, 0], [-0.0998, 0, 0.995]], dtype=F64)
    return g, viewmats, Ks


def test_gradients_match_finite_differences():
    g, viewmats, Ks = tiny_scene()
    bg = torch.tensor([0.3, 0.2, 0.1], dtype=F64)

    def render(*params):
        out = rasterize(Gaussians(*params), viewmats, Ks, 32, 12, background=bg)
        return out.rgb, out.alpha, out.depth

    params = [t.clone().requires_grad_() for t in g.tensors()]
    assert rasterize(g, viewmats, Ks, 32, 12).alpha.amax() > 0.5  # the Gaussians really cover pixels
    # fast mode: compares random directional derivatives (v^T J u) with finite differences
    assert torch.autograd.gradcheck(render, params, eps=1e-6, atol=1e-6, rtol=1e-4, fast_mode=True)


def test_tile_size_chunking_float32_and_camera_batching_do_not_change_the_image():
    from twinkit.reconstruct.splats.composite import bin_to_tiles, composite
    from twinkit.reconstruct.splats.projection import project

    g, viewmats, Ks = tiny_scene(n=30, seed=1)
    both = rasterize(g, viewmats, Ks, 32, 12)
    second = rasterize(g, viewmats[1:], Ks[1:], 32, 12)
    assert (both.rgb[1:] - second.rgb).abs().max() < 1e-12
    single32 = rasterize(g.to(dtype=torch.float32), viewmats.float(), Ks.float(), 32, 12)
    assert (single32.rgb.double() - both.rgb).abs().max() < 1e-4
    proj = project(g.means, g.quats, g.scales, g.opacities, viewmats, Ks, 32, 12)
    features = torch.sigmoid(g.sh[None, :, 0]).expand(2, -1, -1)
    opac = g.opacities.expand(2, -1)
    images = [composite(proj.means2d, proj.conics, opac, features,
                        bin_to_tiles(proj.means2d, proj.radii, proj.depths, 32, 12, tile), 32, 12, tile, chunk)
              for tile, chunk in ((16, 1), (16, 64), (8, 3), (4, 16))]
    assert images[0][1].amax() > 0.9  # the scene is covered
    for image, alpha in images[1:]:
        assert (image - images[0][0]).abs().max() < 1e-12 and (alpha - images[0][1]).abs().max() < 1e-12


def test_culling_behind_camera_and_empty_scene():
    viewmats, Ks = pinhole(100.0, 16.0, 16.0)
    behind = one_gaussian([0.0, 0.0, -2.0], sigma=0.05, opacity=0.9, rgb=[1.0, 1.0, 1.0])
    out = rasterize(behind, viewmats, Ks, 32, 32, background=torch.ones(3, dtype=F64))
    assert (out.alpha == 0).all() and (out.rgb == 1).all() and (out.meta["radii"] == 0).all()


def test_camera_tensors_and_device_choice():
    R, t = look_at(np.array([0.0, -2.0, 1.0]), np.zeros(3), np.array([0.0, 0.0, 1.0]))
    cam = Camera("c0", 64, 48, K=[[50, 0, 32], [0, 50, 24], [0, 0, 1]], R=R, t=t, model="PINHOLE")
    viewmats, Ks = camera_tensors([cam], dtype=F64)
    g = one_gaussian([0.0, 0.0, 0.0], sigma=0.02, opacity=0.9, rgb=[1.0, 1.0, 1.0])
    out = rasterize(g, viewmats, Ks, 64, 48)
    peak = divmod(int(out.alpha[0, ..., 0].argmax()), 64)
    assert peak == (23, 31) or peak == (24, 32) or np.allclose(peak, (23.5, 31.5), atol=0.6)
    assert abs(out.depth[0, peak[0], peak[1], 0].item() - math.sqrt(5)) < 1e-9
    with pytest.raises(InputError, match="distortion"):
        camera_tensors([Camera("c1", 64, 48, K=cam.K, dist=[0.1, 0, 0, 0, 0])])
    rasterizer, device = get_rasterizer("cpu")
    assert rasterizer is rasterize and device.type == "cpu"
    if not torch.cuda.is_available():
        with pytest.raises(InputError, match="CUDA"):
            get_rasterizer("cuda")

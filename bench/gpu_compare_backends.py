"""On a CUDA machine: render the same random scenes with gsplat's CUDA rasterizer and the PyTorch rasterizer
and print how far apart their images and gradients are (and their timings).

    python bench/gpu_compare_backends.py --sizes 2000 20000 --resolution 256
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from splat_scenes import blob_scene  # noqa: E402

from twinkit.reconstruct.splats import Gaussians, gsplat_backend, torch_backend  # noqa: E402


def render_and_grad(rasterize, scene, resolution: int):
    """Images, parameter gradients of a fixed loss, and forward/backward seconds."""
    g, viewmats, Ks = scene
    g = Gaussians(*(t.detach().clone() for t in g.tensors())).requires_grad_()  # fresh leaves per run
    torch.cuda.synchronize()
    start = time.perf_counter()
    out = rasterize(g, viewmats, Ks, resolution, resolution, background=torch.tensor([0.2, 0.4, 0.6]))
    torch.cuda.synchronize()
    mid = time.perf_counter()
    weights = torch.linspace(0.5, 1.5, out.rgb.numel(), device=out.rgb.device).reshape(out.rgb.shape)
    loss = (weights * out.rgb).sum() + out.alpha.sum() + 0.1 * (out.depth * out.alpha).sum()
    loss.backward()
    torch.cuda.synchronize()
    end = time.perf_counter()
    grads = {name: t.grad.detach().clone() for name, t in zip(
        ("means", "log_scales", "quats", "opacity_logits", "sh"), g.tensors())}
    return out, grads, mid - start, end - mid


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 20000])
    parser.add_argument("--kinds", nargs="+", default=["trained", "initial"])
    parser.add_argument("--resolution", type=int, default=256)
    args = parser.parse_args()
    if not torch.cuda.is_available():
        sys.exit("gpu_compare_backends: needs a CUDA GPU (torch.cuda.is_available() is false)")
    print(f"torch {torch.__version__}, {torch.cuda.get_device_name()}, {args.resolution}x{args.resolution}, float32")
    for kind in args.kinds:
        for n in args.sizes:
            scene = blob_scene(n, kind, args.resolution, device="cuda")
            render_and_grad(gsplat_backend.rasterize, scene, args.resolution)  # warm-up (and JIT build)
            ours, ours_grads, t_fwd, t_bwd = render_and_grad(torch_backend.rasterize, scene, args.resolution)
            ref, ref_grads, g_fwd, g_bwd = render_and_grad(gsplat_backend.rasterize, scene, args.resolution)
            print(f"\n{kind} scene, {n} Gaussians, coverage {ref.alpha.mean().item():.2f}")
            for name in ("rgb", "alpha", "depth"):
                a, b = getattr(ours, name), getattr(ref, name)
                if name == "depth":  # expected depth is ill-conditioned where almost nothing was hit
                    a, b = a[ref.alpha > 0.5], b[ref.alpha > 0.5]
                diff = (a - b).abs()
                print(f"  {name:6} max |diff| {diff.max().item():.3e}  mean |diff| {diff.mean().item():.3e}")
            for name, want in ref_grads.items():
                got = ours_grads[name]
                rel = (got - want).norm() / want.norm().clamp_min(1e-30)
                cos = torch.nn.functional.cosine_similarity(got.flatten(), want.flatten(), dim=0)
                print(f"  grad {name:14} relative error {rel.item():.3e}  cosine {cos.item():.6f}")
            print(f"  timing: gsplat fwd {g_fwd * 1e3:.1f} ms bwd {g_bwd * 1e3:.1f} ms; "
                  f"torch backend on GPU fwd {t_fwd * 1e3:.1f} ms bwd {t_bwd * 1e3:.1f} ms")


if __name__ == "__main__":
    main()

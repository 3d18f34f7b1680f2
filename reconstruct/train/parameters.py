"""The Gaussians as named trainable parameters with one Adam optimiser each (the layout gsplat's
densification strategies edit in place)."""

from __future__ import annotations

import torch

from twinkit.reconstruct.splats import Gaussians
from twinkit.reconstruct.train.options import TrainOptions

Params = torch.nn.ParameterDict
Optimizers = dict[str, torch.optim.Optimizer]


def to_params(gaussians: Gaussians) -> Params:
    """gsplat's parameter names: means, scales (log), quats, opacities (logits), sh0, shN."""
    tensors = {"means": gaussians.means, "scales": gaussians.log_scales, "quats": gaussians.quats,
               "opacities": gaussians.opacity_logits, "sh0": gaussians.sh[:, :1]}
    if gaussians.sh.shape[1] > 1:
        tensors["shN"] = gaussians.sh[:, 1:]
    return Params({name: torch.nn.Parameter(t.detach().clone()) for name, t in tensors.items()})


def to_gaussians(params: Params) -> Gaussians:
    """The differentiable :class:`Gaussians` view of ``params``."""
    sh = torch.cat([params["sh0"], params["shN"]], 1) if "shN" in params else params["sh0"]
    return Gaussians(params["means"], params["scales"], params["quats"], params["opacities"], sh)


def learning_rates(options: TrainOptions, scene_scale: float) -> dict[str, float]:
    """Initial learning rate per parameter (3DGS values; means scaled by the subject's size)."""
    return {"means": options.lr_means * scene_scale, "scales": options.lr_scales, "quats": options.lr_quats,
            "opacities": options.lr_opacities, "sh0": options.lr_sh, "shN": options.lr_sh / 20.0}


def make_optimizers(params: Params, options: TrainOptions, scene_scale: float) -> Optimizers:
    """One Adam per parameter (eps 1e-15, as 3DGS), so densification can resize each independently."""
    rates = learning_rates(options, scene_scale)
    return {name: torch.optim.Adam([{"params": [p], "lr": rates[name], "name": name}], eps=1e-15)
            for name, p in params.items()}


def set_means_lr(optimizers: Optimizers, options: TrainOptions, scene_scale: float, step: int) -> None:
    """Exponential decay of the means' learning rate to 1% at the last step (a function of the step only,
    so a resumed run follows the same schedule)."""
    lr = options.lr_means * scene_scale * 0.01 ** (step / max(1, options.steps - 1))
    for group in optimizers["means"].param_groups:
        group["lr"] = lr

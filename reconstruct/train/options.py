"""Training settings: one dataclass, with named profiles sized for a CPU preview or a GPU run."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

from twinkit.core.errors import InputError


@dataclass(frozen=True)
class TrainOptions:
    """Everything that shapes a training run (the checkpoint records it; ``--resume`` requires it unchanged).

    Steps render one training camera each. Learning rates follow the 3DGS paper (means scaled by the
    body's size and decayed 100x over the run); densification uses gsplat's default 3DGS strategy.
    """

    resolution: int = 256  # long image side in pixels (never upsampled beyond the capture's images)
    steps: int = 400
    init_points: int = 8000
    max_gaussians: int = 12000
    sh_degree: int = 1
    sh_interval: int = 150  # raise the active SH degree every this many steps
    holdout_every: int = 8  # cameras 0, 8, 16, ... are held out, never trained on
    ssim_weight: float = 0.2
    alpha_weight: float = 0.1  # L1 between rendered alpha and the mask
    exposure_weight: float = 0.01  # pulls per-camera gain/bias to identity
    # Preview learning rates are higher than 3DGS's (1.6e-4, 2.5e-3): a few hundred steps must get far.
    lr_means: float = 4e-4  # times the body's radius; decays to 1% by the last step
    lr_scales: float = 5e-3
    lr_quats: float = 1e-3
    lr_opacities: float = 5e-2
    lr_sh: float = 7.5e-3  # degree-0 colour; higher bands use 1/20 of it
    lr_exposure: float = 1e-3
    refine_start: int = 100
    refine_stop: int = 300
    refine_every: int = 50
    grow_grad2d: float = 2e-4
    mask_prune_fraction: float = 0.5  # prune a Gaussian outside the masks in more than this share of views
    checkpoint_every: int = 100
    eval_every: int = 100  # held-out PSNR every this many steps, into metrics.json's held_out_curve
    seed: int = 0
    threads: int = 2  # CPU threads for PyTorch (ignored on CUDA)
    eval_background: tuple[float, float, float] = (0.0, 0.0, 0.0)

    def __post_init__(self) -> None:
        if (self.resolution < 16 or self.steps < 1 or self.init_points < 1 or self.holdout_every < 2
                or self.eval_every < 1):
            raise InputError("training options need resolution >= 16, steps >= 1, init_points >= 1, "
                             "holdout_every >= 2, eval_every >= 1")
        if not 0 <= self.sh_degree <= 3:
            raise InputError(f"sh_degree must be 0..3, got {self.sh_degree}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


PROFILES: dict[str, TrainOptions] = {
    # 2 CPU threads, 24 cameras at 256 px: well under 10 minutes.
    "preview": TrainOptions(),
    # One GPU (gsplat kernels), 48 cameras at 1024 px: the 3DGS schedule.
    "standard": TrainOptions(resolution=1024, steps=30000, init_points=100000, max_gaussians=1_000_000,
                             lr_means=1.6e-4, lr_sh=2.5e-3, sh_degree=3, sh_interval=1000, refine_start=500, refine_stop=15000,
                             refine_every=100, checkpoint_every=2000, eval_every=500),
    "high": TrainOptions(resolution=2048, steps=60000, init_points=200000, max_gaussians=3_000_000,
                         lr_means=1.6e-4, lr_sh=2.5e-3, sh_degree=3, sh_interval=1000, refine_start=500, refine_stop=30000,
                         refine_every=100, checkpoint_every=2000, eval_every=1000),
}


def profile(name: str, **overrides: Any) -> TrainOptions:
    """The named profile (``preview``, ``standard``, ``high``) with ``overrides`` applied."""
    if name not in PROFILES:
        raise InputError(f"unknown training profile {name!r} (choose {', '.join(PROFILES)})")
    return replace(PROFILES[name], **overrides)

"""The avatar splat trainer: Gaussians initialised on the fitted body, trained on the capture's key frame."""

from twinkit.reconstruct.train.options import PROFILES, TrainOptions, profile
from twinkit.reconstruct.train.trainer import TrainResult, train_splats

__all__ = ["PROFILES", "TrainOptions", "TrainResult", "profile", "train_splats"]

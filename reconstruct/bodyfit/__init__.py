"""Fit the anny body model (phenotype, pose, rigid placement) to a capture: the prior for the splats and the
template for rigging."""

from twinkit.reconstruct.bodyfit.fit import BodyFit, FitOptions, fit_body
from twinkit.reconstruct.bodyfit.output import read_body, write_body

__all__ = ["BodyFit", "FitOptions", "fit_body", "read_body", "write_body"]

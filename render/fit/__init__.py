"""Garment fit analysis (``twin fit``): ease, strain and contact maps of garments dressed on an avatar,
per-region and girth ease figures, a size ranking with reasons, heat maps and a shareable HTML report
(:func:`twinkit.render.fit.report.make_fit_report`, which needs the garments stage and pyrender)."""

from twinkit.render.fit.bands import EASE_BANDS_CM, ease_bands
from twinkit.render.fit.girths import Plane, enclosing_girth, girth_ease_cm, measurement_planes, pose_landmarks
from twinkit.render.fit.metrics import CONTACT_MM, FitMaps, edge_strain, fit_maps, signed_distance_mm, vertex_average
from twinkit.render.fit.ranking import Ranked, SizeFit, rank_sizes, score_size
from twinkit.render.fit.regions import RegionFit, region_fit, region_fits

__all__ = ["CONTACT_MM", "EASE_BANDS_CM", "FitMaps", "Plane", "Ranked", "RegionFit", "SizeFit", "ease_bands",
           "edge_strain", "enclosing_girth", "fit_maps", "girth_ease_cm", "measurement_planes",
           "pose_landmarks", "rank_sizes", "region_fit", "region_fits", "score_size", "signed_distance_mm",
           "vertex_average"]


"""Garments: the library (t-shirt, trousers, dress, jacket in S/M/L), users' garment files, and dressing an
avatar by surface correspondence and cloth relaxation."""

from twinkit.render.garments.cloth import ClothOptions, relax
from twinkit.render.garments.dress import DressOptions, Dressed, dress, dress_body, transfer
from twinkit.render.garments.files import read_garment, write_garment
from twinkit.render.garments.garment import Garment, boundary_loops
from twinkit.render.garments.library import garment_names, garment_sizes, load_garment
from twinkit.render.garments.reference import fit_phenotype, reference_body
from twinkit.render.garments.stacking import stacking_order

__all__ = ["ClothOptions", "DressOptions", "Dressed", "Garment", "boundary_loops", "dress", "dress_body",
           "fit_phenotype", "garment_names", "garment_sizes", "load_garment", "read_garment", "reference_body",
           "relax", "stacking_order", "transfer", "write_garment"]

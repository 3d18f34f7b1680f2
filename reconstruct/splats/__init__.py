"""Gaussian splatting: the splat set, two rasterizers with the same maths (gsplat on CUDA, PyTorch on CPU),
and the standard 3DGS PLY format."""

from twinkit.reconstruct.splats.backend import camera_tensors, get_rasterizer
from twinkit.reconstruct.splats.gaussians import Gaussians, rgb_to_sh
from twinkit.reconstruct.splats.ply import read_ply, write_ply
from twinkit.reconstruct.splats.result import Render

__all__ = ["Gaussians", "Render", "camera_tensors", "get_rasterizer", "read_ply", "rgb_to_sh", "write_ply"]

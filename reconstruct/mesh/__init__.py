"""The textured mesh: splat depth maps fused into a closed surface, UV-unwrapped, textured from the photos,
written as glTF (Y up, feet at y = 0) and OBJ."""

from twinkit.reconstruct.mesh.build import MeshOptions, build_mesh
from twinkit.reconstruct.mesh.depth_maps import DepthMaps, render_depth, surface_splats
from twinkit.reconstruct.mesh.export import gltf_from_world, write_mesh
from twinkit.reconstruct.mesh.fuse import close_holes, flatten_below, fuse_depth, keep_largest, simplify, smooth
from twinkit.reconstruct.mesh.silhouette import SilhouetteOptions, refine_to_silhouettes
from twinkit.reconstruct.mesh.texture import bake_texture
from twinkit.reconstruct.mesh.uv import unwrap
from twinkit.reconstruct.mesh.views import View, load_views, pinhole

__all__ = ["DepthMaps", "MeshOptions", "SilhouetteOptions", "View", "bake_texture", "build_mesh", "close_holes",
           "flatten_below", "fuse_depth", "gltf_from_world", "keep_largest", "load_views", "pinhole",
           "refine_to_silhouettes", "render_depth", "simplify", "smooth", "surface_splats", "unwrap", "write_mesh"]

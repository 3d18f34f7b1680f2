"""Read and write Gaussians in the standard 3D Gaussian Splatting PLY layout (as the original 3DGS code,
nerfstudio and common splat viewers use it).

One binary little-endian ``vertex`` element of float32 properties: ``x y z nx ny nz f_dc_0..2
f_rest_0..(3(K-1)-1) opacity scale_0..2 rot_0..3``. ``f_rest`` is channel-major (all red coefficients of
bands >= 1, then green, then blue), opacity is the logit, scales are logs, ``rot`` is the quaternion wxyz.
Not gsplat's exporter, which omits the ``nx ny nz`` of the original layout.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
from trimesh.exchange.ply import load_ply

from twinkit.core.atomic import write_bytes
from twinkit.core.errors import InputError
from twinkit.reconstruct.splats.gaussians import Gaussians

_FIXED = ["x", "y", "z", "f_dc_0", "f_dc_1", "f_dc_2", "opacity", "scale_0", "scale_1", "scale_2",
          "rot_0", "rot_1", "rot_2", "rot_3"]


def _property_names(n_rest: int) -> list[str]:
    return (["x", "y", "z", "nx", "ny", "nz", "f_dc_0", "f_dc_1", "f_dc_2"]
            + [f"f_rest_{i}" for i in range(n_rest)]
            + ["opacity", "scale_0", "scale_1", "scale_2", "rot_0", "rot_1", "rot_2", "rot_3"])


def write_ply(path: str | Path, gaussians: Gaussians) -> None:
    """Atomically write ``gaussians`` to ``path`` as a 3DGS PLY (float32)."""
    # Hand-written: plyfile is GPL-3.0 (twinkit is Apache-2.0), and trimesh carries custom per-vertex
    # properties only on a Trimesh, whose exporter always adds an `element face` and a comment line.
    g = gaussians.to(device="cpu", dtype=torch.float32)
    n, k = len(g), g.sh.shape[1]
    rest = g.sh[:, 1:, :].transpose(1, 2).reshape(n, 3 * (k - 1))  # channel-major, as 3DGS saves it
    columns = torch.cat([g.means, torch.zeros(n, 3), g.sh[:, 0, :], rest, g.opacity_logits[:, None],
                         g.log_scales, g.quats], dim=1).detach().numpy()
    names = _property_names(3 * (k - 1))
    vertex = np.empty(n, dtype=[(name, "<f4") for name in names])
    for i, name in enumerate(names):
        vertex[name] = columns[:, i]
    header = "".join(["ply\nformat binary_little_endian 1.0\n", f"element vertex {n}\n",
                      *(f"property float {name}\n" for name in names), "end_header\n"])
    write_bytes(path, header.encode("ascii") + vertex.tobytes())


def _read_vertices(path: Path) -> np.ndarray:
    """The ``vertex`` element of a binary little-endian PLY as a structured array (parsed by trimesh)."""
    try:
        with path.open("rb") as handle:
            if handle.readline().strip() != b"ply":
                raise InputError("not a readable PLY file (it does not start with 'ply')", path)
            encoding = handle.readline().split()[1:2]
            if encoding != [b"binary_little_endian"]:
                found = encoding[0].decode("ascii", "replace") if encoding else "none"
                raise InputError(f"PLY format is {found!r}; only binary_little_endian is read", path)
            handle.seek(0)
            elements = load_ply(handle, skip_materials=True)["metadata"]["_ply_raw"]
    except FileNotFoundError:
        raise InputError("file not found", path) from None
    except InputError:
        raise
    except Exception as exc:  # trimesh raises ValueError, KeyError or IndexError for malformed files
        raise InputError(f"not a readable PLY file ({exc})", path) from None
    if "vertex" not in elements:
        raise InputError("PLY has no 'vertex' element", path)
    return elements["vertex"]["data"]


def read_ply(path: str | Path) -> Gaussians:
    """Read a 3DGS PLY (any SH degree 0..3, extra properties ignored) into float32 :class:`Gaussians`."""
    path = Path(path)
    vertex = _read_vertices(path)
    present = {name for name in vertex.dtype.names or () if vertex.dtype[name].shape == ()}  # no lists
    missing = [name for name in _FIXED if name not in present]
    if missing:
        raise InputError(f"not a 3D Gaussian Splatting PLY: missing properties {', '.join(missing)}", path)
    n_rest = sum(1 for name in present if name.startswith("f_rest_"))
    k = n_rest // 3 + 1
    if n_rest % 3 or math.isqrt(k) ** 2 != k or k > 16 or any(f"f_rest_{i}" not in present for i in range(n_rest)):
        raise InputError(f"{n_rest} f_rest properties do not make SH degree 0..3 (expected 0, 9, 24 or 45)", path)

    n = len(vertex)

    def cols(*names: str) -> torch.Tensor:
        out = np.empty((n, len(names)), dtype=np.float32)
        for i, name in enumerate(names):
            out[:, i] = vertex[name]
        return torch.from_numpy(out)

    rest = cols(*(f"f_rest_{i}" for i in range(n_rest))).reshape(n, 3, k - 1).transpose(1, 2)
    sh = torch.cat([cols("f_dc_0", "f_dc_1", "f_dc_2")[:, None, :], rest], dim=1)
    gaussians = Gaussians(cols("x", "y", "z"), cols("scale_0", "scale_1", "scale_2"),
                          cols("rot_0", "rot_1", "rot_2", "rot_3"), cols("opacity")[:, 0], sh.contiguous())
    if not all(torch.isfinite(t).all() for t in gaussians.tensors()):
        raise InputError("PLY holds non-finite (NaN or infinite) Gaussian parameters", path)
    return gaussians

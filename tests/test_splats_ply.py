"""The 3DGS PLY writer and reader: exact round trip, the standard property layout, trimesh can read it,
and clear errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import trimesh

from twinkit.core.errors import InputError
from twinkit.reconstruct.splats import Gaussians, read_ply, write_ply


def random_gaussians(n: int, degree: int, seed: int = 0) -> Gaussians:
    gen = torch.Generator().manual_seed(seed)
    return Gaussians(torch.randn(n, 3, generator=gen), torch.randn(n, 3, generator=gen),
                     torch.randn(n, 4, generator=gen), torch.randn(n, generator=gen),
                     torch.randn(n, (degree + 1) ** 2, 3, generator=gen))


@pytest.mark.parametrize("degree", [0, 1, 3])
def test_round_trip_is_exact(tmp_path, degree):
    g = random_gaussians(257, degree)
    write_ply(tmp_path / "splats.ply", g)
    back = read_ply(tmp_path / "splats.ply")
    assert back.sh_degree == degree
    for a, b in zip(g.tensors(), back.tensors()):
        assert torch.equal(a, b)


def test_layout_is_the_original_3dgs_one(tmp_path):
    g = random_gaussians(5, 3)
    write_ply(tmp_path / "splats.ply", g)
    names = (["x", "y", "z", "nx", "ny", "nz", "f_dc_0", "f_dc_1", "f_dc_2"]
             + [f"f_rest_{i}" for i in range(45)]
             + ["opacity", "scale_0", "scale_1", "scale_2", "rot_0", "rot_1", "rot_2", "rot_3"])
    header = ("ply\nformat binary_little_endian 1.0\nelement vertex 5\n"
              + "".join(f"property float {name}\n" for name in names) + "end_header\n").encode()
    data = (tmp_path / "splats.ply").read_bytes()
    assert data.startswith(header) and len(data) == len(header) + 5 * len(names) * 4
    vertex = np.frombuffer(data[len(header):], dtype=[(name, "<f4") for name in names])
    # f_rest is channel-major: the 15 red coefficients of bands 1..3 come first, then green, then blue.
    assert np.allclose(vertex["f_rest_0"], g.sh[:, 1, 0].numpy())
    assert np.allclose(vertex["f_rest_14"], g.sh[:, 15, 0].numpy())
    assert np.allclose(vertex["f_rest_15"], g.sh[:, 1, 1].numpy())
    assert np.allclose(vertex["f_rest_44"], g.sh[:, 15, 2].numpy())
    assert np.allclose(vertex["opacity"], g.opacity_logits.numpy())  # logit, not sigmoid
    assert np.allclose(vertex["scale_0"], g.log_scales[:, 0].numpy())  # log, not exp
    assert np.allclose(vertex["rot_0"], g.quats[:, 0].numpy())  # w first
    # Decoded as the 3DGS viewers do: colour = 0.5 + C0 * f_dc.
    assert np.allclose(0.5 + 0.28209479177387814 * vertex["f_dc_1"], 0.5 + 0.28209479177387814 * g.sh[:, 0, 1].numpy())


def test_bad_files_raise_input_errors(tmp_path):
    with pytest.raises(InputError, match="not found"):
        read_ply(tmp_path / "missing.ply")
    (tmp_path / "junk.ply").write_bytes(b"not a ply at all")
    with pytest.raises(InputError, match="not a readable PLY") as exc:
        read_ply(tmp_path / "junk.ply")
    assert exc.value.path == tmp_path / "junk.ply"
    xyz = "ply\nformat {} 1.0\nelement vertex 1\nproperty float x\nproperty float y\nproperty float z\nend_header\n"
    (tmp_path / "ascii.ply").write_text(xyz.format("ascii") + "0 0 0\n")
    with pytest.raises(InputError, match="'ascii'; only binary_little_endian"):
        read_ply(tmp_path / "ascii.ply")
    (tmp_path / "mesh.ply").write_bytes(xyz.format("binary_little_endian").encode() + bytes(12))
    with pytest.raises(InputError, match="missing properties .*f_dc_0"):
        read_ply(tmp_path / "mesh.ply")
    write_ply(tmp_path / "whole.ply", random_gaussians(4, 1))
    (tmp_path / "truncated.ply").write_bytes((tmp_path / "whole.ply").read_bytes()[:-10])
    with pytest.raises(InputError, match="not a readable PLY .*unexpected length") as exc:
        read_ply(tmp_path / "truncated.ply")
    assert exc.value.path == tmp_path / "truncated.ply"
    g = random_gaussians(3, 1)
    g.means[1, 0] = math.nan
    write_ply(tmp_path / "nan.ply", g)
    with pytest.raises(InputError, match="non-finite"):
        read_ply(tmp_path / "nan.ply")


def test_write_leaves_no_partial_file(tmp_path):
    target = tmp_path / "avatar" / "splats.ply"
    write_ply(target, random_gaussians(10, 0))
    assert [p.name for p in target.parent.iterdir()] == ["splats.ply"]


def test_extra_properties_are_ignored(tmp_path):
    g = random_gaussians(6, 1, seed=3)
    write_ply(tmp_path / "splats.ply", g)
    data = (tmp_path / "splats.ply").read_bytes()
    end = data.index(b"end_header\n")
    names = [line.split()[-1].decode() for line in data[:end].splitlines() if line.startswith(b"property")]
    vertex = np.frombuffer(data[end + 11:], dtype=[(name, "<f4") for name in names])
    extended = np.empty(6, dtype=[("red", "u1"), *vertex.dtype.descr, ("weight", "<f8")])
    for name in names:
        extended[name] = vertex[name]
    extended["red"], extended["weight"] = 7, 0.25
    header = data[:end].replace(b"element vertex 6\n", b"element vertex 6\nproperty uchar red\n")
    (tmp_path / "extra.ply").write_bytes(header + b"property double weight\nend_header\n" + extended.tobytes())
    back = read_ply(tmp_path / "extra.ply")
    for a, b in zip(g.tensors(), back.tensors()):
        assert torch.equal(a, b)


def test_trimesh_reads_it_as_a_point_cloud(tmp_path):
    g = random_gaussians(123, 2, seed=1)
    write_ply(tmp_path / "splats.ply", g)
    cloud = trimesh.load(tmp_path / "splats.ply", process=False)
    assert isinstance(cloud, trimesh.PointCloud)
    assert len(cloud.vertices) == 123
    assert np.array_equal(cloud.vertices, g.means.numpy())

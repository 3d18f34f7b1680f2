"""--engine nerfstudio: the external ns-train/ns-export contract, exercised with stand-in executables."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from twinkit.capture.layout import Capture
from twinkit.core.errors import TwinkitError
from twinkit.reconstruct.nerfstudio_engine import find_tools, train_with_nerfstudio
from twinkit.reconstruct.splats import Gaussians, write_ply

# Stand-ins for nerfstudio's programs: they check the arguments twinkit must pass, record them, and
# produce what the real ones produce (a config.yml, then splat.ply).
NS_TRAIN = """#!{python}
import json, sys
from pathlib import Path
args = sys.argv[1:]
assert args[0] == "splatfacto", args
value = lambda flag: args[args.index(flag) + 1]
assert value("--data").endswith("transforms.json")
assert value("--orientation-method") == "none" and value("--auto-scale-poses") == "False"
out = Path(value("--output-dir")) / value("--experiment-name") / "splatfacto" / value("--timestamp")
out.mkdir(parents=True)
(out / "config.yml").write_text("method_name: splatfacto\\n")
Path(value("--output-dir"), "ns-train-args.json").write_text(json.dumps(args))
"""
NS_EXPORT = """#!{python}
import shutil, sys
from pathlib import Path
args = sys.argv[1:]
assert args[0] == "gaussian-splat" and Path(args[args.index("--load-config") + 1]).exists()
out = Path(args[args.index("--output-dir") + 1])
out.mkdir(parents=True)
shutil.copy("{ply}", out / "splat.ply")
"""


def _capture(tmp_path: Path) -> Capture:
    from twinkit.capture.cameras import Camera, write_cameras
    from twinkit.core.manifest import Manifest

    root = tmp_path / "capture"
    root.mkdir()
    K = [[50.0, 0.0, 32.0], [0.0, 50.0, 32.0], [0.0, 0.0, 1.0]]
    write_cameras(root / "cameras.json", [Camera("cam00", 64, 64, K)], up=[0, 0, 1])
    (root / "transforms.json").write_text("{}")
    Manifest(kind="capture", extra={"frames": [0], "world": {"up": [0, 0, 1], "scale": "metric"}}).write(root)
    return Capture.open(root)


def test_missing_nerfstudio_says_how_to_install(tmp_path: Path) -> None:
    with pytest.raises(TwinkitError, match="own environment"):
        find_tools(tmp_path)


def test_splatfacto_runs_in_the_capture_world_and_is_imported(tmp_path: Path) -> None:
    torch.manual_seed(0)
    expected = Gaussians.from_points(torch.rand(50, 3, dtype=torch.float64), torch.rand(50, 3, dtype=torch.float64),
                                     scale=0.01, sh_degree=1)
    ply = tmp_path / "expected.ply"
    write_ply(ply, expected)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, text in (("ns-train", NS_TRAIN), ("ns-export", NS_EXPORT)):
        tool = bin_dir / name
        tool.write_text(text.format(python=sys.executable, ply=ply))
        tool.chmod(0o755)
    work = tmp_path / "work"
    got = train_with_nerfstudio(_capture(tmp_path), work, max_steps=100, bin_dir=bin_dir)
    args = json.loads((work / "ns-train-args.json").read_text())
    assert args[args.index("--max-num-iterations") + 1] == "100"
    np.testing.assert_allclose(got.means.numpy(), expected.means.numpy(), atol=1e-6)
    assert got.sh_degree == 1

"""Train the splats with nerfstudio's splatfacto instead of twinkit's trainer (``--engine nerfstudio``).

nerfstudio cannot share twinkit's environment (see ../shared/docs/environment.md: protobuf and opencv
conflicts with mediapipe), so it runs as external programs from its own environment: ``ns-train
splatfacto`` on the capture's ``transforms.json`` (its poses kept in the capture world: no re-orientation,
centring or scaling), then ``ns-export gaussian-splat``; the exported 3DGS PLY is read back.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from twinkit.capture.layout import TRANSFORMS, Capture
from twinkit.core.errors import InputError, TwinkitError
from twinkit.core.progress import info
from twinkit.reconstruct.splats import Gaussians, read_ply

INSTALL_HINT = ("nerfstudio is not on PATH. Install it in its own environment (it cannot share twinkit's), "
                "e.g. `python -m venv ~/ns && ~/ns/bin/pip install nerfstudio`, then put ~/ns/bin on PATH "
                "or pass --ns-bin ~/ns/bin.")


def find_tools(bin_dir: Path | None = None) -> tuple[str, str]:
    """Paths of ``ns-train`` and ``ns-export`` (in ``bin_dir`` or on PATH); a clear error if absent."""
    found = [shutil.which(name, path=str(bin_dir) if bin_dir else None) for name in ("ns-train", "ns-export")]
    if not all(found):
        raise TwinkitError(INSTALL_HINT)
    return found[0], found[1]


def train_command(ns_train: str, capture: Capture, work: Path, max_steps: int) -> list[str]:
    """The ``ns-train splatfacto`` command line that keeps the capture's world frame."""
    return [ns_train, "splatfacto", "--output-dir", str(work), "--experiment-name", "twinkit",
            "--timestamp", "run", "--max-num-iterations", str(max_steps), "--viewer.quit-on-train-completion",
            "True", "--vis", "tensorboard", "nerfstudio-data", "--data", str(capture.root / TRANSFORMS),
            "--orientation-method", "none", "--center-method", "none", "--auto-scale-poses", "False",
            "--eval-mode", "interval", "--eval-interval", "8"]


def train_with_nerfstudio(capture: Capture, work: Path, *, max_steps: int = 30000,
                          bin_dir: Path | None = None) -> Gaussians:
    """Run splatfacto and export its Gaussians; returns them in the capture's world frame."""
    ns_train, ns_export = find_tools(bin_dir)
    work.mkdir(parents=True, exist_ok=True)
    command = train_command(ns_train, capture, work, max_steps)
    info("running: " + " ".join(command))
    _run(command)
    config = work / "twinkit" / "splatfacto" / "run" / "config.yml"
    if not config.exists():
        raise TwinkitError(f"ns-train finished without writing {config}")
    export = work / "export"
    _run([ns_export, "gaussian-splat", "--load-config", str(config), "--output-dir", str(export)])
    ply = export / "splat.ply"
    if not ply.exists():
        raise InputError("ns-export did not write splat.ply", export)
    return read_ply(ply)


def _run(cmd: list[str]) -> None:
    result = subprocess.run(cmd, check=False)
    if result.returncode != 0:
        raise TwinkitError(f"{Path(cmd[0]).name} failed with exit code {result.returncode}: {' '.join(cmd)}")

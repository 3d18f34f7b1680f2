"""Calibrate anny keypoints to BlazePose's landmark convention (writes data/landmarks/blazepose_anny.json).

Usage: .venv/bin/python scripts/calibrate_blazepose_regressor.py [--seeds 100:132] [--workdir DIR]
Per seed: a virtual-studio session with a random adult phenotype and studio pose (seeds 100+ are used by
no test or bench: those use 0-9), ingested as a user's capture would be (MediaPipe on every view,
triangulation). Each landmark's correction is then fitted from the GT bodies' vertices to the triangulated
landmarks (see twinkit.reconstruct.bodyfit.blazepose_regressor). Resumable: finished sessions are reused.
About 10 s per seed on the 2-core CPU.
"""

from __future__ import annotations

import argparse
import datetime
from pathlib import Path

import numpy as np

from twinkit.capture import blazepose
from twinkit.capture.ingest import ingest
from twinkit.capture.landmarks_io import read_landmarks3d
from twinkit.capture.layout import LANDMARKS_3D
from twinkit.capture.studio.body import anny_model
from twinkit.capture.studio.session import StudioOptions, simulate
from twinkit.core.atomic import write_json
from twinkit.core.manifest import tool_versions
from twinkit.core.meshes import load_mesh
from twinkit.reconstruct.bodyfit.blazepose_regressor import DATA_FILE, SUPPORT, calibrate_landmark

REPO = Path(__file__).resolve().parents[1]


def session_pair(folder: Path, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The GT body's vertices (V, 3) and BlazePose's triangulated landmarks (33, 3; NaN where missing) of
    seed ``seed``'s session, simulated and ingested into ``folder`` unless already there."""
    session, capture = folder / "session", folder / "capture"
    if not session.exists():
        simulate(session, StudioOptions(seed=seed))
    if not capture.exists():
        ingest(session, capture)
    vertices = np.asarray(load_mesh(session / "gt" / "body.ply").vertices, dtype=np.float64)
    record = next(iter(read_landmarks3d(capture / LANDMARKS_3D).values()))
    return vertices, np.asarray(record["points"], dtype=np.float64)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="100:132", help="first:last (exclusive)")
    parser.add_argument("--workdir", type=Path, default=Path("calibration-blazepose"))
    args = parser.parse_args()
    first, last = (int(x) for x in args.seeds.split(":"))
    seeds = list(range(first, last))
    pairs = [session_pair(args.workdir / f"seed_{s}", s) for s in seeds]
    vertices = np.stack([v for v, _ in pairs])
    model, coco, _ = anny_model()
    template = model.template_vertices.double().numpy()
    weights = coco.regression_weights.double().numpy()
    corrections, figures = {}, {}
    for k, label in enumerate(coco.labels):
        if label not in blazepose.INDEX:
            continue
        targets = np.stack([lm[blazepose.INDEX[label]] for _, lm in pairs])
        correction, figures[label] = calibrate_landmark(vertices, targets, weights[k], weights[k] @ template,
                                                        template)
        corrections[label] = {"indices": correction.indices.tolist(), "delta": correction.delta.tolist(),
                              "ridge": correction.ridge}
        print(f"{label:>16}: {figures[label]['bodies']} bodies, {figures[label]['before_mm']:5.1f} mm "
              f"-> {figures[label]['held_out_mm']:5.1f} mm (held out)", flush=True)
    write_json(REPO / "data" / DATA_FILE, {
        "schema": 1,
        "what": "per-landmark corrections to anny's COCO regressor (weights added on `indices`) that place "
                "its keypoints where BlazePose puts its landmarks",
        "command": f"python scripts/calibrate_blazepose_regressor.py --seeds {args.seeds}",
        "date": datetime.date.today().isoformat(), "seeds": seeds, "support_vertices": SUPPORT,
        "tool_versions": tool_versions(), "figures_mm": figures, "corrections": corrections})


if __name__ == "__main__":
    main()

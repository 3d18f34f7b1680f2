"""An avatar's skin-weight transfer stored once, in ``AVATAR/skin_weights.npz``, by ``twin rig``, and reused by
every later rig consumer for as long as the files and settings it was computed from are unchanged.

The file holds the full (V, J) weights losslessly as a CSR matrix (``weights_data``, ``weights_indices``,
``weights_indptr``, ``weights_shape``: a vertex has a handful of non-zero weights), ``matched`` (V,) and the
key it was computed with, one string each: ``mesh`` (file name), ``mesh_sha256``, ``body_sha256``
(``body.json``), ``gltf_from_world`` (the frame ``mesh.glb`` is read in) and ``options`` (JSON).
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import asdict
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from twinkit.core.atomic import write_bytes
from twinkit.core.hashing import sha256_file
from twinkit.core.progress import detail, warn
from twinkit.rig.weights import Transfer, TransferOptions

SKIN_WEIGHTS = "skin_weights.npz"


def transfer_key(avatar_dir: Path, mesh_name: str, gltf_from_world: np.ndarray,
                 options: TransferOptions) -> dict[str, str]:
    """What the transfer onto ``AVATAR/mesh_name`` depends on: the SHA-256 of the mesh file and of
    ``body.json``, the frame the mesh is read in and the transfer options."""
    return {
        "mesh": mesh_name,
        "mesh_sha256": sha256_file(avatar_dir / mesh_name),
        "body_sha256": sha256_file(avatar_dir / "body.json"),
        "gltf_from_world": json.dumps(np.asarray(gltf_from_world, np.float64).tolist()),
        "options": json.dumps(asdict(options), sort_keys=True),
    }


def write_transfer(path: Path, transfer: Transfer, key: dict[str, str]) -> None:
    """Atomically write ``transfer`` and its ``key`` to ``path``."""
    weights = sp.csr_array(transfer.weights)
    buffer = io.BytesIO()
    np.savez(buffer, weights_data=weights.data, weights_indices=weights.indices, weights_indptr=weights.indptr,
             weights_shape=np.asarray(weights.shape), matched=np.asarray(transfer.matched, bool),
             **{name: np.str_(value) for name, value in key.items()})
    write_bytes(path, buffer.getvalue())


def read_transfer(path: Path, key: dict[str, str]) -> Transfer | None:
    """The transfer stored in ``path`` when it was computed with exactly ``key``; else None, saying why
    (missing or stale: a detail; unreadable: a warning)."""
    if not path.is_file():
        detail(f"{path.name} not found: computing the skin weights")
        return None
    try:
        with np.load(path, allow_pickle=False) as stored:
            changed = [name for name in key if name not in stored or str(stored[name]) != key[name]]
            if changed:
                detail(f"{path.name} is stale ({', '.join(changed)} changed): recomputing the skin weights")
                return None
            weights = sp.csr_array((stored["weights_data"], stored["weights_indices"], stored["weights_indptr"]),
                                   shape=tuple(stored["weights_shape"])).toarray()
            return Transfer(weights, stored["matched"].astype(bool))
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        warn(f"{path}: cannot read the stored skin weights ({exc}): recomputing them")
        return None

"""The anny body model package (NAVER, Apache-2.0), imported once with warp's start-up output silenced.

Every stage uses anny (the studio renders it, reconstruct fits it, rig and render pose and measure it);
import it from here so the CLI's output stays clean. The import is heavy (torch, warp): callers import this
module lazily, inside the functions that need a body.
"""

from __future__ import annotations

from functools import lru_cache

from twinkit.core.quiet import native_output_silenced

with native_output_silenced():  # anny initialises warp at import, which prints a banner natively
    import anny

__all__ = ["anny"]


@lru_cache(maxsize=1)
def load_model() -> "anny.models.phenotype.Anny":
    """The process's one anny model (rig "anny", CPU; every stage shares it, treat it as read-only), warmed
    up by one forward pass with the native output silenced.

    The first call on a machine builds anny's cache (about 2 minutes, ~800 MB under ``ANNY_CACHE_DIR``).
    """
    import torch

    with native_output_silenced():
        model = anny.Anny()
        model(torch.eye(4, dtype=model.dtype).expand(1, len(model.bone_labels), 4, 4).clone())
    return model

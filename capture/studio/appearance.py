"""Colours of the virtual person: skin, clothing, shoes, hair and face features, one RGB per vertex.

Body regions come from anny's skinning weights (which bone moves a vertex) and its UV body-part map (the
eyes); face features (brows, lips) and the hair line are placed relative to anny's COCO face keypoints on
the rest shape. A face matters: BlazePose's person detector keys on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from twinkit.capture.studio.body import anny_model

SKIN_TONES = np.array([[255, 224, 196], [241, 194, 160], [224, 172, 130], [198, 134, 96],
                       [161, 102, 69], [120, 74, 48], [92, 56, 38]], dtype=np.float64)
TOP_COLOURS = np.array([[30, 50, 110], [150, 30, 40], [35, 95, 60], [200, 170, 60], [90, 90, 95],
                        [230, 230, 225], [20, 120, 140], [120, 60, 130]], dtype=np.float64)
TROUSER_COLOURS = np.array([[45, 60, 95], [35, 35, 40], [150, 130, 95], [95, 95, 100],
                            [70, 55, 40]], dtype=np.float64)
HAIR_COLOURS = np.array([[25, 20, 18], [60, 40, 28], [105, 70, 40], [190, 150, 90],
                         [130, 60, 35]], dtype=np.float64)
SHOE_COLOURS = np.array([[25, 25, 25], [240, 240, 240], [90, 60, 40]], dtype=np.float64)

_TOP_BONES = ("spine", "clavicle", "shoulder01", "upperarm01")
_SHOE_BONES = ("foot", "toe")


@dataclass(frozen=True)
class Regions:
    """Boolean per-vertex masks of the body regions, computed once on anny's rest shape."""

    top: np.ndarray
    trousers: np.ndarray
    shins: np.ndarray
    shoes: np.ndarray
    hair: np.ndarray
    brows: np.ndarray
    lips: np.ndarray
    eyes: np.ndarray       # irises and lash line around anny's COCO eye keypoints
    eyeballs: np.ndarray


@lru_cache(maxsize=1)
def body_regions() -> Regions:
    """Per-vertex region masks of the anny mesh (its topology is fixed, so one computation serves all)."""
    import torch
    from twinkit.core.anny_runtime import anny  # noqa: F401  (quiet import before the submodule)
    from anny.face_segmentation import get_face_segmentation_mask

    model, regressor, _ = anny_model()
    with torch.no_grad():
        rest = model()
        v = rest["vertices"][0].numpy()
        kp = dict(zip(regressor.labels, regressor(rest)[0].numpy()))
    weights = model.vertex_bone_weights.numpy()
    names = np.array(model.bone_labels)[model.vertex_bone_indices.numpy()]

    def weight_of(prefixes: tuple[str, ...]) -> np.ndarray:
        hit = np.char.startswith(names.astype(str)[..., None], np.array(prefixes)).any(-1)
        return (weights * hit).sum(axis=1)

    faces = model.faces.numpy()

    def face_vertices(labels: list[str]) -> np.ndarray:
        mask = np.zeros(len(v), bool)
        mask[faces[get_face_segmentation_mask(model, labels).numpy()].ravel()] = True
        return mask

    eye_z, eye_y = kp["left_eye"][2], kp["left_eye"][1]
    ear_z, ear_y = kp["left_ear"][2], kp["left_ear"][1]
    nose = kp["nose"]
    head = weight_of(("head", "neck03")) > 0.5
    eyeballs = face_vertices(["eye_back.L", "eye_back.R", "eye_front.L", "eye_front.R"])
    front = v[:, 1] < eye_y + 0.02
    hair = head & ~eyeballs & ((v[:, 2] > eye_z + 0.045) | ((v[:, 1] > ear_y - 0.005) & (v[:, 2] > ear_z - 0.07))
                               | ((np.abs(v[:, 0]) > 0.06) & (v[:, 2] > ear_z + 0.015)))
    brows = (head & front & ~eyeballs & (v[:, 2] > eye_z + 0.016) & (v[:, 2] < eye_z + 0.026)
             & (np.abs(v[:, 0]) > 0.01) & (np.abs(v[:, 0]) < 0.052))
    eyes = (head & front & (np.abs(np.abs(v[:, 0]) - kp["left_eye"][0]) < 0.015)
            & (np.abs(v[:, 2] - eye_z) < 0.007)) | face_vertices(["eye_front.L", "eye_front.R"])
    lips = (head & (v[:, 1] < nose[1] + 0.035) & (v[:, 2] > nose[2] - 0.058) & (v[:, 2] < nose[2] - 0.04)
            & (np.abs(v[:, 0]) < 0.022))
    waist = (kp["left_hip"][2] + kp["left_shoulder"][2]) / 2 - 0.05
    hands = weight_of(("wrist", "finger", "metacarpal")) > 0.5
    arms = weight_of(("clavicle", "shoulder", "upperarm", "lowerarm", "wrist", "finger", "metacarpal")) > 0.5
    top = (weight_of(_TOP_BONES) > 0.5) & (v[:, 2] > waist)
    trousers = ~head & ~arms & (v[:, 2] <= waist)
    shoes = weight_of(_SHOE_BONES) > 0.35
    shins = weight_of(("lowerleg",)) > 0.5
    return Regions(top=top & ~head & ~hands, trousers=trousers & ~shoes, shins=shins & ~shoes, shoes=shoes,
                   hair=hair, brows=brows & ~hair, lips=lips, eyes=eyes, eyeballs=eyeballs)


def _pick(rng: np.random.Generator, palette: np.ndarray, jitter: float = 12.0) -> np.ndarray:
    return np.clip(palette[rng.integers(len(palette))] + rng.normal(0, jitter, 3), 0, 255)


def vertex_colours(rng: np.random.Generator) -> np.ndarray:
    """Seeded per-vertex RGB (V, 3) uint8: skin tone, a top, trousers or shorts, shoes, hair and a face."""
    regions = body_regions()
    n = len(regions.top)
    t = rng.uniform(0, len(SKIN_TONES) - 1)
    i = int(t)
    skin = SKIN_TONES[i] + (t - i) * (SKIN_TONES[min(i + 1, len(SKIN_TONES) - 1)] - SKIN_TONES[i])
    colours = np.tile(skin, (n, 1))
    colours[regions.top] = _pick(rng, TOP_COLOURS)
    trousers = regions.trousers & ~regions.shins if rng.uniform() < 0.25 else regions.trousers  # shorts
    colours[trousers] = _pick(rng, TROUSER_COLOURS)
    colours[regions.shoes] = _pick(rng, SHOE_COLOURS, jitter=4.0)
    hair = _pick(rng, HAIR_COLOURS)
    colours[regions.hair] = hair
    colours[regions.brows] = hair * 0.6
    colours[regions.lips] = skin * np.array([0.8, 0.55, 0.55])
    colours[regions.eyeballs] = [235, 235, 230]
    colours[regions.eyes] = [40, 30, 25]
    # Fabric/skin grain so that feature matchers find texture on the body too.
    colours *= rng.uniform(0.92, 1.08, size=(n, 1))
    return np.clip(colours, 0, 255).astype(np.uint8)

"""Camera and lighting presets of ``twin render``, read from ``data/presets/*.json``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources

from twinkit.core.errors import InputError

FULL_BODY, HEAD_AND_SHOULDERS = "full-body", "head-and-shoulders"


@dataclass(frozen=True)
class CameraPreset:
    """A viewpoint about the avatar (glTF frame: Y up, body facing +z) and how tightly it frames."""

    name: str
    azimuth_deg: float    # 0 front, 90 the subject's left side, 180 back
    elevation_deg: float
    fov_deg: float        # vertical field of view
    aspect: float         # width / height
    margin: float         # free border on every side, as a fraction of the image's width / height
    framing: str          # FULL_BODY or HEAD_AND_SHOULDERS


@dataclass(frozen=True)
class Light:
    """One light, placed relative to the camera (see ``data/presets/lighting.json``)."""

    role: str
    type: str             # "directional" or "spot"
    azimuth_deg: float
    elevation_deg: float
    intensity: float
    color: tuple[float, float, float]
    distance: float = 3.0
    inner_cone_deg: float = 0.0
    outer_cone_deg: float = 45.0


@dataclass(frozen=True)
class LightingPreset:
    name: str
    ambient: tuple[float, float, float]
    lights: tuple[Light, ...]


def _presets(file: str) -> dict[str, dict]:
    text = resources.files("twinkit.data").joinpath(f"presets/{file}").read_text(encoding="utf-8")
    return json.loads(text)["presets"]


def camera_preset(name: str) -> CameraPreset:
    """The camera preset ``name``; InputError listing the known names otherwise."""
    presets = _presets("cameras.json")
    if name not in presets:
        raise InputError(f"unknown camera {name!r}: use one of {', '.join(presets)} or a nerfstudio camera "
                         "file (.json)")
    preset = CameraPreset(name=name, **presets[name])
    if preset.framing not in (FULL_BODY, HEAD_AND_SHOULDERS):
        raise InputError(f"camera preset {name!r}: unknown framing {preset.framing!r}")
    return preset


def lighting_preset(name: str) -> LightingPreset:
    """The lighting preset ``name``; InputError listing the known names otherwise."""
    presets = _presets("lighting.json")
    if name not in presets:
        raise InputError(f"unknown lighting {name!r}: use one of {', '.join(presets)}")
    data = presets[name]
    lights = tuple(Light(**{**light, "color": tuple(light["color"])}) for light in data["lights"])
    return LightingPreset(name, tuple(data["ambient"]), lights)

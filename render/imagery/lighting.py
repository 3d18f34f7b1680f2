"""Place a lighting preset's lights around the subject, relative to the camera (pyrender light nodes)."""

from __future__ import annotations

import os

os.environ.setdefault("PYOPENGL_PLATFORM", "egl")  # must precede the pyrender import

import numpy as np
import pyrender

from twinkit.capture.cameras import CV_TO_GL, Camera, look_at
from twinkit.render.imagery.framing import UP, view_direction
from twinkit.render.imagery.presets import Light, LightingPreset


def light_pose(position: np.ndarray, target: np.ndarray) -> np.ndarray:
    """4x4 node pose of a pyrender light (or camera) at ``position`` shining along -z towards ``target``."""
    R, _ = look_at(position, target, UP)
    pose = np.eye(4)
    pose[:3, :3] = R.T @ CV_TO_GL
    pose[:3, 3] = position
    return pose


def _light(light: Light) -> pyrender.Light:
    colour = np.asarray(light.color, np.float64)
    if light.type == "directional":
        return pyrender.DirectionalLight(color=colour, intensity=light.intensity)
    if light.type == "spot":
        return pyrender.SpotLight(color=colour, intensity=light.intensity,
                                  innerConeAngle=np.deg2rad(light.inner_cone_deg),
                                  outerConeAngle=np.deg2rad(light.outer_cone_deg))
    raise ValueError(f"unknown light type {light.type!r}")


def place_lights(preset: LightingPreset, camera: Camera, target: np.ndarray) -> list[tuple[pyrender.Light, np.ndarray]]:
    """The preset's lights with their node poses for ``camera`` looking at the subject's ``target`` point:
    each light's azimuth turns about the up axis from the camera's bearing, its elevation raises it."""
    towards_camera = camera.center - target
    bearing = np.rad2deg(np.arctan2(towards_camera[0], towards_camera[2]))
    placed = []
    for light in preset.lights:
        direction = view_direction(bearing + light.azimuth_deg, light.elevation_deg)  # +: camera's right
        placed.append((_light(light), light_pose(target + light.distance * direction, target)))
    return placed

"""Posed avatar imagery for ``twin render``: camera and lighting presets with automatic framing, mesh and
splat renderers, backgrounds, and resumable grids of poses x cameras x outfits with a contact sheet."""

from twinkit.render.imagery.batch import GridResult, Job, plan, render_grid
from twinkit.render.imagery.compositing import Background, Layer, compose, parse_background
from twinkit.render.imagery.framing import frame_body, frame_points
from twinkit.core.atomic import png_bytes
from twinkit.render.imagery.images import ImageMaker, Look
from twinkit.render.imagery.presets import camera_preset, lighting_preset
from twinkit.render.imagery.subject import Subject

__all__ = ["Background", "GridResult", "ImageMaker", "Job", "Layer", "Look", "Subject", "camera_preset", "compose",
           "frame_body", "frame_points", "lighting_preset", "parse_background", "plan", "png_bytes", "render_grid"]

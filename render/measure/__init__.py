"""Body measurements after ISO 8559-1 on a mesh with the fitted body's landmarks (``twin measure``)."""

from twinkit.render.measure.avatar import avatar_mesh, format_table, measure_avatar, write_measurements
from twinkit.render.measure.definitions import DEFINITIONS, Definition, measure_mesh
from twinkit.render.measure.landmarks import Landmarks, body_landmarks, fitted_body_landmarks
from twinkit.render.measure.sections import girth, part_loop

__all__ = ["DEFINITIONS", "Definition", "Landmarks", "avatar_mesh", "body_landmarks", "fitted_body_landmarks",
           "format_table", "girth", "measure_avatar", "measure_mesh", "part_loop", "write_measurements"]

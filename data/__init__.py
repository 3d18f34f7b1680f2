"""Bundled data: poses, garments and presets shipped with twinkit."""

"""Rig stage (not built yet)."""

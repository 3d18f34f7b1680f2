"""Render stage (not built yet)."""

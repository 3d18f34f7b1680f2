"""Reconstruct stage (not built yet)."""

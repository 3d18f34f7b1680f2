"""Shared foundations used by every stage: errors, hashing, atomic output, manifests, progress."""

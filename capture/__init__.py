"""Capture stage: from a studio session (stills, video, calibration) to a validated capture folder."""

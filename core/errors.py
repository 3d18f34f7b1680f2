"""Error types that the CLI turns into clear messages and exit codes."""

from __future__ import annotations

from pathlib import Path


class TwinkitError(Exception):
    """A problem the user can act on; ``path`` names the file at fault when there is one."""

    exit_code = 1

    def __init__(self, message: str, path: str | Path | None = None) -> None:
        self.message = message
        self.path = Path(path) if path is not None else None
        super().__init__(f"{self.path}: {message}" if self.path is not None else message)


class InputError(TwinkitError):
    """The input (a file, folder, calibration, option) is missing, corrupt or inconsistent."""

    exit_code = 2


class QualityError(TwinkitError):
    """The data was read but fails a fatal quality check (e.g. too few usable cameras)."""

    exit_code = 4

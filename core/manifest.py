"""The small JSON manifest that every output folder carries, so a result can be traced and resumed.

A manifest records: the schema version, the producing stage and command, the inputs with their SHA-256,
the parameters, the versions of the tools that made it, and stage-specific facts (e.g. the world frame).
"""

from __future__ import annotations

import platform
import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from twinkit.core.atomic import read_json, write_json
from twinkit.core.errors import InputError

MANIFEST_NAME = "manifest.json"
SCHEMA_VERSION = 1

# Distributions whose versions can change a result; only the installed ones are recorded.
_TRACKED_TOOLS = ("twinkit", "numpy", "torch", "mediapipe", "opencv-contrib-python", "anny",
                  "pycolmap", "av", "trimesh", "pyrender", "gsplat", "open3d", "xatlas")


def tool_versions() -> dict[str, str]:
    """Versions of Python and of the installed tools that shape results."""
    found = {"python": platform.python_version()}
    for name in _TRACKED_TOOLS:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            continue
    return found


@dataclass
class Manifest:
    """What produced an output folder. ``inputs`` maps a relative name to its SHA-256."""

    kind: str
    inputs: dict[str, str] = field(default_factory=dict)
    parameters: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    command: str = ""
    schema_version: int = SCHEMA_VERSION
    tools: dict[str, str] = field(default_factory=tool_versions)
    created: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": self.schema_version,
            "kind": self.kind,
            "created": self.created,
            "command": self.command,
            "inputs": self.inputs,
            "parameters": self.parameters,
            "tools": self.tools,
            **self.extra,
        }

    def write(self, folder: str | Path) -> Path:
        """Write ``folder/manifest.json`` atomically and return its path."""
        path = Path(folder) / MANIFEST_NAME
        write_json(path, self.to_dict())
        return path

    @classmethod
    def read(cls, folder: str | Path, kind: str | None = None) -> "Manifest":
        """Read and validate ``folder/manifest.json``; ``kind`` checks what made the folder."""
        path = Path(folder) / MANIFEST_NAME
        data = read_json(path)
        if not isinstance(data, dict):
            raise InputError("manifest is not a JSON object", path)
        missing = [k for k in ("schema_version", "kind", "inputs", "parameters") if k not in data]
        if missing:
            raise InputError(f"manifest lacks {', '.join(missing)}", path)
        if data["schema_version"] != SCHEMA_VERSION:
            raise InputError(
                f"manifest schema version {data['schema_version']} is not supported "
                f"(this twinkit reads version {SCHEMA_VERSION})", path)
        if kind is not None and data["kind"] != kind:
            raise InputError(f"expected a {kind} folder, found a {data['kind']!r} manifest", path)
        known = {"schema_version", "kind", "created", "command", "inputs", "parameters", "tools"}
        return cls(
            kind=data["kind"],
            inputs=dict(data["inputs"]),
            parameters=dict(data["parameters"]),
            extra={k: v for k, v in data.items() if k not in known},
            command=data.get("command", ""),
            schema_version=data["schema_version"],
            tools=dict(data.get("tools", {})),
            created=data.get("created", ""),
        )


def command_line() -> str:
    """The command line of this process, for the manifest."""
    return " ".join([Path(sys.argv[0]).name, *sys.argv[1:]])

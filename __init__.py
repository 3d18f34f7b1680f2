"""twinkit: capture-studio sessions to rigged, textured digital twins.

Stages, in data-flow order (a stage imports only the stages before it):
``twinkit.capture`` -> ``twinkit.reconstruct`` -> ``twinkit.rig`` -> ``twinkit.render``.
``twinkit.core`` holds what every stage shares (manifests, atomic output, errors, progress);
``twinkit.cli`` is the ``twin`` command's front door.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("twinkit")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

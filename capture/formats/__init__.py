"""Readers and writers of the calibration formats of other tools, mapped onto our :class:`Camera`.

- :mod:`.nerfstudio`: ``transforms.json`` (OpenGL camera-to-world poses).
- :mod:`.colmap`: COLMAP sparse models (``cameras/images/points3D`` as ``.txt`` or ``.bin``).
- :mod:`.pose2sim`: Pose2Sim/anipose calibration TOML (OpenCV convention).

Pixel convention: OpenCV puts the centre of the top-left pixel at (0, 0); COLMAP and nerfstudio put it at
(0.5, 0.5). Their principal points are therefore ours plus :data:`PIXEL_CENTER_SHIFT`.
"""

from pathlib import PurePosixPath

from twinkit.capture.cameras import PIXEL_CENTER_SHIFT

__all__ = ["PIXEL_CENTER_SHIFT", "camera_names"]

_IMAGE_FOLDERS = ("images", "frames", "rgb")  # folders holding all cameras' images, not one camera's


def camera_names(files: list[str]) -> list[str]:
    """Camera name per image file: its folder when images sit in per-camera folders, else its stem.

    ``images/cam01.png`` -> ``cam01``; ``cam01/000012.png`` -> ``cam01``. When that gives duplicates
    (several frames per folder) the path without suffix is used: ``cam01/000012``.
    """
    paths = [PurePosixPath(str(f).replace("\\", "/")) for f in files]
    names = [p.parent.name if len(p.parts) > 1 and p.parent.name not in _IMAGE_FOLDERS else p.stem
             for p in paths]
    if len(set(names)) != len(names):
        names = [p.with_suffix("").as_posix() for p in paths]
    return names

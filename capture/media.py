"""Reading studio media: still images (Pillow) and videos (PyAV), as RGB ``uint8`` numpy arrays.

Images are returned as stored (no EXIF rotation: calibrations describe the raw sensor). Video frames carry
their index on the source's own timeline (``round((pts - start) * fps)``), so a frame range ``a:b`` and
fps sampling refer to the same numbers whatever was decoded. Corrupt media raise :class:`InputError`
naming the file; a video that breaks after some good frames warns and stops at the last good one.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

import av
import numpy as np
from PIL import Image, UnidentifiedImageError

from twinkit.core.errors import InputError
from twinkit.core.progress import warn

if TYPE_CHECKING:
    from twinkit.capture.sources import SourceView

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp")
VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v", ".mkv", ".avi", ".webm")


def is_image(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES and not path.name.startswith(".")


def is_video(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() in VIDEO_SUFFIXES and not path.name.startswith(".")


def list_images(folder: Path) -> list[Path]:
    """Image files directly in ``folder``, sorted by name."""
    return sorted(p for p in folder.iterdir() if is_image(p)) if folder.is_dir() else []


def list_videos(folder: Path) -> list[Path]:
    """Video files directly in ``folder``, sorted by name."""
    return sorted(p for p in folder.iterdir() if is_video(p)) if folder.is_dir() else []


# ---- images -----------------------------------------------------------------------------------------
def read_image(path: str | Path, mode: str = "RGB") -> np.ndarray:
    """Decode an image file to a ``uint8`` array in PIL ``mode`` ("RGB": (H, W, 3); "L": (H, W)).

    A corrupt or truncated file raises :class:`InputError` naming it.
    """
    path = Path(path)
    try:
        with Image.open(path) as img:
            img.load()
            return np.asarray(img.convert(mode))
    except FileNotFoundError:
        raise InputError("image not found", path) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise InputError(f"cannot decode the image ({exc})", path) from None


def image_size(path: str | Path) -> tuple[int, int]:
    """``(width, height)`` of an image from its header (nothing is decoded)."""
    path = Path(path)
    try:
        with Image.open(path) as img:
            return img.size
    except FileNotFoundError:
        raise InputError("image not found", path) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise InputError(f"not a readable image ({exc})", path) from None


# ---- videos -----------------------------------------------------------------------------------------
@dataclass
class VideoInfo:
    """What a video's container says about its first video stream (no frames decoded)."""

    path: Path
    width: int
    height: int
    fps: float
    frame_count: int
    codec: str

    @property
    def duration(self) -> float:
        return self.frame_count / self.fps


@dataclass
class VideoFrame:
    """One decoded frame: its index on the source's timeline, its time in seconds, RGB pixels (H, W, 3)."""

    index: int
    time: float
    image: np.ndarray


def _open(path: Path) -> av.container.InputContainer:
    if not path.is_file():
        raise InputError("video not found", path)
    try:
        container = av.open(str(path), mode="r")
    except (av.error.FFmpegError, OSError) as exc:
        raise InputError(f"cannot open the video ({exc})", path) from None
    if not container.streams.video:
        container.close()
        raise InputError("file has no video stream", path)
    return container


def _rate(stream: av.video.stream.VideoStream, path: Path) -> Fraction:
    rate = stream.average_rate or stream.guessed_rate or stream.base_rate
    if not rate or rate <= 0:
        raise InputError("video has no frame rate", path)
    return Fraction(rate)


def _info(container: av.container.InputContainer, path: Path) -> VideoInfo:
    stream = container.streams.video[0]
    rate = _rate(stream, path)
    count = stream.frames
    if not count and stream.duration is not None and stream.time_base is not None:
        count = round(stream.duration * stream.time_base * rate)
    elif not count and container.duration is not None:
        count = round(container.duration / av.time_base * rate)
    if stream.width <= 0 or stream.height <= 0:
        raise InputError("video stream has no frame size", path)
    return VideoInfo(path, stream.width, stream.height, float(rate), int(count or 0), stream.codec_context.name)


def video_fps(path: str | Path) -> float:
    """Frame rate of a video (from its container)."""
    return probe_video(path).fps


def probe_video(path: str | Path) -> VideoInfo:
    """Size, frame rate, frame count and codec of a video from its container (nothing decoded)."""
    path = Path(path)
    with _open(path) as container:
        return _info(container, path)


def media_size(path: str | Path) -> tuple[int, int]:
    """``(width, height)`` of an image or video without decoding pixels."""
    path = Path(path)
    if path.suffix.lower() in VIDEO_SUFFIXES:
        info = probe_video(path)
        return info.width, info.height
    return image_size(path)


FrameRange = str | tuple[int, int | None] | None


def parse_range(text: FrameRange) -> tuple[int, int | None]:
    """A frame range ``"a:b"`` or ``(a, b)`` (``b`` exclusive; either may be empty) as ``(a, b or None)``."""
    if isinstance(text, tuple):
        text = f"{text[0]}:{'' if text[1] is None else text[1]}"
    if text is None or text.strip() in ("", ":"):
        return 0, None
    parts = text.split(":")
    try:
        if len(parts) != 2:
            raise ValueError
        start = int(parts[0]) if parts[0].strip() else 0
        stop = int(parts[1]) if parts[1].strip() else None
    except ValueError:
        raise InputError(f"frame range {text!r} is not of the form a:b (integers)") from None
    if start < 0 or (stop is not None and stop <= start):
        raise InputError(f"frame range {text!r} is empty or negative")
    return start, stop


def _decoded(container: av.container.InputContainer, path: Path, start: int, rate: Fraction,
             ) -> Iterator[tuple[int, av.VideoFrame]]:
    """``(index, frame)`` from about ``start`` on; stops with a warning at the first decoding error."""
    stream = container.streams.video[0]
    stream.thread_type = "AUTO"
    tb = stream.time_base
    t0 = stream.start_time or 0
    if start > 0:  # lands on the keyframe at or before the target; earlier frames are skipped below
        container.seek(t0 + math.floor(start / rate / tb), stream=stream, backward=True)
    n_good = 0
    try:
        for frame in container.decode(stream):
            if frame.pts is None:
                continue
            index = round((frame.pts - t0) * tb * rate)
            n_good += 1
            yield index, frame
    except (av.error.FFmpegError, OSError) as exc:
        if n_good == 0:
            raise InputError(f"cannot decode the video ({exc})", path) from None
        warn(f"{path}: video is corrupt or truncated after {n_good} decoded frames ({exc}); "
             "stopping at the last good frame")


def decode_video(path: str | Path, *, fps: float | None = None, frames: FrameRange = None,
                 ) -> Iterator[VideoFrame]:
    """Decode a video to RGB frames, optionally within a frame range ``"a:b"`` and sampled at ``fps``.

    With ``fps``, target times are ``time(a) + k / fps`` and each yields the decoded frame nearest to it
    (each source frame at most once). Raises :class:`InputError` naming the file when nothing decodes;
    warns (and says how many frames were decoded) when the video ends early or breaks midway.
    """
    path = Path(path)
    start, stop = parse_range(frames)
    if fps is not None and fps <= 0:
        raise InputError(f"sampling rate {fps} fps is not positive", path)
    with _open(path) as container:
        rate = _rate(container.streams.video[0], path)
        expected = _info(container, path).frame_count
        step = float(rate) / fps if fps else 1.0  # source frames between two targets
        target = float(start)
        previous: tuple[int, av.VideoFrame] | None = None
        last_yielded = -1
        seen = 0

        def emit(index: int, frame: av.VideoFrame) -> VideoFrame:
            return VideoFrame(index, float(index / rate), frame.to_ndarray(format="rgb24"))

        for index, frame in _decoded(container, path, start, rate):
            seen = index + 1
            if index < start:
                continue
            if stop is not None and index >= stop:
                break
            while index >= target:  # choose the nearer of the previous and current frame
                pick = previous if previous and target - previous[0] < index - target else (index, frame)
                if pick[0] != last_yielded and (stop is None or pick[0] < stop):
                    last_yielded = pick[0]
                    yield emit(*pick)
                target += step
            previous = (index, frame)
        if expected and seen < min(expected, stop or expected):
            if seen == 0:
                raise InputError("no frame could be decoded", path)
            warn(f"{path}: video ended after {seen} of {expected} frames (truncated?)")


def iter_frames(view: "SourceView", *, fps: float | None = None, frames: FrameRange = None,
                ) -> Iterator[tuple[int, np.ndarray]]:
    """``(index, rgb)`` of one camera's media: its video (sampled, see :func:`decode_video`) or its
    images in name order (index = position; ``frames`` selects positions, ``fps`` does not apply)."""
    if view.video is not None:
        for frame in decode_video(view.video, fps=fps, frames=frames):
            yield frame.index, frame.image
        return
    start, stop = parse_range(frames)
    for index, path in enumerate(view.images[start:stop], start=start):
        yield index, read_image(path)

"""PyAV decoding (frame indices, fps sampling, ranges), truncated/corrupt media, images."""

from __future__ import annotations

import logging
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from twinkit.capture import media
from twinkit.core.errors import InputError

N, FPS, W, H = 30, 30, 64, 48


def encode_clip(path: Path, n: int = N, fps: int = FPS, size: tuple[int, int] = (W, H),
                faststart: bool = False) -> Path:
    """An H.264 clip whose frame k is grey level 8 * k plus faint noise (so every frame has a real size)."""
    rng = np.random.default_rng(0)
    with av.open(str(path), "w", options={"movflags": "faststart"} if faststart else {}) as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        stream.options = {"crf": "10", "g": "10"}
        for k in range(n):
            img = (8 * k + rng.integers(0, 4, (size[1], size[0], 3))).astype(np.uint8)
            out.mux(stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")))
        out.mux(stream.encode())
    return path


def _levels(frames) -> list[int]:
    return [int(round(float(f.image.mean()) / 8)) for f in frames]


def test_probe_and_full_decode(tmp_path):
    clip = encode_clip(tmp_path / "cam01.mp4")
    info = media.probe_video(clip)
    assert (info.width, info.height, info.fps, info.frame_count) == (W, H, FPS, N)
    assert media.media_size(clip) == (W, H)
    frames = list(media.decode_video(clip))
    assert [f.index for f in frames] == list(range(N))
    assert _levels(frames) == list(range(N))  # index matches the pixels actually decoded
    assert frames[0].image.dtype == np.uint8 and frames[0].image.shape == (H, W, 3)


def test_fps_sampling_and_range(tmp_path):
    clip = encode_clip(tmp_path / "c.mp4")
    assert [f.index for f in media.decode_video(clip, fps=10)] == list(range(0, N, 3))
    nearest = [int(np.floor(k * FPS / 12 + 0.5)) for k in range(12)]  # ties go to the later frame
    assert [f.index for f in media.decode_video(clip, fps=12)] == nearest
    sub = list(media.decode_video(clip, frames="12:20"))  # seeks: frames before 12 are skipped
    assert [f.index for f in sub] == list(range(12, 20)) and _levels(sub) == list(range(12, 20))
    assert [f.index for f in media.decode_video(clip, fps=10, frames=(5, None))] == [5, 8, 11, 14, 17, 20, 23,
                                                                                     26, 29]
    with pytest.raises(InputError, match="frame range"):
        list(media.decode_video(clip, frames="9:3"))


def test_truncated_video(tmp_path, caplog):
    # index at the front (faststart): the good frames decode, then a warning says how many
    clip = encode_clip(tmp_path / "c.mp4", n=60, faststart=True)
    data = clip.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: int(len(data) * 0.6)])
    with caplog.at_level(logging.WARNING, logger="twinkit"):
        frames = list(media.decode_video(cut))
    assert 10 < len(frames) < 60
    assert _levels(frames) == list(range(len(frames)))
    assert "cut.mp4" in caplog.text and f"after {len(frames)} of 60" in caplog.text
    # index at the end (default mp4): the truncated file cannot be opened at all
    data = encode_clip(tmp_path / "d.mp4", n=60).read_bytes()
    cut.write_bytes(data[: int(len(data) * 0.6)])
    with pytest.raises(InputError) as info:
        list(media.decode_video(cut))
    assert info.value.path == cut
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\x00" * 1000)
    with pytest.raises(InputError) as info:
        media.probe_video(junk)
    assert info.value.path == junk


def test_images_and_corrupt_image(tmp_path):
    img = np.random.default_rng(0).integers(0, 255, (20, 30, 3), np.uint8)
    Image.fromarray(img).save(tmp_path / "a.png")
    assert np.array_equal(media.read_image(tmp_path / "a.png"), img)
    assert media.image_size(tmp_path / "a.png") == (30, 20)
    data = (tmp_path / "a.png").read_bytes()
    (tmp_path / "b.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="decode") as info:
        media.read_image(tmp_path / "b.png")
    assert info.value.path == tmp_path / "b.png"

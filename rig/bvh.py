"""Read BVH motion-capture files: the joint hierarchy (offsets, channels, end sites) and the motion as local
rotations and translations per frame, with forward kinematics.

bvhio (MIT) was tried first: it loops forever on a file with fewer motion lines than its ``Frames:`` count and
keeps every frame as Python glm objects, so this module reads the (small) format itself into numpy arrays.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.spatial.transform import Rotation

from twinkit.core.errors import InputError

_ROTATION = {"Xrotation": "X", "Yrotation": "Y", "Zrotation": "Z"}
_POSITION = {"Xposition": 0, "Yposition": 1, "Zposition": 2}


@dataclass
class Bvh:
    """A BVH skeleton and its motion, in the file's own axes and units.

    Joints are in file order (a parent before its children). A joint's local transform in a frame is its
    ``translations`` (the OFFSET, with any position channels replacing the matching components) and its
    ``rotations`` (its rotation channels composed in channel order, angles in degrees in the file).
    """

    names: list[str]
    parents: np.ndarray          # (J,) parent index, -1 for the root
    offsets: np.ndarray          # (J, 3) OFFSET of each joint from its parent
    end_sites: np.ndarray        # (J, 3) End Site offset, NaN for joints without one
    channels: list[list[str]]    # channel names per joint, file order
    rotations: np.ndarray        # (F, J, 3, 3) local rotation per frame
    translations: np.ndarray     # (F, J, 3) local translation per frame
    frame_time: float            # seconds per frame

    @property
    def frame_count(self) -> int:
        return len(self.rotations)

    @property
    def fps(self) -> float:
        return 1.0 / self.frame_time

    def rest_positions(self) -> np.ndarray:
        """(J, 3) joint positions in the rest pose (every rotation zero, the offsets as given)."""
        positions = np.zeros((len(self.names), 3))
        for j, parent in enumerate(self.parents):
            positions[j] = self.offsets[j] + (positions[parent] if parent >= 0 else 0.0)
        return positions

    def world(self) -> np.ndarray:
        """(F, J, 4, 4) world transform of every joint in every frame (forward kinematics)."""
        local = np.zeros(self.rotations.shape[:2] + (4, 4))
        local[..., :3, :3] = self.rotations
        local[..., :3, 3] = self.translations
        local[..., 3, 3] = 1.0
        world = np.empty_like(local)
        for j, parent in enumerate(self.parents):
            world[:, j] = local[:, j] if parent < 0 else world[:, parent] @ local[:, j]
        return world

    def frames(self, start: int | None = None, stop: int | None = None) -> Bvh:
        """The motion restricted to frames ``start:stop`` (Python slice semantics)."""
        keep = slice(start, stop)
        return Bvh(self.names, self.parents, self.offsets, self.end_sites, self.channels,
                   self.rotations[keep], self.translations[keep], self.frame_time)


class _Tokens:
    """The hierarchy's whitespace-separated words, read front to back with clear errors."""

    def __init__(self, words: list[str], path: Path) -> None:
        self.words, self.at, self.path = words, 0, path

    def next(self, what: str) -> str:
        if self.at >= len(self.words):
            raise InputError(f"the hierarchy ends early: expected {what}", self.path)
        self.at += 1
        return self.words[self.at - 1]

    def expect(self, word: str, context: str) -> None:
        found = self.next(word)
        if found != word:
            raise InputError(f"expected {word!r} {context}, found {found!r}", self.path)

    def numbers(self, count: int, context: str) -> np.ndarray:
        words = [self.next(f"{count} numbers {context}") for _ in range(count)]
        try:
            return np.array(words, dtype=np.float64)
        except ValueError:
            raise InputError(f"expected {count} numbers {context}, found {' '.join(words)!r}", self.path) from None


def _parse_hierarchy(tokens: _Tokens) -> tuple[list[str], list[int], list[np.ndarray], list[np.ndarray],
                                                list[list[str]]]:
    names: list[str] = []
    parents: list[int] = []
    offsets: list[np.ndarray] = []
    ends: list[np.ndarray] = []
    channels: list[list[str]] = []

    def joint(parent: int) -> None:
        words = []
        while (word := tokens.next("'{' after a joint name")) != "{":
            words.append(word)
        name = " ".join(words)
        if not name:
            raise InputError("a joint has no name", tokens.path)
        index = len(names)
        names.append(name)
        parents.append(parent)
        ends.append(np.full(3, np.nan))
        tokens.expect("OFFSET", f"in joint {name!r}")
        offsets.append(tokens.numbers(3, f"after OFFSET of joint {name!r}"))
        tokens.expect("CHANNELS", f"after the OFFSET of joint {name!r}")
        word = tokens.next(f"the channel count of joint {name!r}")
        if not word.isdigit():
            raise InputError(f"joint {name!r}: channel count {word!r} is not a number", tokens.path)
        mine = [tokens.next(f"the channels of joint {name!r}") for _ in range(int(word))]
        unknown = [c for c in mine if c not in _ROTATION and c not in _POSITION]
        if unknown:
            raise InputError(f"joint {name!r}: unknown channel(s) {', '.join(unknown)}", tokens.path)
        channels.append(mine)
        while (word := tokens.next(f"'}}' closing joint {name!r}")) != "}":
            if word == "JOINT":
                joint(index)
            elif word == "End":
                tokens.expect("Site", f"after 'End' in joint {name!r}")
                tokens.expect("{", f"after 'End Site' in joint {name!r}")
                tokens.expect("OFFSET", f"in the End Site of joint {name!r}")
                ends[index] = tokens.numbers(3, f"after OFFSET in the End Site of joint {name!r}")
                tokens.expect("}", f"closing the End Site of joint {name!r}")
            else:
                raise InputError(f"unexpected {word!r} in joint {name!r}", tokens.path)

    tokens.expect("HIERARCHY", "at the start of the file")
    tokens.expect("ROOT", "after HIERARCHY")
    joint(-1)
    if tokens.at != len(tokens.words):
        raise InputError(f"unexpected {tokens.words[tokens.at]!r} after the root joint (only one ROOT is "
                         "supported)", tokens.path)
    return names, parents, offsets, ends, channels


def _motion_header(words: list[str], path: Path) -> tuple[int, float]:
    if words[:1] != ["Frames:"] or len(words) < 2 or not words[1].isdigit():
        raise InputError("MOTION must begin with 'Frames: N' (the frame count is missing)", path)
    if words[2:4] != ["Frame", "Time:"] or len(words) < 5:
        raise InputError("'Frame Time: SECONDS' is missing after the frame count", path)
    try:
        frame_time = float(words[4])
    except ValueError:
        raise InputError(f"the frame time {words[4]!r} is not a number", path) from None
    if not np.isfinite(frame_time) or frame_time <= 0:
        raise InputError(f"the frame time must be positive, got {words[4]}", path)
    return int(words[1]), frame_time


def read_bvh(path: str | Path) -> Bvh:
    """Read a BVH file; a malformed or truncated file raises :class:`InputError` naming it and the problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise InputError(f"cannot read the BVH file ({exc.strerror})", path) from None
    marker = re.search(r"(?:^|\s)MOTION(?:\s|$)", text)
    if marker is None:
        raise InputError("no MOTION section: the file is truncated or not a BVH file", path)
    names, parents, offsets, ends, channels = _parse_hierarchy(_Tokens(text[:marker.start()].split(), path))
    words = text[marker.end():].split()
    frame_count, frame_time = _motion_header(words, path)
    width = sum(len(c) for c in channels)
    expected = frame_count * width
    if len(words) - 5 != expected:
        problem = "truncated" if len(words) - 5 < expected else "longer than its header says"
        raise InputError(f"the motion is {problem}: {len(words) - 5} values for {frame_count} frames x {width} "
                         f"channels = {expected}", path)
    try:
        values = np.array(words[5:], dtype=np.float64).reshape(frame_count, width)
    except ValueError:
        bad = next(w for w in words[5:] if not _is_number(w))
        raise InputError(f"motion value {bad!r} is not a number", path) from None
    if not np.isfinite(values).all():
        raise InputError("the motion holds non-finite values", path)
    rotations = np.broadcast_to(np.eye(3), (frame_count, len(names), 3, 3)).copy()
    translations = np.broadcast_to(np.stack(offsets), (frame_count, len(names), 3)).copy()
    column = 0
    for j, mine in enumerate(channels):
        block = values[:, column:column + len(mine)]
        order = "".join(_ROTATION[c] for c in mine if c in _ROTATION)
        if order:
            angles = block[:, [i for i, c in enumerate(mine) if c in _ROTATION]]
            rotations[:, j] = Rotation.from_euler(order, angles, degrees=True).as_matrix()  # intrinsic, BVH order
        for i, c in enumerate(mine):
            if c in _POSITION:
                translations[:, j, _POSITION[c]] = block[:, i]
        column += len(mine)
    return Bvh(names, np.asarray(parents, np.int64), np.stack(offsets), np.stack(ends), channels, rotations,
               translations, frame_time)


def _is_number(word: str) -> bool:
    try:
        float(word)
    except ValueError:
        return False
    return True

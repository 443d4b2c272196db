"""What an image-to-video model is asked for, and how its clip is brought to the plan's frames and size.

Models make clips of their own shape: a frame count of a fixed form (LTX-Video 8k+1, Wan 4k+1, Stable
Video Diffusion any), at their own frame rate and resolution, with sides in multiples of their latent
patch. ``generation_frames`` and ``generation_size`` pick that shape for a clip; ``retime`` and ``fit``
bring what the model made to the plan's exact frame count and canvas, and a ``Clip`` does both, frame by
frame. Everything here is plain arithmetic on numpy arrays and PIL images, so the same clip always gives
the same frames.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal, overload

import numpy as np
from PIL import Image, ImageOps

from generator.core.errors import ConfigError

FrameRule = Literal["8k+1", "4k+1", "any"]
"""The frame counts a model makes: ``8k+1`` (LTX-Video), ``4k+1`` (Wan), ``any`` (Stable Video Diffusion)."""

_STEP: dict[FrameRule, int] = {"8k+1": 8, "4k+1": 4, "any": 1}


def generation_frames(wanted: int, rule: FrameRule, limit: int | None) -> int:
    """The valid frame count nearest ``wanted`` (ties go up), at least 2 frames and at most ``limit``.

    ``wanted`` is the clip's length at the model's frame rate. The smallest count is the rule's first
    above 1 (9 for 8k+1, 5 for 4k+1, 2 for any); ``limit`` (the most the model makes) is rounded down
    to the rule.

    Raises:
        ConfigError: ``limit`` is under the rule's smallest count.
    """
    step = _STEP[rule]
    smallest = 2 if step == 1 else step + 1
    count = max(smallest, step * math.floor((wanted - 1) / step + 0.5) + 1)
    if limit is None:
        return count
    largest = (limit - 1) // step * step + 1
    if largest < smallest:
        raise ConfigError(
            f"a model limited to {limit} frames cannot make a clip: {rule} counts start at {smallest}", rule=rule
        )
    return min(count, largest)


def generation_size(canvas: tuple[int, int], native: tuple[int, int], multiple: int) -> tuple[int, int]:
    """The size (width, height) with the area of ``native`` and the aspect of ``canvas``, sides rounded
    to the nearest ``multiple`` (at least one ``multiple``)."""
    area = native[0] * native[1]
    aspect = canvas[0] / canvas[1]
    width, height = math.sqrt(area * aspect), math.sqrt(area / aspect)
    return (
        max(multiple, round(width / multiple) * multiple),
        max(multiple, round(height / multiple) * multiple),
    )


def retime(frames: Sequence[np.ndarray], count: int) -> list[np.ndarray]:
    """Exactly ``count`` uint8 frames spread evenly over ``frames``' time (``retimed``, frame by frame).

    Raises:
        ConfigError: no frames, or a count under 1.
    """
    return [retimed(frames, count, index) for index in range(_checked_count(frames, count))]


def retimed(frames: Sequence[np.ndarray], count: int, index: int) -> np.ndarray:
    """Frame ``index`` of ``frames`` spread evenly over ``count`` frames: between two source frames a linear
    blend of the two (rounded to the nearest level); the first and last frames are kept exactly.

    Raises:
        ConfigError: no frames, or a count under 1.
    """
    last = len(frames) - 1
    if _checked_count(frames, count) == 1 or last == 0:
        return frames[0].copy()
    # Exact integer positions: frame ``index`` sits at index * last / (count - 1) in the source.
    low, remainder = divmod(index * last, count - 1)
    if remainder == 0:
        return frames[low].copy()
    weight = remainder / (count - 1)
    blend = frames[low].astype(np.float64) * (1 - weight) + frames[low + 1].astype(np.float64) * weight
    return np.floor(blend + 0.5).astype(np.uint8)


def _checked_count(frames: Sequence[np.ndarray], count: int) -> int:
    if not frames or count < 1:
        raise ConfigError(f"cannot retime {len(frames)} frames to {count}")
    return count


def fit(frame: Image.Image, size: tuple[int, int]) -> Image.Image:
    """``frame`` scaled to cover ``size`` (width, height) and centre-cropped to it (Lanczos)."""
    if frame.size == size:
        return frame
    return ImageOps.fit(frame, size, Image.Resampling.LANCZOS, centering=(0.5, 0.5))


class Clip(Sequence[Image.Image]):
    """What a model made (``frames``, its own count and size) shown as ``count`` frames of ``size``: each
    frame retimed and fitted when it is asked for, so a long shot never holds its whole clip at canvas size."""

    def __init__(self, frames: Sequence[np.ndarray], count: int, size: tuple[int, int]) -> None:
        self.frames, self.length, self.size = list(frames), _checked_count(frames, count), size

    def __len__(self) -> int:
        return self.length

    @overload
    def __getitem__(self, index: int) -> Image.Image: ...

    @overload
    def __getitem__(self, index: slice) -> list[Image.Image]: ...

    def __getitem__(self, index: int | slice) -> Image.Image | list[Image.Image]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self.length))]
        if not -self.length <= index < self.length:
            raise IndexError(f"frame {index} of a {self.length}-frame clip")
        frame = retimed(self.frames, self.length, index % self.length)
        return fit(Image.fromarray(frame, "RGB"), self.size)

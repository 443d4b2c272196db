"""What an image-to-video model is asked for, and how its clip is brought to the plan's frames and size.

Models make clips of their own shape: a frame count of a fixed form (LTX-Video 8k+1, Wan 4k+1, Stable
Video Diffusion any), at their own frame rate and resolution, with sides in multiples of their latent
patch. ``generation_frames`` and ``generation_size`` pick that shape for a clip; ``retime`` and ``fit``
bring what the model made to the plan's exact frame count and canvas. Everything here is plain
arithmetic on numpy arrays and PIL images, so the same clip always gives the same frames.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

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
    """Exactly ``count`` uint8 frames spread evenly over ``frames``' time, each between two of them a
    linear blend of the two (rounded to the nearest level); the first and last frames are kept exactly.

    Raises:
        ConfigError: no frames, or a count under 1.
    """
    if not frames or count < 1:
        raise ConfigError(f"cannot retime {len(frames)} frames to {count}")
    last = len(frames) - 1
    if count == 1 or last == 0:
        return [frames[0].copy() for _ in range(count)]
    result = []
    for index in range(count):
        # Exact integer positions: frame ``index`` sits at index * last / (count - 1) in the source.
        low, remainder = divmod(index * last, count - 1)
        if remainder == 0:
            result.append(frames[low].copy())
            continue
        weight = remainder / (count - 1)
        blend = frames[low].astype(np.float64) * (1 - weight) + frames[low + 1].astype(np.float64) * weight
        result.append(np.floor(blend + 0.5).astype(np.uint8))
    return result


def fit(frame: Image.Image, size: tuple[int, int]) -> Image.Image:
    """``frame`` scaled to cover ``size`` (width, height) and centre-cropped to it (Lanczos)."""
    if frame.size == size:
        return frame
    return ImageOps.fit(frame, size, Image.Resampling.LANCZOS, centering=(0.5, 0.5))

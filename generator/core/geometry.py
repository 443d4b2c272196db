"""Canvas geometry: the aspects a plan can target, their pixel sizes and the areas platform UI leaves free.

Rectangles are ``(x, y, w, h)`` in canvas pixels, fractional: motion is sub-pixel, so nothing is rounded here.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Literal

Aspect = Literal["9:16", "1:1", "4:5", "16:9"]
Rect = tuple[float, float, float, float]

ASPECT_SIZES: Mapping[Aspect, tuple[int, int]] = MappingProxyType({
    "9:16": (1080, 1920),
    "1:1": (1080, 1080),
    "4:5": (1080, 1350),
    "16:9": (1920, 1080),
})  # fmt: skip
# Where platform UI covers the picture, as fractions of the canvas (top, right, bottom, left): on
# 9:16 placements (Reels, TikTok, Shorts) the account bar above and the caption, buttons and
# progress bar below; in feeds a thin margin; on 16:9 the player's controls at the bottom.
SAFE_INSETS: Mapping[Aspect, tuple[float, float, float, float]] = MappingProxyType({
    "9:16": (0.12, 0.06, 0.20, 0.06),
    "1:1": (0.05, 0.05, 0.05, 0.05),
    "4:5": (0.05, 0.05, 0.06, 0.05),
    "16:9": (0.05, 0.05, 0.10, 0.05),
})  # fmt: skip


def safe_area(aspect: Aspect) -> Rect:
    """The part of ``aspect``'s canvas no platform UI covers: (x, y, w, h) in pixels."""
    width, height = ASPECT_SIZES[aspect]
    top, right, bottom, left = SAFE_INSETS[aspect]
    return (left * width, top * height, (1 - left - right) * width, (1 - top - bottom) * height)


# Where captions may go, as fractions of the canvas (top, right, bottom, left): on 9:16 the area clear on
# every major platform at 1080x1920 (x 120-888, y 288-1248: Reels keeps 14 % top, 35 % bottom and 6 % each
# side clear; TikTok's buttons take the right); elsewhere the safe area.
CAPTION_INSETS: Mapping[Aspect, tuple[float, float, float, float]] = MappingProxyType({
    **SAFE_INSETS,
    "9:16": (288 / 1920, (1080 - 888) / 1080, (1920 - 1248) / 1920, 120 / 1080),
})  # fmt: skip


def caption_area(aspect: Aspect) -> Rect:
    """The part of ``aspect``'s canvas where burned-in captions stay clear of every platform's UI: (x, y, w, h)."""
    width, height = ASPECT_SIZES[aspect]
    top, right, bottom, left = CAPTION_INSETS[aspect]
    return (left * width, top * height, (1 - left - right) * width, (1 - top - bottom) * height)

"""Drawing a product's treatments: its reflection's pixels, and where each of its sprites is at every frame.

The geometry is the plan's (``generator.planning.plan.treatments``); here it is bound to one layer
of one shot, as the ``track`` of each sprite (``sprites.Sprite``): shot-local frame to the sprite's
rect in world pixels and the window it is seen through.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import numpy as np
from PIL import Image

from generator.core.geometry import Rect
from generator.planning.plan.treatments import Reflection, product_at, reflection_at, shadow_at
from generator.planning.plan.types import ImagePlacement

Track = Callable[[int], tuple[Rect, Rect | None]]


def reflection_image(product: Image.Image, reflection: Reflection) -> tuple[Image.Image, float]:
    """The reflection of ``product`` (RGBA, cropped to its content), and the share of its height it covers.

    The bottom rows of the product, mirrored, their alpha times ``opacity`` at the foot falling
    linearly to nothing ``fade`` of the product's height further down; only rows that show are kept.
    """
    height = product.height
    reach = reflection.fade * height
    rows = max(1, min(height, math.ceil(reach)))
    mirrored = product.crop((0, height - rows, product.width, height)).transpose(Image.Transpose.FLIP_TOP_BOTTOM)
    pixels = np.array(mirrored.convert("RGBA"))
    weight = reflection.opacity * np.clip(1 - (np.arange(rows) + 0.5) / reach, 0.0, 1.0)
    pixels[..., 3] = np.rint(pixels[..., 3] * weight[:, None]).astype(np.uint8)
    return Image.fromarray(pixels, "RGBA"), rows / height


def product_track(layer: ImagePlacement, frames: int) -> Track:
    """The product's rect and window at each shot-local frame of a ``frames``-frame shot."""
    return functools.partial(product_at, layer.box, layer.treatment, layer.motion, frames)


def shadow_track(layer: ImagePlacement, band: Rect, frames: int) -> Track:
    """The contact shadow's band at each frame."""

    def track(frame: int) -> tuple[Rect, Rect | None]:
        return shadow_at(band, layer.box, layer.treatment, layer.motion, frames, frame), None

    return track


def reflection_track(layer: ImagePlacement, frames: int, share: float) -> Track:
    """The reflection's rect at each frame, covering ``share`` of the product's height."""
    treatment = layer.treatment
    assert treatment is not None

    def track(frame: int) -> tuple[Rect, Rect | None]:
        return reflection_at(layer.box, treatment, layer.motion, frames, frame, share), None

    return track


def reflection_rest(layer: ImagePlacement, share: float) -> Rect:
    """The reflection's rect while the product rests untreated otherwise (for a pinned keyframe)."""
    assert layer.treatment is not None and layer.treatment.reflection is not None
    return layer.treatment.reflection.rect(layer.box, share)

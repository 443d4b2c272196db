"""QR codes drawn from the plan's modules: square modules of whole pixels, dark on light with the quiet
zone, whatever the palette, so phones read them off the video."""

from __future__ import annotations

import functools

import numpy as np
from PIL import Image

from generator.planning.plan.types import QrCode

DARK, LIGHT = 0, 255


@functools.lru_cache(maxsize=16)
def qr_image(code: QrCode) -> Image.Image:
    """``code`` with its quiet zone as an opaque RGBA square, ``code.module`` pixels per module."""
    modules = np.array([[cell == "1" for cell in row] for row in code.modules], dtype=bool)
    grid = np.pad(modules, code.quiet, constant_values=False)
    pixels = np.where(np.kron(grid, np.ones((code.module, code.module), dtype=bool)), DARK, LIGHT)
    return Image.fromarray(pixels.astype(np.uint8), "L").convert("RGBA")

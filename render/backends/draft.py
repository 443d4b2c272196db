"""The ``draft`` backend: procedural studio backdrops, deterministic, no model, any machine.

A backdrop is a lit wall meeting a floor: the palette's two colours make the wall and floor
gradients, a soft key light falls behind where the product stands, the floor darkens towards the
camera and the corners are vignetted. Prompt keywords shift the mood (``night``/``neon`` darken and
add an accent glow, ``warm``/``golden`` and ``cool``/``tech`` tint, ``pastel``/``soft``/``morning``
lighten, ``bokeh``/``sparkle`` add soft out-of-focus lights, ``marble`` adds faint veins). The seed
only places bokeh lights and the dither pattern.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from PIL import Image

from render.backends import KeyframeRequest

_HORIZON = 0.64  # fraction of the height where wall meets floor


def _rgb(color: str) -> np.ndarray:
    return np.array([int(color[i : i + 2], 16) for i in (1, 3, 5)], dtype=np.float32) / 255.0


def _keywords(prompt: str) -> set[str]:
    return set(re.findall(r"[a-z]+", prompt.lower()))


class DraftRenderer:
    """Procedural keyframes; see the module docstring."""

    name = "draft"

    def render(self, requests: Sequence[KeyframeRequest]) -> list[Image.Image]:
        return [self._one(request) for request in requests]

    def _one(self, request: KeyframeRequest) -> Image.Image:
        width, height = request.size
        words = _keywords(request.prompt)
        top, bottom = _rgb(request.palette[0]), _rgb(request.palette[1])
        accent = _rgb(request.accent)
        if words & {"warm", "golden", "sunset", "cozy"}:
            top, bottom = top * [1.04, 0.98, 0.9], bottom * [1.05, 0.97, 0.88]
        if words & {"cool", "tech", "blue", "ice", "minimal"}:
            top, bottom = top * [0.92, 0.98, 1.06], bottom * [0.9, 0.97, 1.06]
        if words & {"pastel", "soft", "morning", "airy"}:
            top, bottom = top * 0.8 + 0.2, bottom * 0.85 + 0.15
        dark = bool(words & {"night", "neon", "dark", "moody"})
        if dark:  # darken light palettes; already dark ones stay near their own colours
            top, bottom = np.minimum(top, top * 0.35 + 0.1), np.minimum(bottom, bottom * 0.3 + 0.06)

        y = (np.arange(height, dtype=np.float32)[:, None] + 0.5) / height
        x = (np.arange(width, dtype=np.float32)[None, :] + 0.5) / width
        aspect = height / width

        # 1. Wall and floor gradients, joined by a soft horizon.
        wall = top + (bottom - top) * (0.55 * y[..., None] / _HORIZON)
        depth = np.clip((y - _HORIZON) / (1 - _HORIZON), 0, 1)[..., None]
        floor = bottom * (0.92 - 0.22 * depth)
        blend = np.clip((y - _HORIZON) / 0.025 + 0.5, 0, 1)[..., None]
        image = wall * (1 - blend) + floor * blend

        # 2. Key light behind the product, and a pool of light on the floor.
        light_y = _HORIZON - 0.2
        key = np.exp(-(((x - 0.5) / 0.42) ** 2 + ((y - light_y) * aspect / 0.55) ** 2))[..., None]
        pool = np.exp(-(((x - 0.5) / 0.5) ** 2 + ((y - _HORIZON - 0.07) * aspect / 0.18) ** 2))[..., None]
        light = 0.38 * key + 0.12 * pool
        if dark:
            image = image + accent * 0.45 * light
        else:
            image = image + (1.0 - image) * light  # brightens towards white without clipping

        # 3. Mood details.
        rng = np.random.default_rng(request.seed)
        if words & {"bokeh", "sparkle", "party", "festive"}:
            for _ in range(14):
                cx, cy, radius = rng.uniform(0.05, 0.95), rng.uniform(0.05, _HORIZON - 0.05), rng.uniform(0.02, 0.07)
                disc = np.clip(1.2 - np.hypot(x - cx, (y - cy) * aspect) / radius, 0, 1)[..., None]
                image = image + (accent * 0.5 + 0.5) * 0.18 * disc
        if "marble" in words:
            swirl = np.sin(x * 7.0 + np.sin(y * 5.0 + x * 3.0) * 2.2 + y * 3.0)
            veins = np.exp(-((swirl * 6.0) ** 2))
            on_floor = np.clip((y - _HORIZON) / 0.02, 0, 1)
            image = image * (1 - 0.06 * veins * on_floor)[..., None]

        # 4. Vignette and dither, then 8 bits.
        vignette = 1 - 0.28 * np.clip(np.hypot(x - 0.5, (y - 0.45) * 0.8) / 0.75, 0, 1) ** 2.2
        image = image * vignette[..., None]
        dither = rng.random((height, width, 1), dtype=np.float32) - 0.5
        pixels = np.clip(image * 255 + dither, 0, 255).astype(np.uint8)
        return Image.fromarray(pixels, "RGB")

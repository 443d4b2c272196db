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
from dataclasses import replace

import numpy as np
from PIL import Image

from render.backends import Capability, KeyframeRequest

_HORIZON = 0.64  # fraction of the height where wall meets floor
# The prompt words that change a backdrop; any other word leaves it as it is.
_MOODS = frozenset({
    "warm", "golden", "sunset", "cozy", "cool", "tech", "blue", "ice", "minimal", "pastel", "soft", "morning", "airy",
    "night", "neon", "dark", "moody", "bokeh", "sparkle", "party", "festive", "marble",
})  # fmt: skip
_SEEDED = frozenset({"bokeh", "sparkle", "party", "festive"})  # moods whose lights the seed places


def _rgb(color: str) -> np.ndarray:
    return np.array([int(color[i : i + 2], 16) for i in (1, 3, 5)], dtype=np.float32) / 255.0


def _keywords(prompt: str) -> set[str]:
    return set(re.findall(r"[a-z]+", prompt.lower()))


class DraftRenderer:
    """Procedural keyframes; see the module docstring."""

    name = "draft"
    identity = "draft-1"
    cacheable = False  # drawing a backdrop is cheaper than reading one back
    roles: frozenset[Capability] = frozenset({"scene"})

    def render(self, requests: Sequence[KeyframeRequest]) -> list[Image.Image]:
        return [self._one(request) for request in requests]

    def close(self) -> None:
        """Nothing to release: no model, no device memory."""

    @staticmethod
    def lookalike(request: KeyframeRequest) -> KeyframeRequest:
        """A request whose backdrop differs from ``request``'s by the dither alone (under one 8-bit
        level): its prompt cut to the words that change a backdrop, and its seed 0 unless a mood
        has lights the seed places. Many rows' scenes share one; measuring on it stands for them all."""
        words = _keywords(request.prompt) & _MOODS
        seed = request.seed if words & _SEEDED else 0
        return replace(request, prompt=" ".join(sorted(words)), negative="", seed=seed)

    def _one(self, request: KeyframeRequest) -> Image.Image:
        # Everything here is smooth, so it is computed at half resolution and upscaled; a dither
        # applied before rounding to 8 bits keeps the gradients from banding.
        width, height = request.size
        half = (max(1, width // 2), max(1, height // 2))
        light = self._light(request, half)
        dither = np.random.default_rng(request.seed).random((half[1], half[0], 1), dtype=np.float32) - 0.5
        pixels = np.clip(light * 255 + dither, 0, 255).astype(np.uint8)
        return Image.fromarray(pixels, "RGB").resize((width, height), Image.Resampling.BILINEAR)

    def _light(self, request: KeyframeRequest, size: tuple[int, int]) -> np.ndarray:
        """The backdrop as float32 RGB in [0, 1] at ``size``."""
        width, height = size
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
        rng = np.random.default_rng(request.seed + 1)
        if words & {"bokeh", "sparkle", "party", "festive"}:
            tint = (accent * 0.5 + 0.5) * 0.18
            for _ in range(14):
                cx, cy, radius = rng.uniform(0.05, 0.95), rng.uniform(0.05, _HORIZON - 0.05), rng.uniform(0.02, 0.07)
                # Only the disc's bounding rows and columns are touched.
                x0, x1 = max(0, int((cx - radius) * width)), min(width, int((cx + radius) * width) + 2)
                y0, y1 = (
                    max(0, int((cy - radius / aspect) * height)),
                    min(height, int((cy + radius / aspect) * height) + 2),
                )
                dx, dy = x[:, x0:x1] - cx, (y[y0:y1] - cy) * aspect
                disc = np.clip(1.2 - np.hypot(dx, dy) / radius, 0, 1)[..., None]
                image[y0:y1, x0:x1] += tint * disc
        if "marble" in words:
            swirl = np.sin(x * 7.0 + np.sin(y * 5.0 + x * 3.0) * 2.2 + y * 3.0)
            veins = np.exp(-((swirl * 6.0) ** 2))
            on_floor = np.clip((y - _HORIZON) / 0.02, 0, 1)
            image = image * (1 - 0.06 * veins * on_floor)[..., None]

        # 4. Vignette.
        vignette = 1 - 0.28 * np.clip(np.hypot(x - 0.5, (y - 0.45) * 0.8) / 0.75, 0, 1) ** 2.2
        lit: np.ndarray = (image * vignette[..., None]).astype(np.float32)
        return lit

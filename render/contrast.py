"""Contrast of a text with what is behind it, measured on pixels (WCAG 2.x).

Luminance is WCAG 2.x relative luminance of sRGB; a contrast ratio is ``(L1 + 0.05) / (L2 + 0.05)``,
lighter over darker. A text's glyphs are drawn alone to find their ink. The *surround* is a ring
``RING`` x font size wide just outside the ink (for a text with an outline, the outline's width),
so the fill's anti-aliased edge is never sampled and the text's own plate, shadow and stroke are. At each solid ink pixel (alpha >= 128) the
surround's luminance is the mean, in linear light, of the ring pixels within ``SURROUND`` x font
size of it: a shadow or stroke that lines part of a glyph counts for the part it lines. The text's
contrast is the ``PERCENTILE``-th percentile of those per-pixel ratios: if a tenth of the text
stands on a clashing area it fails, while a few stray pixels (noise in a generated background) do not.

Needed: 4.5:1 for text under 24 pt at the output size (``LARGE_TEXT_PX``, 32 px), 3:1 for larger
text, judged on a full-size plan's font size.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from generator.core.shaping import TextLayout
from generator.planning.plan.types import TextPlacement
from render.compose import text_box
from render.text import draw_text

LARGE_TEXT_PX = 32  # 24 pt on the output canvas
SMALL_TEXT_RATIO = 4.5
LARGE_TEXT_RATIO = 3.0
PERCENTILE = 5.0
RING = 0.08  # width of the sampled ring outside the ink, as a fraction of the font size
SURROUND = 0.15  # reach of the surround averaged at each ink pixel, as a fraction of the font size


def _linear(level: int) -> float:
    c = level / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


_LINEAR = np.array([_linear(v) for v in range(256)], dtype=np.float64)
_WEIGHTS = np.array([0.2126, 0.7152, 0.0722])


def relative_luminance(pixels: np.ndarray) -> np.ndarray:
    """WCAG relative luminance (0 black .. 1 white) of 8-bit sRGB ``pixels`` (..., 3)."""
    return np.asarray(_LINEAR[pixels] @ _WEIGHTS)


def color_luminance(color: str) -> float:
    """Relative luminance of a ``#RRGGBB`` colour."""
    return float(relative_luminance(np.array([int(color[i : i + 2], 16) for i in (1, 3, 5)])))


def contrast_ratio(a: float, b: float) -> float:
    """WCAG contrast ratio of two relative luminances: 1 (none) to 21 (black on white)."""
    return (max(a, b) + 0.05) / (min(a, b) + 0.05)


def needed_ratio(layer: TextPlacement) -> float:
    """The contrast ``layer`` (from a full-size plan) must reach: 3:1 from 24 pt (32 px) up, else 4.5:1."""
    return LARGE_TEXT_RATIO if layer.font_size >= LARGE_TEXT_PX else SMALL_TEXT_RATIO


@functools.lru_cache(maxsize=256)
def _ink(layer: TextPlacement) -> np.ndarray:
    """Coverage (0..255) of ``layer``'s glyphs alone, over its snapped box."""
    _, _, width, height = text_box(layer)
    layout = TextLayout(layer.lines, layer.font_size, layer.line_height)
    image = draw_text(
        layout, layer.fonts, layer.weight, (width, height), color="#FFFFFF", align=layer.align, lang=layer.lang
    )
    return np.asarray(image.getchannel("A"))


def _box_sum(values: np.ndarray, reach: int) -> np.ndarray:
    """Sum of ``values`` (..., height, width) over the (2 reach + 1)-pixel square around each pixel, zero outside."""
    padded = np.pad(values.astype(np.float64), ((0, 0),) * (values.ndim - 2) + ((reach + 1, reach), (reach + 1, reach)))
    total = padded.cumsum(axis=-2).cumsum(axis=-1)
    span = 2 * reach + 1
    corners = (
        total[..., span:, span:] - total[..., :-span, span:] - total[..., span:, :-span] + total[..., :-span, :-span]
    )
    return np.asarray(corners)


def _dilated(mask: np.ndarray, reach: int) -> np.ndarray:
    """``mask`` grown by ``reach`` steps to the four neighbours: every pixel within ``reach`` of it
    along the axes, so within that Euclidean distance too (as a round outline of that width is)."""
    for _ in range(reach):
        grown = mask.copy()
        grown[1:] |= mask[:-1]
        grown[:-1] |= mask[1:]
        grown[:, 1:] |= mask[:, :-1]
        grown[:, :-1] |= mask[:, 1:]
        mask = grown
    return mask


def text_contrast(pixels: np.ndarray, layer: TextPlacement, origin: tuple[int, int] = (0, 0)) -> float:
    """``layer``'s contrast in ``pixels`` (RGB, the part of the canvas from ``origin`` on, the text at
    rest in it); see the module docstring. Text with no ink there measures ``inf``: nothing of it can clash.
    """
    x, y, width, height = text_box(layer)
    ox, oy = origin
    left, top, right, bottom = sampled_area(layer)
    left, top = max(ox, left), max(oy, top)
    right, bottom = min(ox + pixels.shape[1], right), min(oy + pixels.shape[0], bottom)
    if right <= left or bottom <= top:
        return math.inf
    alpha = np.zeros((bottom - top, right - left), dtype=np.uint8)
    sx, sy = max(0, left - x), max(0, top - y)
    ex, ey = min(width, right - x), min(height, bottom - y)
    if ex > sx and ey > sy:
        alpha[sy + y - top : ey + y - top, sx + x - left : ex + x - left] = _ink(layer)[sy:ey, sx:ex]
    inked = alpha > 0
    around = _dilated(inked, _ring(layer)) & ~inked
    luminance = relative_luminance(pixels[top - oy : bottom - oy, left - ox : right - ox])
    count, total = _box_sum(np.stack([around, np.where(around, luminance, 0.0)]), _reach(layer))
    solid = (alpha >= 128) & (count > 0)
    if not solid.any():
        solid = inked & (count > 0)
    if not solid.any():
        return math.inf
    surround = total[solid] / count[solid]
    text = color_luminance(layer.color)
    ratios = (np.maximum(surround, text) + 0.05) / (np.minimum(surround, text) + 0.05)
    return float(np.percentile(ratios, PERCENTILE))


def _ring(layer: TextPlacement) -> int:
    """Width of the sampled ring: the outline's, for a text that has one, which is what borders its fill."""
    return layer.stroke if layer.stroke > 0 else max(1, round(RING * layer.font_size))


def _reach(layer: TextPlacement) -> int:
    return max(1, round(SURROUND * layer.font_size))


def sampled_area(layer: TextPlacement) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) canvas pixels that ``text_contrast`` reads for ``layer``."""
    x, y, width, height = text_box(layer)
    margin = _ring(layer) + _reach(layer)
    return (x - margin, y - margin, x + width + margin, y + height + margin)


def contrast_floor(behind: np.ndarray, layer: TextPlacement) -> float:
    """A lower bound of ``layer``'s contrast, when every pixel around its glyphs is a blend of pixels
    of ``behind`` (RGB) and of the text's own plate, shadow and stroke, as compositing and bilinear
    resampling make them: a blend lies, channel by channel in linear light, between the extremes of
    what it blends. 1 when the text's colour lies within that range."""
    pixels = behind.reshape(-1, 3)
    low, high = _LINEAR[pixels.min(axis=0)], _LINEAR[pixels.max(axis=0)]  # linear light rises with the level
    if layer.plate is not None:
        plate = _LINEAR[[int(layer.plate[i : i + 2], 16) for i in (1, 3, 5)]]
        low, high = np.minimum(low, plate), np.maximum(high, plate)
    if layer.shadow or layer.stroke > 0:
        low = np.zeros(3)  # both are black
    darkest, lightest, text = float(low @ _WEIGHTS), float(high @ _WEIGHTS), color_luminance(layer.color)
    if text >= lightest or text <= darkest:
        return contrast_ratio(text, lightest if text >= lightest else darkest)
    return 1.0

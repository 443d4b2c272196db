"""Text: fonts found by family name, words wrapped into a box, shrunk to fit, drawn with Pillow.

Layout (``fit_text``) happens while planning, so the plan records the exact font size and line
breaks; drawing (``draw_text``) only follows them. Text that does not fit even at the style's
minimum size is an error, never clipped.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONT_DIRS = (
    Path("/usr/share/fonts"),
    Path("/usr/local/share/fonts"),
    Path.home() / ".local/share/fonts",
    Path.home() / ".fonts",
)


class TextFitError(ValueError):
    """The text cannot fit its box at any allowed size."""


@dataclass(frozen=True)
class TextLayout:
    """Where each line goes: sizes in pixels, lines in reading order."""

    lines: tuple[str, ...]
    font_size: int
    line_height: int


def _font_dirs() -> list[Path]:
    extra = [Path(p) for p in os.environ.get("ADGEN_FONT_PATH", "").split(os.pathsep) if p]
    return extra + [d for d in FONT_DIRS if d.is_dir()]


@functools.cache
def _font_index() -> dict[tuple[str, str], Path]:
    """(family, style) -> file, lower-cased, for every font file found; built once per process."""
    index: dict[tuple[str, str], Path] = {}
    for directory in _font_dirs():
        for path in sorted(directory.rglob("*")):
            if path.suffix.lower() not in (".ttf", ".otf", ".ttc"):
                continue
            try:
                family, style = ImageFont.truetype(str(path), 12).getname()
            except OSError:
                continue
            index.setdefault(((family or "").lower(), (style or "").lower()), path)
    return index


@functools.cache
def find_font(family: str, weight: str = "regular") -> Path:
    """The font file of ``family`` in ``weight`` (``regular`` or ``bold``).

    Raises:
        LookupError: no installed font has that family and weight.
    """
    styles = ("bold",) if weight == "bold" else ("book", "regular", "normal", "roman")
    index = _font_index()
    for style in styles:
        path = index.get((family.lower(), style))
        if path is not None:
            return path
    known = sorted({name for name, _ in index})
    raise LookupError(f"no {weight} font of family {family!r}; installed families include {', '.join(known[:12])}")


@functools.cache
def load_font(path: Path, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(path), size, layout_engine=ImageFont.Layout.RAQM)


def _wrap(words: list[str], font: ImageFont.FreeTypeFont, width: float) -> list[str] | None:
    """Greedy word wrap; None when one word alone is wider than ``width``."""
    lines: list[str] = []
    current = ""
    for word in words:
        trial = f"{current} {word}" if current else word
        if font.getlength(trial) <= width:
            current = trial
            continue
        if not current or font.getlength(word) > width:
            return None
        lines.append(current)
        current = word
    if current:
        lines.append(current)
    return lines


@functools.lru_cache(maxsize=4096)  # catalogs repeat their texts: prices, brands, calls to action
def fit_text(
    text: str, font_path: Path, size: int, min_size: int, line_spacing: float, box: tuple[float, float]
) -> TextLayout:
    """Wrap ``text`` into ``box`` (width, height) at the largest size in ``[min_size, size]``.

    Explicit newlines in ``text`` are kept as line breaks.

    Raises:
        TextFitError: it does not fit even at ``min_size``.
    """
    paragraphs = [re.split(r"\s+", p.strip()) for p in text.strip().splitlines() if p.strip()]
    width, height = box
    for candidate in range(size, min_size - 1, -2 if size - min_size > 8 else -1):
        font = load_font(font_path, candidate)
        line_height = round(candidate * line_spacing)
        lines: list[str] = []
        for words in paragraphs:
            wrapped = _wrap(words, font, width)
            if wrapped is None:
                break
            lines.extend(wrapped)
        else:
            if line_height * (len(lines) - 1) + candidate <= height:
                return TextLayout(tuple(lines), candidate, line_height)
    raise TextFitError(
        f"text {text!r} does not fit a {width:.0f}x{height:.0f} px box even at the minimum size {min_size} px"
    )


def _hex(color: str, alpha: int = 255) -> tuple[int, int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16), alpha


def draw_text(
    layout: TextLayout,
    font_path: Path,
    size: tuple[int, int],
    *,
    color: str,
    align: str,
    stroke: int = 0,
    stroke_color: str = "#000000",
    shadow: bool = False,
    plate: str | None = None,
) -> Image.Image:
    """Draw ``layout`` centred vertically in an RGBA image of ``size``.

    A plate is a rounded rectangle behind the text block; a shadow is a soft dark copy below it.
    """
    width, height = size
    font = load_font(font_path, layout.font_size)
    ascent, _ = font.getmetrics()
    block = layout.line_height * (len(layout.lines) - 1) + layout.font_size
    top = (height - block) / 2
    anchor_x = {"left": 0.0, "center": width / 2, "right": float(width)}[align]
    anchor = {"left": "ls", "center": "ms", "right": "rs"}[align]
    positions = [(anchor_x, top + ascent * layout.font_size / sum(font.getmetrics()) + i * layout.line_height) for i in range(len(layout.lines))]

    image = Image.new("RGBA", size, (0, 0, 0, 0))
    if plate is not None:
        widths = [font.getlength(line) for line in layout.lines]
        pad_x, pad_y = layout.font_size * 0.45, layout.font_size * 0.22
        text_w = max(widths)
        left = {"left": 0.0, "center": (width - text_w) / 2, "right": width - text_w}[align]
        rect = (max(0.0, left - pad_x), max(0.0, top - pad_y), min(width - 1.0, left + text_w + pad_x), min(height - 1.0, top + block + pad_y))
        ImageDraw.Draw(image).rounded_rectangle(rect, radius=layout.font_size * 0.35, fill=_hex(plate))
    if shadow:
        shade = Image.new("RGBA", size, (0, 0, 0, 0))
        draw = ImageDraw.Draw(shade)
        offset = max(1.0, layout.font_size * 0.04)
        for (x, y), line in zip(positions, layout.lines):
            draw.text((x, y + offset), line, font=font, fill=(0, 0, 0, 140), anchor=anchor)
        image = Image.alpha_composite(image, shade.filter(ImageFilter.GaussianBlur(layout.font_size * 0.05)))
    draw = ImageDraw.Draw(image)
    for (x, y), line in zip(positions, layout.lines):
        draw.text((x, y), line, font=font, fill=_hex(color), anchor=anchor, stroke_width=stroke, stroke_fill=_hex(stroke_color))
    return image

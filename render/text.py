"""Drawing text: the plan's laid-out lines painted with Pillow, run by run, where shaping measured them.

Layout happens while planning (``generator.core.shaping``, ``generator.planning.textfit``), so
drawing only follows the plan's font size and line breaks. Each run is drawn with its own font at
its measured place; Pillow's raqm layout reshapes the run with the same HarfBuzz rules, so drawn
and measured widths agree. A bitmap colour font (Noto Color Emoji has one 109 px strike) is drawn
at its strike and scaled.
"""

from __future__ import annotations

import functools
import math

from bidi import get_base_level
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from generator.core.fonts import Face, chain_faces, face_info
from generator.core.shaping import GlyphRun, TextLayout, shape_line


@functools.lru_cache(maxsize=256)
def _pil_font(face: Face, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(face.path), size, index=face.index, layout_engine=ImageFont.Layout.RAQM)


def _hex(color: str) -> tuple[int, int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16), 255


def _line_left(align: str, box_width: int, line_width: float, rtl: bool) -> float:
    side = {"start": "right" if rtl else "left", "end": "left" if rtl else "right"}.get(align, align)
    if side not in ("left", "center", "right"):
        raise ValueError(f"align must be left, center, right, start or end, got {align!r}")
    return {"left": 0.0, "center": (box_width - line_width) / 2, "right": box_width - line_width}[side]


def _bitmap_sprite(run: GlyphRun, strike: int, size: int, lang: str) -> tuple[Image.Image, float]:
    """A bitmap-only (colour emoji) run drawn at its one strike size and scaled to ``size``.

    Returns the sprite and its ascent in pixels at ``size``.
    """
    font = _pil_font(Face(run.font, run.face), strike)
    ascent, descent = font.getmetrics()
    sprite = Image.new("RGBA", (max(1, math.ceil(run.width * strike / size)), ascent + descent), (0, 0, 0, 0))
    draw = ImageDraw.Draw(sprite)
    draw.text(
        (0, ascent), run.text, font=font, anchor="ls", direction=run.direction, language=lang, embedded_color=True
    )
    scale = size / strike
    scaled = (max(1, round(sprite.width * scale)), max(1, round(sprite.height * scale)))
    # Resample premultiplied so transparent pixels do not darken the edges.
    return sprite.convert("RGBa").resize(scaled, Image.Resampling.LANCZOS).convert("RGBA"), ascent * scale


_Placed = tuple[float, float, tuple[GlyphRun, ...]]  # a line's left edge, baseline and runs, in pixels


def _paint(
    image: Image.Image,
    lines: list[_Placed],
    size: int,
    lang: str,
    fill: tuple[int, int, int, int],
    *,
    stroke: int = 0,
    stroke_fill: tuple[int, int, int, int] = (0, 0, 0, 255),
    colour: bool = True,
) -> None:
    """Draw each run with its own font at its place; ``colour=False`` paints colour glyphs in ``fill`` too."""
    draw = ImageDraw.Draw(image)
    for x, baseline, runs in lines:
        for run in runs:
            face = Face(run.font, run.face)
            info = face_info(face)
            if info.strike is None:
                font = _pil_font(face, size)
                draw.text(
                    (x, baseline),
                    run.text,
                    fill,
                    font,
                    anchor="ls",
                    direction=run.direction,
                    language=lang,
                    stroke_width=stroke,
                    stroke_fill=stroke_fill,
                    embedded_color=info.color and colour,
                )
            else:
                sprite, ascent = _bitmap_sprite(run, info.strike, size, lang)
                if not colour:
                    alpha = sprite.getchannel("A").point(lambda a: a * fill[3] // 255)
                    sprite = Image.new("RGBA", sprite.size, (*fill[:3], 0))
                    sprite.putalpha(alpha)
                layer = Image.new("RGBA", image.size, (0, 0, 0, 0))
                layer.paste(sprite, (round(x), round(baseline - ascent)))
                image.alpha_composite(layer)
            x += run.width


def placed_lines(
    layout: TextLayout, families: tuple[str, ...], weight: str, size: tuple[int, int], align: str, lang: str
) -> list[_Placed]:
    """Each line of ``layout`` where ``draw_text`` draws it in an image of ``size``: left edge, baseline and runs."""
    width, height = size
    font_size = layout.font_size
    ascent, descent = _pil_font(chain_faces(families, weight)[0], font_size).getmetrics()
    top = (height - (layout.line_height * (len(layout.lines) - 1) + font_size)) / 2
    lines: list[_Placed] = []
    for i, line in enumerate(layout.lines):
        runs = shape_line(line, families, weight, font_size, lang)
        left = _line_left(align, width, sum(run.width for run in runs), get_base_level(line) == 1)
        lines.append((left, top + ascent * font_size / (ascent + descent) + i * layout.line_height, runs))
    return lines


def draw_text(
    layout: TextLayout,
    families: tuple[str, ...],
    weight: str,
    size: tuple[int, int],
    *,
    color: str,
    align: str,
    stroke: int = 0,
    stroke_color: str = "#000000",
    shadow: bool = False,
    plate: str | None = None,
    lang: str = "en",
    glyphs: bool = True,
) -> Image.Image:
    """Draw ``layout`` centred vertically in an RGBA image of ``size``.

    ``align`` is left, center, right, start or end; start and end follow each line's base
    direction (start is right for an RTL line). A plate is a rounded rectangle behind the text
    block; a shadow is a soft dark copy below it. Colour emoji take neither stroke nor fill.
    ``glyphs=False`` draws the plate alone.
    """
    width, height = size
    font_size = layout.font_size
    block = layout.line_height * (len(layout.lines) - 1) + font_size
    top = (height - block) / 2
    lines = placed_lines(layout, families, weight, size, align, lang)
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    if plate is not None and lines:
        text_left = min(left for left, _, _ in lines)
        text_right = max(left + sum(run.width for run in runs) for left, _, runs in lines)
        pad_x, pad_y = font_size * 0.45, font_size * 0.22
        rect = (
            max(0.0, text_left - pad_x),
            max(0.0, top - pad_y),
            min(width - 1.0, text_right + pad_x),
            min(height - 1.0, top + block + pad_y),
        )
        ImageDraw.Draw(image).rounded_rectangle(rect, radius=font_size * 0.35, fill=_hex(plate))
    if not glyphs:  # the plate alone
        return image
    if shadow:
        shade = Image.new("RGBA", size, (0, 0, 0, 0))
        offset = max(1.0, font_size * 0.04)
        _paint(shade, [(x, y + offset, runs) for x, y, runs in lines], font_size, lang, (0, 0, 0, 140), colour=False)
        image = Image.alpha_composite(image, shade.filter(ImageFilter.GaussianBlur(font_size * 0.05)))
    _paint(image, lines, font_size, lang, _hex(color), stroke=stroke, stroke_fill=_hex(stroke_color))
    return image

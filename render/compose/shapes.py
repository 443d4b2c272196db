"""Shape layers as images: vector shapes drawn at 4x and reduced (antialiased), cached per look and pixel size.

Pillow's ``ImageDraw`` at four times the size, reduced by a 4x4 box average, gives 16 coverage levels
per edge pixel, as good as an analytic rasterizer at these sizes and without another dependency. Each
distinct drawing (a look at a pixel size and a phase of its animation) is made once per process
(``functools.lru_cache``). ``pop`` and ``grow`` move the one resting drawing; ``draw-on``, ``spin`` and
``fill`` show one drawing a frame while they run (a line drawn to a whole pixel length, a turn, a bar
filled to a whole pixel), then the resting one.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

from PIL import Image, ImageDraw

from generator.core.geometry import Rect
from generator.core.shaping import TextLayout
from generator.planning.plan.effects import Easing, Motion, Moves
from generator.planning.plan.shapes import ShapeLook, ShapePlacement, inner_box
from render.text import draw_text

SS = 4  # supersampling factor
TRACK_ALPHA = 70  # a progress bar's track, when it has no stroke colour: its fill colour, this opaque
_SPIN = Easing.EASE_OUT_CUBIC

Drawn = tuple[Image.Image, Rect, Moves]  # an image, where it rests (canvas pixels), how it moves


def _rgba(color: str, alpha: int = 255) -> tuple[int, int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16), alpha


def _star(cx: float, cy: float, outer: float, inner: float, points: int) -> list[tuple[float, float]]:
    return [
        (
            cx + (outer if k % 2 == 0 else inner) * math.sin(math.pi * k / points),
            cy - (outer if k % 2 == 0 else inner) * math.cos(math.pi * k / points),
        )
        for k in range(2 * points)
    ]


@functools.lru_cache(maxsize=1024)
def shape_image(look: ShapeLook, size: tuple[int, int], phase: float = 1.0) -> Image.Image:
    """``look`` drawn in ``size`` pixels (before rotation), at ``phase`` of a draw-on or fill (1: whole), unrotated."""
    width, height = max(1, size[0]), max(1, size[1])
    big = Image.new("RGBA", (width * SS, height * SS), (0, 0, 0, 0))
    draw = ImageDraw.Draw(big)
    w, h = width * SS, height * SS
    fill = _rgba(look.color)
    outline = _rgba(look.stroke) if look.stroke else None
    line = round(look.stroke_width * SS)
    radius = look.corner * min(w, h)
    if look.shape == "line":
        thickness = max(SS, line)
        length = (w - thickness) * phase
        y = h / 2
        if length > 0:
            draw.line((thickness / 2, y, thickness / 2 + length, y), fill=fill, width=thickness)
            for x in (thickness / 2, thickness / 2 + length):  # round caps
                draw.ellipse((x - thickness / 2, y - thickness / 2, x + thickness / 2, y + thickness / 2), fill=fill)
    elif look.shape == "progress":
        track = outline or _rgba(look.color, TRACK_ALPHA)
        draw.rounded_rectangle((0, 0, w - 1, h - 1), radius, fill=track)
        filled = round((w - 1) * phase)
        if filled > 0:
            draw.rounded_rectangle((0, 0, max(filled, min(w - 1, 2 * radius)), h - 1), radius, fill=fill)
    elif look.shape == "burst" or look.form == "starburst":
        inner = 0.55 if look.shape == "burst" else 0.84
        r = min(w, h) / 2 - line / 2
        draw.polygon(_star(w / 2, h / 2, r, r * inner, look.points), fill=fill, outline=outline, width=line)
    elif look.shape == "badge" and look.form == "circle":
        d = min(w, h) - 1
        box = ((w - d) / 2, (h - d) / 2, (w + d) / 2, (h + d) / 2)
        draw.ellipse(box, fill=fill, outline=outline, width=line if outline else 0)
    else:  # a rounded badge, a sticker
        draw.rounded_rectangle((0, 0, w - 1, h - 1), radius, fill=fill, outline=outline, width=line if outline else 0)
    image = big.convert("RGBa").reduce(SS).convert("RGBA")
    if look.label is not None:
        image.alpha_composite(_label(look, size))
    return image


def _label(look: ShapeLook, size: tuple[int, int]) -> Image.Image:
    """The label centred in its shape's inner box, on a transparent image of the shape's size."""
    label = look.label
    assert label is not None
    x, y, w, h = inner_box(look, (0.0, 0.0, float(size[0]), float(size[1])))
    text = draw_text(
        TextLayout(label.lines, label.font_size, label.line_height), label.fonts, label.weight,
        (max(1, round(w)), max(1, round(h))), color=label.color, align="center", lang=label.lang,
    )  # fmt: skip
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    image.alpha_composite(text, (round(x), round(y)))
    return image


@functools.lru_cache(maxsize=1024)
def rotated(look: ShapeLook, size: tuple[int, int], phase: float, angle: float) -> Image.Image:
    """``shape_image`` turned ``angle`` degrees counter-clockwise about its centre (premultiplied, so edges stay clean)."""
    image = shape_image(look, size, phase)
    if angle == 0.0:
        return image
    return image.convert("RGBa").rotate(angle, Image.Resampling.BICUBIC, expand=True).convert("RGBA")


@dataclass(frozen=True)
class Grow:
    """Scales a shape from nothing about its centre over its entrance, then rests as ``motion`` says."""

    motion: Motion

    def apply(self, rect: Rect, anchor: Rect, canvas: tuple[int, int], frame: int) -> tuple[Rect, float]:
        (x, y, w, h), opacity = self.motion.apply(rect, anchor, canvas, frame)
        motion = self.motion
        q = 1.0 if motion.frames <= 0 else min(1.0, (frame - motion.start + 1) / motion.frames)
        k = Easing.EASE_OUT_BACK.apply(q)
        return (x + w * (1 - k) / 2, y + h * (1 - k) / 2, w * k, h * k), opacity if k > 0 else 0.0


def shape_images(layer: ShapePlacement, shot_frames: int) -> list[Drawn]:
    """The images ``layer`` is drawn as over its shot, each with where it rests and how it moves."""
    x, y, w, h = layer.box
    size = (max(1, round(w)), max(1, round(h)))
    look, motion = layer.look, layer.motion
    angle = look.rotation

    def placed(image: Image.Image) -> Rect:  # centred on the box, whatever rotation added
        return (x + (w - image.width) / 2, y + (h - image.height) / 2, float(image.width), float(image.height))

    if layer.animation in ("draw-on", "spin", "fill"):
        start = motion.start
        frames = shot_frames - start if layer.animation == "fill" else max(1, motion.frames)
        drawn: list[Drawn] = []
        for j in range(frames - 1):
            q = (j + 1) / frames
            if layer.animation == "spin":
                image = rotated(look, size, 1.0, angle - 360.0 * (1 - _SPIN.apply(q)))
            else:
                length = w if look.shape == "line" else w - 1
                phase = (
                    round(q * length) / length if layer.animation == "fill" else round(_SPIN.apply(q) * length) / length
                )
                image = rotated(look, size, phase, angle)
            drawn.append((image, placed(image), Motion.between(start + j, start + j + 1)))
        rest = rotated(look, size, 1.0, angle)
        final = motion.model_copy(update={"start": start + frames - 1, "frames": 0})
        return [*drawn, (rest, placed(rest), final)]
    image = rotated(look, size, 1.0, angle)
    return [(image, placed(image), Grow(motion) if layer.animation == "grow" else motion)]

"""Kinetic type as images: a text drawn once, cut into its pieces where shaping put them (as captions are),
each piece entering at the frame the plan gives it; and the extras drawn over it once it is in.

``stagger``: a piece fades in; ``rise``: it rises half an em as it fades in; ``mask``: an edge moving in
its line's reading direction reveals it, one whole-pixel crop a frame. A highlight bar and a strike-through
sweep in the same way; a counting number is the text drawn once per distinct string it shows.
Every drawing is made once (strings and swept crops are cached), never per frame.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from bidi import get_base_level
from PIL import Image, ImageDraw

from generator.core.geometry import Rect
from generator.core.shaping import TextLayout
from generator.planning.plan.effects import Appear, Easing, Fade, Motion, Moves
from generator.planning.plan.kinetic import Kinetic
from generator.planning.plan.types import TextPlacement
from render.compose.captions import piece_cuts, piece_extents
from render.text import draw_text, placed_lines

Drawn = tuple[Image.Image, tuple[int, int], Moves]  # an image, its offset in the text's box, how it moves
EASE = Easing.EASE_OUT_CUBIC  # every piece and sweep decelerates into place
RISE = 0.5  # ems a rising piece travels
BAR_PAD = 0.12  # ems a highlight bar reaches past its words
_drawn_text = functools.lru_cache(maxsize=512)(draw_text)


@dataclass(frozen=True)
class Entering:
    """``motion``, shown only on shot-local frames [``since``, ``until``), rising ``rise`` pixels as it enters."""

    motion: Motion
    rise: float = 0.0
    since: int = 0
    until: int | None = None

    def apply(self, rect: Rect, anchor: Rect, canvas: tuple[int, int], frame: int) -> tuple[Rect, float]:
        if frame < self.since or (self.until is not None and frame >= self.until):
            return rect, 0.0
        (x, y, w, h), opacity = self.motion.apply(rect, anchor, canvas, frame)
        motion = self.motion
        if self.rise and frame >= motion.start:
            q = 1.0 if motion.frames <= 0 else min(1.0, (frame - motion.start + 1) / motion.frames)
            y += self.rise * (1 - motion.ease.apply(q))
        return (x, y, w, h), opacity


def _from(layer: TextPlacement, start: int, frames: int, enter: Appear | Fade) -> Motion:
    """An entrance over ``frames`` from ``start``, leaving as ``layer`` leaves."""
    motion = layer.motion
    return Motion(
        enter=enter, start=start, frames=frames, ease=EASE, exit=motion.exit, exit_start=motion.exit_start,
        exit_frames=motion.exit_frames, exit_ease=motion.exit_ease,
    )  # fmt: skip


def swept(
    image: Image.Image, offset: tuple[int, int], start: int, frames: int, rtl: bool, final: Motion,
    ink: tuple[float, float] | None = None,
) -> list[Drawn]:  # fmt: skip
    """``image`` revealed from its reading start over ``frames`` frames from ``start``, one crop a frame, the
    edge crossing ``ink`` (its left and right in the image; default: all of it); whole from its last frame on,
    moving as ``final``."""
    drawn: list[Drawn] = []
    width, height = image.size
    left, right = ink or (0.0, float(width))
    for j in range(frames - 1):
        gone = (right - left) * EASE.apply((j + 1) / frames)
        shown = min(width, math.ceil((width - right if rtl else left) + gone))
        if shown > 0:
            box = (width - shown, 0, width, height) if rtl else (0, 0, shown, height)
            drawn.append((image.crop(box), (offset[0] + box[0], offset[1]), Motion.between(start + j, start + j + 1)))
    drawn.append((image, offset, final))
    return drawn


def kinetic_images(layer: TextPlacement, size: tuple[int, int]) -> list[Drawn]:
    """The images ``layer`` (with a ``kinetic``) is drawn as, bottom first, with their offsets and motions."""
    kinetic = layer.kinetic
    assert kinetic is not None
    whole_motion = layer.motion.model_copy(update={"frames": kinetic.frames})

    def drawn(lines: tuple[str, ...], *, plate: str | None = None, glyphs: bool = True) -> Image.Image:
        return _drawn_text(
            TextLayout(lines, layer.font_size, layer.line_height), layer.fonts, layer.weight, size, color=layer.color,
            align=layer.align, stroke=layer.stroke, shadow=layer.shadow and glyphs, plate=plate, lang=layer.lang,
            glyphs=glyphs,
        )  # fmt: skip

    images: list[Drawn] = []
    if layer.plate is not None:
        images.append((drawn(layer.lines, plate=layer.plate, glyphs=False), (0, 0), whole_motion))
    if kinetic.highlight is not None:
        images.extend(_bars(layer, kinetic, size))
    whole = drawn(layer.lines)
    if kinetic.count is not None:
        count = kinetic.count
        last = count.start + count.frames - 1
        steps: list[tuple[str, int]] = []
        for j in range(count.frames - 1):
            text = count.text_at(count.start + j, EASE.apply((j + 1) / count.frames))
            if not steps or steps[-1][0] != text:
                steps.append((text, count.start + j))
        for k, (text, since) in enumerate(steps):
            until = steps[k + 1][1] if k + 1 < len(steps) else last
            lines = tuple(text if i == count.line else line for i, line in enumerate(layer.lines))
            images.append((drawn(lines), (0, 0), Entering(whole_motion, since=since, until=until)))
        images.append((whole, (0, 0), Entering(whole_motion, since=last)))
    elif kinetic.units:
        texts = [unit.text for unit in kinetic.units]
        cuts, extents = piece_cuts(layer, size, texts), piece_extents(layer, size, texts)
        for unit, cut, (_, left, right) in zip(kinetic.units, cuts, extents):
            piece = whole.crop(cut)
            if kinetic.style == "mask":  # the edge crosses the piece's glyphs, not its whole cut
                final = _from(layer, unit.start + kinetic.frames - 1, 0, Appear())
                rtl = get_base_level(layer.lines[unit.line]) == 1
                ink = (left - cut[0], right - cut[0])
                images.extend(swept(piece, cut[:2], unit.start, kinetic.frames, rtl, final, ink))
                continue
            rise = RISE * layer.font_size if kinetic.style == "rise" else 0.0
            images.append((piece, cut[:2], Entering(_from(layer, unit.start, kinetic.frames, Fade()), rise=rise)))
    else:
        images.append((whole, (0, 0), whole_motion))
    if kinetic.strike is not None:
        images.extend(_strikes(layer, kinetic, size))
    return images


def rounded(size: tuple[int, int], color: str, radius: float) -> Image.Image:
    """A rounded rectangle of ``size`` filling its image, antialiased by drawing at 4x and reducing."""
    width, height = max(1, size[0]), max(1, size[1])
    big = Image.new("RGBA", (4 * width, 4 * height), (0, 0, 0, 0))
    rgb = tuple(int(color[i : i + 2], 16) for i in (1, 3, 5))
    ImageDraw.Draw(big).rounded_rectangle((0, 0, 4 * width - 1, 4 * height - 1), 4 * radius, fill=(*rgb, 255))
    return big.convert("RGBa").reduce(4).convert("RGBA")


def _runs(indices: Sequence[int]) -> list[list[int]]:
    """``indices`` (sorted) in runs of consecutive numbers."""
    runs: list[list[int]] = []
    for index in indices:
        if runs and runs[-1][-1] == index - 1:
            runs[-1].append(index)
        else:
            runs.append([index])
    return runs


def _line_centre(layer: TextPlacement, size: tuple[int, int], line: int) -> float:
    top = (size[1] - (layer.line_height * (len(layer.lines) - 1) + layer.font_size)) / 2
    return top + line * layer.line_height + layer.font_size / 2


def _bars(layer: TextPlacement, kinetic: Kinetic, size: tuple[int, int]) -> list[Drawn]:
    bar = kinetic.highlight
    assert bar is not None
    extents = piece_extents(layer, size, list(bar.words))
    pad, height = BAR_PAD * layer.font_size, round(min(1.1 * layer.font_size, layer.line_height))
    final = _from(layer, bar.start + bar.frames - 1, 0, Appear())
    images: list[Drawn] = []
    for run in _runs(bar.lit):
        on_line = [extents[i] for i in run if extents[i][0] == extents[run[0]][0]]
        line = on_line[0][0]
        left, right = min(a for _, a, _ in on_line) - pad, max(b for _, _, b in on_line) + pad
        image = rounded((round(right - left), height), bar.color, 0.15 * layer.font_size)
        offset = (round(left), round(_line_centre(layer, size, line) - height / 2))
        rtl = get_base_level(layer.lines[line]) == 1
        images.extend(swept(image, offset, bar.start, bar.frames, rtl, final))
    return images


def _strikes(layer: TextPlacement, kinetic: Kinetic, size: tuple[int, int]) -> list[Drawn]:
    strike = kinetic.strike
    assert strike is not None
    layout = TextLayout(layer.lines, layer.font_size, layer.line_height)
    thickness = max(2, round(0.07 * layer.font_size))
    final = _from(layer, strike.start + strike.frames - 1, 0, Appear())
    images: list[Drawn] = []
    for index, (left, baseline, runs) in enumerate(
        placed_lines(layout, layer.fonts, layer.weight, size, layer.align, layer.lang)
    ):
        width = round(sum(run.width for run in runs))
        image = rounded((width, thickness), strike.color, thickness / 2)
        offset = (round(left), round(baseline - 0.3 * layer.font_size - thickness / 2))
        rtl = get_base_level(layer.lines[index]) == 1
        images.extend(swept(image, offset, strike.start, strike.frames, rtl, final))
    return images

"""Captions as sprites: a caption is drawn once as a whole, then cut into its words where shaping put them.

``karaoke``: the caption in its colour, and over it each word cut from the caption drawn in the
highlight colour, shown while the word is spoken. ``pop``: each word cut from the caption pops in
when it is first spoken (its plate, if any, stays under them all). ``phrase``: the caption whole.
Cuts come from one drawing, so a word lands on exactly the pixels it has in the whole caption;
they meet halfway across the spaces, so no pixel is drawn twice.
"""

from __future__ import annotations

from PIL import Image

from generator.core.shaping import TextLayout
from generator.planning.plan.effects import Motion, Pop
from generator.planning.plan.types import TextPlacement
from render.text import draw_text, placed_lines

_POP_FRAMES = 4  # a word's pop-in


def word_cuts(layer: TextPlacement, size: tuple[int, int]) -> list[tuple[int, int, int, int]]:
    """Each caption word's cut (left, top, right, bottom) in ``layer``'s drawn image of ``size``, in word order."""
    assert layer.caption is not None
    return piece_cuts(layer, size, [word.text for word in layer.caption.words])


def piece_cuts(layer: TextPlacement, size: tuple[int, int], pieces: list[str]) -> list[tuple[int, int, int, int]]:
    """The cut of each of ``pieces`` (substrings of ``layer``'s lines, in reading order) in its drawn image of ``size``."""
    layout = TextLayout(layer.lines, layer.font_size, layer.line_height)
    return _cuts(piece_extents(layer, size, pieces), layout, size)


def piece_extents(layer: TextPlacement, size: tuple[int, int], pieces: list[str]) -> list[tuple[int, float, float]]:
    """(line, left, right) of each of ``pieces`` in ``layer``'s drawn image of ``size``: where shaping put its glyphs."""
    layout = TextLayout(layer.lines, layer.font_size, layer.line_height)
    placed = placed_lines(layout, layer.fonts, layer.weight, size, layer.align, layer.lang)
    words = pieces
    extents: list[tuple[int, float, float]] = []  # line, left, right
    k = 0
    for index, (left, _, runs) in enumerate(placed):
        line, at = layer.lines[index], 0
        glyphs: list[tuple[int, float, float]] = []  # cluster, left, right
        x = left
        for run in runs:
            for cluster, advance in zip(run.clusters, run.advances):
                glyphs.append((cluster, x, x + advance * layer.font_size))
                x += advance * layer.font_size
        while k < len(words) and (found := line.find(words[k], at)) >= 0:
            inside = [(a, b) for c, a, b in glyphs if found <= c < found + len(words[k])]
            extents.append((index, min(a for a, _ in inside), max(b for _, b in inside)) if inside else (index, x, x))
            at, k = found + len(words[k]), k + 1
    if k != len(words):
        raise ValueError(f"pieces {words[k:]} are not in the lines {layer.lines}")
    return extents


def _cuts(
    extents: list[tuple[int, float, float]], layout: TextLayout, size: tuple[int, int]
) -> list[tuple[int, int, int, int]]:
    """Whole-pixel cuts around ``extents``: bands per line, split halfway between neighbours on a line."""
    width, height = size
    count = len(layout.lines)
    top = (height - (layout.line_height * (count - 1) + layout.font_size)) / 2
    centres = [top + i * layout.line_height + layout.font_size / 2 for i in range(count)]
    bands = [
        (
            0 if i == 0 else round((centres[i - 1] + centres[i]) / 2),
            height if i == count - 1 else round((c + centres[i + 1]) / 2),
        )
        for i, c in enumerate(centres)
    ]
    cuts = []
    for n, (line, left, right) in enumerate(extents):
        on_line = sorted((a, b) for m, (ln, a, b) in enumerate(extents) if ln == line and m != n)
        before = max((b for a, b in on_line if b <= left + 1e-6), default=None)
        after = min((a for a, b in on_line if a >= right - 1e-6), default=None)
        x0 = 0 if before is None else round((before + left) / 2)
        x1 = width if after is None else round((right + after) / 2)
        cuts.append((x0, bands[line][0], max(x0 + 1, x1), bands[line][1]))
    return cuts


def caption_images(layer: TextPlacement, size: tuple[int, int]) -> list[tuple[Image.Image, tuple[int, int], Motion]]:
    """The images a caption is drawn as, bottom first: each with its offset in the caption's box and its motion."""
    assert layer.caption is not None
    caption = layer.caption
    layout = TextLayout(layer.lines, layer.font_size, layer.line_height)

    def drawn(color: str, *, shadow: bool, plate: str | None, glyphs: bool = True) -> Image.Image:
        return draw_text(
            layout, layer.fonts, layer.weight, size, color=color, align=layer.align, stroke=layer.stroke,
            shadow=shadow, plate=plate, lang=layer.lang, glyphs=glyphs,
        )  # fmt: skip

    whole = drawn(layer.color, shadow=layer.shadow, plate=layer.plate)
    if caption.style == "phrase":
        return [(whole, (0, 0), layer.motion)]
    end = layer.motion.exit_start
    cuts = word_cuts(layer, size)
    if caption.style == "karaoke":
        lit = drawn(caption.highlight, shadow=False, plate=None)
        images = [(whole, (0, 0), layer.motion)]
        for word, cut in zip(caption.words, cuts):
            images.append((lit.crop(cut), cut[:2], Motion.between(word.start, min(word.end, end))))
        return images
    images = []
    if layer.plate is not None:
        images.append((drawn(layer.color, shadow=False, plate=layer.plate, glyphs=False), (0, 0), layer.motion))
        whole = drawn(layer.color, shadow=layer.shadow, plate=None)
    for word, cut in zip(caption.words, cuts):
        images.append((whole.crop(cut), cut[:2], Motion.between(word.start, end, Pop(), _POP_FRAMES)))
    return images

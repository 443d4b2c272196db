"""Captions of a voice line: its written words in chunks, timed to the frame the voice says each, laid out
by the same text engine as every text, in a band clear of platform UI and of the shot's product.

A chunk is a text layer with a ``caption``: its motion shows it from its first word until the next
chunk (a one-frame fade is a cut), and its words carry the frames while each is spoken, for the
highlight (karaoke) or the entrance (pop) that rendering draws.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from generator.core.errors import PlanError
from generator.core.fonts import font_chain
from generator.core.geometry import ASPECT_SIZES, Aspect, Rect, caption_area
from generator.core.shaping import TextFitError, TextLayout
from generator.planning.plan.effects import Motion
from generator.planning.plan.timeline import footprint
from generator.planning.plan.types import Caption, CaptionWord, ImagePlacement, Layer, TextPlacement, VoiceLine
from generator.planning.templates import Captions, Template, TextStyle
from generator.planning.textfit import fit_text

_BREAKS = (".", "!", "?", ";", ":", ",", "…", "。", "！", "？", "、", "،", "؟")
_HOLD = 0.5  # seconds the last caption of a line stays after its last word
_STEP = 8.0  # pixels between the bands tried
_BESIDE = 0.35  # the narrowest share of the caption area's width a band beside the product may take
_MARGIN = 16.0  # pixels between a band beside the product and the product
STYLE_WIDTH = 1080  # text style sizes are written for a canvas this many pixels on its short side


@dataclass(frozen=True)
class CaptionLook:
    """How a line's captions look, resolved for the plan: fonts, sizes and colours in pixels."""

    captions: Captions
    style: TextStyle
    fonts: tuple[str, ...]
    size: int
    min_size: int
    color: str
    highlight: str
    lang: str


def shot_captions(
    template: Template, lang: str, aspect: Aspect, shot_id: str, line: VoiceLine, frames: int, fps: int,
    layers: Sequence[Layer],
) -> tuple[TextPlacement, ...]:  # fmt: skip
    """The captions of ``line`` in its shot (of ``frames`` frames, holding ``layers``), in the template's caption style."""
    spec = template.spec
    style = template.styles[spec.captions.text_style]
    ratio = min(ASPECT_SIZES[aspect]) / STYLE_WIDTH
    look = CaptionLook(
        captions=spec.captions,
        style=style,
        fonts=font_chain(style.font, style.weight, style.fallback, lang),
        size=round(style.size * ratio),
        min_size=round(style.min_size * ratio),
        color=style.color or spec.palette.text,
        highlight=spec.captions.highlight or spec.palette.accent,
        lang=lang,
    )
    products = [footprint(layer) for layer in layers if isinstance(layer, ImagePlacement) and layer.kind == "product"]
    others = [_inked(layer) if isinstance(layer, TextPlacement) else footprint(layer) for layer in layers]
    return caption_layers(line, look, shot_id, frames, fps, aspect, products, others)


def _inked(layer: TextPlacement) -> Rect:
    """The band of ``layer``'s box its lines take (they sit centred in it)."""
    x, y, w, h = layer.box
    block = layer.line_height * (len(layer.lines) - 1) + layer.font_size
    return (x, y + (h - block) / 2, w, block)


def caption_layers(
    line: VoiceLine, look: CaptionLook, shot_id: str, shot_frames: int, fps: int, aspect: Aspect,
    products: Sequence[Rect], others: Sequence[Rect],
) -> tuple[TextPlacement, ...]:  # fmt: skip
    """``line``'s captions as text layers of its shot, in a band clear of ``products`` and, where one is, of
    ``others`` (the shot's texts and mascot).

    Raises:
        PlanError: no caption band clears the shot's product, or a word is too wide for the band.
    """
    words = _timed_words(line, shot_frames, fps)
    box = _band(look, aspect, products, others, shot_id, line.field)
    chunks = _chunks(words, look, box)
    layers = []
    for k, chunk in enumerate(chunks):
        start = chunk[0].start
        if k + 1 < len(chunks):
            end = chunks[k + 1][0].start
        else:
            end = min(shot_frames, max(chunk[-1].end, start + 1) + round(_HOLD * fps))
        text = joined(chunk)
        try:
            layout = _fit(text, look, box, look.min_size)
        except TextFitError as exc:
            raise PlanError(f"caption {text!r} does not fit its band: {exc}", shot=shot_id, field=line.field) from exc
        layers.append(
            TextPlacement(
                field=f"{line.field}.captions[{k}]",
                text=text,
                lines=layout.lines,
                fonts=look.fonts,
                lang=look.lang,
                weight=look.style.weight,
                font_size=layout.font_size,
                line_height=layout.line_height,
                color=look.color,
                align="center",
                stroke=look.style.stroke,
                shadow=look.style.shadow,
                plate=look.style.plate,
                legibility=look.style.legibility,
                box=box,
                motion=Motion.between(start, end),
                caption=Caption(style=look.captions.style, highlight=look.highlight, words=tuple(chunk)),
            )
        )
    return tuple(layers)


def joined(words: Sequence[CaptionWord]) -> str:
    """The words as one text: a space before each, unless it is glued to the one before."""
    return "".join(("" if k == 0 or word.glued else " ") + word.text for k, word in enumerate(words))


def _timed_words(line: VoiceLine, shot_frames: int, fps: int) -> list[CaptionWord]:
    """Each written word with the shot-local frames while it is spoken: the frame nearest its engine time."""
    last = max(0, shot_frames - 1)
    timed = []
    for word in line.words:
        start = min(last, line.start + round(word.start * fps))
        end = min(shot_frames, max(start + 1, line.start + round(word.end * fps)))
        timed.append(CaptionWord(text=word.text, start=start, end=end, glued=word.glued))
    return timed


def _band_height(look: CaptionLook) -> float:
    """Room for one line at the style's size (two for phrases), with its plate, or its stroke and shadow."""
    lines = 2 if look.captions.style == "phrase" else 1
    block = look.size * (1 + (lines - 1) * look.style.line_spacing)
    return round(block + (0.46 if look.style.plate else 0.2) * look.size + 2 * look.style.stroke, 3)


def _band(
    look: CaptionLook, aspect: Aspect, products: Sequence[Rect], others: Sequence[Rect], shot_id: str, field: str
) -> Rect:
    """The caption band: across the caption area, or beside the product on a wide canvas, as near the
    preferred position as it can be; the nearest clear of the product and of the shot's other layers, else
    the nearest clear of the product."""
    x, y, w, h = caption_area(aspect)
    height = _band_height(look)
    preferred = {"bottom": y + h - height, "middle": y + (h - height) / 2, "top": y}[look.captions.position]
    tops = sorted((y + k * _STEP for k in range(int((h - height) / _STEP) + 1)), key=lambda top: abs(top - preferred))
    bands = [
        (round(left, 3), round(top, 3), round(width, 3), height)
        for left, width in [(x, w), *_beside(products, x, w)]
        for top in tops
    ]
    clear = [band for band in bands if not any(_overlaps(band, box) for box in products)]
    if not clear:
        raise PlanError(
            "no room for captions: the product covers the caption area from top to bottom, on both sides; "
            "make the product smaller or turn captions off (captions: {enabled: false})",
            shot=shot_id,
            field=field,
        )
    return next((band for band in clear if not any(_overlaps(band, box) for box in others)), clear[0])


def _beside(products: Sequence[Rect], x: float, w: float) -> list[tuple[float, float]]:
    """The spans of the caption area right and left of every product, when at least ``_BESIDE`` of it wide."""
    if not products:
        return []
    right = max(px + pw for px, _, pw, _ in products) + _MARGIN
    left = min(px for px, _, _, _ in products) - _MARGIN
    spans = [(right, x + w - right), (x, left - x)]
    return [(start, width) for start, width in spans if width >= _BESIDE * w]


def _overlaps(a: Rect, b: Rect) -> bool:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    return min(ax + aw, bx + bw) - max(ax, bx) > 0.5 and min(ay + ah, by + bh) - max(ay, by) > 0.5


def _fit(text: str, look: CaptionLook, box: Rect, min_size: int) -> TextLayout:
    return fit_text(
        text, look.fonts, look.style.weight, look.size, min_size, look.style.line_spacing, (box[2], box[3]), look.lang
    )


def _chunks(words: list[CaptionWord], look: CaptionLook, box: Rect) -> list[list[CaptionWord]]:
    """Words grouped for showing: up to ``words`` each for karaoke and pop (on one line, smaller if it must),
    as many as two lines hold at full size for phrases; a chunk ends after a word that ends a clause."""
    chunks: list[list[CaptionWord]] = []
    current: list[CaptionWord] = []
    for word in words:
        if current and look.captions.style == "phrase" and not _fits_full([*current, word], look, box):
            chunks.append(current)
            current = []
        current.append(word)
        full = look.captions.style != "phrase" and len(current) >= look.captions.words
        if full or word.text.endswith(_BREAKS):
            chunks.append(current)
            current = []
    if current:
        chunks.append(current)
    return chunks


def _fits_full(words: list[CaptionWord], look: CaptionLook, box: Rect) -> bool:
    try:
        layout = _fit(joined(words), look, box, look.size)
    except TextFitError:
        return False
    return len(layout.lines) <= 2

"""Shaping: multi-script text split into font and bidi runs and shaped by HarfBuzz, measured without drawing.

The pipeline, one line of text at a time:

1. **Segmentation.** ICU splits the line into grapheme clusters (a ZWJ emoji family, a flag, a
   Devanagari conjunct stay whole) and, for wrapping, into line-break opportunities: spaces for
   Latin, Arabic, Hebrew and Hindi, between ideographs for CJK (with kinsoku), dictionary words for
   Thai. ICU counts UTF-16 code units; offsets are mapped back to Python indices.
2. **Font runs.** Each cluster goes to the first family of the chain (``font_chain``) whose cmap
   covers it, emoji to a colour font first; whitespace, digits and punctuation stay in a
   neighbouring cluster's font when it covers them, so fonts switch only where they must.
3. **Bidi.** The line's base direction comes from its first strong character; python-bidi resolves
   each character's embedding level (rules X1-I2, then L1 here).
4. **Shaping.** Each run of one font, level and script is shaped by HarfBuzz (contextual Arabic
   forms, Indic conjuncts, ligatures) and the runs are put in visual order (rule L2). Shaping is
   done once per line in ems and scaled to any size.
5. **Wrapping.** ``generator.planning.textfit`` fills lines at these break opportunities, measuring each line
   as the sum of its shaped runs (``em_width``), shrinks the text to fit its box and, where the
   template allows, shortens it.
6. **Drawing.** ``render.text.draw_text`` draws each run at its measured place.

Layout happens while planning, so the plan records the exact font size and line breaks; drawing
only follows them. Text is never clipped, and a character no font covers is an error, never a
.notdef box::

    ValueError
    └── TextFitError
        └── MissingGlyphError
"""

from __future__ import annotations

import bisect
import functools
import itertools
import unicodedata
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import uharfbuzz as hb
from bidi import algorithm as uba
from bidi import get_base_level
from fontTools import unicodedata as font_unicodedata
from icu4py.breakers import CharacterBreaker, LineBreaker, WordBreaker

from generator.core.fonts import Face, chain_faces, face_cmap, face_info, hb_font


class TextFitError(ValueError):
    """The text cannot fit its box at any allowed size."""


class MissingGlyphError(TextFitError):
    """Characters that no font of the chain covers.

    Attributes:
        missing: the uncovered grapheme clusters, in text order, without duplicates.
    """

    def __init__(self, missing: tuple[str, ...], families: tuple[str, ...]) -> None:
        described = ", ".join(f"{c!r} ({' '.join(f'U+{ord(ch):04X}' for ch in c)})" for c in missing)
        super().__init__(f"no font in the chain ({', '.join(families)}) has a glyph for {described}")
        self.missing = missing
        self.families = families

    def __reduce__(self) -> tuple[type[MissingGlyphError], tuple[tuple[str, ...], tuple[str, ...]]]:
        return type(self), (self.missing, self.families)  # survives pickling between worker processes


@dataclass(frozen=True)
class TextLayout:
    """Where each line goes: sizes in pixels, lines in logical (reading) order."""

    lines: tuple[str, ...]
    font_size: int
    line_height: int


@dataclass(frozen=True)
class GlyphRun:
    """A piece of one line in one font and one direction, shaped by HarfBuzz.

    ``glyphs`` are in visual order; ``clusters`` index the line string (Python indices), one per
    glyph, so they decrease along an RTL run. ``width`` is the advance in pixels at the size asked;
    ``advances`` each glyph's, in ems (multiply by the size).
    """

    family: str
    font: Path
    direction: str
    text: str
    glyphs: tuple[int, ...]
    clusters: tuple[int, ...]
    width: float
    face: int = 0  # index of the face in a font collection (.ttc)
    advances: tuple[float, ...] = ()


class _CodepointSet:
    """Code points from hex ranges such as ``"231A-231B 23F0"``, tested by bisection."""

    def __init__(self, spec: str) -> None:
        pairs = [part.partition("-") for part in spec.split()]
        self._lows = [int(low, 16) for low, _, _ in pairs]
        self._highs = [int(high or low, 16) for low, _, high in pairs]

    def __contains__(self, codepoint: int) -> bool:
        i = bisect.bisect_right(self._lows, codepoint) - 1
        return i >= 0 and codepoint <= self._highs[i]


# Unicode's Default_Ignorable_Code_Point: never needs a glyph (ZWJ, variation selectors, bidi marks...).
_IGNORABLE = _CodepointSet(
    "00AD 034F 061C 115F-1160 17B4-17B5 180B-180F 200B-200F 202A-202E 2060-206F 3164 FE00-FE0F FEFF "
    "FFA0 FFF0-FFF8 1BCA0-1BCA3 1D173-1D17A E0000-E0FFF"
)
# BMP code points with Emoji_Presentation=Yes; astral pictographs (U+1F000-1FAFF) all count as emoji.
_EMOJI_BMP = _CodepointSet(
    "231A-231B 23E9-23EC 23F0 23F3 25FD-25FE 2614-2615 2648-2653 267F 2693 26A1 26AA-26AB 26BD-26BE "
    "26C4-26C5 26CE 26D4 26EA 26F2-26F3 26F5 26FA 26FD 2705 270A-270B 2728 274C 274E 2753-2755 2757 "
    "2795-2797 27B0 27BF 2B1B-2B1C 2B50 2B55"
)
_RTL_CLASSES = frozenset({"R", "AL", "AN", "RLE", "RLO", "LRE", "LRO", "RLI", "LRI", "FSI", "PDF", "PDI"})
_NEUTRAL_SCRIPTS = frozenset({"Zyyy", "Zinh", "Zzzz"})


# --- Segmentation and font runs ----------------------------------------------------------------


def segments(
    breaker: type[CharacterBreaker | LineBreaker | WordBreaker], text: str, lang: str
) -> list[tuple[int, int]]:
    """ICU segments of ``text`` as Python index ranges (ICU counts UTF-16 code units)."""
    if not text:
        return []
    spans = list(breaker(text, lang.replace("-", "_")).segments())
    if max(text) <= "\uffff":
        return spans
    index = [i for i, ch in enumerate(text) for _ in range(1 + (ord(ch) > 0xFFFF))] + [len(text)]
    return [(index[start], index[end]) for start, end in spans]


def _needed(cluster: str) -> set[int]:
    """The code points of ``cluster`` that a font must map: not whitespace, not default-ignorable."""
    return {ord(ch) for ch in cluster if not ch.isspace() and ord(ch) not in _IGNORABLE}


def _is_emoji(cluster: str) -> bool:
    """Whether ``cluster`` asks for emoji presentation: by default, by U+FE0F, a keycap, skin tone, flag or tag."""
    if "\ufe0e" in cluster:  # text presentation asked for
        return False
    return ord(cluster[0]) in _EMOJI_BMP or any(
        0x1F000 <= ord(ch) <= 0x1FAFF or ch in "\ufe0f\u20e3" or 0xE0020 <= ord(ch) <= 0xE007F for ch in cluster
    )


def _script(cluster: str) -> str:
    """The cluster's script, or Zyyy for common and inherited characters (spaces, digits, punctuation)."""
    return next((s for s in map(font_unicodedata.script, cluster) if s not in _NEUTRAL_SCRIPTS), "Zyyy")


@functools.lru_cache(maxsize=65536)  # clusters repeat: letters, digits, syllables
def _first_covering(cluster: str, families: tuple[str, ...], weight: str) -> int | None:
    """Index of the first family whose font maps every needed code point; colour fonts first for emoji."""
    faces = chain_faces(families, weight)
    needed, emoji = _needed(cluster), _is_emoji(cluster)
    order = sorted(range(len(faces)), key=lambda i: emoji and not face_info(faces[i]).color)
    return next((i for i in order if needed <= face_cmap(faces[i])), None)


def missing_glyphs(text: str, families: tuple[str, ...], weight: str = "regular") -> tuple[str, ...]:
    """Grapheme clusters of ``text`` that no font in ``families`` covers, in order, without duplicates.

    Whitespace, ZWJ, variation selectors and other default-ignorable characters need no glyph.
    """
    clusters = (text[start:end] for start, end in segments(CharacterBreaker, text, "en"))
    return tuple(dict.fromkeys(c for c in clusters if _needed(c) and _first_covering(c, families, weight) is None))


@functools.lru_cache(maxsize=65536)
def _specific_font(cluster: str, families: tuple[str, ...], weight: str) -> tuple[int, str] | None:
    """(family index, script) of a cluster of one script or an emoji; None for a neutral cluster."""
    emoji, script = _is_emoji(cluster), _script(cluster)
    return (_first_covering(cluster, families, weight) or 0, script) if emoji or script != "Zyyy" else None


def _font_items(line: str, families: tuple[str, ...], weight: str, lang: str) -> list[tuple[int, int, int, str]]:
    """(start, end, family index, script) per grapheme cluster of ``line``.

    A cluster of one script, or an emoji, takes the first face covering it. A neutral cluster
    (spaces, digits, punctuation) joins the previous cluster's face and script, else the next
    one's, when that face maps it and is not a colour font (whose spaces are emoji-wide). An
    uncovered cluster falls to the first face; fitting has refused such text already.
    """
    clusters = [line[start:end] for start, end in segments(CharacterBreaker, line, lang)]
    faces = chain_faces(families, weight)
    specific = [_specific_font(cluster, families, weight) for cluster in clusters]
    following: list[tuple[int, str] | None] = [None] * len(clusters)
    for k in range(len(clusters) - 2, -1, -1):
        following[k] = specific[k + 1] or following[k + 1]
    items: list[tuple[int, int, int, str]] = []
    start = 0
    for cluster, choice, after in zip(clusters, specific, following):
        if choice is None:
            needed = {ord(ch) for ch in cluster if ord(ch) not in _IGNORABLE}
            neighbours = [(face, script) for _, _, face, script in items[-1:]] + ([after] if after else [])
            usable = (n for n in neighbours if not face_info(faces[n[0]]).color and needed <= face_cmap(faces[n[0]]))
            fallback = _first_covering(cluster, families, weight) or 0
            choice = next(usable, (fallback, neighbours[0][1] if neighbours else "Zyyy"))
        items.append((start, start + len(cluster), *choice))
        start += len(cluster)
    return items


# --- Bidi and shaping --------------------------------------------------------------------------


def _bidi_levels(line: str) -> list[int]:
    """Embedding level per character, the base level taken from the line's first strong character."""
    base = get_base_level(line)
    if base == 0 and not any(unicodedata.bidirectional(ch) in _RTL_CLASSES for ch in line):
        return [0] * len(line)
    storage: dict[str, Any] = uba.get_empty_storage()
    storage["base_level"], storage["base_dir"] = base, "LR"[base]
    uba.get_embedding_levels(line, storage)
    uba.explicit_embed_and_overrides(storage)
    uba.resolve_weak_types(storage)
    uba.resolve_neutral_types(storage, False)
    uba.resolve_implicit_levels(storage, False)
    levels = [ch["level"] for ch in storage["chars"]]
    for i in range(len(line) - 1, -1, -1):  # L1: trailing whitespace takes the base level
        if unicodedata.bidirectional(line[i]) not in ("WS", "S", "B", "BN"):
            break
        levels[i] = base
    return levels


def _visual_order(levels: list[int]) -> list[int]:
    """Rule L2: indices of runs with ``levels`` from left to right on screen."""
    order = list(range(len(levels)))
    for level in range(max(levels, default=0), (min(levels, default=0) | 1) - 1, -1):
        groups = itertools.groupby(order, key=lambda k: levels[k] >= level)
        order = [k for high, group in groups for k in (reversed(list(group)) if high else group)]
    return order


def _shape_run(face: Face, text: str, rtl: bool, script: str, lang: str) -> hb.Buffer:
    """``text`` shaped alone, without the rest of its line as context: exactly as Pillow will draw it."""
    buffer = hb.Buffer()
    buffer.add_codepoints([ord(ch) for ch in text])
    buffer.direction = "rtl" if rtl else "ltr"
    buffer.script = script
    buffer.language = lang.replace("_", "-")
    hb.shape(hb_font(face), buffer, {})
    return buffer


@functools.lru_cache(maxsize=16384)
def _shape_em(line: str, families: tuple[str, ...], weight: str, lang: str) -> tuple[GlyphRun, ...]:
    """``shape_line`` at 1 px per em: shaping scales linearly, so one shaping serves every size."""
    faces = chain_faces(families, weight)
    levels = _bidi_levels(line)
    spans: list[tuple[int, int, int, str, int]] = []  # start, end, face, script, level
    for start, end, face, script in _font_items(line, families, weight, lang):
        if spans and spans[-1][2:] == (face, script, levels[start]):
            start = spans.pop()[0]
        spans.append((start, end, face, script, levels[start]))
    runs = []
    for k in _visual_order([span[4] for span in spans]):
        start, end, face, script, level = spans[k]
        buffer = _shape_run(faces[face], line[start:end], level % 2 == 1, script, lang)
        runs.append(
            GlyphRun(
                family=families[face],
                font=faces[face].path,
                direction="rtl" if level % 2 else "ltr",
                text=line[start:end],
                glyphs=tuple(info.codepoint for info in buffer.glyph_infos),
                clusters=tuple(start + info.cluster for info in buffer.glyph_infos),
                width=sum(pos.x_advance for pos in buffer.glyph_positions) / face_info(faces[face]).upem,
                face=faces[face].index,
                advances=tuple(pos.x_advance / face_info(faces[face]).upem for pos in buffer.glyph_positions),
            )
        )
    return tuple(runs)


def shape_line(line: str, families: tuple[str, ...], weight: str, size: int, lang: str = "en") -> tuple[GlyphRun, ...]:
    """``line`` split into font and bidi runs, each shaped by HarfBuzz, in visual order (left to right).

    A line's width is the sum of its runs' widths; measuring and drawing both use this.
    """
    return tuple(replace(run, width=run.width * size) for run in _shape_em(line, families, weight, lang))


def em_width(line: str, families: tuple[str, ...], weight: str, lang: str) -> float:
    """The advance of ``line`` at 1 px per em: multiply by a size for its width in pixels."""
    return sum(run.width for run in _shape_em(line, families, weight, lang))


def notdef_clusters(lines: tuple[str, ...], families: tuple[str, ...], weight: str, lang: str) -> tuple[str, ...]:
    """Grapheme clusters of ``lines`` that shaping maps to glyph 0 (.notdef), though cmap coverage said yes."""
    found: dict[str, None] = {}
    for line in lines:
        bad = {c for run in _shape_em(line, families, weight, lang) for g, c in zip(run.glyphs, run.clusters) if g == 0}
        found.update((line[a:b], None) for a, b in segments(CharacterBreaker, line, lang) if bad & set(range(a, b)))
    return tuple(found)

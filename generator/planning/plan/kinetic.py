"""Kinetic type in the plan: a text's pieces (words, letters or lines), the frame each starts to enter, and
the extras drawn over it once it is in (a highlight bar, a strike-through, a counting number).

Pieces are taken in reading order, so in a right-to-left line the first piece is the rightmost. A
word is an ICU word with the punctuation next to it; a letter is a grapheme cluster, widened so that
no HarfBuzz cluster (a ligature, a conjunct) is split. In a joined script (Arabic, Syriac, N'Ko...)
``letter`` takes whole words: cutting a joined word apart would leave its joining strokes hanging.
Every piece is a substring of its line, so rendering finds it where shaping put it.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

from fontTools import unicodedata as font_unicodedata
from icu4py.breakers import CharacterBreaker, WordBreaker
from pydantic import BaseModel, ConfigDict

from generator.core.shaping import segments, shape_line

Color = str  # checked as the layer's colours are (a ``#rrggbb`` pattern) by the models that hold it
By = Literal["word", "letter", "line", "none"]
Style = Literal["stagger", "rise", "mask"]
_JOINED_SCRIPTS = frozenset({"Arab", "Syrc", "Nkoo", "Mong", "Adlm", "Mand", "Phag", "Rohg", "Sogd", "Hmnp"})
_NUMBER = re.compile(r"\d(?:[\d.,'\u00a0\u202f ]*\d)?")


class _Kinetic(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class KineticUnit(_Kinetic):
    """A piece of the text (a substring of line ``line``) and the shot-local frame it starts to enter."""

    text: str
    line: int
    start: int


class Bar(_Kinetic):
    """A highlight bar behind ``words[i]`` for each ``i`` of ``lit``, sweeping in over ``frames`` from ``start``.
    ``words`` are all the text's words in reading order, each a substring of line ``lines[i]``."""

    words: tuple[str, ...]
    lines: tuple[int, ...]
    lit: tuple[int, ...]
    color: Color
    start: int
    frames: int


class Strike(_Kinetic):
    """A line drawn through every line of the text, from its start side, over ``frames`` from ``start``."""

    color: Color
    start: int
    frames: int


class Count(_Kinetic):
    """The number in line ``line`` counting from ``start_value`` to ``end_value`` over ``frames`` from ``start``,
    written between ``prefix`` and ``suffix`` with ``group`` between thousands and ``decimals`` digits after
    ``decimal``. Its last frame shows the text itself."""

    line: int
    prefix: str
    suffix: str
    start_value: float
    end_value: float
    group: str
    decimal: str
    decimals: int
    start: int
    frames: int

    def text_at(self, frame: int, ease: float) -> str:
        """The line's text at shot-local ``frame``, the count's progress through ``ease`` (its value at 0..1)."""
        value = self.start_value + (self.end_value - self.start_value) * ease
        return self.prefix + format_number(value, self.group, self.decimal, self.decimals) + self.suffix


class Kinetic(_Kinetic):
    """How a text layer enters piece by piece: each unit over ``frames`` frames, styled ``style``."""

    by: By
    style: Style
    frames: int
    units: tuple[KineticUnit, ...]
    highlight: Bar | None = None
    strike: Strike | None = None
    count: Count | None = None

    @property
    def entered(self) -> int:
        """The shot-local frame after the last piece and extra has finished entering."""
        ends = [unit.start + self.frames for unit in self.units]
        ends += [extra.start + extra.frames for extra in (self.highlight, self.strike, self.count) if extra is not None]
        return max(ends, default=0)


def format_number(value: float, group: str, decimal: str, decimals: int) -> str:
    """``value`` with ``decimals`` digits after ``decimal`` and ``group`` between thousands (none when empty)."""
    whole, _, fraction = f"{abs(value):.{decimals}f}".partition(".")
    if group:
        whole = f"{int(whole):,}".replace(",", group)
    return (
        ("-" if value < 0 and float(f"{abs(value):.{decimals}f}") else "")
        + whole
        + (decimal + fraction if decimals else "")
    )


def parse_number(line: str) -> tuple[str, str, float, str, str, int] | None:
    """The first number in ``line`` as (prefix, suffix, value, group, decimal, decimals); None without one.

    The last separator is the decimal one when one or two digits follow it, or when it differs from the
    one before; otherwise every separator groups thousands."""
    found = _NUMBER.search(line)
    if found is None:
        return None
    number = found.group()
    seps = [(i, ch) for i, ch in enumerate(number) if not ch.isdigit()]
    group, decimal, decimals = "", ".", 0
    if seps:
        at, last = seps[-1]
        tail = len(number) - at - 1
        if tail != 3 or (len(seps) > 1 and seps[-2][1] != last):
            decimal, decimals = last, tail
            seps = seps[:-1]
        group = seps[0][1] if seps else ""
        if group and decimal == group:
            return None
    digits = "".join(ch for ch in number[: len(number) - decimals - (1 if decimals else 0)] if ch.isdigit())
    value = float(digits + ("." + number[-decimals:] if decimals else ""))
    return line[: found.start()], line[found.end() :], value, group, decimal, decimals


def _wordy(text: str) -> bool:
    return any(unicodedata.category(ch)[0] in "LN" for ch in text)


def words_of(line: str, lang: str) -> list[tuple[int, int]]:
    """``line``'s words as index ranges: ICU words, punctuation joined to the word before (or after) it."""
    spans: list[tuple[int, int]] = []
    loose: int | None = None  # start of punctuation before the first word
    for start, end in segments(WordBreaker, line, lang):
        piece = line[start:end]
        if piece.isspace():
            continue
        if not _wordy(piece):
            if spans and line[spans[-1][1] : start].strip() == "":
                spans[-1] = (spans[-1][0], end)
            elif loose is None:
                loose = start
            continue
        spans.append((start if loose is None else loose, end))
        loose = None
    if loose is not None:
        spans.append((loose, len(line.rstrip())))
    return spans


def _joined(text: str) -> bool:
    return any(font_unicodedata.script(ch) in _JOINED_SCRIPTS for ch in text)


def _letters(line: str, start: int, end: int, fonts: tuple[str, ...], weight: str, lang: str) -> list[tuple[int, int]]:
    """Grapheme clusters of ``line[start:end]``, merged where a shaped cluster spans two."""
    shaped = {cluster for run in shape_line(line, fonts, weight, 1, lang) for cluster in run.clusters}
    spans: list[tuple[int, int]] = []
    for a, b in segments(CharacterBreaker, line[start:end], lang):
        a, b = a + start, b + start
        if line[a:b].isspace():
            continue
        if spans and spans[-1][1] == a and a not in shaped:
            spans[-1] = (spans[-1][0], b)
        else:
            spans.append((a, b))
    return spans


def pieces(lines: tuple[str, ...], by: By, fonts: tuple[str, ...], weight: str, lang: str) -> list[tuple[int, str]]:
    """(line, text) of each piece of ``lines`` that enters on its own, in reading order."""
    found: list[tuple[int, str]] = []
    for index, line in enumerate(lines):
        if by == "line":
            found.append((index, line.strip()))
            continue
        for start, end in words_of(line, lang):
            if by == "letter" and not _joined(line[start:end]):
                found.extend((index, line[a:b]) for a, b in _letters(line, start, end, fonts, weight, lang))
            else:
                found.append((index, line[start:end]))
    return [(index, text) for index, text in found if text]

"""Fitting text into a box: wrapped, shrunk to fit and, where the template allows, shortened.

``fit_text`` fills lines greedily at ICU line-break opportunities and bisects for the largest font
size in ``[min_size, size]`` whose lines fit the box; text that does not fit even at ``min_size``
is a TextFitError. That is the ``error`` overflow policy.

``fit_or_shorten`` is the ``shrink`` policy: where ``fit_text`` fails, it first lets a word too wide
for any line break between grapheme clusters (CSS's ``overflow-wrap: break-word``); where that
fails too, it keeps the longest prefix that fits at ``min_size`` and ends it with an ellipsis. Prefixes end where a line may break and a
word ends (after a space; at Thai, Chinese and Japanese dictionary words), so the cut never splits
a word, a grapheme cluster or an Arabic joining run; only a word too long for any line is cut
between grapheme clusters. The cut drops a dangling space or punctuation before the
ellipsis, and keeps the text's own line breaks. A longer prefix needs at least as many lines, so
whether a prefix fits is (but for a rare long last word) monotonic in its length, and the longest
one is found by bisection over the cut points: a handful of layouts for a 150-character title.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bidi import get_base_level
from icu4py.breakers import CharacterBreaker, LineBreaker, WordBreaker

from generator.core.shaping import (
    MissingGlyphError,
    TextFitError,
    TextLayout,
    em_width,
    missing_glyphs,
    notdef_clusters,
    segments,
)

ELLIPSIS = "\u2026"
# Left off before an ellipsis: spaces, dashes, opening brackets and quotes, connectors, and other
# punctuation but for marks that end a phrase or belong to a number.
_DANGLING_CATEGORIES = frozenset({"Zs", "Pd", "Ps", "Pi", "Pc"})
_KEPT_PUNCTUATION = frozenset("!?%‰'\"！？％")
_DANGLING_SYMBOLS = frozenset("+|~")


@dataclass(frozen=True)
class FittedText:
    """A layout and the text it shows: the text itself, or a shortened prefix ending in ``…``."""

    layout: TextLayout
    text: str
    shortened: bool


def paragraphs(text: str) -> list[str]:
    """``text``'s non-empty lines, runs of spaces and tabs collapsed to one, ends stripped."""
    return [p for p in (re.sub(r"[ \t]+", " ", line).strip() for line in text.splitlines()) if p]


def _wrap(
    paragraph: str, breaks: list[int], fits: Callable[[str], bool], clusters: list[int] | None = None
) -> list[str] | None:
    """Greedy fill at the break offsets (each a possible line end); None when one piece alone does not fit.

    With ``clusters`` (grapheme cluster ends), a piece too wide for a line of its own is broken
    between clusters instead, as CSS's ``overflow-wrap: break-word`` does. A line whose first
    strong character disagrees with its paragraph's starts with an invisible LRM or RLM, so it
    keeps the paragraph's direction wherever it is drawn.
    """
    base = get_base_level(paragraph)

    def line(start: int, end: int) -> str:
        text = paragraph[start:end].rstrip()
        return text if get_base_level(text) == base else "\u200e\u200f"[base] + text

    lines: list[str] = []
    start, k = 0, 0
    while k < len(breaks):
        end = k
        while end + 1 < len(breaks) and fits(line(start, breaks[end + 1])):
            end += 1
        if not fits(line(start, breaks[end])):
            cut = next((c for c in reversed(clusters or ()) if start < c < breaks[end] and fits(line(start, c))), None)
            if cut is None:
                return None
            lines.append(line(start, cut))
            start = cut
            continue
        lines.append(line(start, breaks[end]))
        start, k = breaks[end], end + 1
    return lines


def _best_layout(
    lines: Sequence[str],
    families: tuple[str, ...],
    weight: str,
    sizes: tuple[int, int],
    line_spacing: float,
    box: tuple[float, float],
    lang: str,
    break_words: bool = False,
) -> TextLayout | None:
    """Paragraphs ``lines`` wrapped into ``box`` at the largest size in ``sizes`` (min, max); None if none fits.

    ``break_words`` lets a word too wide for any line break between grapheme clusters.
    """
    breaks = [[end for _, end in segments(LineBreaker, p, lang)] for p in lines]
    clusters = [[end for _, end in segments(CharacterBreaker, p, lang)] if break_words else None for p in lines]
    width, height = box

    def attempt(size: int) -> TextLayout | None:
        line_height = round(size * line_spacing)
        wrapped_lines: list[str] = []
        for paragraph, ends, inside in zip(lines, breaks, clusters):
            wrapped = _wrap(
                paragraph, ends, lambda line: em_width(line, families, weight, lang) * size <= width, inside
            )
            if wrapped is None:
                return None
            wrapped_lines.extend(wrapped)
        fits = line_height * (len(wrapped_lines) - 1) + size <= height
        return TextLayout(tuple(wrapped_lines), size, line_height) if fits else None

    # Widths scale linearly with size, so whether the text fits is monotonic in size: try the
    # largest size (the common case), then bisect below it.
    low, high = sizes
    best = attempt(high)
    if best is None:
        high -= 1
        while low <= high:
            mid = (low + high + 1) // 2
            if (layout := attempt(mid)) is None:
                high = mid - 1
            else:
                best, low = layout, mid + 1
    return best


def _check_sizes(size: int, min_size: int) -> None:
    if not 0 < min_size <= size:
        raise TextFitError(f"the minimum size {min_size} px must be positive and at most the size {size} px")


def _shaped(layout: TextLayout, families: tuple[str, ...], weight: str, lang: str) -> TextLayout:
    notdef = notdef_clusters(layout.lines, families, weight, lang)
    if notdef:  # cmap coverage said yes but shaping still produced .notdef
        raise MissingGlyphError(notdef, families)
    return layout


def _too_long(text: str, box: tuple[float, float], min_size: int) -> str:
    return f"text {text!r} does not fit a {box[0]:.0f}x{box[1]:.0f} px box even at the minimum size {min_size} px"


@functools.lru_cache(maxsize=4096)  # catalogs repeat their texts: prices, brands, calls to action
def fit_text(
    text: str,
    families: tuple[str, ...],
    weight: str,
    size: int,
    min_size: int,
    line_spacing: float,
    box: tuple[float, float],
    lang: str = "en",
) -> TextLayout:
    """Wrap ``text`` into ``box`` (width, height) at the largest size in ``[min_size, size]``.

    Explicit newlines are kept; runs of spaces collapse to one. Lines break only where ICU allows
    for ``lang``; trailing spaces do not count toward a line's width.

    Raises:
        MissingGlyphError: a character is covered by no font of ``families`` (checked first).
        TextFitError: the text does not fit even at ``min_size``, or ``min_size`` exceeds ``size``.
    """
    _check_sizes(size, min_size)
    missing = missing_glyphs(text, families, weight)
    if missing:
        raise MissingGlyphError(missing, families)
    best = _best_layout(paragraphs(text), families, weight, (min_size, size), line_spacing, box, lang)
    if best is None:
        raise TextFitError(_too_long(text, box, min_size))
    return _shaped(best, families, weight, lang)


def _trim(head: str) -> str:
    """``head`` without the spaces and dangling punctuation it ends with."""
    end = len(head)
    while end:
        ch = head[end - 1]
        category = unicodedata.category(ch)
        dangling = category in _DANGLING_CATEGORIES or (category == "Po" and ch not in _KEPT_PUNCTUATION)
        if not (ch.isspace() or dangling or ch in _DANGLING_SYMBOLS):
            break
        end -= 1
    return head[:end]


_Cut = tuple[int, int]  # (paragraph, offset in it): the text is kept up to there


def _candidates(texts: list[str], cuts: list[_Cut]) -> list[tuple[_Cut, tuple[str, ...]]]:
    """Paragraphs ``texts`` shortened at each cut and ended with an ellipsis, shortest first.

    A cut that would keep nothing, or the same text as the cut before it, is left out.
    """
    found: list[tuple[_Cut, tuple[str, ...]]] = []
    for index, end in cuts:
        head = _trim(texts[index][:end])
        candidate = (*texts[:index], head + ELLIPSIS)
        if head and (not found or found[-1][1] != candidate):
            found.append(((index, end), candidate))
    return found


def _longest(
    candidates: list[tuple[_Cut, tuple[str, ...]]], layout: Callable[[tuple[str, ...]], TextLayout | None]
) -> tuple[_Cut, tuple[str, ...], TextLayout] | None:
    """The longest candidate that ``layout`` fits, by bisection (fitting is monotonic in length)."""
    found = None
    low, high = 0, len(candidates) - 1
    while low <= high:
        mid = (low + high) // 2
        fitted = layout(candidates[mid][1])
        if fitted is None:
            high = mid - 1
        else:
            found, low = (*candidates[mid], fitted), mid + 1
    return found


@functools.lru_cache(maxsize=4096)
def fit_or_shorten(
    text: str,
    families: tuple[str, ...],
    weight: str,
    size: int,
    min_size: int,
    line_spacing: float,
    box: tuple[float, float],
    lang: str = "en",
) -> FittedText:
    """``fit_text``, or, when the text does not fit even at ``min_size``, its longest prefix that does, with ``…``.

    Raises:
        MissingGlyphError: a character (the ellipsis included) is covered by no font of ``families``.
        TextFitError: not even the first grapheme cluster and an ellipsis fit, or ``min_size`` exceeds ``size``.
    """
    _check_sizes(size, min_size)
    try:
        return FittedText(fit_text(text, families, weight, size, min_size, line_spacing, box, lang), text, False)
    except MissingGlyphError:
        raise
    except TextFitError:
        pass
    texts = paragraphs(text)
    broken = _best_layout(texts, families, weight, (min_size, size), line_spacing, box, lang, break_words=True)
    if broken is not None:  # whole, once a word too wide for any line is broken across lines
        return FittedText(_shaped(broken, families, weight, lang), text, False)
    if missing_glyphs(ELLIPSIS, families, weight):
        raise MissingGlyphError((ELLIPSIS,), families)

    def layout(candidate: tuple[str, ...]) -> TextLayout | None:
        return _best_layout(
            candidate, families, weight, (min_size, min_size), line_spacing, box, lang, break_words=True
        )

    def word_ends(paragraph: str) -> list[int]:  # where a line may break and a word ends (ICU's dictionary for CJK)
        words = {end for _, end in segments(WordBreaker, paragraph, lang)}
        return [end for _, end in segments(LineBreaker, paragraph, lang) if end in words]

    words = [(index, end) for index, paragraph in enumerate(texts) for end in word_ends(paragraph)][
        :-1
    ]  # not the whole text
    found = _longest(_candidates(texts, words), layout)
    # The word after the kept text may be too long for any line: then it is cut between grapheme
    # clusters, rather than left out with everything after it.
    index, start = found[0] if found is not None else (0, 0)
    if start == len(texts[index]):
        index, start = index + 1, 0
    end = next(end for end in word_ends(texts[index]) if end > start)
    if em_width(texts[index][start:end].strip(), families, weight, lang) * min_size > box[0]:
        inside = [(index, start + end) for _, end in segments(CharacterBreaker, texts[index][start:end], lang)][:-1]
        found = _longest(_candidates(texts, inside), layout) or found
    if found is None:
        raise TextFitError(f"{_too_long(text, box, min_size)}, not even shortened")
    _, candidate, fitted = found
    return FittedText(_shaped(fitted, families, weight, lang), "\n".join(candidate), True)

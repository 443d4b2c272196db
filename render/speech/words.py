"""The words of a spoken text: their spans in the text, and their times from an engine's marks.

A word is a whitespace-separated run of the text, less punctuation at either end (``“deal”,`` is
``deal``; ``50%`` keeps its sign, which is read aloud). In scripts written without spaces (Han,
kana, Thai, Lao, Khmer, Myanmar) every character is a word of its own, as espeak reads Chinese.
An engine marks where it heard a word begin (its own events, never an estimate from the text); a
word no mark points at was read together with the word before it, and joins that word's span.
"""

from __future__ import annotations

import bisect
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from generator.core.errors import ConfigError
from generator.core.speech import SpokenWord

SPOKEN_MARKS = frozenset("#%&*@")  # punctuation that engines read aloud, kept at a word's ends
UNSPACED_SCRIPTS = frozenset({"CJK", "HIRAGANA", "KATAKANA", "THAI", "LAO", "KHMER", "MYANMAR"})
SILENCE = 256  # a sample at most this far from zero (about -42 dBFS) is not speech


@dataclass(frozen=True)
class Token:
    """One word of the text: ``start``/``end`` are its code points (end exclusive), ``outer_start``/
    ``outer_end`` the same with the punctuation around it (where an engine may point, where a prefix ends)."""

    start: int
    end: int
    outer_start: int
    outer_end: int


def _unspaced(char: str) -> bool:
    return unicodedata.name(char, "").split(" ")[0] in UNSPACED_SCRIPTS


def _silent(char: str) -> bool:
    return unicodedata.category(char).startswith("P") and char not in SPOKEN_MARKS


def tokens(text: str) -> list[Token]:
    """The words of ``text`` in order; runs that are only punctuation are none."""
    found: list[Token] = []
    for run in re.finditer(r"\S+", text):
        pieces: list[tuple[int, int]] = []
        for index in range(run.start(), run.end()):
            if _unspaced(text[index]) or not pieces or _unspaced(text[pieces[-1][1] - 1]):
                pieces.append((index, index + 1))
            else:
                pieces[-1] = (pieces[-1][0], index + 1)
        for outer_start, outer_end in pieces:
            start, end = outer_start, outer_end
            while start < end and _silent(text[start]):
                start += 1
            while end > start and _silent(text[end - 1]):
                end -= 1
            if start < end:
                found.append(Token(start, end, outer_start, outer_end))
    return found


def token_at(words: Sequence[Token], position: int) -> int:
    """The index of the word whose punctuated run holds code point ``position``, else of the last word
    before it (the first word for a position before every word)."""
    return max(bisect.bisect_right([word.outer_start for word in words], position) - 1, 0)


def audible_end(samples: bytes, rate: int) -> float:
    """Seconds from the first sample to just after the last one louder than ``SILENCE``."""
    loud = np.flatnonzero(np.abs(np.frombuffer(samples, dtype="<i2").astype(np.int32)) > SILENCE)
    return (int(loud[-1]) + 1) / rate if loud.size else 0.0


def spoken_words(words: Sequence[Token], marks: Iterable[tuple[int, float]], end: float) -> tuple[SpokenWord, ...]:
    """The words heard, from an engine's ``(word index, seconds)`` marks in the order it spoke them.

    A mark pointing at the word already begun or at one before it (an engine reading a number as
    several words, or going back) continues that word. Words with no mark join the heard word
    before them (the first heard word, for words before it). The last word ends at ``end``.
    """
    heard: list[tuple[int, float]] = []
    for index, seconds in marks:
        if 0 <= index < len(words) and (not heard or index > heard[-1][0]):
            heard.append((index, seconds))
    spoken: list[SpokenWord] = []
    for number, (index, seconds) in enumerate(heard):
        first = words[0] if number == 0 else words[index]
        following = heard[number + 1] if number + 1 < len(heard) else None
        last = words[following[0] - 1] if following else words[-1]
        stop = following[1] if following else max(end, seconds)
        spoken.append(SpokenWord(first.start, last.end, seconds, stop))
    return tuple(spoken)


def check_rate(rate: float) -> None:
    """Refuse a speaking rate that is not a positive number.

    Raises:
        ConfigError: ``rate`` is zero, negative or not finite.
    """
    if not math.isfinite(rate) or rate <= 0:
        raise ConfigError("the speaking rate must be a positive number", rate=rate)

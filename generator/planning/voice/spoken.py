"""A voice-over line as written (what captions show) and as spoken (what the speech engine is given).

The line's words are its text split at whitespace. Each is read in the locale's language, trying
in order:

1. an abbreviation or sign of the language: ``&`` -> and, ``+`` -> plus, ``w/`` -> with,
   ``approx.``, ``incl.``, ``vs.``; ``No.``/``Nr.``/``N°``/``#`` before a number -> number;
2. a quantity, one word or up to three read together: a price (``$1,299.99``, ``19,99 €``,
   ``USD 12``, ``1 299,99 €`` as CLDR writes French), a percentage (``30 %``), a number with a
   unit (``500ml``, ``15 cm``, ``55"``, ``2x``), an ordinal (``1st``, ``2e``, ``3º``), ``#1``, a
   plain number (``2.5``, ``1,299``); see below;
3. a word with digits among other characters, a model number: capitals in runs of one or two are
   spelled, numbers said, other letters kept, dashes and slashes dropped (``WH-1000XM5`` ->
   ``W H one thousand X M five``, ``4K`` -> ``four K``, ``55-inch`` -> ``fifty-five inch``);
4. a word without letters or digits (emoji, ``—``, ``•``) is not spoken;
5. any other word is spoken as written, less symbols and emoji (``Brand™`` -> ``Brand``).

Prices are parsed by the catalog's ``parse_money`` (symbols or ISO codes before or after, the
decimal separator read per value); an ISO code counts only written in capitals and when the
lexicon names that currency. A shared symbol takes ``currency``, else the locale territory's
currency, else the symbol's first (``$`` -> USD). Plain numbers read separators the same way
(``catalog.money.parse_number``). A minus before a price or percentage is a reduction
(``-30%`` -> ``thirty percent off``) unless the word before it or the two after it say so already
(``-30% off``). Units glued or spaced, except ``in``, ``"`` and ``x``, which must be glued.
In English a lone 1900 to 2099 is a year (``twenty twenty-four``) unless the next word in its
sentence ends in ``s`` (``1999 reviews``), and ``1990s`` a decade. Arabic-Indic and other
digits, and the Arabic separators and percent sign, read as their ASCII forms.

Words read together (a price over two or three words, ``30 %``, ``500 ml``): the first word's span
covers the whole spoken form, the others get empty spans at its end. Pause punctuation around a
word (``, . ! ? ; : …``, Arabic and Japanese ones, ``¿ ¡``) stays in its spoken form; quotes and
brackets are dropped. A locale num2words cannot spell is spoken as written; one it spells but the
lexicon lacks gets plain numbers only.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from generator.planning.catalog.money import SYMBOLS, parse_money, parse_number
from generator.planning.voice.lexicon import CURRENCIES, GLUED_ONLY, UNITS, UNITS_ANY_CASE, Words
from generator.planning.voice.numbers import Language, language


@dataclass(frozen=True)
class SpokenLine:
    """A line as written and as spoken; ``spans[i]`` is where ``words[i]`` is in ``spoken``
    (code points, end exclusive; empty where the word is not spoken)."""

    written: str
    words: tuple[str, ...]
    spoken: str
    spans: tuple[tuple[int, int], ...]


_LEAD = frozenset("\"'“‘«¿¡([{*")
_TRAIL = frozenset(",.!?;:…\"'”’»)]}*،؛؟。、！？")
_PAUSES = frozenset(",.!?;:…،؛؟。、！？¿¡")
_NO_BREAK = frozenset("\u00a0\u202f\u2007\u2009")  # spaces inside a number: "1 299,99 €"
_NUMBER_SIGNS = frozenset({"#", "No.", "Nr.", "N°", "Nº", "nº", "n°"})
_SIGNS = {"\u2212": "-", "\u2013": "-", "\u066b": ".", "\u066c": ",", "\u066a": "%", "\uff05": "%"}
_QUANTITY = re.compile(
    r"(?P<sign>-?)(?P<pre>[^\d\s]*?)(?P<s1>\s?)(?P<num>\d+(?:[.,'’\u202f]\d+)*)(?P<s2>\s?)(?P<post>[^\d\s]*)"
)
_PARTS = re.compile(r"(?P<num>\d+(?:[.,]\d+)*)(?P<pct>%?)|(?P<letters>[^\W\d_]+)|.")
_YEAR = re.compile(r"19\d\d|20\d\d")
_DECADE = re.compile(r"(?:19|20)\d0")


@dataclass(frozen=True)
class _Word:
    """A written word: leading punctuation, the word, trailing punctuation."""

    lead: str
    core: str
    trail: str

    @classmethod
    def split(cls, word: str, inches: bool) -> _Word:
        """``inches``: a ``"`` after a digit is the inch sign (the line has an odd number of them)."""
        start, end = 0, len(word)
        while start < end and word[start] in _LEAD:
            start += 1
        while (
            end > start
            and word[end - 1] in _TRAIL
            and not (inches and word[end - 1] == '"' and end - 1 > start and word[end - 2].isdigit())
        ):
            end -= 1
        return cls(word[:start], word[start:end], word[end:])

    def dotted(self) -> list[tuple[str, str]]:
        """The word and its trailing punctuation, then, after a full stop, the word with it (``approx.``)."""
        if self.trail.startswith("."):
            return [(self.core, self.trail), (self.core + ".", self.trail[1:])]
        return [(self.core, self.trail)]


def spoken_line(text: str, locale: str, currency: str | None = None) -> SpokenLine:
    """``text`` as written and as a speech engine should be given it in ``locale`` (``en_US``).

    Args:
        text: the line; runs of whitespace count as one space.
        locale: the line's locale; its language decides the words.
        currency: ISO code for a symbol several currencies use (the product's currency).
    """
    written = tuple(text.split())
    seps = ["\u202f" if set(s) <= _NO_BREAK else " " for s in re.findall(r"\s+", text.strip())]
    inches = text.count('"') % 2 == 1
    words = [_Word.split(word, inches) for word in written]
    lang = language(locale)
    reader = _Reader(lang, lang.words, words, seps, currency) if lang and lang.words else None
    said: list[str] = []
    while len(said) < len(words):
        i = len(said)
        taken, spoken = reader.read(i) if reader else (1, None)
        if spoken is None:
            spoken = _plain(words[i], lang)
        said += [" ".join(spoken.split()), *[""] * (taken - 1)]
    spans: list[tuple[int, int]] = []
    end = 0
    for part in said:
        start = end + 1 if part and end else end
        end = start + len(part)
        spans.append((start, end))
    return SpokenLine(" ".join(written), written, " ".join(part for part in said if part), tuple(spans))


def _plain(word: _Word, lang: Language | None) -> str:
    """A word no rule read: a plain number where num2words can say it, else as written less symbols."""
    match = _QUANTITY.fullmatch(_norm(word.core))
    if lang is not None and match and not (match["sign"] or match["pre"] or match["post"]):
        try:
            return _punctuated(word.lead, lang.read(match["num"]), word.trail)
        except ValueError:
            pass
    if not any(c.isalnum() for c in word.core):
        return ""
    kept = "".join(
        c for c in word.core if unicodedata.category(c) not in ("So", "Sk", "Cf") and c not in "\ufe0e\ufe0f"
    )
    return _punctuated(word.lead, kept, word.trail)


def _punctuated(lead: str, said: str, trail: str) -> str:
    return "".join(c for c in lead if c in _PAUSES) + said + "".join(c for c in trail if c in _PAUSES)


def _norm(text: str) -> str:
    """``text`` with every decimal digit in ASCII, Arabic separators and minus signs as ASCII, format marks dropped."""
    out = []
    for c in text:
        if c.isdecimal():
            out.append(str(unicodedata.decimal(c)))
        elif unicodedata.category(c) != "Cf":
            out.append(_SIGNS.get(c, c))
    return "".join(out)


class _Reader:
    """Reads the words of one line in a language with a lexicon."""

    def __init__(self, lang: Language, words: Words, line: Sequence[_Word], seps: Sequence[str], currency: str | None):
        self.lang, self.words, self.line, self.seps = lang, words, line, seps
        self.currency = currency.upper() if currency else None

    def read(self, i: int) -> tuple[int, str | None]:
        """How many words from ``i`` one reading takes, and its spoken form (None: no rule applies)."""
        word = self.line[i]
        for core, trail in reversed(word.dotted()):
            if (said := self._abbreviation(i, core)) is not None:
                return 1, _punctuated(word.lead, said, trail)
        for taken in (3, 2, 1):
            window = self.line[i : i + taken]
            if len(window) < taken or any(w.trail for w in window[:-1]) or any(w.lead for w in window[1:]):
                continue
            head = "".join(w.core + sep for w, sep in zip(window[:-1], self.seps[i : i + taken - 1]))
            for core, trail in window[-1].dotted():
                if (said := self._quantity(i, taken, _norm(head + core))) is not None:
                    return taken, _punctuated(word.lead, said, trail)
        if any(c.isdigit() for c in word.core):
            return 1, _punctuated(word.lead, self._spell(_norm(word.core)), word.trail)
        return 1, None

    def _abbreviation(self, i: int, core: str) -> str | None:
        if core in _NUMBER_SIGNS:
            following = self.line[i + 1].core if i + 1 < len(self.line) else ""
            return self.words.number if _norm(following)[:1].isdigit() else None
        return self.words.abbreviations.get(core.lower())

    def _quantity(self, i: int, taken: int, text: str) -> str | None:
        """``text`` (words ``i`` to ``i + taken``) read as one quantity, or None."""
        match = _QUANTITY.fullmatch(text)
        if match is None:
            return None
        sign, pre, num, post = match["sign"], match["pre"], match["num"], match["post"]
        glued = not (match["s1"] or match["s2"])
        try:
            if not pre and not post:
                return self._number(i, taken, sign, num)
            if _is_currency(pre) and _is_currency(post):
                said = self._money(text.removeprefix(sign), pre, post)
                return self._off(i, taken, said) if sign else said
            if pre:
                return None if sign or post else self._prefixed(pre, num, glued)
            return self._suffixed(i, taken, sign, num, post, glued)
        except ValueError:  # digits grouped oddly
            return None

    def _number(self, i: int, taken: int, sign: str, num: str) -> str:
        if sign:
            return f"{self.words.minus}{self.lang.joiner}{self.lang.read(num)}"
        if self.words.years and taken == 1 and _YEAR.fullmatch(num) and not self._counts(i):
            return self.lang.year(int(num))
        return self.lang.read(num)

    def _prefixed(self, pre: str, num: str, glued: bool) -> str | None:
        if pre in _NUMBER_SIGNS:
            return f"{self.words.number}{self.lang.joiner}{self.lang.read(num)}"
        times = self.words.nouns.get("x")
        if pre in ("x", "×") and glued and times:
            return self.lang.count(parse_number(num), times)
        return None

    def _suffixed(self, i: int, taken: int, sign: str, num: str, post: str, glued: bool) -> str | None:
        joiner = self.lang.joiner
        if post == "%":
            said = f"{self.lang.read(num)}{joiner}{self.words.percent}"
            return self._off(i, taken, said) if sign else said
        unit = UNITS.get(post) or UNITS_ANY_CASE.get(post.lower())
        if unit is not None and (glued or post not in GLUED_ONLY):
            noun = self.words.nouns.get(unit)
            said = self.lang.count(parse_number(num), noun) if noun else f"{self.lang.read(num)}{joiner}{post}"
            return f"{self.words.minus}{joiner}{said}" if sign else said
        if sign or not glued or not num.isdigit():
            return None
        if post.lower() in self.words.ordinals:
            return self.lang.ordinal(int(num), feminine=post == "ª")
        if self.words.years and post == "s" and _DECADE.fullmatch(num):
            said = self.lang.year(int(num))
            return said[:-1] + "ies" if said.endswith("y") else said + "s"
        return None

    def _money(self, text: str, pre: str, post: str) -> str:
        candidates = [self.currency, self.lang.currency, *SYMBOLS.get(pre, ()), *SYMBOLS.get(post, ()), None]
        for default in dict.fromkeys(candidates):
            try:
                money = parse_money(text, default)
            except ValueError:
                continue
            return self.lang.money(money.amount, money.currency)
        raise ValueError(f"{text!r} is not a price")

    def _off(self, i: int, taken: int, said: str) -> str:
        """A reduction, unless a word next to it says so already."""
        near = [*self.line[max(i - 1, 0) : i], *self.line[i + taken : i + taken + 2]]
        if any(w.core.lower() in self.words.off_words for w in near):
            return said
        return self.words.off.format(said)

    def _counts(self, i: int) -> bool:
        """Whether the number at ``i`` counts the next word of its sentence (``1999 reviews``)."""
        if i + 1 >= len(self.line) or any(c in _PAUSES for c in self.line[i].trail):
            return False
        return self.line[i + 1].core.endswith("s")

    def _spell(self, text: str) -> str:
        """A word with digits among other characters, such as a model number."""
        parts = []
        for match in _PARTS.finditer(text):
            if match["num"]:
                try:
                    said = self.lang.read(match["num"])
                except ValueError:
                    said = self.lang.joiner.join(self.lang.read(run) for run in re.findall(r"\d+", match["num"]))
                parts.append(f"{said}{self.lang.joiner}{self.words.percent}" if match["pct"] else said)
            elif letters := match["letters"]:
                parts.append(" ".join(letters) if re.fullmatch("[A-Z]{1,2}", letters) else letters)
            elif match.group() == "+":
                parts.append(self.words.abbreviations.get("+", "+"))
        return self.lang.joiner.join(parts)


def _is_currency(marker: str) -> bool:
    return not marker or marker in SYMBOLS or marker in CURRENCIES

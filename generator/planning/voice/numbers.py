"""Numbers, counts and prices in a locale's words, through num2words (LGPL-2.1, used as a library).

English numbers are said as a US voice-over says them: no "and" after hundreds, no commas
(``one thousand two hundred ninety-nine``). Decimals are the whole part, the point word and each
decimal digit (``two point five``, ``zwei Komma fünf``). A whole number written with a leading
zero or more than six digits and no separators is a code, read digit by digit (``007``).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from decimal import Decimal

from babel import Locale
from babel.numbers import get_currency_name, get_currency_precision, get_territory_currencies
from num2words import CONVERTER_CLASSES, num2words

from generator.planning.catalog.money import parse_number
from generator.planning.voice.lexicon import CURRENCIES, WORDS, Noun, Words

_CODE = re.compile(r"0\d+|\d{7,}")


@dataclass(frozen=True)
class Language:
    """How one locale reads numbers: num2words' language, the words of ``lexicon`` (None for a
    language written there only by num2words) and the territory's currency (for a shared symbol)."""

    locale: Locale
    converter: str
    words: Words | None
    currency: str | None

    @property
    def joiner(self) -> str:
        """What separates a number from its noun (nothing in Japanese)."""
        return self.words.joiner if self.words else " "

    def read(self, written: str) -> str:
        """A number as written, digits and separators only (``1,299.99``, ``19,99``, ``007``).

        Raises:
            ValueError: its digits are grouped oddly (``1,2,3``).
        """
        if _CODE.fullmatch(written):
            return self.joiner.join(self.cardinal(int(digit)) for digit in written)
        return self.number(parse_number(written))

    def number(self, value: Decimal) -> str:
        """A non-negative number: cardinal, or whole part, point word and each decimal digit."""
        whole, _, decimals = str(value).partition(".")
        if not decimals:
            return self.cardinal(int(whole))
        if self.words is None:
            return self._n2w(value)
        said = [self.cardinal(int(whole)), self.words.point, *(self.cardinal(int(digit)) for digit in decimals)]
        return self.joiner.join(said)

    def cardinal(self, n: int) -> str:
        return self._n2w(n)

    def ordinal(self, n: int, feminine: bool = False) -> str:
        said = self._n2w(n, "ordinal")
        return re.sub(r"o\b", "a", said) if feminine else said  # primero -> primera, primo -> prima

    def year(self, n: int) -> str:
        return self._n2w(n, "year")

    def count(self, value: Decimal, noun: Noun) -> str:
        """``value`` of ``noun``: the noun's form by the locale's plural rule, and a whole number
        agreeing with the noun's gender (``ein Liter``, ``dos libras`` -> ``duas libras`` in Portuguese)."""
        said = self.number(value)
        if self.words is not None and value == value.to_integral_value():
            for pattern, replacement in self.words.feminine if noun.feminine else self.words.masculine:
                said = re.sub(pattern, replacement, said)
        return f"{said}{self.joiner}{noun.other if self._plural(value) else noun.one}"

    def money(self, amount: Decimal, currency: str) -> str:
        """A price: major amount and unit, then the minor amount (named or not, as the language does)."""
        assert self.words is not None  # prices are read only in languages with words
        major = int(amount)
        minor = int((amount - major).scaleb(get_currency_precision(currency)))
        unit_key, minor_key = CURRENCIES.get(currency, ("", None))
        unit = self.words.nouns.get(unit_key)
        if unit is None:  # a currency the lexicon lacks: CLDR's name for this count
            name = get_currency_name(currency, major, self.locale)
            unit = Noun(name, name)
        minor_noun = self.words.nouns.get(minor_key) if minor_key else None
        if minor and not major and minor_noun:
            return self.count(Decimal(minor), minor_noun)
        said = self.count(Decimal(major), unit)
        if not minor:
            return said
        named = minor_noun is not None and self.words.minor_named
        tail = self.count(Decimal(minor), minor_noun) if named and minor_noun else self.cardinal(minor)
        return f"{said}{self.words.money_and}{tail}"

    def _plural(self, value: Decimal) -> bool:
        category = self.locale.plural_form(value)
        return category in self.words.plural if self.words else category != "one"

    def _n2w(self, value: int | Decimal, to: str = "cardinal") -> str:
        said = str(num2words(value, lang=self.converter, to=to)).replace(",", " ")
        if self.converter.startswith("en"):
            said = re.sub(r"\band\b", " ", said)
        return " ".join(said.split())


@functools.lru_cache(maxsize=64)
def language(locale: str) -> Language | None:
    """The reading of ``locale`` (``en_US``, ``pt-BR``): num2words' language for the whole locale, else
    for its language part; None when num2words has neither (numbers then stay as written)."""
    tag = locale.replace("-", "_")
    base = tag.partition("_")[0]
    converter = next((name for name in (tag, base) if name in CONVERTER_CLASSES), None)
    if converter is None:
        return None
    parsed = Locale.parse(tag)
    currencies = get_territory_currencies(parsed.territory) if parsed.territory else []
    return Language(parsed, converter, WORDS.get(base), currencies[0] if currencies else None)

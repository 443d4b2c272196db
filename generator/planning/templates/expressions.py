"""The sandbox template expressions run in, with adgen's filters (``money``, ``percent``, ``truncate``, and
the feed's ``ends``, ``days_left`` and ``stars``)."""

from __future__ import annotations

import functools
import unicodedata
from decimal import Decimal

import jinja2
from babel.numbers import format_currency, format_percent
from jinja2.sandbox import SandboxedEnvironment

from generator.planning.catalog import Money
from generator.planning.templates.feedfilters import feed_filters

# Languages whose voices read a script other than Latin letters.
_NOT_LATIN = frozenset({"ar", "el", "fa", "he", "hi", "ja", "ko", "ru", "th", "uk", "zh"})


def make_environment(locale: str) -> SandboxedEnvironment:
    """A sandbox with StrictUndefined and adgen's filters bound to ``locale``."""
    env = SandboxedEnvironment(undefined=jinja2.StrictUndefined, autoescape=False)

    @functools.lru_cache(maxsize=4096)  # a catalog repeats its prices; Babel's formatting is slow
    def formatted(amount: Decimal, currency: str) -> str:
        return format_currency(amount, currency, locale=locale)

    def money(value: Money) -> str:
        if not isinstance(value, Money):
            raise jinja2.TemplateRuntimeError(f"money expects a price, got {type(value).__name__}")
        return formatted(value.amount, value.currency)

    def percent(value: Decimal | float | None, digits: int = 0) -> str:
        if value is None:
            raise jinja2.TemplateRuntimeError("percent got none (is there a sale?)")
        pattern = "#,##0%" if digits == 0 else "#,##0." + "0" * digits + "%"
        return format_percent(value, format=pattern, locale=locale)

    def truncate(value: str, length: int = 40, end: str = "…") -> str:
        text = str(value)
        if len(text) <= length:
            return text
        keep = max(0, length - len(end))
        cut = text[:keep]
        if not text[keep].isspace() and " " in cut:  # never end on half a word
            cut = cut[: cut.rfind(" ")]
        return cut.rstrip() + end

    latin = locale.replace("-", "_").split("_")[0].lower() not in _NOT_LATIN

    def speakable(value: str, length: int = 30) -> str:
        """``value`` when the voice can say it in a breath: at most ``length`` characters, and for a language
        written in Latin letters, Latin letters only (an English voice spells a Japanese title out); else ''."""
        text = str(value)
        letters = [ch for ch in text if ch.isalpha()]
        if len(text) > length or (latin and not all(unicodedata.name(ch, "").startswith("LATIN") for ch in letters)):
            return ""
        return text

    env.filters.update(money=money, percent=percent, truncate=truncate, speakable=speakable, **feed_filters(locale))
    return env

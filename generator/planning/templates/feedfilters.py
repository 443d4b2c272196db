"""Template filters for feed fields: when a sale ends, how many days it has left, and a rating as text.

``{{ product.sale_ends | ends }}`` says when the sale ends, counted from the render date (the
``today`` variable, given to planning, never read from a clock): ``Ends today``, ``Ends tomorrow``,
``Ends Sunday`` (within a week), ``Ends in 9 days``. ``{{ product.sale_ends | days_left }}`` is a
countdown that counts the render date: ``3 days left``, ..., ``Last day``. Both say the sale has ended
when the render date is past its end. ``{{ product.rating | stars }}`` is ``4.6 ★ (1,204)``, grouped as the
locale groups numbers. Phrases are written for English, German, French and Spanish; weekday names and
numbers come from Babel for every locale, and other languages get the English phrases.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

import jinja2
from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal

from generator.planning.catalog.ratings import Rating

# key -> (singular, plural) or one phrase; {n}: a number of days, {day}: a weekday's name.
_PHRASES: Mapping[str, Mapping[str, str | tuple[str, str]]] = {
    "en": {"ended": "Sale ended", "today": "Ends today", "tomorrow": "Ends tomorrow", "weekday": "Ends {day}",
           "in": ("Ends in {n} day", "Ends in {n} days"), "left": ("{n} day left", "{n} days left"), "last": "Last day"},
    "de": {"ended": "Angebot beendet", "today": "Endet heute", "tomorrow": "Endet morgen", "weekday": "Endet am {day}",
           "in": ("Endet in {n} Tag", "Endet in {n} Tagen"), "left": ("Noch {n} Tag", "Noch {n} Tage"),
           "last": "Letzter Tag"},
    "fr": {"ended": "Offre terminée", "today": "Se termine aujourd'hui", "tomorrow": "Se termine demain",
           "weekday": "Se termine {day}", "in": ("Se termine dans {n} jour", "Se termine dans {n} jours"),
           "left": ("Plus que {n} jour", "Plus que {n} jours"), "last": "Dernier jour"},
    "es": {"ended": "Oferta terminada", "today": "Termina hoy", "tomorrow": "Termina mañana",
           "weekday": "Termina el {day}", "in": ("Termina en {n} día", "Termina en {n} días"),
           "left": ("Queda {n} día", "Quedan {n} días"), "last": "Último día"},
}  # fmt: skip
WEEK = 7  # a sale ending within this many days is named by its weekday


def feed_filters(locale: str) -> dict[str, Callable[..., str]]:
    """``ends``, ``days_left`` and ``stars``, bound to ``locale``."""
    babel_locale = Locale.parse(locale.replace("-", "_"))
    phrases = _PHRASES.get(babel_locale.language, _PHRASES["en"])

    def say(key: str, n: int = 0, day: str = "") -> str:
        phrase = phrases[key]
        if isinstance(phrase, tuple):
            phrase = phrase[0] if babel_locale.plural_form(n) == "one" else phrase[1]
        return phrase.format(n=format_decimal(n, locale=babel_locale), day=day)

    def days(context: Any, value: object, name: str) -> tuple[int, dt.date]:
        today = context.get("today")
        if not isinstance(today, dt.date):
            raise jinja2.TemplateRuntimeError(f"{name} needs the render date (none was given to planning)")
        if not isinstance(value, dt.date):
            got = "none (has the product a sale period?)" if value is None else type(value).__name__
            raise jinja2.TemplateRuntimeError(f"{name} expects a date such as product.sale_ends, got {got}")
        end = value.date() if isinstance(value, dt.datetime) else value
        return (end - today).days, end

    @jinja2.pass_context
    def ends(context: Any, value: object) -> str:
        left, end = days(context, value, "ends")
        if left < 0:
            return say("ended")
        if left <= 1:
            return say("today" if left == 0 else "tomorrow")
        if left < WEEK:
            return say("weekday", day=format_date(end, "EEEE", locale=babel_locale))
        return say("in", n=left)

    @jinja2.pass_context
    def days_left(context: Any, value: object) -> str:
        left, _ = days(context, value, "days_left")
        return say("ended") if left < 0 else say("last") if left == 0 else say("left", n=left + 1)

    def stars(value: object) -> str:
        if not isinstance(value, Rating):
            got = "none (has the product a rating?)" if value is None else type(value).__name__
            raise jinja2.TemplateRuntimeError(f"stars expects product.rating, got {got}")
        text = f"{format_decimal(value.value, format='0.0', locale=babel_locale)} ★"
        return text if value.count is None else f"{text} ({format_decimal(value.count, locale=babel_locale)})"

    return {"ends": ends, "days_left": days_left, "stars": stars}

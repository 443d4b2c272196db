"""Prices as catalogs write them: ``19.99 USD``, ``USD 19.99``, ``$19.99``, ``€19,99``, ``1.299,00 EUR``.

A price is one amount plus currency markers before and/or after it: ISO 4217 codes (any case) and
currency symbols. A symbol that several currencies use (``$``, ``¥``, ``kr``) needs a code beside
it or a default currency that is one of them; without one the price is refused, never guessed.
A written marker always wins over the default.

The decimal separator is read per value: with both ``.`` and ``,`` the last one is decimal; a
separator that repeats groups digits; a lone separator followed by exactly three digits groups
thousands (``1,299``, ``₩12.000``) unless the currency has three decimals (``1.500 KWD``), any
other lone one is decimal (``19,99``). Spaces and apostrophes also group digits. Currencies
without a minor unit (JPY, KRW; CLDR's precision) take whole amounts only.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from decimal import Decimal

from babel.numbers import get_currency_precision, list_currencies

_CURRENCIES = frozenset(list_currencies())
_DOLLARS = ("USD", "CAD", "AUD", "NZD", "SGD", "HKD", "MXN", "TWD")
SYMBOLS: dict[str, tuple[str, ...]] = {
    "$": _DOLLARS, "US$": ("USD",), "C$": ("CAD",), "CA$": ("CAD",), "A$": ("AUD",), "AU$": ("AUD",),
    "NZ$": ("NZD",), "S$": ("SGD",), "HK$": ("HKD",), "MX$": ("MXN",), "NT$": ("TWD",), "R$": ("BRL",),
    "€": ("EUR",), "£": ("GBP",), "¥": ("JPY", "CNY"), "￥": ("JPY", "CNY"), "JP¥": ("JPY",), "CN¥": ("CNY",),
    "円": ("JPY",), "元": ("CNY",), "₹": ("INR",), "Rs": ("INR", "PKR", "LKR", "NPR"), "Rs.": ("INR", "PKR", "LKR", "NPR"),
    "₩": ("KRW",), "₽": ("RUB",), "₺": ("TRY",), "₫": ("VND",), "₱": ("PHP",), "₪": ("ILS",), "฿": ("THB",),
    "₦": ("NGN",), "₴": ("UAH",), "zł": ("PLN",), "Kč": ("CZK",), "Ft": ("HUF",), "kr": ("SEK", "NOK", "DKK", "ISK"),
    "kr.": ("DKK", "ISK"), "Fr.": ("CHF",), "RM": ("MYR",), "Rp": ("IDR",),
    "$US": ("USD",), "$CA": ("CAD",), "$AU": ("AUD",), "$NZ": ("NZD",), "$MX": ("MXN",), "£GB": ("GBP",),
    "UK£": ("GBP",), "د.إ.": ("AED",),
}  # fmt: skip
_NUMBER = re.compile(r"[0-9]+(?:[.,'\u2019 \u00a0\u202f][0-9]+)*")
_GROUPING_MARKS = re.compile(r"['\u2019 \u00a0\u202f]")
_SEPARATORS = re.compile(r"[.,'\u2019 \u00a0\u202f]")
_CODE = re.compile(r"^[A-Za-z]{3}$")
_MINUS = ("-", "\u2212", "(")


@dataclass(frozen=True)
class Money:
    """An amount in an ISO 4217 currency; ``amount`` is exact."""

    amount: Decimal
    currency: str

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


@functools.lru_cache(maxsize=4096)  # catalogs repeat prices; a Money is immutable
def parse_money(text: str, default_currency: str | None = None) -> Money:
    """Parse a price exactly; see the module docstring for what is understood.

    Args:
        text: the price as written.
        default_currency: ISO code for a price written without one, or to decide a shared symbol.

    Raises:
        ValueError: the text is not one non-negative amount with a known currency; the message
            quotes the text and names the rule.
    """
    numbers = list(_NUMBER.finditer(text))
    if len(numbers) != 1:
        raise ValueError(f"{text!r} is not a price like '19.99 USD'")
    match = numbers[0]
    prefix, suffix = text[: match.start()].strip(), text[match.end() :].strip()
    if prefix.endswith(_MINUS) or prefix.startswith(_MINUS):
        raise ValueError(f"{text!r} is negative")
    currency = _currency(text, [*_markers(text, prefix), *_markers(text, suffix)], default_currency)
    return Money(_amount(text, match.group(), currency), currency)


def _markers(text: str, part: str) -> list[str]:
    """The currency markers in ``part`` (text around the amount), each a code or a known symbol."""
    markers: list[str] = []
    for token in part.split():
        if token in SYMBOLS or _CODE.match(token):
            markers.append(token)
            continue
        # a symbol written against a code or another symbol, such as "US$" handled above or "€EUR"
        split = next(
            (s for s in sorted(SYMBOLS, key=len, reverse=True) if token.startswith(s) and _CODE.match(token[len(s) :])),
            None,
        )
        if split is None:
            raise ValueError(f"{text!r} is not a price like '19.99 USD' ({token!r} is not a currency)")
        markers += [split, token[len(split) :]]
    return markers


def _currency(text: str, markers: list[str], default: str | None) -> str:
    """The one currency ``markers`` (and ``default``) agree on."""
    codes = sorted({m.upper() for m in markers if m not in SYMBOLS})
    symbols = [m for m in markers if m in SYMBOLS]
    for code in (*codes, *([default.upper()] if default else [])):
        if code not in _CURRENCIES:
            raise ValueError(f"{code!r} is not an ISO 4217 currency code")
    if len(codes) > 1:
        raise ValueError(f"{text!r} names two currencies, {' and '.join(codes)}")
    candidates = set(SYMBOLS[symbols[0]]).intersection(*(SYMBOLS[s] for s in symbols[1:])) if symbols else _CURRENCIES
    if codes:
        if codes[0] not in candidates:
            raise ValueError(f"{text!r}: {symbols[0]!r} is not a symbol of {codes[0]}")
        return codes[0]
    if not symbols:
        if default is None:
            raise ValueError(
                f"{text!r} has no currency code; write it like '19.99 USD', or give the feed's currency with --currency"
            )
        return default.upper()
    shared = tuple(c for c in SYMBOLS[symbols[0]] if c in candidates)
    if len(shared) == 1:
        return shared[0]
    if default is not None and default.upper() in shared:
        return default.upper()
    if default is not None:
        raise ValueError(f"{text!r}: {symbols[0]!r} is not a symbol of {default.upper()}")
    raise ValueError(
        f"{text!r}: {symbols[0]!r} is used by several currencies ({', '.join(shared)}); "
        "write the code, like '19.99 USD', or give a default currency (--currency)"
    )


def _amount(text: str, number: str, currency: str) -> Decimal:
    """The exact amount of ``number`` (digits and separators) in ``currency``."""
    precision = get_currency_precision(currency)
    try:
        value = parse_number(number, precision)
    except ValueError:
        raise ValueError(f"{text!r} is not a price like '19.99 USD' (digits grouped oddly)") from None
    if precision == 0 and value != value.to_integral_value():
        raise ValueError(f"{text!r}: {currency} amounts are whole numbers")
    return value.to_integral_value() if precision == 0 else value


def parse_number(number: str, precision: int = 2) -> Decimal:
    """The exact value of ``number``, digits and separators only, read as the module docstring says;
    ``precision`` (the decimals of the currency it prices) only matters when it is three.

    Raises:
        ValueError: the digits are grouped oddly.
    """
    decimal = _decimal_separator(_GROUPING_MARKS.sub("", number), precision)
    integer, fraction = number.rsplit(decimal, 1) if decimal else (number, "")
    groups = _SEPARATORS.split(integer)
    grouped_well = 1 <= len(groups[0]) <= 3 and all(len(g) in (2, 3) for g in groups[1:-1]) and len(groups[-1]) == 3
    if (fraction and not fraction.isdigit()) or (len(groups) > 1 and not grouped_well):
        raise ValueError(f"{number!r}: digits grouped oddly")
    whole = "".join(groups)
    return Decimal(f"{whole}.{fraction}") if fraction else Decimal(whole)


def _decimal_separator(digits: str, precision: int) -> str | None:
    """Which of ``.`` and ``,`` separates decimals in ``digits`` (digits and those two only), if any."""
    last_dot, last_comma = digits.rfind("."), digits.rfind(",")
    if last_dot >= 0 and last_comma >= 0:
        return "." if last_dot > last_comma else ","
    for sep in (".", ","):
        count = digits.count(sep)
        if count > 1:
            return None
        if count == 1:
            integer, fraction = digits.split(sep)
            groups_thousands = len(fraction) == 3 and precision != 3 and not integer.startswith("0")
            return None if groups_thousands else sep
    return None

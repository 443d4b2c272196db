"""Product ratings: a star value with its scale, and how many reviews it comes from, on a 5-star scale.

A rating is written ``4.6`` (out of 5), ``4.6/5`` or ``9.2/10`` (out of the number after the slash),
or as Shopify's review metafield writes it, JSON ``{"scale_min": "1.0", "scale_max": "5.0", "value": "4.6"}``.
A count is a whole number, with or without grouping (``1,204``, ``1 204``, ``1.204``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

STARS = Decimal(5)
_COUNT = re.compile(r"^\d{1,3}(?:[,. \u00a0\u202f']\d{3})*$|^\d+$")


@dataclass(frozen=True)
class Rating:
    """A product's rating: ``value`` on a 5-star scale (two decimals), and its review count, if the feed gave one."""

    value: Decimal
    count: int | None = None

    def __str__(self) -> str:
        return f"{self.value:.1f}" if self.count is None else f"{self.value:.1f} ({self.count})"


def parse_rating(text: str) -> Decimal:
    """The rating written as ``text``, on a 5-star scale.

    Raises:
        ValueError: not a number, JSON of Shopify's rating, or ``value/scale``; or outside its scale.
    """
    written = text.strip()
    low, high = Decimal(0), STARS
    if written.startswith("{"):
        try:
            data = json.loads(written)
            value = Decimal(str(data["value"]))
            low, high = Decimal(str(data.get("scale_min", 0))), Decimal(str(data.get("scale_max", 5)))
        except (ValueError, KeyError, TypeError, InvalidOperation):
            raise ValueError(
                f'{written!r} is not a rating: Shopify writes {{"scale_min": "1.0", "scale_max": "5.0", "value": "4.6"}}'
            ) from None
    else:
        number, slash, scale = written.partition("/")
        try:
            value = Decimal(number.strip().replace(",", "."))
            high = Decimal(scale.strip()) if slash else STARS
        except InvalidOperation:
            raise ValueError(f"{written!r} is not a rating: write a number such as 4.6, or 4.6/5") from None
    if not (value.is_finite() and high.is_finite() and low.is_finite()) or high <= low or high <= 0:
        raise ValueError(f"{written!r} is not a rating: its scale is not a range of numbers")
    if not low <= value <= high:
        raise ValueError(f"rating {value} is outside its scale {low.normalize():f} to {high.normalize():f}")
    return (value * STARS / high).quantize(Decimal("0.01"))


def parse_count(text: str) -> int:
    """The review count written as ``text``.

    Raises:
        ValueError: not a whole number of reviews.
    """
    written = text.strip()
    if not _COUNT.match(written):
        raise ValueError(f"{written!r} is not a number of reviews: write a whole number such as 1204")
    return int(re.sub(r"\D", "", written))

"""Merchant Center's ``sale_price_effective_date``: an ISO 8601 interval read into the sale's start and end.

Google writes it as ``2026-12-01T00:00-0800/2026-12-13T23:59-0800``: two ISO 8601 times (minutes or
seconds, an offset ``-0800``, ``-08:00`` or ``Z``, or none) joined by ``/``. Either end may be a date
alone (``2026-12-01/2026-12-13``): a start date starts at 00:00 and an end date ends at 23:59:59 of that day,
in the other end's offset if it has one.
A sale's days are its ends' own calendar dates, in their own offsets: whether a sale runs on a render
date compares dates, never instants, so the answer does not depend on where the render runs.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

EXPECTED = "start/end as ISO 8601, like 2026-12-01T00:00-0800/2026-12-13T23:59-0800 or 2026-12-01/2026-12-13"
_OFFSET = re.compile(r"([+-]\d{2})(\d{2})$")


@dataclass(frozen=True)
class SaleWindow:
    """When a sale runs: its first and last moments as written (with their offset, if the feed gave one)."""

    start: dt.datetime
    end: dt.datetime

    def runs_on(self, day: dt.date) -> bool:
        """Whether ``day`` is one of the sale's calendar days."""
        return self.start.date() <= day <= self.end.date()


def parse_sale_window(text: str) -> SaleWindow:
    """The sale window written as ``text``.

    Raises:
        ValueError: ``text`` is not two ISO 8601 times or dates joined by ``/``, or ends before it starts;
            the message says the expected form.
    """
    start_text, slash, end_text = text.strip().partition("/")
    if not slash or not start_text.strip() or not end_text.strip():
        raise ValueError(f"{text.strip()!r} is not a sale period: write {EXPECTED}")
    start, end = _moment(start_text, text, end=False), _moment(end_text, text, end=True)
    if start.tzinfo is None and end.tzinfo is not None:  # a date alone takes the other end's offset
        start = start.replace(tzinfo=end.tzinfo)
    elif end.tzinfo is None and start.tzinfo is not None:
        end = end.replace(tzinfo=start.tzinfo)
    if end < start:
        raise ValueError(f"{text.strip()!r}: the sale ends before it starts ({EXPECTED})")
    return SaleWindow(start, end)


def _moment(part: str, text: str, end: bool) -> dt.datetime:
    value = part.strip()
    if "T" not in value:
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{text.strip()!r} is not a sale period: write {EXPECTED}") from None
        return dt.datetime.combine(day, dt.time(23, 59, 59) if end else dt.time(0, 0))
    value = _OFFSET.sub(r"\1:\2", value.replace("z", "Z")) if not value.endswith("Z") else value
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{text.strip()!r} is not a sale period: write {EXPECTED}") from None

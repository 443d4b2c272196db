"""Merchant Center's ``product_detail``: technical specifications as (section, attribute, value).

Google's form in a text feed is ``section_name:attribute_name:attribute_value``, several separated by
commas (``General:Battery life:20 hours, Display:Size:6.1 in``); the section may be empty
(``:Material:Cotton``). An XML feed repeats ``<g:product_detail>`` with ``<g:section_name>``,
``<g:attribute_name>`` and ``<g:attribute_value>`` children, which the feed reader writes in the same
form, one per line. A comma splits details only where another ``section:name:`` follows, so a value may
hold a comma.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from generator.planning.catalog.text import one_line

_SEPARATOR = re.compile(r"\s*\n\s*|,\s*(?=[^,:\n]*:[^,:\n]+:)")


@dataclass(frozen=True)
class Detail:
    """One specification: ``Display`` / ``Size`` / ``6.1 in``."""

    section: str
    name: str
    value: str

    def __str__(self) -> str:
        return f"{self.name}: {self.value}"


def parse_details(text: str) -> tuple[tuple[Detail, ...], tuple[str, ...]]:
    """The details written as ``text``, and each part that is not ``section:name:value``, as written."""
    details: list[Detail] = []
    bad: list[str] = []
    for part in _SEPARATOR.split(text.strip()):
        if not part.strip():
            continue
        fields = part.split(":", 2)
        if len(fields) != 3 or not fields[1].strip() or not fields[2].strip():
            bad.append(part.strip())
            continue
        details.append(Detail(*(one_line(field) for field in fields)))
    return tuple(details), tuple(bad)

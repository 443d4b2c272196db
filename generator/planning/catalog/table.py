"""What every reader produces: a file's rows by column, before any column means anything.

Delimited text, workbooks and XML feeds are read into a ``Table``; a dialect (Merchant, Meta,
Shopify) then turns its records into ``Entry`` values keyed by canonical column, which become
products. A row that cannot be read at all is an error in ``Table.errors``, never a shifted record.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from generator.core.errors import CatalogError
from generator.planning.catalog.model import CatalogSource


@dataclass(frozen=True)
class Record:
    """One data row as read: its row number, the line it starts on (text and XML), its values by column."""

    row: int
    values: Mapping[str, str]
    line: int | None = None


@dataclass(frozen=True)
class Table:
    """A file's header (or, for XML, the fields its items use), and each of its rows in order: its record, or
    the error that kept it from being read. Delimited text gives its rows as they are read (one pass)."""

    source: CatalogSource
    columns: tuple[str, ...]
    rows: Iterable[Record | CatalogError]


@dataclass(frozen=True)
class Entry:
    """A product to be: canonical values as read, and what is needed to report on them.

    Attributes:
        row: the row number products and errors carry.
        values: canonical column -> text as read.
        columns: canonical column -> the file's own column name, for messages.
        extra: every other column -> text as read.
        line: the line the row starts on, when it is worth giving.
        unavailable: why the row is not for sale (out of stock, a draft), or None.
        html_columns: canonical columns whose text is HTML, to be shown as plain text.
    """

    row: int
    values: Mapping[str, str]
    columns: Mapping[str, str]
    extra: Mapping[str, str]
    line: int | None = None
    unavailable: str | None = None
    html_columns: frozenset[str] = frozenset()


def header_names(cells: list[str], where: Path | str) -> tuple[str, ...]:
    """The column names of a header row, trimmed; an empty name marks a column nobody reads.

    Raises:
        CatalogError: the row is empty, or names a column twice.
    """
    names = tuple(cell.strip() for cell in cells)
    if not any(names):
        raise CatalogError("no header: row 1 is empty", file=where, row=1)
    seen: dict[str, int] = {}
    for index, name in enumerate(names, start=1):
        if name and name in seen:
            raise CatalogError(f"column {name!r} appears twice (columns {seen[name]} and {index})", file=where, row=1)
        seen.setdefault(name, index)
    return names

"""Delimited text (CSV, TSV, semicolon and pipe files) read record by record with the stdlib ``csv``.

The delimiter is sniffed from the first records: of ``,`` ``;`` tab ``|``, the one that splits the
header into most columns with the most following rows matching it. Rows keep spreadsheet
numbering: the header is row 1, a blank line is a row, and a record whose quoted cell spans lines
is one row. A record with more or fewer fields than the header is an error for that row alone;
its fields are never assigned to columns. A quote that is never closed is an error naming the
line it opened on, and reading goes on from the line after it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import cast

from generator.core.errors import CatalogError
from generator.planning.catalog.encoding import decode_text
from generator.planning.catalog.model import CatalogSource
from generator.planning.catalog.table import Record, Table, header_names

DELIMITERS = (",", ";", "\t", "|")
_SNIFF_LINES = 200
_SNIFF_RECORDS = 50


def read_delimited(data: bytes, where: Path | str) -> Table:
    """The table held by delimited text ``data`` (any encoding ``decode_text`` knows); its dialect is not yet told.

    Raises:
        CatalogError: the text cannot be decoded, or its header is missing or names a column twice.
    """
    text, encoding = decode_text(data, where)
    lines = io.StringIO(text, newline="").readlines()
    delimiter = sniff_delimiter(lines)
    rows = _records(lines, delimiter, where)
    header = next(rows)  # read now: a file without a good header fails here, not on its first row
    assert isinstance(header, tuple)
    source = CatalogSource(format="auto", container="csv", encoding=encoding, delimiter=delimiter)
    return Table(source=source, columns=header, rows=cast(Iterator[Record | CatalogError], rows))


def sniff_delimiter(lines: list[str]) -> str:
    """The delimiter that reads the first lines most consistently (``,`` when none splits the header)."""
    best, best_score = ",", (0, 1)
    for delimiter in DELIMITERS:
        try:
            sample = [
                fields
                for _, fields in zip(range(_SNIFF_RECORDS), csv.reader(lines[:_SNIFF_LINES], delimiter=delimiter))
            ]
        except csv.Error:
            continue
        if not sample or len(sample[0]) < 2:
            continue
        width = len(sample[0])
        score = (sum(len(fields) == width for fields in sample[1:] if any(f.strip() for f in fields)), width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _records(lines: list[str], delimiter: str, where: Path | str) -> Iterator[tuple[str, ...] | Record | CatalogError]:
    """The header, then each data record of ``lines`` as it is read, or an error for each record that cannot be.

    ``csv`` reads strictly, so a quote in the wrong place stops it. The record it was reading
    becomes an error, and reading starts again on the line after the one the record began on (or,
    for a quote never closed, after the line it opened on): a stray quote costs one row, not the
    rest of the file.
    """
    header: tuple[str, ...] | None = None
    start, row = 0, 0  # start: index of the line reading (re)starts at; row: rows read so far
    while start < len(lines):
        reader = csv.reader(lines[start:], delimiter=delimiter, strict=True)
        consumed = 0  # lines read before the current record
        try:
            for fields in reader:
                first, consumed = start + consumed + 1, reader.line_num
                row += 1
                if header is None:
                    header = header_names(fields, where)
                    yield header
                    continue
                record = _record(fields, header, row, first, start + consumed, where)
                if record is not None:
                    yield record
            break
        except csv.Error as exc:
            row += 1
            message, line, start = _unreadable(exc, lines, start + consumed + 1, start + reader.line_num, delimiter)
            if header is None:
                raise CatalogError(f"cannot read the header: {message}", file=where, row=1, line=line) from exc
            yield CatalogError(message, file=where, row=row, line=line)
    if header is None:
        raise CatalogError("the catalog is empty: no header row", file=where)


def _unreadable(exc: csv.Error, lines: list[str], first: int, last: int, delimiter: str) -> tuple[str, int, int]:
    """Why the record on lines ``first``..``last`` (1-based) cannot be read, the line to name, and where to read on."""
    opened = _unclosed_quote(lines[first - 1 : last], delimiter) if last == len(lines) else None
    if opened is not None:
        return f"a quoted field opens on line {first + opened} and is never closed", first + opened, first + opened
    if "expected after" in str(exc):
        return (
            f'text follows the closing quote of a quoted field on line {last} (a quote inside a field is written twice: "")',
            first,
            first,
        )
    return f"cannot read this row: {exc}", first, first


def _record(
    fields: list[str], header: tuple[str, ...], row: int, first: int, last: int, where: Path | str
) -> Record | CatalogError | None:
    """A data record, an error when its field count differs from the header's, or None for a blank row."""
    if not any(field.strip() for field in fields):
        return None
    if len(fields) != len(header):
        hint = (
            f" (the row runs from line {first} to line {last} inside quotes; is a quote missing?)"
            if last > first
            else ""
        )
        return CatalogError(
            f"{len(fields)} fields, the header has {len(header)}{hint}", file=where, row=row, line=first
        )
    return Record(row=row, values={name: value for name, value in zip(header, fields) if name}, line=first)


def _unclosed_quote(lines: list[str], delimiter: str) -> int | None:
    """Index in ``lines`` (one record's lines) of the line whose quoted field is never closed, or None.

    Follows the ``csv`` module's default dialect: a quote opens a field only at its start, and a
    doubled quote inside one is a literal quote.
    """
    quoted_since: int | None = None
    field_start = True
    for index, line in enumerate(lines):
        position = 0
        while position < len(line):
            char = line[position]
            if quoted_since is not None:
                if char == '"' and line.startswith('""', position):
                    position += 2
                    continue
                if char == '"':
                    quoted_since, field_start = None, False
            elif char == '"' and field_start:
                quoted_since = index
            else:
                field_start = char in (delimiter, "\r", "\n")
            position += 1
    return quoted_since

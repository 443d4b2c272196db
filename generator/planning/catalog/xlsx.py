"""Excel workbooks (``.xlsx``) read with ``openpyxl``: one sheet, cell values (never formulas).

The workbook is opened read-only and streamed row by row. Before that, the sizes its zip archive
declares are added up and a workbook that would unpack to more than ``MAX_UNPACKED_BYTES`` is
refused: a small file can unpack to gigabytes (a zip bomb). ``zipfile`` never reads past a
member's declared size, so the check holds. openpyxl parses the sheets' XML through
``defusedxml`` when it is installed, as it is here.

Row numbers are the sheet's own; the header is row 1. A value in a column beyond the header is
an error for that row; empty trailing cells are not. Numbers become their shortest exact
decimal text (``19.99``, ``24``), dates ISO 8601, booleans ``TRUE``/``FALSE``.
"""

from __future__ import annotations

import datetime
import zipfile
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path

from generator.core.errors import CatalogError
from generator.planning.catalog.model import CatalogSource
from generator.planning.catalog.table import Record, Table, header_names

MAX_UNPACKED_BYTES = 256 * 1024 * 1024


def read_workbook(
    path: Path, where: Path | str, sheet: str | None = None, *, max_unpacked: int = MAX_UNPACKED_BYTES
) -> Table:
    """The table on ``sheet`` (default: the first) of the workbook at ``path``; its dialect is not yet told.

    Raises:
        CatalogError: not a readable workbook, too large unpacked, no such sheet, or no header.
    """
    from openpyxl import load_workbook  # imported only for workbooks
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise CatalogError(f"not a readable .xlsx workbook: {exc}", file=where) from exc
    if unpacked > max_unpacked:
        raise CatalogError(
            f"the workbook unpacks to {unpacked / 2**20:.0f} MiB, over the limit of {max_unpacked / 2**20:.0f} MiB "
            "(a zip bomb, or a catalog to export as CSV)",
            file=where,
        )
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise CatalogError(f"not a readable .xlsx workbook: {exc}", file=where) from exc
    try:
        names = [ws.title for ws in book.worksheets]
        if not names:
            raise CatalogError("the workbook has no sheets", file=where)
        name = sheet if sheet is not None else names[0]
        if name not in names:
            raise CatalogError(f"the workbook has no sheet {name!r}; its sheets: {', '.join(names)}", file=where)
        worksheet = book[name]
        worksheet.reset_dimensions()  # read the cells that are there, not the dimension the file claims
        header, records = _rows(worksheet.iter_rows(values_only=True), where, name)
    finally:
        book.close()
    source = CatalogSource(format="auto", container="xlsx", sheet=name)
    return Table(source=source, columns=header, rows=tuple(records))


def _rows(
    rows: Iterable[Sequence[object]], where: Path | str, sheet: str
) -> tuple[tuple[str, ...], list[Record | CatalogError]]:
    header: tuple[str, ...] | None = None
    records: list[Record | CatalogError] = []
    for row, cells in enumerate(rows, start=1):
        values = [cell_text(value) for value in cells]
        while values and not values[-1].strip():
            values.pop()
        if header is None:
            header = header_names(values, where)
            continue
        if not values:
            continue
        if len(values) > len(header):
            records.append(CatalogError(f"{len(values)} fields, the header has {len(header)}", file=where, row=row))
            continue
        records.append(Record(row=row, values={name: value for name, value in zip(header, values) if name}))
    if header is None:
        raise CatalogError(f"the sheet {sheet!r} is empty: no header row", file=where)
    return header, records


def cell_text(value: object) -> str:
    """A cell's value as catalog text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return (
            format(Decimal(repr(value)).normalize(), "f") if value.is_integer() else format(Decimal(repr(value)), "f")
        )
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    return str(value)

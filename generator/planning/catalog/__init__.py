"""Product catalogs: every common export read into validated ``Product`` rows, a bad row failing alone.

::

    file ─► source (container from the bytes) ─► Table: records by column, unreadable rows as errors
             ├── delimited: CSV/TSV/;/| text in UTF-8, UTF-16 or Windows-1252 (encoding, csv)
             ├── xlsx: an Excel workbook's sheet
             └── xmlfeed: a Merchant Center RSS or Atom feed
         ─► dialect: Merchant/Meta columns (columns) or Shopify's rows per product (shopify) ─► Entry
         ─► integrity: duplicate ids fail, unavailable rows are skipped with their reason
         ─► product: required fields, prices (money), images, tidy text (text) ─► Product

A product's category (``google_product_category``, a path or an id of Google's product taxonomy, or Meta's
``fb_product_category``) is read by ``taxonomy``, from the taxonomy shipped in ``data/``; routing uses it.

Rows keep spreadsheet numbering (the header is row 1); an XML feed's items are numbered from 1.
Every error is a ``CatalogError`` naming the file, row, column and rule; the other rows go on.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from pathlib import Path

from generator.core.errors import CatalogError
from generator.planning.catalog.columns import column_entries, load_column_map
from generator.planning.catalog.model import (
    CANONICAL_COLUMNS,
    CATALOG_FORMATS,
    REQUIRED_COLUMNS,
    Catalog,
    CatalogFormat,
    CatalogOptions,
    CatalogSource,
    CatalogStream,
    Product,
    SkippedRow,
    row_of,
)
from generator.planning.catalog.money import Money, parse_money
from generator.planning.catalog.product import ProductBuilder
from generator.planning.catalog.shopify import shopify_entries
from generator.planning.catalog.source import read_table
from generator.planning.catalog.table import Entry

__all__ = [
    "CANONICAL_COLUMNS", "CATALOG_FORMATS", "REQUIRED_COLUMNS", "Catalog", "CatalogFormat", "CatalogOptions",
    "CatalogSource", "CatalogStream", "Money", "Product", "SkippedRow", "load_catalog", "load_column_map",
    "parse_money", "stream_catalog",
]  # fmt: skip

log = logging.getLogger(__name__)


def load_catalog(path: Path, options: CatalogOptions | None = None) -> Catalog:
    """Read and validate a catalog file, and hold all of it.

    Raises:
        CatalogError: the file itself cannot be read, or lacks a required column (no row is usable).
    """
    stream = stream_catalog(path, options)
    products: list[Product] = []
    errors: list[CatalogError] = []
    skipped: list[SkippedRow] = []
    for item in stream.rows():
        if isinstance(item, Product):
            products.append(item)
        elif isinstance(item, SkippedRow):
            skipped.append(item)
        else:
            errors.append(item)
    return Catalog(
        path=path, products=tuple(products), errors=tuple(sorted(errors, key=row_of)), url=stream.url,
        columns=stream.columns, skipped=tuple(skipped), source=stream.source,
    )  # fmt: skip


def stream_catalog(path: Path, options: CatalogOptions | None = None) -> CatalogStream:
    """A catalog file whose header is checked now and whose rows are read, validated and given one by one.

    Raises:
        CatalogError: the file itself cannot be read, or lacks a required column (no row is usable).
    """
    options = options or CatalogOptions()
    where = options.base_url or path
    table = read_table(path, options, where)
    entries: Iterable[Entry | CatalogError]
    if table.source.format == "shopify":
        entries, columns = shopify_entries(table, options, where)
    else:
        entries, columns = column_entries(table, options.column_map, where)
    log.info("%s: read as %s", where, ", ".join(f"{k} {v!r}" for k, v in table.source.as_dict().items()))
    items = _checked(entries, ProductBuilder(path, options), options, where)
    return CatalogStream(path=path, items=items, url=options.base_url, columns=columns, source=table.source)


def _checked(
    entries: Iterable[Entry | CatalogError], builder: ProductBuilder, options: CatalogOptions, where: Path | str
) -> Iterator[Product | CatalogError | SkippedRow]:
    """Each entry as a product, a skipped row or its error; a repeated id is an error naming the first."""
    first_rows: dict[str, int] = {}  # the one thing kept per row: a few dozen bytes
    given = skipped = 0
    for entry in entries:
        given += 1
        if isinstance(entry, CatalogError):
            yield entry
            continue
        sku = entry.values.get("id", "").strip()
        if sku in first_rows:
            yield CatalogError(f"duplicate id (first at row {first_rows[sku]})", file=where, row=entry.row, sku=sku,
                               column=entry.columns.get("id", "id"), line=entry.line)  # fmt: skip
            continue
        if sku:
            first_rows[sku] = entry.row
        if entry.unavailable is not None and not options.include_unavailable:
            skipped += 1
            yield SkippedRow(row=entry.row, sku=sku, reason=entry.unavailable)
            continue
        try:
            yield builder.build(entry)
        except CatalogError as exc:
            yield exc
    if skipped:
        log.info("%s: %d row(s) skipped as unavailable (include them with --include-unavailable)", where, skipped)
    if not given:
        log.warning("%s: no product rows, only a header", where)

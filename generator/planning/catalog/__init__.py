"""Product catalogs: every common export read into validated ``Product`` rows, a bad row failing alone.

::

    file ─► source (container from the bytes) ─► Table: records by column, unreadable rows as errors
             ├── delimited: CSV/TSV/;/| text in UTF-8, UTF-16 or Windows-1252 (encoding, csv)
             ├── xlsx: an Excel workbook's sheet
             └── xmlfeed: a Merchant Center RSS or Atom feed
         ─► dialect: Merchant/Meta columns (columns) or Shopify's rows per product (shopify) ─► Entry
         ─► integrity: duplicate ids fail, unavailable rows are skipped with their reason
         ─► product: required fields, prices (money), images, tidy text (text) ─► Product

Rows keep spreadsheet numbering (the header is row 1); an XML feed's items are numbered from 1.
Every error is a ``CatalogError`` naming the file, row, column and rule; the other rows go on.
"""

from __future__ import annotations

import logging
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
    Product,
    SkippedRow,
)
from generator.planning.catalog.money import Money, parse_money
from generator.planning.catalog.product import ProductBuilder
from generator.planning.catalog.shopify import shopify_entries
from generator.planning.catalog.source import read_table

__all__ = [
    "CANONICAL_COLUMNS", "CATALOG_FORMATS", "REQUIRED_COLUMNS", "Catalog", "CatalogFormat", "CatalogOptions",
    "CatalogSource", "Money", "Product", "SkippedRow", "load_catalog", "load_column_map", "parse_money",
]  # fmt: skip

log = logging.getLogger(__name__)


def load_catalog(path: Path, options: CatalogOptions | None = None) -> Catalog:
    """Read and validate a catalog file.

    Raises:
        CatalogError: the file itself cannot be read, or lacks a required column (no row is usable).
    """
    options = options or CatalogOptions()
    where = options.base_url or path
    table = read_table(path, options, where)
    errors = list(table.errors)
    if table.source.format == "shopify":
        entries, shopify_errors, columns = shopify_entries(table, options, where)
        errors += shopify_errors
    else:
        entries, columns = column_entries(table, options.column_map, where)
    log.info("%s: read as %s", where, ", ".join(f"{k} {v!r}" for k, v in table.source.as_dict().items()))
    builder = ProductBuilder(path, options)
    products: list[Product] = []
    skipped: list[SkippedRow] = []
    first_rows: dict[str, int] = {}
    for entry in entries:
        sku = entry.values.get("id", "").strip()
        if sku in first_rows:
            errors.append(CatalogError(f"duplicate id (first at row {first_rows[sku]})", file=where, row=entry.row, sku=sku,
                                       column=entry.columns.get("id", "id"), line=entry.line))  # fmt: skip
            continue
        if sku:
            first_rows[sku] = entry.row
        if entry.unavailable is not None and not options.include_unavailable:
            skipped.append(SkippedRow(row=entry.row, sku=sku, reason=entry.unavailable))
            continue
        try:
            products.append(builder.build(entry))
        except CatalogError as exc:
            errors.append(exc)
    if skipped:
        log.info("%s: %d row(s) skipped as unavailable (include them with --include-unavailable)", where, len(skipped))
    if not (products or skipped or errors):
        log.warning("%s: no product rows, only a header", where)
    return Catalog(
        path=path, products=tuple(products), errors=tuple(sorted(errors, key=lambda e: int(str(e.context.get("row", 0))))),
        url=options.base_url, columns=columns, skipped=tuple(skipped), source=table.source,
    )  # fmt: skip

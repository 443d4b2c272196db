"""Which reader a catalog file needs, and which column dialect its header speaks.

The container is told from the bytes, never from the file name (a fetched catalog has none): a
zip archive is an ``.xlsx`` workbook, a document starting with ``<`` is an XML feed, anything else
is delimited text. The dialect is told from the header: Shopify's ``Handle`` with its variant
columns, Meta's own columns (``fb_product_category``, ...), else Merchant Center's names.
``CatalogOptions.format`` overrides the dialect.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from generator.core.errors import CatalogError
from generator.planning.catalog.delimited import read_delimited
from generator.planning.catalog.model import CatalogOptions
from generator.planning.catalog.table import Table
from generator.planning.catalog.xlsx import read_workbook
from generator.planning.catalog.xmlfeed import looks_like_xml, read_feed

_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97-2003 .xls
_SHOPIFY_HANDLES = frozenset({"handle", "url handle"})
_SHOPIFY_VARIANTS = frozenset({"variant sku", "variant price", "sku", "price"})
_META_COLUMNS = frozenset(
    {"fb_product_category", "quantity_to_sell_on_facebook", "rich_text_description", "visibility"}
)


def read_table(path: Path, options: CatalogOptions, where: Path | str) -> Table:
    """The table in the catalog file at ``path``, with the format it was read as.

    Raises:
        CatalogError: the file is missing or unreadable as a whole, or is not what ``options.format`` says.
    """
    if not path.is_file():
        raise CatalogError("catalog file not found", file=where)
    try:
        with path.open("rb") as handle:
            head = handle.read(64)
    except OSError as exc:
        raise CatalogError(f"cannot read the catalog: {exc}", file=where) from exc
    if head.startswith(_OLE):
        raise CatalogError("an Excel 97-2003 (.xls) workbook; save it as .xlsx or CSV", file=where)
    workbook = head.startswith(_ZIP)
    if options.sheet is not None and not workbook:
        raise CatalogError(
            f"a sheet ({options.sheet!r}) was given, but the catalog is not an .xlsx workbook", file=where
        )
    if looks_like_xml(head):
        if options.format not in ("auto", "merchant-xml"):
            raise CatalogError(f"the catalog is an XML feed (merchant-xml), not {options.format}", file=where)
        return read_feed(path, where)
    if options.format == "merchant-xml":
        raise CatalogError("the format merchant-xml was given, but the catalog is not XML", file=where)
    table = read_workbook(path, where, options.sheet) if workbook else read_delimited(path.read_bytes(), where)
    dialect = detect_dialect(table.columns) if options.format == "auto" else options.format
    return replace(table, source=replace(table.source, format=dialect))


def detect_dialect(columns: tuple[str, ...]) -> str:
    """``shopify``, ``meta`` or ``merchant``, from a header's column names."""
    names = {name.strip().lower() for name in columns}
    if names & _SHOPIFY_HANDLES and names & _SHOPIFY_VARIANTS:
        return "shopify"
    if names & _META_COLUMNS:
        return "meta"
    return "merchant"

"""Product catalogs: CSV/TSV feeds read with pandas, normalised into validated ``Product`` rows.

Google Merchant Center column names are understood natively (a ``g:`` prefix is ignored); other
feeds are mapped onto them with a column map (``{canonical: source column}``, e.g. from a YAML
file). Every row is validated on its own: a bad row becomes a ``CatalogError`` naming the row
(spreadsheet numbering, the header is row 1), column and rule, and the other rows go on.

An ``image_link`` that is an ``https://``, ``http://`` or ``s3://`` URL is downloaded through the
options' ``Fetcher``; in a catalog that was itself fetched (``base_url``), relative links are
joined against the catalog's URL, so every image of a remote catalog is remote too.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import pandas as pd
import yaml
from babel.numbers import list_currencies

from generator.assets import DEFAULT_MAX_PIXELS, AssetRoot, ImageAsset, load_image_asset, resolve_ref
from generator.errors import AssetError, CatalogError, ConfigError
from generator.fetch import Fetcher, is_url, join_url

CANONICAL_COLUMNS = (
    "id", "title", "description", "link", "image_link", "additional_image_link", "price",
    "sale_price", "brand", "product_type", "google_product_category", "color", "size",
    "product_highlight", "vertical",
    "custom_label_0", "custom_label_1", "custom_label_2", "custom_label_3", "custom_label_4",
)  # fmt: skip
REQUIRED_COLUMNS = ("id", "title", "price", "image_link")

_CURRENCIES = frozenset(list_currencies())
_PRICE = re.compile(r"^\s*(?:([A-Za-z]{3})\s*)?([0-9][0-9.,\s\u00a0']*)\s*(?:([A-Za-z]{3}))?\s*$")
_LIST_SEPARATORS = re.compile(r"\s*[|;\n]\s*")


@dataclass(frozen=True)
class Money:
    """An amount in an ISO 4217 currency; ``amount`` is exact."""

    amount: Decimal
    currency: str

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


@dataclass(frozen=True)
class Product:
    """One validated catalog row; the only product data templates and plans see.

    ``row`` is the spreadsheet row number (header = 1). ``highlights`` come from the
    ``product_highlight`` column, split on ``|``, ``;`` or newlines. ``extra`` keeps every
    other column as text.
    """

    row: int
    sku: str
    title: str
    price: Money
    image: ImageAsset
    sale_price: Money | None = None
    description: str = ""
    link: str = ""
    brand: str = ""
    product_type: str = ""
    google_product_category: str = ""
    color: str = ""
    size: str = ""
    vertical: str = ""
    highlights: tuple[str, ...] = ()
    custom_labels: tuple[str, ...] = ("", "", "", "", "")
    additional_images: tuple[str, ...] = ()
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def discount(self) -> Decimal | None:
        """Fraction off the regular price (0.25 for 25 % off), or None without a sale."""
        if self.sale_price is None or self.price.amount == 0:
            return None
        return (self.price.amount - self.sale_price.amount) / self.price.amount

    def field_value(self, name: str) -> object:
        """The value of a canonical or extra column by name, for ``requires`` checks."""
        if name.startswith("custom_label_") and name[-1].isdigit():
            return self.custom_labels[int(name[-1])]
        aliases = {"id": "sku", "image_link": "image", "product_highlight": "highlights"}
        if hasattr(self, aliases.get(name, name)):
            return getattr(self, aliases.get(name, name))
        return self.extra.get(name, "")


@dataclass(frozen=True)
class Catalog:
    """A loaded catalog: its good rows and one error per bad row."""

    path: Path
    products: tuple[Product, ...]
    errors: tuple[CatalogError, ...]
    url: str | None = None  # where the catalog was fetched from, if it was
    columns: tuple[str, ...] = ()  # canonical names of the columns it has, then its other columns as written

    @property
    def name(self) -> str:
        """The catalog's URL, or its path: how messages name it."""
        return self.url or str(self.path)

    def rows(self) -> list[Product | CatalogError]:
        """Good and bad rows together, in file order."""
        def row_number(item: Product | CatalogError) -> int:
            return item.row if isinstance(item, Product) else int(str(item.context["row"]))

        return sorted([*self.products, *self.errors], key=row_number)


@dataclass(frozen=True)
class CatalogOptions:
    """How to read a catalog.

    Attributes:
        column_map: canonical column -> the feed's column name.
        default_currency: used for prices written without a currency code.
        asset_roots: folders image paths may point into; default: the catalog's own folder.
        max_pixels: largest image accepted, in pixels.
        fetcher: downloads URL image links; None refuses them.
        base_url: the URL the catalog file was fetched from; relative image links are joined against it.
    """

    column_map: Mapping[str, str] = field(default_factory=dict)
    default_currency: str | None = None
    asset_roots: tuple[Path, ...] = ()
    max_pixels: int = DEFAULT_MAX_PIXELS
    fetcher: Fetcher | None = None
    base_url: str | None = None


def load_column_map(path: Path) -> dict[str, str]:
    """Read a YAML/JSON mapping ``canonical column: feed column``."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read column map: {exc}", file=path) from exc
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
        raise ConfigError("a column map is a mapping of canonical column names to feed column names", file=path)
    unknown = sorted(set(data) - set(CANONICAL_COLUMNS))
    if unknown:
        raise ConfigError(f"unknown canonical columns {unknown}; known: {', '.join(CANONICAL_COLUMNS)}", file=path)
    return dict(data)


def parse_money(text: str, default_currency: str | None = None) -> Money:
    """Parse ``19.99 USD``, ``USD 19.99``, ``1,299.00 EUR`` or ``19,99 EUR`` exactly.

    Raises:
        ValueError: the text is not an amount with a known ISO 4217 currency.
    """
    match = _PRICE.match(text)
    if not match or (match.group(1) and match.group(3)):
        raise ValueError(f"{text!r} is not a price like '19.99 USD'")
    currency = (match.group(1) or match.group(3) or default_currency or "").upper()
    if not currency:
        raise ValueError(f"{text!r} has no currency code; write it like '19.99 USD'")
    if currency not in _CURRENCIES:
        raise ValueError(f"{currency!r} is not an ISO 4217 currency code")
    digits = re.sub(r"[\s\u00a0']", "", match.group(2))
    decimal_sep = _decimal_separator(digits)
    integer, _, fraction = digits.rpartition(decimal_sep) if decimal_sep else (digits, "", "")
    integer = integer.replace(",", "").replace(".", "")
    try:
        amount = Decimal(f"{integer or 0}.{fraction}" if fraction else integer)
    except InvalidOperation:
        raise ValueError(f"{text!r} is not a price like '19.99 USD'") from None
    if amount < 0:
        raise ValueError(f"{text!r} is negative")
    return Money(amount, currency)


def _decimal_separator(digits: str) -> str | None:
    """Which of ``.`` and ``,`` separates decimals in ``digits``, if any.

    With both present the last one does; a separator that repeats groups thousands; a lone comma
    followed by exactly three digits groups thousands ("1,299"), any other lone one is decimal.
    """
    last_dot, last_comma = digits.rfind("."), digits.rfind(",")
    if last_dot >= 0 and last_comma >= 0:
        return "." if last_dot > last_comma else ","
    for sep in (".", ","):
        if digits.count(sep) > 1:
            return None
        if digits.count(sep) == 1:
            return None if sep == "," and len(digits) - digits.index(sep) - 1 == 3 else sep
    return None


def load_catalog(path: Path, options: CatalogOptions | None = None) -> Catalog:
    """Read and validate a catalog file.

    Raises:
        CatalogError: the file itself cannot be read or lacks a required column (no row is usable).
    """
    options = options or CatalogOptions()
    frame = _read_frame(path, options.base_url)
    columns = _map_columns(options.base_url or path, list(frame.columns), options.column_map)
    roots = [AssetRoot("catalog", path.parent)] + [
        AssetRoot(f"root{i}", root) for i, root in enumerate(options.asset_roots)
    ]
    images: dict[str, ImageAsset] = {}
    products: list[Product] = []
    errors: list[CatalogError] = []
    for index, raw in enumerate(frame.to_dict("records")):
        record = {str(name): value for name, value in raw.items()}
        values = {name: str(record[source]).strip() for name, source in columns.items()}
        if not any(str(v).strip() for v in record.values()):
            continue  # blank line, e.g. trailing separators
        row = index + 2
        try:
            products.append(_build_product(path, row, values, record, columns, roots, images, options))
        except CatalogError as exc:
            errors.append(exc)
    used = set(columns.values())
    names = (*columns, *(str(name) for name in frame.columns if name not in used))
    return Catalog(path=path, products=tuple(products), errors=tuple(errors), url=options.base_url, columns=names)


def _read_frame(path: Path, url: str | None) -> pd.DataFrame:
    """The catalog as text columns; ``url`` (where it was fetched from) names it and gives its suffix."""
    where = url or path
    if not path.is_file():
        raise CatalogError("catalog file not found", file=where)
    suffix = PurePosixPath(urlsplit(url).path).suffix if url else path.suffix
    separator = "\t" if suffix.lower() in (".tsv", ".txt") else ","
    try:
        return pd.read_csv(
            path,
            sep=separator,
            dtype=str,
            keep_default_na=False,
            encoding="utf-8-sig",
            skip_blank_lines=False,  # a blank line still counts as a spreadsheet row
            quoting=csv.QUOTE_MINIMAL,
        )
    except UnicodeDecodeError as exc:
        raise CatalogError(f"not UTF-8 text (byte {exc.start}); export the feed as UTF-8", file=where) from exc
    except (pd.errors.ParserError, pd.errors.EmptyDataError, OSError) as exc:
        raise CatalogError(f"cannot parse as CSV: {exc}", file=where) from exc


def _map_columns(path: Path | str, present: list[str], column_map: Mapping[str, str]) -> dict[str, str]:
    """Return canonical name -> source column for every column we can use."""
    normalised = {name.strip().removeprefix("g:").lower(): name for name in present}
    mapping: dict[str, str] = {}
    for canonical in CANONICAL_COLUMNS:
        source = column_map.get(canonical)
        if source is not None:
            if source not in present:
                raise CatalogError(f"column map names {source!r} for {canonical}, but the file has no such column", file=path)
            mapping[canonical] = source
        elif canonical in normalised:
            mapping[canonical] = normalised[canonical]
    missing = [c for c in REQUIRED_COLUMNS if c not in mapping]
    if missing:
        raise CatalogError(
            f"missing required column(s) {', '.join(missing)}; found {', '.join(present)} "
            "(map your own names with a column map)",
            file=path,
        )
    return mapping


def _build_product(
    path: Path,
    row: int,
    values: dict[str, str],
    record: dict[str, object],
    columns: dict[str, str],
    roots: list[AssetRoot],
    images: dict[str, ImageAsset],
    options: CatalogOptions,
) -> Product:
    sku = values.get("id", "")

    def fail(column: str, message: str, cause: Exception | None = None) -> CatalogError:
        error = CatalogError(message, file=options.base_url or path, row=row, sku=sku or None, column=columns.get(column, column))
        error.__cause__ = cause
        return error

    for name in ("id", "title"):
        if not values.get(name):
            raise fail(name, f"{name} is required and empty")
    try:
        price = parse_money(values["price"], options.default_currency)
    except ValueError as exc:
        raise fail("price", str(exc)) from None
    sale_price = None
    if values.get("sale_price"):
        try:
            sale_price = parse_money(values["sale_price"], options.default_currency)
        except ValueError as exc:
            raise fail("sale_price", str(exc)) from None
        if sale_price.currency != price.currency:
            raise fail("sale_price", f"sale price currency {sale_price.currency} differs from price currency {price.currency}")
        if sale_price.amount > price.amount:
            raise fail("sale_price", f"sale price {sale_price} is above the price {price}")
    if not values.get("image_link"):
        raise fail("image_link", "image_link is required and empty")
    link = values["image_link"]
    if options.base_url is not None:
        link = join_url(options.base_url, link)
    try:
        if is_url(link):
            if link not in images:
                images[link] = _remote_image(link, options)
            image = images[link]
        else:
            image_path, source = resolve_ref(link, path.parent, roots)
            if source not in images:
                images[source] = load_image_asset(image_path, source, max_pixels=options.max_pixels)
            image = images[source]
    except AssetError as exc:
        message = exc.message if is_url(link) else f"{exc.message}: {link}"
        raise fail("image_link", message, exc) from None
    used = set(columns.values())
    return Product(
        row=row,
        sku=sku,
        title=values["title"],
        price=price,
        sale_price=sale_price,
        image=image,
        description=values.get("description", ""),
        link=values.get("link", ""),
        brand=values.get("brand", ""),
        product_type=values.get("product_type", ""),
        google_product_category=values.get("google_product_category", ""),
        color=values.get("color", ""),
        size=values.get("size", ""),
        vertical=values.get("vertical", "").lower(),
        highlights=tuple(h for h in _LIST_SEPARATORS.split(values.get("product_highlight", "")) if h),
        custom_labels=tuple(values.get(f"custom_label_{i}", "") for i in range(5)),
        additional_images=tuple(a for a in values.get("additional_image_link", "").split(",") if a.strip()),
        extra={str(k): str(v) for k, v in record.items() if k not in used},
    )



def _remote_image(url: str, options: CatalogOptions) -> ImageAsset:
    """Download ``url`` and validate it; the asset's source is the URL, its sha256 the content hash."""
    if options.fetcher is None:
        raise AssetError(f"{url}: image URLs are not enabled here (no fetcher); use a local path", path=url)
    try:
        return load_image_asset(options.fetcher.fetch(url, "image"), url, max_pixels=options.max_pixels)
    except AssetError as exc:
        if exc.message.startswith(url):
            raise
        raise AssetError(f"{url}: {exc.message}", path=url) from exc

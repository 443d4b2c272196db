"""The catalog's public types: products, skipped rows, the loaded catalog, and how to read one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Literal, Protocol

from generator.core.errors import CatalogError
from generator.core.images import DEFAULT_MAX_PIXELS
from generator.core.urls import UrlFetcher
from generator.planning.assets import ImageAsset
from generator.planning.catalog.dates import SaleWindow
from generator.planning.catalog.details import Detail
from generator.planning.catalog.money import Money
from generator.planning.catalog.ratings import Rating

CANONICAL_COLUMNS = (
    "id", "title", "description", "link", "image_link", "additional_image_link", "price",
    "sale_price", "brand", "product_type", "google_product_category", "color", "size",
    "product_highlight", "vertical", "availability", "item_group_id",
    "custom_label_0", "custom_label_1", "custom_label_2", "custom_label_3", "custom_label_4",
    "sale_price_effective_date", "product_detail", "material", "product_rating", "product_review_count",
)  # fmt: skip
MAX_ADDITIONAL_IMAGES = 10  # as many as Merchant Center takes; later ones are left out with a warning
REQUIRED_COLUMNS = ("id", "title", "price", "image_link")

CatalogFormat = Literal["auto", "merchant", "meta", "shopify", "merchant-xml"]
CATALOG_FORMATS: tuple[CatalogFormat, ...] = ("auto", "merchant", "meta", "shopify", "merchant-xml")


@dataclass(frozen=True)
class Product:
    """One validated catalog row; the only product data templates and plans see.

    ``row`` is the spreadsheet row number (header = 1; in an XML feed, the item's number).
    Text fields are tidied for display (``generator.planning.catalog.text``); ``raw`` keeps every value
    exactly as read, by canonical name or, for other columns, by the column's own name.
    ``highlights`` come from the ``product_highlight`` column, split on ``|``, ``;`` or newlines.
    ``extra`` keeps every other column as text.
    ``additional_images`` are the ``additional_image_link`` images that loaded (at most
    ``MAX_ADDITIONAL_IMAGES``), validated as ``image`` is; ``images`` is ``image`` and then those.
    ``sale`` is when ``sale_price`` applies (``sale_price_effective_date``); ``details`` come from
    ``product_detail``; ``rating`` from ``product_rating`` and ``product_review_count``. ``warnings`` are
    this row's problems that cost it a value but not the row (a bad additional image, a link that is no URL).
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
    additional_images: tuple[ImageAsset, ...] = ()
    extra: Mapping[str, str] = field(default_factory=dict)
    availability: str = ""
    item_group_id: str = ""
    raw: Mapping[str, str] = field(default_factory=dict)
    material: str = ""
    details: tuple[Detail, ...] = ()
    sale: SaleWindow | None = None
    rating: Rating | None = None
    warnings: tuple[CatalogError, ...] = field(default=(), compare=False, repr=False)

    @cached_property
    def images(self) -> tuple[ImageAsset, ...]:
        """The main image, then the additional ones."""
        return (self.image, *self.additional_images)

    @property
    def sale_starts(self) -> dt.datetime | None:
        """When the sale starts, as the feed wrote it; None without a ``sale_price_effective_date``."""
        return self.sale.start if self.sale is not None else None

    @property
    def sale_ends(self) -> dt.datetime | None:
        """When the sale ends, as the feed wrote it; None without a ``sale_price_effective_date``."""
        return self.sale.end if self.sale is not None else None

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
        aliases = {
            "id": "sku", "image_link": "image", "product_highlight": "highlights", "additional_image_link": "additional_images",
            "sale_price_effective_date": "sale", "product_detail": "details", "product_rating": "rating",
            "product_review_count": "rating",
        }  # fmt: skip
        if hasattr(self, aliases.get(name, name)):
            return getattr(self, aliases.get(name, name))
        return self.extra.get(name, "")


@dataclass(frozen=True)
class SkippedRow:
    """A row that is not for sale (out of stock, a draft, unpublished): not rendered, and why."""

    row: int
    sku: str
    reason: str


@dataclass(frozen=True)
class CatalogSource:
    """What a catalog file was: its format, container, text encoding and delimiter, or sheet.

    ``format`` is the column dialect (``merchant``, ``meta``, ``shopify``, ``merchant-xml``);
    ``container`` is ``csv`` (any delimited text), ``xlsx`` or ``xml``.
    """

    format: str
    container: str
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None

    def as_dict(self) -> dict[str, str]:
        """The fields that apply, for the run summary."""
        return {k: v for k, v in vars(self).items() if v is not None}


@dataclass(frozen=True)
class Catalog:
    """A loaded catalog: its good rows, one error per bad row, and the rows skipped as unavailable."""

    path: Path
    products: tuple[Product, ...]
    errors: tuple[CatalogError, ...]
    url: str | None = None  # where the catalog was fetched from, if it was
    columns: tuple[str, ...] = ()  # canonical names of the columns it has, then its other columns as written
    skipped: tuple[SkippedRow, ...] = ()
    source: CatalogSource | None = None

    @property
    def name(self) -> str:
        """The catalog's URL, or its path: how messages name it."""
        return self.url or str(self.path)

    @property
    def warnings(self) -> tuple[CatalogError, ...]:
        """The good rows' warnings (``Product.warnings``), in row order."""
        return tuple(warning for product in self.products for warning in product.warnings)

    def rows(self) -> list[Product | CatalogError | SkippedRow]:
        """Good, bad and skipped rows together, in file order."""
        return sorted([*self.products, *self.errors, *self.skipped], key=row_of)


@dataclass(frozen=True)
class CatalogStream:
    """A catalog read as it is used: its header is checked, its rows are read, checked and given once, in file
    order, without the catalog being held (``load_catalog`` holds it whole)."""

    path: Path
    items: Iterator[Product | CatalogError | SkippedRow]
    url: str | None = None
    columns: tuple[str, ...] = ()
    source: CatalogSource | None = None

    @property
    def name(self) -> str:
        """The catalog's URL, or its path: how messages name it."""
        return self.url or str(self.path)

    def rows(self) -> Iterator[Product | CatalogError | SkippedRow]:
        """Good, bad and skipped rows together, in file order, each once."""
        return self.items


class _Numbered(Protocol):
    @property
    def row(self) -> int: ...


def row_of(item: CatalogError | _Numbered) -> int:
    """The row a catalog item is on, or an error is about (0: the file as a whole)."""
    return int(str(item.context.get("row", 0))) if isinstance(item, CatalogError) else item.row


@dataclass(frozen=True)
class CatalogOptions:
    """How to read a catalog.

    Attributes:
        column_map: canonical column -> the feed's column name.
        default_currency: ISO code for prices written without one, and for symbols several
            currencies share (``$``, ``¥``); required for Shopify exports, which have no currency.
        asset_roots: folders image paths may point into; default: the catalog's own folder.
        max_pixels: largest image accepted, in pixels.
        fetcher: downloads URL image links; None refuses them.
        base_url: the URL the catalog file was fetched from; relative image links are joined against it.
        format: the column dialect; ``auto`` tells it from the file's content.
        sheet: the sheet of an Excel workbook to read; None: the first.
        variants: Shopify: one product per variant instead of one per product.
        include_unavailable: keep rows that are out of stock, drafts, archived or unpublished.
    """

    column_map: Mapping[str, str] = field(default_factory=dict)
    default_currency: str | None = None
    asset_roots: tuple[Path, ...] = ()
    max_pixels: int = DEFAULT_MAX_PIXELS
    fetcher: UrlFetcher | None = None
    base_url: str | None = None
    format: CatalogFormat = "auto"
    sheet: str | None = None
    variants: bool = False
    include_unavailable: bool = False

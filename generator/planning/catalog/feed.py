"""A row's feed fields beyond the essentials: additional images, the sale period, details, the rating, the link.

A bad additional image, a malformed detail or a link that is no web address costs the row that value
and gives it a warning (``Product.warnings``) naming the file, row, column and why; a sale period or
rating that cannot be read is an error for the row, as a bad price is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol
from urllib.parse import urlsplit

from generator.core.errors import AssetError, CatalogError
from generator.core.urls import join_url
from generator.planning.assets import ImageAsset
from generator.planning.catalog.dates import parse_sale_window
from generator.planning.catalog.details import parse_details
from generator.planning.catalog.model import MAX_ADDITIONAL_IMAGES, CatalogOptions
from generator.planning.catalog.ratings import Rating, parse_count, parse_rating
from generator.planning.catalog.table import Entry


class _Builder(Protocol):
    @property
    def options(self) -> CatalogOptions: ...

    def error(self, entry: Entry, column: str, message: str, **context: object) -> CatalogError: ...

    def image(self, link: str) -> ImageAsset: ...


def feed_fields(builder: _Builder, entry: Entry, image: ImageAsset, on_sale: bool) -> dict[str, Any]:
    """``Product`` fields of ``entry`` (whose main image is ``image``) read by this module, by name.

    Raises:
        CatalogError: the sale period or the rating cannot be read, or the rating is outside its scale.
    """
    values = entry.values
    warnings: list[CatalogError] = []

    def warn(column: str, message: str, **context: object) -> None:
        warnings.append(builder.error(entry, column, message, **context))

    sale = None
    written = values.get("sale_price_effective_date", "").strip()
    if written:
        try:
            sale = parse_sale_window(written)
        except ValueError as exc:
            raise builder.error(entry, "sale_price_effective_date", str(exc)) from None
        if not on_sale:
            warn("sale_price_effective_date", "a sale period without a sale_price is ignored")
            sale = None
    details, bad = parse_details(values.get("product_detail", ""))
    for part in bad:
        warn("product_detail", f"{part!r} is not section:attribute:value; it is left out")
    link = values.get("link", "").strip()
    parts = urlsplit(link)
    if link and (parts.scheme not in ("http", "https") or not parts.netloc):
        warn("link", f"{link!r} is not a web address (http:// or https://); the link is left empty")
        link = ""
    return {
        "additional_images": _additional_images(builder, entry, image, warn),
        "sale": sale,
        "details": details,
        "rating": _rating(builder, entry),
        "link": link,
        "warnings": tuple(warnings),
    }


def _additional_images(
    builder: _Builder, entry: Entry, image: ImageAsset, warn: Callable[..., None]
) -> tuple[ImageAsset, ...]:
    links = [a.strip() for a in entry.values.get("additional_image_link", "").split(",") if a.strip()]
    if len(links) > MAX_ADDITIONAL_IMAGES:
        warn("additional_image_link", f"{len(links)} additional images; the first {MAX_ADDITIONAL_IMAGES} are used")
    loaded: dict[str, ImageAsset] = {}
    for link in links[:MAX_ADDITIONAL_IMAGES]:
        if builder.options.base_url is not None:
            link = join_url(builder.options.base_url, link)
        try:
            asset = builder.image(link)
        except AssetError as exc:
            warn("additional_image_link", f"{exc.message}; this image is left out", **{**exc.context, "path": link})
            continue
        if asset.source != image.source:
            loaded.setdefault(asset.source, asset)
    return tuple(loaded.values())


def _rating(builder: _Builder, entry: Entry) -> Rating | None:
    written, count = (entry.values.get(name, "").strip() for name in ("product_rating", "product_review_count"))
    if not written:
        return None
    try:
        value = parse_rating(written)
    except ValueError as exc:
        raise builder.error(entry, "product_rating", str(exc)) from None
    try:
        return Rating(value, parse_count(count) if count else None)
    except ValueError as exc:
        raise builder.error(entry, "product_review_count", str(exc)) from None


# Product attributes of the feed fields this module reads, and the columns that feed them (for lint).
FEED_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "images": ("image_link",),
    "additional_images": ("additional_image_link",),
    "sale": ("sale_price_effective_date",),
    "sale_starts": ("sale_price_effective_date",),
    "sale_ends": ("sale_price_effective_date",),
    "details": ("product_detail",),
    "rating": ("product_rating",),
    "material": ("material",),
}
# Feed columns that are no product attribute of the same name.
FEED_COLUMNS = ("sale_price_effective_date", "product_detail", "product_rating", "product_review_count")
# Attributes a row often lacks, and the column a template names in ``requires`` or ``optional`` to read them.
OPTIONAL_ATTRIBUTES: dict[str, str] = {
    "images": "additional_image_link",
    "additional_images": "additional_image_link",
    "sale": "sale_price_effective_date",
    "sale_starts": "sale_price_effective_date",
    "sale_ends": "sale_price_effective_date",
    "details": "product_detail",
    "rating": "product_rating",
    "material": "material",
}

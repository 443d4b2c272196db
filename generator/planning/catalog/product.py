"""One entry validated into a ``Product``: required fields, exact prices, a loaded image, tidy text.

An ``image_link`` that is an ``https://``, ``http://`` or ``s3://`` URL is downloaded through the
options' ``fetcher`` (a ``UrlFetcher``); in a catalog that was itself fetched (``base_url``), relative links are
joined against the catalog's URL, so every image of a remote catalog is remote too. Rows sharing
an image share one validated asset.

The fields of ``feed`` (additional images, the sale period, details, the rating, the link) are read by
``generator.planning.catalog.feed``; what costs a row a value but not the row becomes one of its warnings.
"""

from __future__ import annotations

import re
from pathlib import Path

from generator.core.errors import AssetError, CatalogError
from generator.core.urls import is_url, join_url
from generator.planning.assets import AssetRoot, ImageAsset, load_image_asset, resolve_ref
from generator.planning.catalog.feed import feed_fields
from generator.planning.catalog.model import CatalogOptions, Product
from generator.planning.catalog.money import Money, parse_money
from generator.planning.catalog.table import Entry
from generator.planning.catalog.text import block, html_to_text, one_line

_LIST_SEPARATORS = re.compile(r"\s*[|;\n]\s*")
_ONE_LINE = (
    "title", "brand", "product_type", "google_product_category", "color", "size", "vertical", "availability", "item_group_id",
)  # fmt: skip


class ProductBuilder:
    """Builds the products of one catalog file's entries, loading each image once."""

    def __init__(self, path: Path, options: CatalogOptions) -> None:
        self.path = path
        self.options = options
        self.where: Path | str = options.base_url or path
        self.roots = [AssetRoot("catalog", path.parent)] + [
            AssetRoot(f"root{i}", root) for i, root in enumerate(options.asset_roots)
        ]
        self.images: dict[str, ImageAsset] = {}  # by URL or source
        self.paths: dict[str, ImageAsset] = {}  # by local link as written

    def build(self, entry: Entry) -> Product:
        """The product of ``entry``.

        Raises:
            CatalogError: a rule is broken; the error names the row, SKU, column and rule.
        """
        values = entry.values
        sku = values.get("id", "").strip()
        text = {name: one_line(values.get(name, "")) for name in _ONE_LINE}
        for name, value in (("id", sku), ("title", text["title"]), ("price", values.get("price", "").strip())):
            if not value:
                raise self.error(entry, name, f"{name} is required and empty")
        price = self._money(entry, "price")
        sale_price = self._money(entry, "sale_price") if values.get("sale_price", "").strip() else None
        if sale_price is not None:
            if sale_price.currency != price.currency:
                message = f"sale price currency {sale_price.currency} differs from price currency {price.currency}"
                raise self.error(entry, "sale_price", message)
            if sale_price.amount > price.amount:
                raise self.error(entry, "sale_price", f"sale price {sale_price} is above the price {price}")
        link = values.get("image_link", "").strip()
        if not link:
            raise self.error(entry, "image_link", "image_link is required and empty")
        if self.options.base_url is not None:
            link = join_url(self.options.base_url, link)
        try:
            image = self.image(link)
        except AssetError as exc:
            raise self.error(entry, "image_link", exc.message, **{**exc.context, "path": link}) from exc
        description = values.get("description", "")
        used = set(entry.columns.values())
        return Product(
            row=entry.row,
            sku=sku,
            title=text["title"],
            price=price,
            sale_price=sale_price,
            image=image,
            description=html_to_text(description) if "description" in entry.html_columns else block(description),
            brand=text["brand"],
            product_type=text["product_type"],
            google_product_category=text["google_product_category"],
            color=text["color"],
            size=text["size"],
            vertical=text["vertical"].lower(),
            highlights=tuple(
                one_line(h) for h in _LIST_SEPARATORS.split(values.get("product_highlight", "")) if h.strip()
            ),
            custom_labels=tuple(one_line(values.get(f"custom_label_{i}", "")) for i in range(5)),
            extra={name: block(value) for name, value in entry.extra.items() if name not in used},
            availability=text["availability"],
            item_group_id=text["item_group_id"],
            raw={**entry.extra, **values},
            material=one_line(values.get("material", "")),
            **feed_fields(self, entry, image, sale_price is not None),
        )

    def error(self, entry: Entry, column: str, message: str, **context: object) -> CatalogError:
        sku = entry.values.get("id", "").strip() or None
        column = entry.columns.get(column, column)
        return CatalogError(message, file=self.where, row=entry.row, sku=sku, column=column, line=entry.line, **context)

    def _money(self, entry: Entry, column: str) -> Money:
        try:
            return parse_money(entry.values.get(column, ""), self.options.default_currency)
        except ValueError as exc:
            raise self.error(entry, column, str(exc)) from None

    def image(self, link: str) -> ImageAsset:
        """The validated image at ``link`` (a path under the roots, or a URL), loaded once per catalog."""
        if is_url(link):
            if link not in self.images:
                self.images[link] = self._remote_image(link)
            return self.images[link]
        if link not in self.paths:
            image_path, source = resolve_ref(link, self.path.parent, self.roots)
            if source not in self.images:
                self.images[source] = load_image_asset(image_path, source, max_pixels=self.options.max_pixels)
            self.paths[link] = self.images[source]
        return self.paths[link]

    def _remote_image(self, url: str) -> ImageAsset:
        """Download ``url`` and validate it; the asset's source is the URL, its sha256 the content hash."""
        if self.options.fetcher is None:
            raise AssetError("image URLs are not enabled here (no fetcher); use a local path", path=url)
        return load_image_asset(self.options.fetcher.fetch(url, "image"), url, max_pixels=self.options.max_pixels)

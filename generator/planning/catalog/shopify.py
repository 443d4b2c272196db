"""Shopify product exports, as Shopify writes them (the classic and the 2024 column names).

The rows sharing a ``Handle`` are one product: the first, with its ``Title``, holds the product's
fields and its first variant; the next rows hold more variants (``Variant SKU``, ``Variant
Price``, ``OptionN Value``) and images (``Image Src`` with ``Image Position``); image-only rows
hold nothing else. ``Product Category`` (or, in older exports without it, ``Google Shopping / Google
Product Category``) becomes ``google_product_category``, which routes the product to a template.

By default a product gives one entry: its first variant's SKU (the handle when that is empty) and
price, its first image by position, the other images as ``additional_image_link``. With
``variants`` each variant gives one: its SKU (required), the title followed by its option values
(``Tee - Red / M``), its ``Variant Image`` when it has one. ``Color``/``Colour`` and ``Size``
options fill ``color`` and ``size``. A ``Variant Compare At Price`` above the variant's price
is a sale: the price is the compare-at price, the sale price the variant's. ``Body (HTML)``
becomes plain text. Shopify writes no currency, so one must be given. Products whose ``Status``
is ``draft`` or ``archived``, or whose ``Published`` is false, are unavailable. The review metafield
columns review apps fill (``Rating (product.metafields.reviews.rating)``, its JSON value, and
``... (product.metafields.reviews.rating_count)``) become ``product_rating`` and ``product_review_count``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from generator.core.errors import CatalogError
from generator.planning.catalog.model import CatalogOptions, row_of
from generator.planning.catalog.money import parse_money
from generator.planning.catalog.table import Entry, Record, Table

_ALIASES = {
    "handle": ("handle", "url handle"), "title": ("title",), "body": ("body (html)", "description"),
    "vendor": ("vendor",), "type": ("type",),
    "category": ("product category", "google shopping / google product category"),
    "published": ("published", "published on online store"), "status": ("status",),
    "sku": ("variant sku", "sku"), "price": ("variant price", "price"),
    "compare_at": ("variant compare at price", "compare-at price"),
    "image": ("image src", "product image url"), "image_position": ("image position",),
    "variant_image": ("variant image", "variant image url"),
    **{f"option{n}_{part}": (f"option{n} {part}",) for n in (1, 2, 3) for part in ("name", "value")},
}  # fmt: skip
_CANONICAL = {
    "title": "title",
    "body": "description",
    "vendor": "brand",
    "type": "product_type",
    "category": "google_product_category",
}
# Review apps write a product's rating to Shopify's standard review metafields, which the export names so.
_RATING_COLUMNS = {
    "product_rating": "(product.metafields.reviews.rating)",
    "product_review_count": "(product.metafields.reviews.rating_count)",
}
_VARIANT_KEYS = ("sku", "price", "compare_at", "option1_value", "option2_value", "option3_value")
_UNPUBLISHED = frozenset({"false", "no", "0"})
_UNAVAILABLE_STATUS = frozenset({"draft", "archived"})
_NO_OPTION = "Default Title"  # Shopify's option value for a product without options


def shopify_entries(
    table: Table, options: CatalogOptions, where: Path | str
) -> tuple[list[Entry | CatalogError], tuple[str, ...]]:
    """The entries of a Shopify export with an error per row or product that cannot be one, in row order,
    and the column names. A product's rows may lie anywhere in the file, so all of them are read first.

    Raises:
        CatalogError: no currency is given, or a column Shopify always writes is missing.
    """
    names = _resolve(table.columns)
    ratings = {
        canonical: name
        for canonical, suffix in _RATING_COLUMNS.items()
        for name in table.columns
        if name.strip().lower().endswith(suffix)
    }
    missing = [
        label
        for key, label in (("handle", "Handle"), ("title", "Title"), ("price", "Variant Price"))
        if key not in names
    ]
    if missing:
        raise CatalogError(f"not a Shopify product export: no column {', '.join(missing)}", file=where)
    if options.default_currency is None:
        raise CatalogError("a Shopify export has no currency; pass --currency (for example --currency USD)", file=where)
    groups: dict[str, list[Record]] = {}
    errors: list[CatalogError] = []
    for record in table.rows:
        if isinstance(record, CatalogError):
            errors.append(record)
            continue
        handle = record.values.get(names["handle"], "").strip()
        if handle:
            groups.setdefault(handle, []).append(record)
        else:
            errors.append(CatalogError("the handle is empty", file=where, row=record.row, column=names["handle"]))
    entries: list[Entry] = []
    for handle, records in groups.items():
        try:
            entries += _product(handle, records, names, options, where, ratings)
        except CatalogError as exc:
            errors.append(exc)
    used = set(names.values())
    canonical = ["id", "title", "description", "price", "image_link", "additional_image_link"]
    canonical += [_CANONICAL[key] for key in ("vendor", "type", "category") if key in names]
    canonical += ["sale_price"] * ("compare_at" in names) + ["color", "size"] * ("option1_name" in names)
    canonical += list(ratings)
    used |= set(ratings.values())
    everything: list[Entry | CatalogError] = [*entries, *errors]
    in_order = sorted(everything, key=row_of)
    return in_order, (*canonical, *(name for name in table.columns if name and name not in used))


def _resolve(columns: tuple[str, ...]) -> dict[str, str]:
    """Our key -> the export's column name, for each column it has."""
    by_lower = {name.strip().lower(): name for name in columns}
    resolved: dict[str, str] = {}
    for key, aliases in _ALIASES.items():
        for alias in aliases:
            if alias in by_lower:
                resolved.setdefault(key, by_lower[alias])
    return resolved


def _product(
    handle: str,
    records: list[Record],
    names: Mapping[str, str],
    options: CatalogOptions,
    where: Path | str,
    ratings: Mapping[str, str],
) -> list[Entry]:
    def get(record: Record, key: str) -> str:
        return record.values.get(names[key], "").strip() if key in names else ""

    product = next((r for r in records if get(r, "title")), None)
    if product is None:
        raise CatalogError(f"no row of {handle!r} has a title (its product row is missing)", file=where, row=records[0].row,
                           column=names["title"])  # fmt: skip
    variants = [r for r in records if any(get(r, key) for key in _VARIANT_KEYS)]
    if not variants:
        raise CatalogError(
            f"{handle!r} has no variant with a price", file=where, row=product.row, column=names["price"]
        )
    positioned = [
        (get(r, "image_position"), index, get(r, "image")) for index, r in enumerate(records) if get(r, "image")
    ]
    images = sorted(
        (int(position) if position.isdigit() else len(records) + 1, index, src) for position, index, src in positioned
    )
    gallery = list(dict.fromkeys(src for _, _, src in images))  # by Image Position, rows without one last
    status, published = get(product, "status").lower(), get(product, "published").lower()
    unavailable = (
        f"status is {status}"
        if status in _UNAVAILABLE_STATUS
        else "not published"
        if published in _UNPUBLISHED
        else None
    )
    option_names = [get(product, f"option{n}_name") for n in (1, 2, 3)]
    used = set(names.values()) | set(ratings.values())
    entries = []
    for variant in variants if options.variants else variants[:1]:
        values: dict[str, str] = {
            _CANONICAL[key]: product.values.get(names[key], "") for key in _CANONICAL if key in names
        }
        columns = {canonical: names[key] for key, canonical in _CANONICAL.items() if key in names}
        values |= {canonical: product.values.get(name, "") for canonical, name in ratings.items()}
        columns |= ratings
        chosen = [get(variant, f"option{n}_value") for n in (1, 2, 3)]
        shown = [value for value in chosen if value and value != _NO_OPTION]
        for name, value in zip(option_names, chosen):
            if name.lower() in ("color", "colour", "size") and value:
                values["color" if name.lower() != "size" else "size"] = value
        sku = get(variant, "sku")
        if not sku and options.variants:
            raise CatalogError(f"a variant of {handle!r} has no SKU; one video per variant needs each variant's SKU",
                               file=where, row=variant.row, column=names.get("sku", "Variant SKU"))  # fmt: skip
        values["id"], columns["id"] = (sku, names["sku"]) if sku else (handle, names["handle"])
        if options.variants and shown:
            values["title"] = f"{values['title']} - {' / '.join(shown)}"
        _prices(variant, names, values, columns, options, where)
        variant_image = get(variant, "variant_image")
        if (options.variants and variant_image) or not gallery:
            values["image_link"], columns["image_link"] = variant_image, names.get("variant_image", "Variant Image")
        else:
            values["image_link"], columns["image_link"] = gallery[0], names["image"]
        values["additional_image_link"] = ",".join(src for src in gallery if src != values["image_link"])
        extra = {name: value for name, value in product.values.items() if name not in used}
        extra |= {name: value for name, value in variant.values.items() if name not in used and value.strip()}
        entries.append(Entry(row=variant.row, values=values, columns=columns, extra=extra, unavailable=unavailable,
                             html_columns=frozenset({"description"})))  # fmt: skip
    return entries


def _prices(
    variant: Record,
    names: Mapping[str, str],
    values: dict[str, str],
    columns: dict[str, str],
    options: CatalogOptions,
    where: Path | str,
) -> None:
    """Set ``price`` and ``sale_price`` (and the columns they came from) of a variant."""
    price = variant.values.get(names["price"], "")
    compare = variant.values.get(names["compare_at"], "") if "compare_at" in names else ""
    values["price"], values["sale_price"], columns["price"] = price, "", names["price"]
    if not compare.strip():
        return
    try:
        regular = parse_money(compare, options.default_currency)
    except ValueError as exc:
        raise CatalogError(
            str(exc), file=where, row=variant.row, sku=values.get("id") or None, column=names["compare_at"]
        ) from None
    try:
        current = parse_money(price, options.default_currency)
    except ValueError:
        return  # the price's own error is reported when the product is built
    if regular.amount > current.amount:
        values["price"], values["sale_price"] = compare, price
        columns["price"], columns["sale_price"] = names["compare_at"], names["price"]

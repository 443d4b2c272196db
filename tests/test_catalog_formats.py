"""Catalog formats: every export of the same products plans exactly as the Merchant Center CSV does."""

from __future__ import annotations

import codecs
import csv
import io
import sys
import time
import zipfile
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from xml.sax.saxutils import escape

import openpyxl
import pytest
from PIL import Image

from generator.core.errors import CatalogError
from generator.planning.catalog import Catalog, CatalogOptions, Money, Product, load_catalog
from generator.planning.catalog.xlsx import read_workbook
from generator.planning.plan.compile import compile_plan
from generator.planning.templates import load_template
from tests.conftest import VOICES

MERCHANT = (
    "id",
    "title",
    "description",
    "image_link",
    "additional_image_link",
    "price",
    "sale_price",
    "brand",
    "product_type",
    "color",
    "size",
)
# The products every format below describes: (id, title, description, images, price, sale price, brand, type, color, size).
PRODUCTS = [
    ("TEE-1", "Classic Tee", "Soft cotton tee.\n\nWash cold.", ["tee", "tee-back", "tee-side"], "25.00", "19.99", "Acme", "Apparel > Tops", "Red", "M"),
    ("CAFE-1", "Café Machine", "Brews espresso.", ["machine"], "1299.00", "", "Acme", "Kitchen", "", ""),
    ("CAP-1", "Wool Cap", "Warm.", ["cap"], "15.00", "", "Nordic", "Apparel > Hats", "Grey", "One size"),
]  # fmt: skip
TEMPLATE = """\
id: formats
version: 1
vertical: test
requires: [title, price, image_link]
canvas: {fps: 30, aspects: ["1:1"]}
shots:
  - id: hero
    duration: 1.0
    background: {prompt: "studio, {{ product.color }} tones"}
    product: {box: hero}
    text:
      - {text: "{{ product.title }}", style: headline, box: top}
      - {text: "{{ product.price | money }}{% if product.sale_price %} {{ product.sale_price | money }}{% endif %}", style: price, box: bottom}
"""


@pytest.fixture
def feed(tmp_path: Path) -> Path:
    """A folder of small PNGs, one colour each: the products' images."""
    folder = tmp_path / "feed"
    (folder / "images").mkdir(parents=True)
    for index, name in enumerate(["tee", "tee-back", "tee-side", "tee-blue", "machine", "cap"]):
        Image.new("RGBA", (32, 32), (40 * index, 200 - 30 * index, 90, 255)).save(folder / "images" / f"{name}.png")
    return folder


def merchant_rows(price: Callable[[str], str] = lambda amount: f"{amount} EUR") -> list[dict[str, str]]:
    return [
        {"id": sku, "title": title, "description": text, "image_link": f"images/{images[0]}.png",
         "additional_image_link": ",".join(f"images/{i}.png" for i in images[1:]), "price": price(amount),
         "sale_price": price(sale) if sale else "", "brand": brand, "product_type": kind, "color": color, "size": size}
        for sku, title, text, images, amount, sale, brand, kind, color, size in PRODUCTS
    ]  # fmt: skip


def delimited(rows: list[dict[str, str]], header: tuple[str, ...], delimiter: str = ",", newline: str = "\n") -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, delimiter=delimiter, lineterminator=newline)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def write_merchant(feed: Path) -> tuple[Path, CatalogOptions]:
    path = feed / "merchant.csv"
    path.write_text(delimited(merchant_rows(), MERCHANT), encoding="utf-8")
    return path, CatalogOptions()


SHOPIFY = ("Handle", "Title", "Body (HTML)", "Vendor", "Type", "Tags", "Published", "Option1 Name", "Option1 Value", "Option2 Name",
           "Option2 Value", "Variant SKU", "Variant Price", "Variant Compare At Price", "Image Src", "Image Position", "Variant Image", "Status")  # fmt: skip
SHOPIFY_ROWS = [
    ["classic-tee", "Classic Tee", "<p>Soft  cotton <b>tee</b>.</p>\n<p>Wash cold.</p>", "Acme", "Apparel > Tops", "cotton", "TRUE",
     "Color", "Red", "Size", "M", "TEE-1", "19.99", "25.00", "images/tee.png", "1", "", "active"],
    ["classic-tee", "", "", "", "", "", "", "", "Blue", "", "L", "TEE-2", "22.00", "", "images/tee-back.png", "2", "images/tee-blue.png", ""],
    ["classic-tee", "", "", "", "", "", "", "", "", "", "", "", "", "", "images/tee-side.png", "3", "", ""],
    ["cafe-machine", "Café Machine", "<div>Brews&nbsp;espresso.</div>", "Acme", "Kitchen", "", "TRUE", "Title", "Default Title", "", "",
     "CAFE-1", "1299.00", "1299.00", "images/machine.png", "1", "", "active"],
    ["wool-cap", "Wool Cap", "Warm.", "Nordic", "Apparel > Hats", "", "TRUE", "Color", "Grey", "Size", "One size", "CAP-1", "15.00", "",
     "images/cap.png", "1", "", "active"],
    ["old-hat", "Old Hat", "", "Nordic", "", "", "TRUE", "", "", "", "", "HAT-1", "9.00", "", "images/cap.png", "1", "", "draft"],
    ["hidden-scarf", "Scarf", "", "Nordic", "", "", "FALSE", "", "", "", "", "SCARF-1", "9.00", "", "images/cap.png", "1", "", "active"],
]  # fmt: skip


def write_shopify(feed: Path) -> tuple[Path, CatalogOptions]:
    path = feed / "products_export.csv"
    path.write_text(delimited([dict(zip(SHOPIFY, row)) for row in SHOPIFY_ROWS], SHOPIFY), encoding="utf-8")
    return path, CatalogOptions(default_currency="EUR")


def write_meta(feed: Path) -> tuple[Path, CatalogOptions]:
    header = ("id", "title", "description", "availability", "condition", "price", "link", "image_link", "brand", "sale_price",
              "additional_image_link", "fb_product_category", "product_type", "color", "size", "item_group_id", "status")  # fmt: skip
    rows = [{**row, "availability": "in stock", "condition": "new", "status": "active"} for row in merchant_rows()]
    rows.append({**rows[-1], "id": "OLD-1", "status": "archived"})
    path = feed / "meta.csv"
    path.write_text(delimited(rows, header), encoding="utf-8")
    return path, CatalogOptions()


def _items(tag: str, plain: Callable[[dict[str, str]], str]) -> str:
    items = []
    for row in merchant_rows():
        google = "".join(
            f"<g:{k}>{escape(row[k])}</g:{k}>"
            for k in ("id", "image_link", "price", "sale_price", "brand", "product_type", "color", "size")
        )
        extra = "".join(
            f"<g:additional_image_link>{link}</g:additional_image_link>"
            for link in row["additional_image_link"].split(",")
            if link
        )
        shipping = (
            "<g:shipping><g:country>DE</g:country><g:price>4.95 EUR</g:price></g:shipping>"  # nested: not a column
        )
        items.append(f"<{tag}>\n{google}{extra}\n{plain(row)}{shipping}</{tag}>\n")
    return "".join(items)


def write_rss(feed: Path) -> tuple[Path, CatalogOptions]:
    body = _items(
        "item", lambda r: f"<title>{escape(r['title'])}</title><description>{escape(r['description'])}</description>"
    )
    path = feed / "feed.xml"
    path.write_text('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" xmlns:g="http://base.google.com/ns/1.0">\n'
                    f"<channel><title>Shop</title><link>https://shop.example</link>\n{body}</channel></rss>\n", encoding="utf-8")  # fmt: skip
    return path, CatalogOptions()


def write_atom(feed: Path) -> tuple[Path, CatalogOptions]:
    body = _items("entry", lambda r: f"<title>{escape(r['title'])}</title><link href=\"https://shop.example/{r['id']}\"/>"
                                     f"<summary>{escape(r['description'])}</summary>")  # fmt: skip
    path = feed / "feed.atom"
    path.write_text('<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" '
                    f'xmlns:g="http://base.google.com/ns/1.0">\n<title>Shop</title>\n{body}</feed>\n', encoding="utf-8")  # fmt: skip
    return path, CatalogOptions()


def write_european(feed: Path) -> tuple[Path, CatalogOptions]:
    def euro(amount: str) -> str:
        whole, cents = amount.split(".")
        return f"{int(whole):,}".replace(",", ".") + f",{cents} €"

    path = feed / "export.csv"
    path.write_bytes(delimited(merchant_rows(euro), MERCHANT, delimiter=";", newline="\r\n").encode("cp1252"))
    return path, CatalogOptions()


def write_unicode_text(feed: Path) -> tuple[Path, CatalogOptions]:
    path = feed / "export.txt"
    path.write_bytes(
        codecs.BOM_UTF16_LE + delimited(merchant_rows(), MERCHANT, delimiter="\t", newline="\r\n").encode("utf-16-le")
    )
    return path, CatalogOptions()


def write_xlsx(feed: Path) -> tuple[Path, CatalogOptions]:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Products"
    sheet.append(list(MERCHANT))
    for row in merchant_rows(lambda amount: amount):
        sheet.append([float(row[k]) if k in ("price", "sale_price") and row[k] else row[k] for k in MERCHANT])
    book.create_sheet("Notes").append(["not the catalog"])
    path = feed / "catalog.xlsx"
    book.save(path)
    return path, CatalogOptions(default_currency="EUR")


FORMATS = {
    "shopify": (write_shopify, {"format": "shopify", "container": "csv", "encoding": "utf-8", "delimiter": ","}),
    "meta": (write_meta, {"format": "meta", "container": "csv", "encoding": "utf-8", "delimiter": ","}),
    "rss": (write_rss, {"format": "merchant-xml", "container": "xml", "encoding": "utf-8"}),
    "atom": (write_atom, {"format": "merchant-xml", "container": "xml", "encoding": "utf-8"}),
    "semicolon-windows-1252": (
        write_european,
        {"format": "merchant", "container": "csv", "encoding": "windows-1252", "delimiter": ";"},
    ),
    "utf-16-tab": (
        write_unicode_text,
        {"format": "merchant", "container": "csv", "encoding": "utf-16", "delimiter": "\t"},
    ),
    "xlsx": (write_xlsx, {"format": "merchant", "container": "xlsx", "sheet": "Products"}),
}


def essentials(product: Product) -> tuple[object, ...]:
    return (
        product.sku, product.title, product.description, product.brand, product.product_type, product.color, product.size,
        product.price, product.sale_price, product.discount, product.image.source, product.image.sha256, [a.source for a in product.additional_images],
    )  # fmt: skip


def plan_hashes(catalog: Catalog, tmp_path: Path) -> list[str]:
    root = tmp_path / "templates"
    (root / "test").mkdir(parents=True, exist_ok=True)
    (root / "test" / "formats.yaml").write_text(TEMPLATE, encoding="utf-8")
    template = load_template(root / "test" / "formats.yaml")
    return [compile_plan(template, product, "1:1", root, VOICES).sha256 for product in catalog.products]


@pytest.mark.parametrize("name", list(FORMATS))
def test_each_format_plans_the_same_products_as_the_merchant_csv(feed: Path, tmp_path: Path, name: str) -> None:
    writer, source = FORMATS[name]
    reference = load_catalog(*write_merchant(feed))
    catalog = load_catalog(*writer(feed))

    assert catalog.errors == ()
    assert catalog.source is not None and catalog.source.as_dict() == source
    assert [essentials(p) for p in catalog.products] == [essentials(p) for p in reference.products]
    assert [(p.price.amount, p.sale_price) for p in catalog.products] == [
        (Decimal("25.00"), Money(Decimal("19.99"), "EUR")), (Decimal("1299.00"), None), (Decimal("15.00"), None)
    ]  # fmt: skip
    assert plan_hashes(catalog, tmp_path) == plan_hashes(reference, tmp_path)


def test_unavailable_products_of_each_format_are_skipped_with_their_reason(feed: Path) -> None:
    assert [(s.sku, s.reason) for s in load_catalog(*write_shopify(feed)).skipped] == [
        ("HAT-1", "status is draft"), ("SCARF-1", "not published")
    ]  # fmt: skip
    (skipped,) = load_catalog(*write_meta(feed)).skipped
    assert (skipped.row, skipped.sku, skipped.reason) == (5, "OLD-1", "status is archived")
    path, _ = write_shopify(feed)
    included = load_catalog(path, CatalogOptions(default_currency="EUR", include_unavailable=True))
    assert [p.sku for p in included.products] == ["TEE-1", "CAFE-1", "CAP-1", "HAT-1", "SCARF-1"]


def test_shopify_variants_give_one_product_each_with_options_in_the_title(feed: Path) -> None:
    path, _ = write_shopify(feed)

    catalog = load_catalog(path, CatalogOptions(default_currency="EUR", variants=True))

    assert catalog.errors == ()
    tee, blue = catalog.products[:2]
    assert [(p.row, p.sku, p.title) for p in catalog.products] == [
        (2, "TEE-1", "Classic Tee - Red / M"), (3, "TEE-2", "Classic Tee - Blue / L"), (5, "CAFE-1", "Café Machine"), (6, "CAP-1", "Wool Cap - Grey / One size")
    ]  # fmt: skip
    assert (tee.price, tee.sale_price, tee.image.source) == (
        Money(Decimal("25.00"), "EUR"),
        Money(Decimal("19.99"), "EUR"),
        "catalog:images/tee.png",
    )
    assert (blue.price, blue.sale_price, blue.color, blue.size) == (Money(Decimal("22.00"), "EUR"), None, "Blue", "L")
    assert blue.image.source == "catalog:images/tee-blue.png"
    assert [a.source for a in blue.additional_images] == [
        "catalog:images/tee.png", "catalog:images/tee-back.png", "catalog:images/tee-side.png"
    ]  # fmt: skip
    assert tee.raw["description"] == "<p>Soft  cotton <b>tee</b>.</p>\n<p>Wash cold.</p>"
    assert tee.extra["Tags"] == "cotton"


def test_shopify_export_without_a_currency_is_refused_naming_the_file_and_option(feed: Path) -> None:
    path, _ = write_shopify(feed)

    with pytest.raises(CatalogError) as caught:
        load_catalog(path)

    assert (
        str(caught.value) == f"{path}: a Shopify export has no currency; pass --currency (for example --currency USD)"
    )


def test_xml_item_errors_give_the_item_number_and_its_line(feed: Path) -> None:
    path, _ = write_atom(feed)
    path.write_text(
        path.read_text(encoding="utf-8").replace("<g:price>15.00 EUR</g:price>", "<g:price>free</g:price>"),
        encoding="utf-8",
    )

    catalog = load_catalog(path)

    assert [p.link for p in catalog.products] == ["https://shop.example/TEE-1", "https://shop.example/CAFE-1"]
    (error,) = catalog.errors
    text = path.read_text(encoding="utf-8")
    line = text[: text.rindex("<entry>", 0, text.index("CAP-1"))].count("\n") + 1
    assert (error.context["row"], error.context["line"], error.context["column"]) == (3, line, "price")
    assert str(error).startswith(f"{path}:{line}, row 3, sku CAP-1, column price: 'free' is not a price")


# --- hostile XML ---------------------------------------------------------------------------------

_watched: set[str] = set()
_opened: list[str] = []


def _audit(event: str, args: tuple[object, ...]) -> None:
    if event == "open" and _watched and str(args[0]) in _watched:
        _opened.append(str(args[0]))


sys.addaudithook(_audit)  # hooks cannot be removed; this one only records while a test watches a path

LAUGHS = "".join(f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">\n' for n in range(1, 10))


@pytest.mark.parametrize(
    ("doctype", "message", "line"),
    [
        (
            '<!DOCTYPE rss [\n<!ENTITY lol0 "lol">\n' + LAUGHS + "]>",
            "the feed declares the entity 'lol0'; feeds with entities are refused",
            3,
        ),
        (
            '<!DOCTYPE rss [\n<!ENTITY secret SYSTEM "{uri}">\n]>',
            "the feed declares the entity 'secret'; feeds with entities are refused",
            3,
        ),
        (
            '<!DOCTYPE rss SYSTEM "{uri}">',
            "the feed refers to the external '{uri}'; external references are refused",
            2,
        ),
    ],
    ids=["billion-laughs", "external-entity", "external-dtd"],
)
def test_hostile_feeds_are_refused_at_once_without_expanding_or_opening_anything(
    tmp_path: Path, doctype: str, message: str, line: int
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("do not read", encoding="utf-8")
    uri = secret.as_uri()
    path = tmp_path / "feed.xml"
    path.write_text(f'<?xml version="1.0"?>\n{doctype.format(uri=uri)}\n<rss xmlns:g="http://base.google.com/ns/1.0"><channel>'
                    "<item><g:id>A</g:id><title>&lol9;&secret;</title></item></channel></rss>\n", encoding="utf-8")  # fmt: skip
    _opened.clear()
    _watched.update({str(secret), uri})
    started = time.perf_counter()
    try:
        with pytest.raises(CatalogError) as caught:
            load_catalog(path)
    finally:
        _watched.clear()

    assert time.perf_counter() - started < 1.0
    assert _opened == []
    assert caught.value.message == message.format(uri=uri)
    assert (caught.value.context["file"], caught.value.context["line"]) == (path, line)


def test_a_document_that_is_not_a_feed_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "page.xml"
    path.write_text("<html><body>hello</body></html>", encoding="utf-8")

    with pytest.raises(CatalogError, match=r"not an RSS 2.0 or Atom feed: the root element is <html>"):
        load_catalog(path)


# --- workbooks and encodings ---------------------------------------------------------------------


def test_sheet_option_picks_a_sheet_and_a_missing_one_is_named(feed: Path) -> None:
    path, _ = write_xlsx(feed)

    with pytest.raises(CatalogError) as caught:
        load_catalog(path, CatalogOptions(default_currency="EUR", sheet="Stock"))

    assert caught.value.message == "the workbook has no sheet 'Stock'; its sheets: Products, Notes"
    assert load_catalog(path, CatalogOptions(default_currency="EUR", sheet="Products")).source.sheet == "Products"  # type: ignore[union-attr]
    with pytest.raises(CatalogError, match="missing required column"):
        load_catalog(path, CatalogOptions(default_currency="EUR", sheet="Notes"))


def test_workbook_that_unpacks_too_large_is_refused_before_parsing(feed: Path) -> None:
    path, _ = write_xlsx(feed)
    bomb = feed / "bomb.xlsx"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            target.writestr(member, source.read(member))
        with target.open("xl/media/padding.bin", "w") as padding:
            for _ in range(300):
                padding.write(bytes(1 << 20))
    assert bomb.stat().st_size < 2 << 20

    with pytest.raises(CatalogError, match=r"the workbook unpacks to 300 MiB, over the limit of 256 MiB"):
        load_catalog(bomb, CatalogOptions(default_currency="EUR"))
    assert (
        len(tuple(read_workbook(bomb, bomb, max_unpacked=512 << 20).rows)) == 3
    )  # the same workbook under a higher limit


def test_old_excel_workbooks_are_refused_with_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "catalog.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512))

    with pytest.raises(CatalogError, match=r"Excel 97-2003 \(.xls\) workbook; save it as .xlsx or CSV"):
        load_catalog(path)


def test_text_in_no_known_encoding_is_refused_naming_line_and_byte(tmp_path: Path) -> None:
    data = b"id,title,price,image_link\nA1,Cr\x81\x8d\x90me,1 EUR,a.png\n"
    path = tmp_path / "catalog.csv"
    path.write_bytes(data)

    with pytest.raises(CatalogError) as caught:
        load_catalog(path)

    offset = data.index(b"\x81")
    assert caught.value.message == (
        f"cannot tell the text encoding: not UTF-8 (byte {offset}: 0x81) and not Windows-1252 or Latin-1 text; save the catalog as UTF-8"
    )
    assert caught.value.context["line"] == 2


def test_utf8_text_with_a_bad_byte_is_refused_rather_than_garbled(tmp_path: Path) -> None:
    data = "id,title,price,image_link\nA1,Crème,1 EUR,a.png\n".encode() + b"A2,Caf\xe9,1 EUR,a.png\n"
    path = tmp_path / "catalog.csv"
    path.write_bytes(data)

    with pytest.raises(CatalogError) as caught:
        load_catalog(path)

    offset = data.index(b"\xe9")
    assert (
        caught.value.message
        == f"not valid UTF-8 (byte {offset}: 0xe9), though the rest of the file is UTF-8; fix or re-export it"
    )
    assert caught.value.context["line"] == 3

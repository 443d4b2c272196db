"""Catalog loading: CSV reading, price parsing, column maps and per-row validation."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from generator.core.errors import CatalogError, ConfigError
from generator.planning.catalog import CatalogOptions, Money, Product, load_catalog, load_column_map, parse_money
from tests.conftest import make_png

HEADER = ("id", "title", "price", "sale_price", "image_link", "product_highlight")


# --- helpers -------------------------------------------------------------------------------------


def csv_field(value: str) -> str:
    """Quote a CSV field the way spreadsheets do when it needs it."""
    if any(c in value for c in ',"\n\r'):
        return '"' + value.replace('"', '""') + '"'
    return value


def write_csv(path: Path, header: tuple[str, ...], rows: list[dict[str, str]], newline: str = "\n") -> Path:
    """Write ``rows`` under ``header`` (missing values empty) as UTF-8 text."""
    lines = [",".join(csv_field(h) for h in header)]
    lines += [",".join(csv_field(row.get(h, "")) for h in header) for row in rows]
    path.write_bytes((newline.join(lines) + newline).encode("utf-8"))
    return path


def row(sku: str, **values: str) -> dict[str, str]:
    """A valid row pointing at ``images/product.png``; ``values`` override columns."""
    base = {"id": sku, "title": f"Product {sku}", "price": "24.00 USD", "image_link": "images/product.png"}
    base.update(values)
    return base


# --- file format ---------------------------------------------------------------------------------


def test_bom_crlf_quoted_fields_and_trailing_empty_rows_are_read(feed: Path) -> None:
    text = (
        "\ufeffid,title,description,price,image_link\r\n"
        'A1,"Lip balm, cherry","Line one\nLine two, with a comma",19.99 USD,images/product.png\r\n'
        'A2,"Serum ""Glow""",plain,"1,299.00 USD",images/product.png\r\n'
        ",,,,\r\n"
        ",,,,\r\n"
        "\r\n"
    )
    path = feed / "catalog.csv"
    path.write_bytes(text.encode("utf-8"))

    catalog = load_catalog(path)

    assert catalog.errors == ()
    assert [(p.row, p.sku) for p in catalog.products] == [(2, "A1"), (3, "A2")]
    first, second = catalog.products
    assert first.title == "Lip balm, cherry"
    assert first.description == "Line one\nLine two, with a comma"
    assert first.price == Money(Decimal("19.99"), "USD")
    assert second.title == 'Serum "Glow"'
    assert second.price == Money(Decimal("1299.00"), "USD")


def test_rows_of_only_separators_between_rows_keep_spreadsheet_numbering(feed: Path) -> None:
    path = write_csv(feed / "catalog.csv", HEADER, [row("A1"), {}, row("A3")])

    catalog = load_catalog(path)

    assert catalog.errors == ()
    assert [(p.row, p.sku) for p in catalog.products] == [(2, "A1"), (4, "A3")]


def test_blank_line_between_rows_keeps_spreadsheet_numbering(feed: Path) -> None:
    # A spreadsheet shows an empty line as an empty row, so the row after it is row 4.
    path = feed / "catalog.csv"
    path.write_text(
        "id,title,price,image_link\nA1,One,1.00 USD,images/product.png\n\nA3,Three,3.00 USD,images/product.png\n",
        encoding="utf-8",
    )

    catalog = load_catalog(path)

    assert [(p.row, p.sku) for p in catalog.products] == [(2, "A1"), (4, "A3")]


def test_tsv_files_are_read_with_tabs(feed: Path) -> None:
    path = feed / "catalog.tsv"
    path.write_text("id\ttitle\tprice\timage_link\nT1\tA, B\t5.00 EUR\timages/product.png\n", encoding="utf-8")

    (product,) = load_catalog(path).products

    assert (product.sku, product.title, product.price) == ("T1", "A, B", Money(Decimal("5.00"), "EUR"))


def test_missing_file_raises_catalog_error(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="not found"):
        load_catalog(tmp_path / "nope.csv")


# --- prices --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "amount", "currency"),
    [
        ("19.99 USD", "19.99", "USD"),
        ("USD 19.99", "19.99", "USD"),
        ("1,299.00 USD", "1299.00", "USD"),
        ("19,99 EUR", "19.99", "EUR"),
        ("1.299,00 EUR", "1299.00", "EUR"),
        ("1,299 USD", "1299", "USD"),
        ("1,299,000 USD", "1299000", "USD"),
        ("1.299.000 EUR", "1299000", "EUR"),
        ("  7 usd ", "7", "USD"),
        ("1\u202f299,99\u00a0$US", "1299.99", "USD"),  # CLDR's French, as the money filter writes it
    ],
)
def test_parse_money_reads_exact_amounts(text: str, amount: str, currency: str) -> None:
    money = parse_money(text)

    assert money.amount == Decimal(amount)
    assert isinstance(money.amount, Decimal)
    assert money.currency == currency


@pytest.mark.parametrize("text", ["twelve dollars", "19.99", "19.99 XYZ", "-5 USD", "", "USD 19.99 EUR"])
def test_parse_money_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_money(text)


def test_parse_money_uses_default_currency_only_when_none_is_written() -> None:
    assert parse_money("19.99", default_currency="EUR") == Money(Decimal("19.99"), "EUR")
    assert parse_money("19.99 USD", default_currency="EUR") == Money(Decimal("19.99"), "USD")


def test_parse_money_rejects_an_unknown_default_currency() -> None:
    with pytest.raises(ValueError, match="ISO 4217"):
        parse_money("19.99", default_currency="XYZ")


def test_default_currency_option_applies_to_catalog_rows(feed: Path) -> None:
    path = write_csv(feed / "catalog.csv", HEADER, [row("A1", price="10.00", sale_price="8.00")])

    (product,) = load_catalog(path, CatalogOptions(default_currency="GBP")).products

    assert product.price == Money(Decimal("10.00"), "GBP")
    assert product.sale_price == Money(Decimal("8.00"), "GBP")


# --- per-row validation --------------------------------------------------------------------------


def _corrupt_image(feed: Path) -> None:
    (feed / "images" / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n this is not image data")


ROW_RULES = [
    # (case, overrides for the bad row, column named, phrase of the rule, set-up)
    ("missing id", {"id": ""}, "id", "id is required", None),
    ("missing title", {"title": ""}, "title", "title is required", None),
    ("missing price", {"price": " "}, "price", "price is required and empty", None),
    ("unparsable price", {"price": "twelve dollars"}, "price", "is not a price", None),
    (
        "price without a currency",
        {"price": "19.99"},
        "price",
        "no currency code; write it like '19.99 USD', or give the feed's currency with --currency",
        None,
    ),
    ("sale above price", {"price": "20.00 USD", "sale_price": "25.00 USD"}, "sale_price", "above the price", None),
    ("sale in another currency", {"price": "20.00 USD", "sale_price": "15.00 EUR"}, "sale_price", "currency", None),
    ("missing image_link", {"image_link": ""}, "image_link", "image_link is required", None),
    ("image not found", {"image_link": "images/missing.png"}, "image_link", "image file not found", None),
    ("corrupt image", {"image_link": "images/corrupt.png"}, "image_link", "unreadable image", _corrupt_image),
]


@pytest.mark.parametrize(
    ("overrides", "column", "phrase", "setup"),
    [case[1:] for case in ROW_RULES],
    ids=[case[0] for case in ROW_RULES],
)
def test_bad_row_becomes_an_error_naming_row_column_and_rule(
    feed: Path, overrides: dict[str, str], column: str, phrase: str, setup
) -> None:
    if setup is not None:
        setup(feed)
    path = write_csv(feed / "catalog.csv", HEADER, [row("GOOD-1"), row("BAD", **overrides), row("GOOD-2")])

    catalog = load_catalog(path)

    assert [(p.row, p.sku) for p in catalog.products] == [(2, "GOOD-1"), (4, "GOOD-2")]
    (error,) = catalog.errors
    assert isinstance(error, CatalogError)
    assert error.context["row"] == 3
    assert error.context["column"] == column
    assert error.context["file"] == path
    assert phrase in error.message
    assert "row 3" in str(error)
    assert [item.row if isinstance(item, Product) else item.context["row"] for item in catalog.rows()] == [2, 3, 4]


def test_image_path_escaping_the_catalog_folder_is_a_row_error(feed: Path, tmp_path: Path) -> None:
    make_png(tmp_path / "outside.png")
    path = write_csv(feed / "catalog.csv", HEADER, [row("A1", image_link="../outside.png"), row("A2")])

    catalog = load_catalog(path)

    assert [p.sku for p in catalog.products] == ["A2"]
    (error,) = catalog.errors
    assert (error.context["row"], error.context["column"], error.context["path"]) == (2, "image_link", "../outside.png")
    assert "escapes" in error.message and f"(path: ../outside.png, rule: paths stay inside {feed}" in str(error)


def test_asset_roots_option_allows_images_in_another_folder(feed: Path, tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    make_png(shared / "p.png")
    path = write_csv(feed / "catalog.csv", HEADER, [row("A1", image_link=str(shared / "p.png"))])

    (product,) = load_catalog(path, CatalogOptions(asset_roots=(shared,))).products

    assert product.image.path == (shared / "p.png").resolve()
    assert product.image.source == "root0:p.png"


def test_max_pixels_option_refuses_large_images_per_row(feed: Path) -> None:
    path = write_csv(feed / "catalog.csv", HEADER, [row("A1")])

    catalog = load_catalog(path, CatalogOptions(max_pixels=100))

    (error,) = catalog.errors
    assert error.context["column"] == "image_link"
    assert "100" in error.message


# --- columns -------------------------------------------------------------------------------------


def test_column_map_lets_a_feed_with_its_own_headers_load(feed: Path) -> None:
    column_map_file = feed / "columns.yaml"
    column_map_file.write_text(
        "id: SKU\ntitle: Product Name\nprice: Cost\nimage_link: Picture\nproduct_highlight: Bullets\n", encoding="utf-8"
    )
    path = write_csv(
        feed / "catalog.csv",
        ("SKU", "Product Name", "Cost", "Picture", "Bullets"),
        [
            {
                "SKU": "S1",
                "Product Name": "Mapped",
                "Cost": "9.50 USD",
                "Picture": "images/product.png",
                "Bullets": "x|y",
            },
            {"SKU": "S2", "Product Name": "Bad", "Cost": "cheap", "Picture": "images/product.png"},
        ],
    )

    column_map = load_column_map(column_map_file)
    catalog = load_catalog(path, CatalogOptions(column_map=column_map))

    assert column_map == {
        "id": "SKU", "title": "Product Name", "price": "Cost", "image_link": "Picture", "product_highlight": "Bullets"
    }  # fmt: skip
    (product,) = catalog.products
    assert (product.sku, product.title, product.price) == ("S1", "Mapped", Money(Decimal("9.50"), "USD"))
    assert product.highlights == ("x", "y")
    (error,) = catalog.errors
    assert (error.context["row"], error.context["column"]) == (3, "Cost")  # the feed's own column name


def test_column_map_naming_a_column_the_file_lacks_raises(feed: Path) -> None:
    path = write_csv(feed / "catalog.csv", HEADER, [row("A1")])

    with pytest.raises(CatalogError, match="Product Name") as caught:
        load_catalog(path, CatalogOptions(column_map={"title": "Product Name"}))

    assert caught.value.context["file"] == path


def test_column_map_with_unknown_canonical_names_raises_config_error(tmp_path: Path) -> None:
    column_map_file = tmp_path / "columns.yaml"
    column_map_file.write_text("title: Product Name\nheadline: Tagline\n", encoding="utf-8")

    with pytest.raises(ConfigError, match="headline") as caught:
        load_column_map(column_map_file)

    assert caught.value.context["file"] == column_map_file


@pytest.mark.parametrize("text", ["- title\n- price\n", "title: [a, b]\n", "title: {unclosed\n"])
def test_column_map_that_is_not_a_mapping_of_names_raises_config_error(tmp_path: Path, text: str) -> None:
    column_map_file = tmp_path / "columns.yaml"
    column_map_file.write_text(text, encoding="utf-8")

    with pytest.raises(ConfigError):
        load_column_map(column_map_file)


def test_missing_required_column_raises_naming_it(feed: Path) -> None:
    path = write_csv(feed / "catalog.csv", ("id", "title", "image_link"), [row("A1")])

    with pytest.raises(CatalogError, match="price") as caught:
        load_catalog(path)

    assert "missing required column" in caught.value.message
    assert caught.value.context["file"] == path


def test_merchant_center_g_prefixed_headers_are_understood(feed: Path) -> None:
    header = ("g:id", "g:title", "g:price", "g:sale_price", "g:image_link", "g:product_highlight", "g:brand")
    path = write_csv(
        feed / "catalog.csv",
        header,
        [
            {"g:id": "G1", "g:title": "Merchant", "g:price": "40.00 USD", "g:sale_price": "30.00 USD",
             "g:image_link": "images/product.png", "g:product_highlight": "one|two", "g:brand": "Acme"},
            {"g:id": "G2", "g:title": "Bad", "g:price": "oops", "g:image_link": "images/product.png"},
        ],
    )  # fmt: skip

    catalog = load_catalog(path)

    (product,) = catalog.products
    assert (product.sku, product.title, product.brand) == ("G1", "Merchant", "Acme")
    assert product.price == Money(Decimal("40.00"), "USD")
    assert product.sale_price == Money(Decimal("30.00"), "USD")
    assert product.highlights == ("one", "two")
    (error,) = catalog.errors
    assert (error.context["row"], error.context["column"]) == (3, "g:price")


# --- product fields ------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["a|b;c", " a | b ; c ", "a\nb|c", "a||b;;c|"])
def test_product_highlight_is_split_into_highlights(feed: Path, text: str) -> None:
    path = write_csv(feed / "catalog.csv", HEADER, [row("A1", product_highlight=text)])

    (product,) = load_catalog(path).products

    assert product.highlights == ("a", "b", "c")


def test_discount_is_the_fraction_off_for_a_sale(feed: Path) -> None:
    path = write_csv(
        feed / "catalog.csv",
        HEADER,
        [row("SALE", price="40.00 USD", sale_price="30.00 USD"), row("FULL", price="40.00 USD")],
    )

    sale, full = load_catalog(path).products

    assert sale.discount == Decimal("0.25")
    assert full.sale_price is None
    assert full.discount is None


def test_rows_sharing_an_image_share_one_validated_asset(feed: Path) -> None:
    path = write_csv(feed / "catalog.csv", HEADER, [row("A1"), row("A2")])

    first, second = load_catalog(path).products

    assert first.image is second.image
    assert first.image.source == "catalog:images/product.png"
    assert first.image.cutout.method == "alpha"


def test_unmapped_columns_are_kept_as_extra_text(feed: Path) -> None:
    path = write_csv(feed / "catalog.csv", (*HEADER, "pattern"), [row("A1", pattern="striped")])

    (product,) = load_catalog(path).products

    assert product.extra == {"pattern": "striped"}
    assert product.field_value("pattern") == "striped"
    assert product.field_value("id") == "A1"


# --- money as catalogs write it ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "default", "amount", "currency"),
    [
        ("$19.99", "USD", "19.99", "USD"),
        ("$19.99", "CAD", "19.99", "CAD"),
        ("US$ 19.99", None, "19.99", "USD"),
        ("€19,99", None, "19.99", "EUR"),
        ("19,99 €", "USD", "19.99", "EUR"),  # a written symbol wins over the default
        ("1.299,00 EUR", None, "1299.00", "EUR"),
        ("1,299.00", "USD", "1299.00", "USD"),
        ("1,24,999.00 INR", None, "124999.00", "INR"),
        ("₹1,24,999.00", None, "124999.00", "INR"),
        ("¥1,980", "JPY", "1980", "JPY"),
        ("¥1,980.00", "JPY", "1980", "JPY"),
        ("JP¥1,980", None, "1980", "JPY"),
        ("₩12.000", None, "12000", "KRW"),
        ("12.000 KRW", None, "12000", "KRW"),
        ("£5", None, "5", "GBP"),
        ("CHF 1'299.50", None, "1299.50", "CHF"),
        ("1 299,00 €", None, "1299.00", "EUR"),
        ("1.500 KWD", None, "1.500", "KWD"),  # three decimals: the dot is decimal
    ],
)
def test_parse_money_reads_symbols_and_separators_per_value(
    text: str, default: str | None, amount: str, currency: str
) -> None:
    money = parse_money(text, default)

    assert (money.amount, money.currency) == (Decimal(amount), currency)
    assert str(money.amount) == amount


@pytest.mark.parametrize(
    ("text", "default", "message"),
    [
        ("$19.99", None, "'$19.99': '$' is used by several currencies (USD, CAD, AUD, NZD, SGD, HKD, MXN, TWD); "
                         "write the code, like '19.99 USD', or give a default currency (--currency)"),
        ("¥1,980", None, "'¥1,980': '¥' is used by several currencies (JPY, CNY); "
                         "write the code, like '19.99 USD', or give a default currency (--currency)"),
        ("$19.99", "EUR", "'$19.99': '$' is not a symbol of EUR"),
        ("€19.99 USD", None, "'€19.99 USD': '€' is not a symbol of USD"),
        ("¥1980.5", "JPY", "'¥1980.5': JPY amounts are whole numbers"),
        ("-5 USD", None, "'-5 USD' is negative"),
        ("$-5", "USD", "'$-5' is negative"),
        ("(5.00) USD", None, "'(5.00) USD' is negative"),
        ("12 apples", None, "'12 apples' is not a price like '19.99 USD' ('apples' is not a currency)"),
        ("1.2.3,45 EUR", None, "'1.2.3,45 EUR' is not a price like '19.99 USD' (digits grouped oddly)"),
        ("2 for 10 USD", None, "'2 for 10 USD' is not a price like '19.99 USD'"),
        ("USD", None, "'USD' is not a price like '19.99 USD'"),
    ],
)  # fmt: skip
def test_parse_money_refuses_ambiguous_negative_and_garbage_prices(
    text: str, default: str | None, message: str
) -> None:
    with pytest.raises(ValueError) as caught:
        parse_money(text, default)

    assert str(caught.value) == message

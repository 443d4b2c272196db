"""Catalog integrity: a bad row fails alone and nothing is shifted; duplicates, unavailable rows, tidy text."""

from __future__ import annotations

import collections
import json
import shutil
import tracemalloc
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.orchestration.cli import main
from generator.orchestration.runs.rows import RunOptions
from generator.orchestration.runs.run import run_batch
from generator.orchestration.stores.store import LocalStore
from generator.planning.catalog import CatalogOptions, Money, load_catalog, stream_catalog
from generator.planning.templates import make_environment
from render.encode import EncodeSettings
from tests.conftest import REPO, product_row
from tests.media import probe
from tests.test_catalog import HEADER, row, write_csv

WriteCatalog = Callable[..., Path]

MERCHANT_11 = (
    "id",
    "title",
    "description",
    "link",
    "image_link",
    "price",
    "sale_price",
    "brand",
    "product_type",
    "color",
    "size",
)


@pytest.mark.parametrize("bad_row", [2, 3])
@pytest.mark.parametrize(
    ("bad_title", "fields"), [("Lip balm, cherry", 12), (None, 10)], ids=["comma-in-title", "field-missing"]
)
def test_row_with_a_wrong_field_count_fails_alone_and_nothing_shifts(
    feed: Path, bad_row: int, bad_title: str | None, fields: int
) -> None:
    good = {
        "title": "Good",
        "price": "5.00 USD",
        "image_link": "images/product.png",
        "brand": "Acme",
        "color": "red",
        "size": "M",
    }
    lines = [",".join(MERCHANT_11)]
    for number, sku in enumerate(["A2", "A3", "A4"], start=2):
        values = [{**good, "id": sku}.get(name, "") for name in MERCHANT_11]
        if number == bad_row:
            values = (
                [*values[:1], bad_title, *values[2:]] if bad_title else values[:-1]
            )  # unquoted comma, or one field short
        lines.append(",".join(values))
    path = feed / "catalog.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    catalog = load_catalog(path)

    (error,) = catalog.errors
    assert (error.message, error.context["row"], error.context["line"]) == (
        f"{fields} fields, the header has 11",
        bad_row,
        bad_row,
    )
    assert f"row {bad_row}: {fields} fields, the header has 11" in str(error)
    assert [(p.row, p.sku, p.title, p.brand, p.size) for p in catalog.products] == [
        (n, f"A{n}", "Good", "Acme", "M") for n in (2, 3, 4) if n != bad_row
    ]


def test_unclosed_quote_names_the_line_it_opens_on_and_later_rows_are_read(feed: Path) -> None:
    path = feed / "catalog.csv"
    path.write_text(
        "id,title,price,image_link\n"
        'A2,"Multi\nline title",1.00 USD,images/product.png\n'
        'A4,"Broken title,2.00 USD,images/product.png\n'
        "A5,Fine,3.00 USD,images/product.png\n",
        encoding="utf-8",
    )

    catalog = load_catalog(path)

    (error,) = catalog.errors
    assert (error.message, error.context["row"], error.context["line"]) == (
        "a quoted field opens on line 4 and is never closed",
        3,
        4,
    )
    assert [(p.row, p.sku, p.title) for p in catalog.products] == [(2, "A2", "Multi line title"), (4, "A5", "Fine")]


def test_quote_that_closes_rows_later_fails_its_row_and_the_rows_it_swallowed_are_read(feed: Path) -> None:
    path = feed / "catalog.csv"
    path.write_text(
        "id,title,price,image_link\n"
        'A2,"Broken,1.00 USD,images/product.png\n'
        "A3,Swallowed,2.00 USD,images/product.png\n"
        'A4,"Quoted",3.00 USD,images/product.png\n',
        encoding="utf-8",
    )

    catalog = load_catalog(path)

    (error,) = catalog.errors
    assert (error.context["row"], error.context["line"]) == (2, 2)
    assert (
        error.message
        == 'text follows the closing quote of a quoted field on line 4 (a quote inside a field is written twice: "")'
    )
    assert [(p.row, p.sku, p.title) for p in catalog.products] == [(3, "A3", "Swallowed"), (4, "A4", "Quoted")]


def test_row_spanning_lines_with_too_few_fields_suggests_a_missing_quote(feed: Path) -> None:
    path = feed / "catalog.csv"
    path.write_text(
        'id,title,price,image_link\nA2,"Two\nlines",1.00 USD\nA4,Fine,4.00 USD,images/product.png\n', encoding="utf-8"
    )

    catalog = load_catalog(path)

    (error,) = catalog.errors
    assert (
        error.message
        == "3 fields, the header has 4 (the row runs from line 2 to line 3 inside quotes; is a quote missing?)"
    )
    assert [(p.row, p.sku) for p in catalog.products] == [(3, "A4")]


def test_duplicate_id_fails_the_later_row_naming_the_first(feed: Path) -> None:
    path = write_csv(
        feed / "catalog.csv", HEADER, [row("A1"), row("B1"), row("A1", title="Again"), row("A1", title="Third")]
    )

    catalog = load_catalog(path)

    assert [(p.row, p.sku, p.title) for p in catalog.products] == [(2, "A1", "Product A1"), (3, "B1", "Product B1")]
    assert [(e.context["row"], e.context["column"], e.context["sku"], e.message) for e in catalog.errors] == [
        (4, "id", "A1", "duplicate id (first at row 2)"), (5, "id", "A1", "duplicate id (first at row 2)")
    ]  # fmt: skip


@pytest.mark.parametrize("availability", ["out of stock", "out_of_stock", "OUT_OF_STOCK", "discontinued"])
def test_unavailable_rows_are_skipped_with_their_reason_unless_included(feed: Path, availability: str) -> None:
    header = (*HEADER, "availability")
    rows = [
        row("IN", availability="in stock"),
        row("OUT", availability=availability),
        row("PRE", availability="preorder"),
    ]
    path = write_csv(feed / "catalog.csv", header, rows)

    catalog = load_catalog(path)
    included = load_catalog(path, CatalogOptions(include_unavailable=True))

    assert [p.sku for p in catalog.products] == ["IN", "PRE"]
    (skipped,) = catalog.skipped
    assert (skipped.row, skipped.sku, skipped.reason) == (3, "OUT", f"availability is {availability}")
    assert [type(item).__name__ for item in catalog.rows()] == ["Product", "SkippedRow", "Product"]
    assert [(p.sku, p.availability) for p in included.products][1] == ("OUT", availability)


def test_text_is_tidied_for_display_and_raw_values_stay_for_templates(feed: Path) -> None:
    title, description = "  Lip \n balm\t\u00a0cherry ", "First  line\r\n\r\n\r\n  Second\tline "
    path = write_csv(feed / "catalog.csv", (*HEADER, "description", "brand", "pattern"),
                     [row("A1", title=title, description=description, brand=" Acme\nLabs ", pattern="silk \n wool",
                          product_highlight=" Long   wear | Vegan\tformula ")])  # fmt: skip

    (product,) = load_catalog(path).products

    assert (product.title, product.brand, product.description) == (
        "Lip balm cherry",
        "Acme Labs",
        "First line\n\nSecond line",
    )
    assert product.highlights == ("Long wear", "Vegan formula")
    assert product.extra == {"pattern": "silk\nwool"}
    assert (product.raw["title"], product.raw["description"], product.raw["pattern"]) == (
        title,
        description,
        "silk \n wool",
    )
    rendered = (
        make_environment("en_US").from_string("[{{ product.raw.title }}]|{{ product.title }}").render(product=product)
    )
    assert rendered == f"[{title}]|Lip balm cherry"


@pytest.mark.parametrize("delimiter", [";", "|", "\t"])
def test_delimiter_is_sniffed_even_when_values_hold_commas(feed: Path, delimiter: str) -> None:
    path = feed / "catalog.txt"
    path.write_text(
        delimiter.join(["id", "title", "price", "image_link"]) + "\n"
        + delimiter.join(["A1", "Lip balm, cherry, large", "1.299,00 EUR", "images/product.png"]) + "\n",
        encoding="utf-8",
    )  # fmt: skip

    catalog = load_catalog(path)

    (product,) = catalog.products
    assert (product.title, product.price) == ("Lip balm, cherry, large", Money(Decimal("1299.00"), "EUR"))
    assert catalog.source is not None and catalog.source.delimiter == delimiter


def test_bad_rows_fail_alone_unavailable_ones_are_skipped_and_the_rest_render(
    templates_root: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "feed"
    shutil.copytree(REPO / "catalogs" / "images", folder / "images")
    path = folder / "catalog.csv"
    image = "images/lipstick-ruby.png"
    path.write_text(
        "id,title,price,image_link,availability\n"
        f"BAD-1,Lip balm, cherry,12.00 USD,{image},in stock\n"  # row 2: an unquoted comma, one field too many
        f"GOOD-1,Serum,24.00 USD,{image},in stock\n"
        f"BAD-2,Toner,{image},in stock\n"  # row 4: one field short
        f"GOOD-1,Serum again,20.00 USD,{image},in stock\n"
        f"OUT-1,Mask,9.00 USD,{image},out_of_stock\n"
        f"GOOD-2,Cream,30.00 USD,{image},in stock\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    options = RunOptions(
        template_id="quick", aspects=("1:1",), templates_root=templates_root, encode=EncodeSettings(preset="ultrafast")
    )

    report = run_batch(path, LocalStore(out), options)

    lines = {
        line["row"]: line for line in map(json.loads, (out / "manifest.jsonl").read_text(encoding="utf-8").splitlines())
    }
    assert {row: line["status"] for row, line in lines.items()} == {
        2: "failed",
        3: "rendered",
        4: "failed",
        5: "failed",
        6: "skipped",
        7: "rendered",
    }
    assert report.exit_code == 1
    assert f"{path}:2, row 2: 6 fields, the header has 5" == lines[2]["error"]
    assert f"{path}:4, row 4: 4 fields, the header has 5" == lines[4]["error"]
    assert lines[5]["reason"] == "duplicate id (first at row 3)"
    assert (lines[6]["sku"], lines[6]["reason"], "video" in lines[6]) == (
        "OUT-1",
        "availability is out_of_stock",
        False,
    )
    for number in (3, 7):
        assert probe(Path(str(lines[number]["video"]))).size == (1080, 1080)
    summary = json.loads((out / "run-summary.json").read_text(encoding="utf-8"))
    assert summary["catalog"] == {"format": "merchant", "container": "csv", "encoding": "utf-8", "delimiter": ","}
    assert summary["unavailable"] == [{"reason": "availability is out_of_stock", "count": 1}]

    args = ["run", str(path), "--out", str(out), "--templates", str(templates_root), "--template", "quick", "--aspect", "1:1",
            "--preset", "ultrafast", "--workers", "1", "--include-unavailable"]  # fmt: skip
    result = CliRunner().invoke(main, args)

    again = {
        line["row"]: line for line in map(json.loads, (out / "manifest.jsonl").read_text(encoding="utf-8").splitlines())
    }
    assert result.exit_code == 1, result.output
    assert {row: line["status"] for row, line in again.items()} == {
        2: "failed",
        3: "skipped",
        4: "failed",
        5: "failed",
        6: "rendered",
        7: "skipped",
    }
    assert probe(Path(str(again[6]["video"]))).size == (1080, 1080)


def test_a_catalog_with_only_a_header_loads_empty_and_says_so(feed: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = write_csv(feed / "catalog.csv", HEADER, [])
    with caplog.at_level("WARNING", logger="generator.planning.catalog"):
        catalog = load_catalog(path)
    assert (catalog.products, catalog.errors, catalog.skipped) == ((), (), ())
    assert [record.getMessage() for record in caplog.records] == [f"{path}: no product rows, only a header"]


def test_a_streamed_catalog_gives_the_rows_a_loaded_one_holds_in_the_same_order(write_catalog: WriteCatalog) -> None:
    rows = [product_row(f"S{n}") for n in range(6)]
    rows[2]["price"] = "twelve dollars"  # a bad row
    rows[4]["id"] = "S1"  # a duplicate of row 3
    path = write_catalog(rows)
    with path.open("a", encoding="utf-8") as handle:
        handle.write('S9,"never closed\n')  # a row the reader cannot read
    stream, loaded = stream_catalog(path), load_catalog(path)
    assert (stream.name, stream.columns, stream.source) == (loaded.name, loaded.columns, loaded.source)
    streamed = list(stream.rows())
    assert [type(item).__name__ for item in streamed] == [
        "Product", "Product", "CatalogError", "Product", "CatalogError", "Product", "CatalogError"
    ]  # fmt: skip
    assert [str(item) for item in streamed] == [str(item) for item in loaded.rows()]
    assert list(stream.rows()) == []  # read once


def test_streaming_a_catalog_holds_no_more_for_more_rows(write_catalog: WriteCatalog) -> None:
    """Planned as it is read, a catalog four times as long costs its text, not its rows; loaded, it costs its rows."""

    def peak_kib(rows: int, read: Callable[[Path], object]) -> float:
        path = write_catalog([product_row(f"M{n:05d}") for n in range(rows)], f"c{rows}.csv")
        load_catalog(write_catalog([product_row("warm")], "warm.csv"))  # images and lazy imports, once
        tracemalloc.start()
        read(path)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return peak / 1024

    def stream(path: Path) -> object:
        return collections.deque(stream_catalog(path).rows(), maxlen=0)

    streamed = (peak_kib(4000, stream) - peak_kib(1000, stream)) / 3000
    loaded = (peak_kib(4000, load_catalog) - peak_kib(1000, load_catalog)) / 3000
    assert loaded > 1.5 and streamed < loaded / 2  # KiB per row: streamed, about the text of a row and its id

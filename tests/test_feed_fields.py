"""The whole feed: additional images, the sale period and the render date, details, material, ratings, the link,
optional fields, on Google's RSS example layout and Shopify's export template."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from generator.core.errors import TemplateError
from generator.planning.catalog import CatalogOptions, load_catalog
from generator.planning.catalog.details import Detail
from generator.planning.catalog.model import MAX_ADDITIONAL_IMAGES
from generator.planning.catalog.ratings import Rating
from generator.planning.lint import lint_template
from generator.planning.plan.compile import compile_plan
from generator.planning.plan.sales import row_notes
from generator.planning.plan.types import ImagePlacement, TextPlacement
from generator.planning.templates import load_template, make_environment
from tests.conftest import DRAFT_LEGIBILITY, VOICES, make_png
from tests.feed_fixtures import BLUE, GREEN, google_rss, picture, shopify_csv

RENDER_DATE = dt.date(2026, 12, 10)  # a Thursday: the tee's sale ends on Sunday the 13th

FEED_TEMPLATE = """\
id: feed-test
version: 1
vertical: test
requires: [title, price, image_link]
optional: [additional_image_link, sale_price_effective_date, product_rating]
canvas: {{fps: 30, aspects: ["1:1"]}}
shots:
  - id: main
    duration: 0.5
    background: {{prompt: "studio"}}
    product: {{box: hero}}
  - id: detail
    duration: 0.5
    when: "product.images | length > 1"
    background: {{prompt: "studio"}}
    product: {{box: hero, image: "product.images[1]"}}
  - id: carousel
    duration: 0.5
    each: "picture in product.images[1:4]"
    background: {{prompt: "studio"}}
    product: {{box: hero, image: picture}}
  - id: ends
    duration: 0.5
    when: "product.sale_ends"
    background: {{prompt: "studio"}}
    text:
      - {{text: "{{{{ product.sale_ends | ends }}}}", style: headline, box: top}}
  - id: rating
    duration: 0.5
    when: "product.rating"
    background: {{prompt: "studio"}}
    text:
      - {{text: "{{{{ product.rating | stars }}}}", box: bottom}}
"""


def feed_template(root: Path, text: str = FEED_TEMPLATE.format()) -> Path:
    path = root / "test" / "feed-test.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_google_rss_example_loads_every_feed_field(tmp_path: Path) -> None:
    catalog = load_catalog(google_rss(tmp_path))

    assert catalog.errors == ()
    tee, speaker = catalog.products
    assert [image.source for image in tee.images] == [
        "catalog:images/tee.png", "catalog:images/tee-back.png", "catalog:images/tee-side.png"
    ]  # fmt: skip
    assert tee.additional_images == tee.images[1:]
    assert tee.sale_starts == dt.datetime(2026, 12, 1, 0, 0, tzinfo=dt.timezone(dt.timedelta(hours=-8)))
    assert tee.sale_ends == dt.datetime(2026, 12, 13, 23, 59, tzinfo=dt.timezone(dt.timedelta(hours=-8)))
    assert tee.details == (Detail("General", "Fit", "Relaxed"), Detail("Care", "Washing", "Machine wash, 30 °C"))
    assert (tee.material, tee.color, tee.size, tee.highlights) == (
        "Organic cotton", "Blue", "M", ("Soft organic cotton", "Relaxed fit")
    )  # fmt: skip
    assert tee.link == "https://store.example.com/product/tee"
    assert tee.extra["gtin"] == "00012345600012" and tee.extra["condition"] == "new"
    assert tee.warnings == ()
    # The speaker keeps its row: its missing extra image and its ftp link are dropped, each with a warning.
    assert (speaker.additional_images, speaker.link) == ((), "")
    assert [(w.context["row"], w.context["column"]) for w in catalog.warnings] == [
        (2, "link"), (2, "additional_image_link")
    ]  # fmt: skip
    assert "not a web address" in str(catalog.warnings[0])
    assert "images/missing.png" in str(catalog.warnings[1]) and "left out" in str(catalog.warnings[1])


def test_shopify_template_export_loads_its_images_and_review_metafields(tmp_path: Path) -> None:
    catalog = load_catalog(shopify_csv(tmp_path), CatalogOptions(default_currency="USD"))

    assert catalog.errors == ()
    (mug,) = catalog.products
    assert [image.source for image in mug.images] == [
        "catalog:images/mug.png", "catalog:images/mug-side.png", "catalog:images/mug-top.png"
    ]  # fmt: skip
    assert mug.rating == Rating(Decimal("4.60"), 1204)
    assert "product_rating" in catalog.columns and "Rating (product.metafields.reviews.rating)" not in mug.extra
    assert make_environment("en_US").from_string("{{ r | stars }}").render(r=mug.rating) == "4.6 ★ (1,204)"
    assert make_environment("de_DE").from_string("{{ r | stars }}").render(r=mug.rating) == "4,6 ★ (1.204)"


def quoted(value: str) -> str:
    """``value`` as a CSV field."""
    return '"' + value.replace('"', '""') + '"'


def write_rows(folder: Path, header: str, *rows: str) -> Path:
    make_png(folder / "images" / "product.png")
    path = folder / "catalog.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def test_merchant_csv_details_rating_aliases_and_extra_images_past_the_cap(tmp_path: Path) -> None:
    extras = [f"images/extra{i}.png" for i in range(MAX_ADDITIONAL_IMAGES + 2)]
    for index, extra in enumerate(extras):
        picture(tmp_path / extra, (index * 20, 40, 200))
    path = write_rows(
        tmp_path, "id,title,price,image_link,additional_image_link,product_detail,rating,review_count",
        f'A1,Lamp,20.00 USD,images/product.png,"{",".join(extras)}","Light:Colour temperature:2700 K, Size:Height:40 cm,nonsense",9.2/10,"1,204"',
    )  # fmt: skip

    catalog = load_catalog(path)

    (lamp,) = catalog.products
    assert [a.source for a in lamp.additional_images] == [f"catalog:{e}" for e in extras[:MAX_ADDITIONAL_IMAGES]]
    assert lamp.details == (Detail("Light", "Colour temperature", "2700 K"), Detail("Size", "Height", "40 cm,nonsense"))
    assert lamp.rating == Rating(Decimal("4.60"), 1204)
    assert [w.context["column"] for w in lamp.warnings] == ["additional_image_link"]
    assert (
        f"only the first {MAX_ADDITIONAL_IMAGES}" in lamp.warnings[0].message or "first 10" in lamp.warnings[0].message
    )


@pytest.mark.parametrize(
    ("column", "value", "words"),
    [
        ("sale_price_effective_date", "from Monday to Friday", "2026-12-01T00:00-0800/2026-12-13T23:59-0800"),
        ("sale_price_effective_date", "2026-12-13/2026-12-01", "ends before it starts"),
        ("product_rating", "6", "outside its scale 0 to 5"),
        ("product_rating", '{"scale_min":"1.0","scale_max":"5.0","value":"0.5"}', "outside its scale 1 to 5"),
        ("product_review_count", "many", "whole number"),
    ],
)
def test_a_bad_sale_period_or_rating_fails_its_row_naming_the_column(
    tmp_path: Path, column: str, value: str, words: str
) -> None:
    rating = "4.5" if column == "product_review_count" else ""
    values = {"sale_price_effective_date": "", "product_rating": rating, "product_review_count": ""} | {column: value}
    path = write_rows(
        tmp_path, "id,title,price,sale_price,image_link,sale_price_effective_date,product_rating,product_review_count",
        "OK,Fine,20.00 USD,,images/product.png,,,",
        "B1,Broken,20.00 USD,15.00 USD,images/product.png," + ",".join(quoted(v) for v in values.values()),
    )  # fmt: skip

    catalog = load_catalog(path)

    assert [p.sku for p in catalog.products] == ["OK"]
    (error,) = catalog.errors
    assert (error.context["row"], error.context["column"]) == (3, column)
    assert words in error.message


def test_a_sale_runs_only_on_its_days_and_templates_say_when_it_ends(tmp_path: Path) -> None:
    (tee, _) = load_catalog(google_rss(tmp_path)).products
    root = tmp_path / "templates"
    template = load_template(feed_template(root))

    def ends(today: dt.date) -> tuple[str, ...]:
        plan = compile_plan(template, tee, "1:1", root, VOICES, today)
        return tuple(t.text for s in plan.shots for t in s.layers if isinstance(t, TextPlacement) and s.id == "ends")

    assert ends(dt.date(2026, 12, 10)) == ("Ends Sunday",)
    assert ends(dt.date(2026, 12, 12)) == ("Ends tomorrow",)
    assert ends(dt.date(2026, 12, 13)) == ("Ends today",)
    assert ends(dt.date(2026, 12, 2)) == ("Ends in 11 days",)
    assert ends(dt.date(2026, 12, 14)) == ()  # ended: no sale, so the shot's when is false
    assert ends(dt.date(2026, 11, 30)) == ()  # not started
    assert row_notes(tee, dt.date(2026, 12, 14)) == (
        "row 1 (sku TEE_123): the sale ended on 2026-12-13, before the render date 2026-12-14: no sale price shown",
    )
    assert row_notes(tee, dt.date(2026, 12, 13)) == ()
    env = make_environment("en_US").from_string("{{ e | days_left }}")
    assert [env.render(e=tee.sale_ends, today=dt.date(2026, 12, d)) for d in (11, 13, 14)] == [
        "3 days left", "Last day", "Sale ended"
    ]  # fmt: skip
    german = make_environment("de_DE").from_string("{{ e | ends }}")
    assert german.render(e=tee.sale_ends, today=dt.date(2026, 12, 10)) == "Endet am Sonntag"
    sale_required = FEED_TEMPLATE.format().replace("requires: [title, price, image_link]", "requires: [sale_price]")
    with pytest.raises(Exception, match="requires sale_price"):
        compile_plan(load_template(feed_template(root, sale_required)), tee, "1:1", root, VOICES, dt.date(2026, 12, 14))


def test_product_layers_show_the_image_their_expression_chooses(tmp_path: Path) -> None:
    tee, speaker = load_catalog(google_rss(tmp_path)).products
    root = tmp_path / "templates"
    template = load_template(feed_template(root))

    plan = compile_plan(template, tee, "1:1", root, VOICES, RENDER_DATE)
    again = compile_plan(template, speaker, "1:1", root, VOICES, RENDER_DATE)  # the shot cache keys on the image

    shown = {s.id: [i.ref.source for i in s.layers if isinstance(i, ImagePlacement)] for s in plan.shots}
    assert shown == {
        "main": ["catalog:images/tee.png"], "detail": ["catalog:images/tee-back.png"],
        "carousel-1": ["catalog:images/tee-back.png"], "carousel-2": ["catalog:images/tee-side.png"], "ends": [],
    }  # fmt: skip
    assert [s.id for s in again.shots] == ["main"]
    assert [i.ref.source for i in again.shots[0].layers if isinstance(i, ImagePlacement)] == [
        "catalog:images/speaker.png"
    ]
    bad = FEED_TEMPLATE.format().replace('image: "product.images[1]"', 'image: "product.title"')
    with pytest.raises(TemplateError, match=r"image must give one of product\.images") as caught:
        compile_plan(load_template(feed_template(root, bad)), tee, "1:1", root, VOICES, RENDER_DATE)
    assert caught.value.context["field"] == "shots[1].product.image"


def test_lint_warns_of_undeclared_feed_fields_and_says_which_rows_lose_which_shots(tmp_path: Path) -> None:
    catalog = load_catalog(google_rss(tmp_path))
    root = tmp_path / "templates"
    path = feed_template(root, FEED_TEMPLATE.format().replace("optional: [additional_image_link, ", "optional: ["))

    findings = [str(f) for f in lint_template(path, catalog, root, legibility=DRAFT_LEGIBILITY, voices=VOICES,
                                              today=RENDER_DATE)]  # fmt: skip

    text = path.read_text(encoding="utf-8").splitlines()
    when_line = {i + 1: line for i, line in enumerate(text)}
    undeclared = [f for f in findings if "add additional_image_link to optional" in f]
    assert len(undeclared) == 2  # once per shot: the detail's when (before its image), the carousel's each
    lost = {f.split(": warning: ")[0].split(":")[1]: f.split(": warning: ")[1] for f in findings if "lose shot" in f}
    assert lost == {
        str(n): message
        for n, message in [
            (next(i for i, text_line in when_line.items() if "product.images | length" in text_line), "1 of 2 row(s) lose shot 'detail' (its when is false): rows 2"),
            (next(i for i, text_line in when_line.items() if "product.sale_ends\"" in text_line), "1 of 2 row(s) lose shot 'ends' (its when is false): rows 2"),
            (next(i for i, text_line in when_line.items() if "product.rating\"" in text_line), "2 of 2 row(s) lose shot 'rating' (its when is false): rows 1, 2"),
        ]
    }  # fmt: skip
    assert any("row 2, sku SPK_456, column additional_image_link" in f for f in findings)
    declared = lint_template(feed_template(root), catalog, root, legibility=DRAFT_LEGIBILITY, voices=VOICES)
    assert not [f for f in declared if "to optional" in f.message]
    misspelt = feed_template(root, FEED_TEMPLATE.format().replace("product_rating]", "product_rating, ratings]"))
    (unknown,) = [
        f
        for f in lint_template(misspelt, None, root, legibility=DRAFT_LEGIBILITY, voices=VOICES)
        if "ratings" in f.message
    ]
    assert (unknown.severity, unknown.line) == ("warning", 5)
    assert unknown.message == "optional names 'ratings', which is no catalog column or product field"


def test_the_shot_cache_keys_on_the_image_a_layer_shows(tmp_path: Path) -> None:
    picture(tmp_path / "images" / "back-a.png", BLUE)
    picture(tmp_path / "images" / "back-b.png", GREEN)
    path = write_rows(
        tmp_path, "id,title,price,image_link,additional_image_link",
        "A,Same,20.00 USD,images/product.png,images/back-a.png", "B,Same,20.00 USD,images/product.png,images/back-b.png",
    )  # fmt: skip
    root = tmp_path / "templates"
    template = load_template(feed_template(root))

    plans = [compile_plan(template, p, "1:1", root, VOICES, RENDER_DATE) for p in load_catalog(path).products]

    detail = [next(s for s in plan.shots if s.id == "detail").layers[0] for plan in plans]
    assert [layer.ref.source for layer in detail if isinstance(layer, ImagePlacement)] == [
        "catalog:images/back-a.png", "catalog:images/back-b.png"
    ]  # fmt: skip

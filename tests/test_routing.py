"""Routing: a row goes to a template by its category (Google's product taxonomy, a path or an id, or Meta's
own), then by its ``vertical`` column, then by its ``product_type``, then to the fallback template; the
manifest says which rule chose it, and lint and ``adgen plan`` name the rows only the fallback took."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from click.testing import CliRunner

from generator.core.errors import CatalogError, TemplateError
from generator.core.geometry import ASPECT_SIZES
from generator.orchestration.batches.run import batch_options
from generator.orchestration.cli import main
from generator.orchestration.runs.rows import PlannedRow, RunOptions, plan_rows
from generator.orchestration.stores.fetch import Fetcher, FetchSettings
from generator.planning.batches import batch_problems, load_batch
from generator.planning.catalog import CatalogOptions, Product, load_catalog
from generator.planning.catalog.taxonomy import google_taxonomy, name_key, read_category, top_levels
from generator.planning.lint import lint_template, sample_product
from generator.planning.routing import fallback_template, route
from generator.planning.templates import Template, discover_templates, load_template, template_schema
from render.backends import RendererSettings
from render.encode import EncodeSettings
from tests import test_fetch
from tests.conftest import DRAFT_LEGIBILITY, REPO, VOICES, product_row
from tests.media import probe

web = test_fetch.web  # the HTTP server on 127.0.0.1 the fetch tests use (module-scoped fixture)
Route, Web = test_fetch.Route, test_fetch.Web
IMAGES = REPO / "catalogs" / "images"
WriteCatalog = Callable[..., Path]

# Shopify's product_template.csv, as Shopify publishes it: its columns, and its three products (an active
# T-shirt in three variants, draft pants, an archived hat), the images on this test's server instead.
SHOPIFY_COLUMNS = [
    "Handle",
    "Title",
    "Body (HTML)",
    "Vendor",
    "Product Category",
    "Type",
    "Tags",
    "Published",
    "Option1 Name",
    "Option1 Value",
    "Option2 Name",
    "Option2 Value",
    "Option3 Name",
    "Option3 Value",
    "Variant SKU",
    "Variant Grams",
    "Variant Inventory Tracker",
    "Variant Inventory Qty",
    "Variant Inventory Policy",
    "Variant Fulfillment Service",
    "Variant Price",
    "Variant Compare At Price",
    "Variant Requires Shipping",
    "Variant Taxable",
    "Variant Barcode",
    "Image Src",
    "Image Position",
    "Image Alt Text",
    "Gift Card",
    "SEO Title",
    "SEO Description",
    "Google Shopping / Google Product Category",
    "Google Shopping / Gender",
    "Google Shopping / Age Group",
    "Google Shopping / MPN",
    "Google Shopping / AdWords Grouping",
    "Google Shopping / AdWords Labels",
    "Google Shopping / Condition",
    "Google Shopping / Custom Product",
    "Google Shopping / Custom Label 0",
    "Google Shopping / Custom Label 1",
    "Google Shopping / Custom Label 2",
    "Google Shopping / Custom Label 3",
    "Google Shopping / Custom Label 4",
    "Variant Image",
    "Variant Weight Unit",
    "Variant Tax Code",
    "Cost per item",
    "Price / International",
    "Compare At Price / International",
    "Status",
]
_PRODUCT = {"Vendor": "Acme", "Product Category": "Apparel & Accessories > Clothing", "Option1 Name": "Title",
            "Variant Inventory Policy": "deny", "Variant Fulfillment Service": "manual", "Variant Requires Shipping": "TRUE",
            "Variant Taxable": "TRUE", "Image Position": "1", "Gift Card": "FALSE",
            "SEO Description": "A great description of your products in 320 characters or less",
            "Google Shopping / Google Product Category": "Apparel & Accessories > Clothing", "Google Shopping / Gender": "Unisex",
            "Google Shopping / Age Group": "Adult", "Google Shopping / AdWords Labels": "cotton, pre-shrunk",
            "Google Shopping / Condition": "used", "Google Shopping / Custom Product": "FALSE", "Variant Weight Unit": "g"}  # fmt: skip
_VARIANT = {"Variant Inventory Policy": "deny", "Variant Fulfillment Service": "manual", "Variant Grams": "200",
            "Variant Requires Shipping": "TRUE", "Variant Taxable": "TRUE", "Variant Weight Unit": "g"}  # fmt: skip
SHOPIFY_ROWS = [
    {**_PRODUCT, "Handle": "example-t-shirt", "Title": "Example T-Shirt", "Type": "Shirts", "Tags": "mens t-shirt example",
     "Published": "TRUE", "Option1 Value": 'Lithograph - Height: 9" x Width: 12"', "Variant Grams": "3629",
     "Variant Price": "25", "Image Src": "{shop}/photos/green-t-shirt.jpg?width=5000",
     "SEO Title": "Our awesome T-shirt in 70 characters or less.", "Google Shopping / MPN": "7X8ABC910",
     "Google Shopping / AdWords Grouping": "T-shirts", "Status": "active"},
    {**_VARIANT, "Handle": "example-t-shirt", "Option1 Value": "Small", "Variant SKU": "example-shirt-s",
     "Variant Price": "19.99", "Variant Compare At Price": "24.99"},
    {**_VARIANT, "Handle": "example-t-shirt", "Option1 Value": "Medium", "Variant SKU": "example-shirt-m",
     "Variant Inventory Tracker": "shopify", "Variant Price": "19.99", "Variant Compare At Price": "24.99"},
    {**_PRODUCT, "Handle": "example-pants", "Title": "Example Pants", "Type": "Pants", "Tags": "mens pants example",
     "Published": "FALSE", "Option1 Value": "Jeans, W32H34", "Variant Grams": "1250", "Variant Price": "49.99",
     "Variant Compare At Price": "57.99", "Image Src": "{shop}/photos/distressed-kids-jeans.jpg?width=5000",
     "SEO Title": "Our awesome Pants in 70 characters or less.", "Google Shopping / MPN": "7Y2ABD712",
     "Google Shopping / AdWords Grouping": "Pants", "Status": "draft"},
    {**_PRODUCT, "Handle": "example-hat", "Title": "Example Hat", "Type": "Hat", "Tags": "mens hat example",
     "Published": "FALSE", "Option1 Value": "Grey", "Variant Grams": "275", "Variant Price": "17.99",
     "Variant Compare At Price": "22.99", "Image Src": "{shop}/photos/kids-beanie.jpg?width=5000",
     "SEO Title": "Our awesome Hat in 70 characters or less.", "Google Shopping / MPN": "5P1NBQ314",
     "Google Shopping / AdWords Grouping": "Hat", "Status": "archived"},
]  # fmt: skip

MINIMAL = """\
id: {id}
version: 1
vertical: {vertical}
categories: {categories}
product_types: {types}
shots:
  - id: hero
    duration: 1.0
    background: {{prompt: "studio"}}
    product: {{box: hero}}
"""


def write_template(root: Path, template_id: str, vertical: str, categories: object = (), types: object = ()) -> Path:
    path = root / vertical / f"{template_id}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(MINIMAL.format(id=template_id, vertical=vertical, categories=json.dumps(list(categories)),
                                   types=json.dumps(list(types))), encoding="utf-8")  # fmt: skip
    return path


def shopify_template(folder: Path, shop: str) -> Path:
    """``product_template.csv`` in ``folder``, its images served by ``shop``."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=SHOPIFY_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: v.replace("{shop}", shop) for k, v in row.items()} for row in SHOPIFY_ROWS)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "product_template.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


@pytest.fixture
def shop(web: test_fetch.Web) -> str:
    """The server, answering the template's image URLs with a real product photo (a JPEG on a light background)."""
    photo = (IMAGES / "camera-violet.jpg").read_bytes()
    for name in ("green-t-shirt", "distressed-kids-jeans", "kids-beanie"):
        web.routes[f"/photos/{name}.jpg?width=5000"] = Route(content_type="image/jpeg", body=photo)
    return web.url


def manifest(out: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (out / "manifest.jsonl").read_text(encoding="utf-8").splitlines()]


def test_every_top_level_category_of_googles_taxonomy_has_a_vertical_with_a_shipped_template() -> None:
    taxonomy = google_taxonomy()
    tops = [path[0] for path in taxonomy.paths.values() if len(path) == 1]
    assert (taxonomy.version, len(taxonomy.paths), len(tops)) == ("2019-07-10", 5582, 21)
    assert set(top_levels().google) == {name_key(top) for top in tops}
    shipped = {template.spec.vertical for template in discover_templates(REPO / "templates")[0].values()}
    assert set(top_levels().google.values()) | set(top_levels().facebook.values()) <= shipped


# (value, column, the path it names, its vertical)
CATEGORIES = [
    ("212", "google_product_category", "Apparel & Accessories > Clothing > Shirts & Tops", "fashion"),
    ("1604", "google_product_category", "Apparel & Accessories > Clothing", "fashion"),
    ("1604 - Apparel & Accessories > Clothing", "google_product_category", "Apparel & Accessories > Clothing", "fashion"),
    ("apparel & accessories >  clothing > shirts & tops", "google_product_category",
     "Apparel & Accessories > Clothing > Shirts & Tops", "fashion"),
    ("Food Beverages & Tobacco > Beverages > Coffee", "google_product_category",
     "Food, Beverages & Tobacco > Beverages > Coffee", "food"),
    ("736", "google_product_category",
     "Home & Garden > Kitchen & Dining > Kitchen Appliances > Coffee Makers & Espresso Machines", "home"),
    ("clothing & accessories > clothing > shirts", "fb_product_category", "clothing & accessories > clothing > shirts",
     "fashion"),
    ("Health & Beauty > Beauty > Makeup", "fb_product_category", "Health & Beauty > Beauty > Makeup", "beauty"),
    ("Skin Care", "google_product_category", "Skin Care", None),
]  # fmt: skip


@pytest.mark.parametrize(("value", "column", "path", "vertical"), CATEGORIES)
def test_an_id_or_a_path_names_its_category_and_its_top_level_gives_the_vertical(
    value: str, column: str, path: str, vertical: str | None
) -> None:
    category = read_category(value, column)
    assert category is not None and category.problem is None
    assert (str(category), category.vertical) == (path, vertical)


def test_an_id_no_taxonomy_has_is_named_in_words() -> None:
    google, meta = read_category("9999999", "google_product_category"), read_category("281", "fb_product_category")
    assert google is not None and meta is not None
    assert google.problem == (
        "google_product_category 9999999 is not an id of Google's product taxonomy (version 2019-07-10): "
        "write its path instead"
    )
    assert meta.problem == (
        "fb_product_category 281 is an id of Meta's own taxonomy, which adgen cannot read: write its path instead"
    )


@pytest.fixture(scope="module")
def claimants(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Template]:
    """Templates claiming categories at several depths, one per vertical, and a general one."""
    root = tmp_path_factory.mktemp("claimants") / "templates"
    write_template(root, "basic-wear", "fashion")
    write_template(root, "clothing", "fashion", categories=[1604])
    write_template(root, "tops", "fashion", categories=["Apparel & Accessories > Clothing > Shirts & Tops"])
    write_template(root, "gadgets", "electronics", types=["phones"])
    write_template(root, "anything", "general")
    templates, errors = discover_templates(root)
    assert errors == []
    return templates


def product(category: str = "", vertical: str = "", product_type: str = "", meta: str = "") -> Product:
    extra = {"fb_product_category": meta} if meta else {}
    base = sample_product()
    return replace(base, google_product_category=category, vertical=vertical, product_type=product_type, extra=extra)


# (case, the product, the template it goes to, the rule)
ROUTES = [
    ("the most specific claim wins", product("212"), "tops", "taxonomy"),
    ("a claim covers what lies below it", product("Apparel & Accessories > Clothing > Dresses"), "clothing", "taxonomy"),
    ("an unclaimed category goes to its vertical", product("187"), "basic-wear", "taxonomy"),
    ("Meta's own taxonomy", product(meta="clothing & accessories > shoes"), "basic-wear", "taxonomy"),
    ("a top level of the general vertical", product("Vehicles & Parts > Vehicle Parts & Accessories"), "anything",
     "taxonomy"),
    ("the taxonomy comes before the vertical column", product("212", vertical="electronics"), "tops", "taxonomy"),
    ("a category of a vertical no template is of falls through", product("Health & Beauty", product_type="Phones"),
     "gadgets", "product_type"),
    ("the vertical column", product(vertical="electronics"), "gadgets", "vertical"),
    ("a category that is not Google's", product("Skin Care", product_type="Smart phones"), "gadgets", "product_type"),
    ("an unknown id", product("9999999", product_type="phones"), "gadgets", "product_type"),
    ("nothing matches", product(product_type="Widgets"), "anything", "fallback"),
]  # fmt: skip


@pytest.mark.parametrize(("item", "expected", "rule"), [case[1:] for case in ROUTES], ids=[case[0] for case in ROUTES])
def test_a_row_goes_to_the_template_the_first_matching_rule_finds(
    claimants: dict[str, Template], item: Product, expected: str, rule: str
) -> None:
    chosen = route(item, claimants, fallback_template(claimants, None))
    assert (chosen.template.id, chosen.rule) == (expected, rule)


def test_a_template_that_prefers_a_row_wins_over_its_siblings_and_an_explicit_one_is_never_routed(
    tmp_path: Path,
) -> None:
    root = tmp_path / "templates"
    write_template(root, "b-launch", "fashion")
    sale = write_template(root, "a-sale", "fashion", categories=[1604])
    sale.write_text(sale.read_text(encoding="utf-8") + 'prefer: "product.sale_price is not none"\n', encoding="utf-8")
    review = write_template(root, "0-review", "fashion", categories=[212])
    review.write_text(review.read_text(encoding="utf-8") + "routing: explicit\n", encoding="utf-8")
    templates, errors = discover_templates(root)
    assert errors == []
    on_sale = product(vertical="fashion")
    plain = replace(on_sale, sale_price=None)
    assert on_sale.sale_price is not None
    assert route(plain, templates).template.id == "b-launch"  # a template preferring other rows comes last
    assert route(on_sale, templates).template.id == "a-sale"
    # Within a category claim, preference reorders equal claims only: the most specific claim still wins.
    assert route(replace(on_sale, google_product_category="212"), templates).template.id == "a-sale"
    # The explicit template's more specific claim is skipped.
    assert route(replace(plain, google_product_category="212"), templates).template.id == "a-sale"
    broken = sale.read_text(encoding="utf-8").replace("product.sale_price is not none", "product.sale_price > 1")
    sale.write_text(broken, encoding="utf-8")
    templates, errors = discover_templates(root)
    with pytest.raises(TemplateError) as caught:
        route(on_sale, templates)
    assert str(caught.value).startswith(f"{sale}:11, sku SAMPLE-1, column 1, field prefer: expression failed: ")


def test_the_reason_and_the_notes_say_what_routing_read() -> None:
    templates, _ = discover_templates(REPO / "templates")
    full_price = replace(product("9999999", product_type="phones"), sale_price=None)  # a sale would go to tech-deal
    chosen = route(full_price, templates, fallback_template(templates, None))
    assert (chosen.template.id, chosen.rule) == ("tech-spotlight", "product_type")
    assert chosen.reason == "its product type 'phones' contains 'phones'"
    assert chosen.notes == (
        "google_product_category 9999999 is not an id of Google's product taxonomy (version 2019-07-10): "
        "write its path instead",
    )


def test_without_a_fallback_a_row_no_rule_routes_fails_naming_its_row_columns_and_the_rule(
    claimants: dict[str, Template], write_catalog: WriteCatalog
) -> None:
    templates = {k: t for k, t in claimants.items() if t.spec.vertical != "general"}
    with pytest.raises(CatalogError) as caught:
        route(product("Mature", product_type="Widgets"), templates, fallback_template(templates, None))
    assert str(caught.value) == (
        "row 0, sku SAMPLE-1, column google_product_category, vertical, product_type: no template is made for its "
        "category 'Mature' and its product type 'Widgets' (rule: a row goes to a template claiming its category, "
        "of its vertical or matching its product type; give --fallback-template ID for the rest, or --template ID for all)"
    )
    catalog = write_catalog([product_row("W", product_type="Widgets")])
    root = next(iter(templates.values())).path.parent.parent
    (failed,) = plan_rows(load_catalog(catalog), templates, RunOptions(templates_root=root))
    assert not isinstance(failed, PlannedRow) and failed.status == "failed"
    assert failed.error is not None and failed.error.startswith(
        f"{catalog}, row 2, sku W, column vertical, product_type:"
    )


# (categories written, the error at the line of `categories`)
BAD_CLAIMS = [
    ('["Aparel & Accessories > Shoes"]', "categories[0]: 'Aparel & Accessories' is not a top-level category of Google's "
     "product taxonomy (nor of Meta's) (did you mean 'Apparel & Accessories'?); write a path such as "
     "'Apparel & Accessories > Shoes', or an id"),
    ("[187, 9999999]", "categories[1]: 9999999 is not the id of a category of Google's product taxonomy (version 2019-07-10)"),
]  # fmt: skip


@pytest.mark.parametrize(("written", "message"), BAD_CLAIMS)
def test_a_claim_that_names_no_category_fails_the_template_at_its_line(
    tmp_path: Path, written: str, message: str
) -> None:
    path = write_template(tmp_path / "templates", "claims", "fashion")
    path.write_text(path.read_text(encoding="utf-8").replace("categories: []", f"categories: {written}"))
    with pytest.raises(TemplateError) as caught:
        load_template(path)
    column = 14 if "Aparel" in written else 19
    assert str(caught.value) == f"{path}:4, column {column}, field {message}"


def test_lint_warns_of_a_claim_googles_taxonomy_lacks_and_the_schema_documents_the_field(tmp_path: Path) -> None:
    path = write_template(
        tmp_path / "templates", "claims", "fashion", categories=[187, "Apparel & Accessories > Kilts"]
    )
    assert [str(f) for f in lint_template(path, legibility=DRAFT_LEGIBILITY, voices=VOICES)] == [
        f"{path}:4:19: warning: 'Apparel & Accessories > Kilts' is not a category of Google's product taxonomy "
        "(version 2019-07-10): only products whose category is written just so (such as Shopify's own categories) "
        "match it"
    ]
    categories = template_schema()["properties"]["categories"]
    assert categories["default"] == [] and "Default: none." in categories["description"]
    assert {kind["type"] for kind in categories["items"]["anyOf"]} == {"string", "integer"}


@pytest.mark.slow
def test_shopifys_product_template_renders_its_active_product_in_every_aspect_routed_by_taxonomy(
    shop: str, tmp_path: Path
) -> None:
    catalog, out = shopify_template(tmp_path / "shop", shop), tmp_path / "out"
    args = ["run", str(catalog), "--currency", "USD", "--aspect", "all", "--allow-private-urls", "--preset",
            "ultrafast", "--workers", "1", "--fetch-cache", str(tmp_path / "fetch"), "--out", str(out)]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    lines = manifest(out)
    assert [(line["sku"], line["status"], line.get("reason")) for line in lines if line["status"] == "skipped"] == [
        ("example-pants", "skipped", "status is draft"), ("example-hat", "skipped", "status is archived")
    ]  # fmt: skip
    rendered = [line for line in lines if line["status"] == "rendered"]
    assert {(line["sku"], line["template"], line["routed_by"]) for line in rendered} == {
        ("example-t-shirt", "street-drop", "taxonomy")
    }
    assert sorted(str(line["aspect"]) for line in rendered) == sorted(ASPECT_SIZES)
    for line in rendered:
        assert probe(Path(str(line["video"]))).size == ASPECT_SIZES[str(line["aspect"])]


def test_shopifys_product_template_plans_its_active_product_by_its_product_category(shop: str, tmp_path: Path) -> None:
    fetcher = Fetcher(FetchSettings(cache=tmp_path / "fetch", allow_private=True))
    catalog = load_catalog(
        shopify_template(tmp_path / "shop", shop), CatalogOptions(default_currency="USD", fetcher=fetcher)
    )
    assert catalog.errors == ()
    assert [(s.sku, s.reason) for s in catalog.skipped] == [
        ("example-pants", "status is draft"), ("example-hat", "status is archived")
    ]  # fmt: skip
    templates, _ = discover_templates(REPO / "templates")
    (shirt,) = catalog.products
    chosen = route(shirt, templates)
    assert (shirt.sku, shirt.product_type, chosen.template.id, chosen.rule) == (
        "example-t-shirt", "Shirts", "street-drop", "taxonomy"
    )  # fmt: skip
    assert chosen.reason == (
        "its category 'Apparel & Accessories > Clothing' (google_product_category) is of the fashion vertical"
    )


# Products whose only signal is a numeric google_product_category (or Meta's own path): their product
# types would route them nowhere.
NUMBERED = [
    ("TEE-1", "212", "", "street-drop"),
    ("CAFE-1", "736", "", "cozy-home"),
    ("PHONE-1", "267", "", "tech-spotlight"),
    ("CAP-1", "", "clothing & accessories > clothing accessories > hats", "street-drop"),
    ("HONEY-1", "1868", "", "fresh-market"),
]


def numbered_rows() -> list[dict[str, str]]:
    return [{**product_row(sku, product_type="Misc", image_link="images/product.png"), "google_product_category": gpc,
             "fb_product_category": meta} for sku, gpc, meta, _ in NUMBERED]  # fmt: skip


def write_meta_csv(folder: Path, rows: list[dict[str, str]]) -> Path:
    out = io.StringIO()
    header = ["id", "title", "description", "availability", "condition", "price", "link", "image_link", "brand",
              "google_product_category", "fb_product_category", "product_type", "color", "status"]  # fmt: skip
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows({**row, "availability": "in stock", "condition": "new", "status": "active"} for row in rows)
    path = folder / "meta.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def write_merchant_xml(folder: Path, rows: list[dict[str, str]]) -> Path:
    names = ("id", "image_link", "price", "brand", "product_type", "google_product_category")
    items = "".join(
        f"<item><title>{escape(row['title'])}</title>"
        + "".join(f"<g:{name}>{escape(row[name])}</g:{name}>" for name in names if row[name])
        + "</item>\n"
        for row in rows
    )
    path = folder / "feed.xml"
    path.write_text('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" xmlns:g="http://base.google.com/ns/1.0">'
                    f"<channel><title>Shop</title>\n{items}</channel></rss>\n", encoding="utf-8")  # fmt: skip
    return path


@pytest.mark.parametrize(("writer", "source"), [(write_meta_csv, "meta"), (write_merchant_xml, "merchant-xml")])
def test_a_feed_whose_categories_are_numeric_ids_is_routed_by_the_taxonomy(
    feed: Path, writer: Callable[[Path, list[dict[str, str]]], Path], source: str
) -> None:
    rows = numbered_rows() if source == "meta" else [r for r in numbered_rows() if r["google_product_category"]]
    catalog = load_catalog(writer(feed, rows))
    assert catalog.source is not None and catalog.source.format == source and catalog.errors == ()
    templates, _ = discover_templates(REPO / "templates")
    routed = [(p.sku, route(p, templates).template.id, route(p, templates).rule) for p in catalog.products]
    assert routed == [
        (sku, template, "taxonomy") for sku, _, _, template in NUMBERED if (sku, source) != ("CAP-1", "merchant-xml")
    ]


def test_a_meta_catalog_routed_by_id_renders_and_its_manifest_says_so(
    feed: Path, templates_root: Path, tmp_path: Path
) -> None:
    root = tmp_path / "templates"
    shutil.copytree(templates_root, root)
    quick = (root / "test" / "quick.yaml").read_text(encoding="utf-8")
    (root / "test" / "apparel.yaml").write_text(
        quick.replace("id: quick\n", "id: apparel\n").replace("vertical: test\n", "vertical: test\ncategories: [166]\n")
    )
    catalog, out = write_meta_csv(feed, numbered_rows()[:1]), tmp_path / "out"
    args = ["run", str(catalog), "--templates", str(root), "--preset", "ultrafast", "--workers", "1", "--out", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    (line,) = manifest(out)
    assert (line["sku"], line["status"], line["template"], line["routed_by"]) == (
        "TEE-1",
        "rendered",
        "apparel",
        "taxonomy",
    )


def test_a_row_no_rule_routes_gets_the_fallback_and_lint_and_plan_name_it(
    write_catalog: WriteCatalog, templates_root: Path, tmp_path: Path
) -> None:
    catalog, out = write_catalog([product_row("W", product_type="Widgets")]), tmp_path / "out"
    args = ["--templates", str(templates_root)]
    ran = CliRunner().invoke(main, ["run", str(catalog), *args, "--fallback-template", "quick", "--preset", "ultrafast",
                                    "--workers", "1", "--aspect", "9:16", "--out", str(out)])  # fmt: skip
    assert ran.exit_code == 0, ran.output
    (line,) = manifest(out)
    assert (line["status"], line["template"], line["routed_by"]) == ("rendered", "quick", "fallback")
    warning = (
        "row 2 (sku W): no template is made for its product type 'Widgets', so it gets the general-purpose template"
    )
    assert f"WARNING {warning} 'quick'" in ran.stderr

    planned = CliRunner().invoke(main, ["plan", str(catalog), *args])
    assert planned.exit_code == 0, planned.output
    assert f"WARNING {warning} 'showcase'; claim its category in a template's 'categories'" in planned.stderr
    assert [json.loads(line)["template"]["id"] for line in planned.stdout.splitlines()] == ["showcase"]

    linted = CliRunner().invoke(main, ["templates", "lint", str(templates_root / "test" / "quick.yaml"), "--catalog",
                                       str(catalog), "--templates", str(templates_root)])  # fmt: skip
    assert linted.exit_code == 0, linted.output
    assert f"{catalog}: warning: {warning} 'showcase'" in linted.stdout
    unknown = CliRunner().invoke(main, ["plan", str(catalog), *args, "--fallback-template", "quik"])
    assert unknown.exit_code == 2 and re.search(r"unknown template 'quik'; available: .*quick", unknown.stderr)


def test_a_batch_spec_names_its_fallback_template(tmp_path: Path, templates_root: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "id: fallback\ncatalog: {source: catalog.csv}\nfallback_template: quick\nout: out\n", encoding="utf-8"
    )
    batch = load_batch(spec)
    assert batch_problems(batch, {"quick"}, {}, catalog=False) == []
    settings = FetchSettings(cache=tmp_path / "fetch")
    _, options = batch_options(batch, RendererSettings(), settings, templates_root=templates_root,
                               encode=EncodeSettings(), keyframe_cache=None)  # fmt: skip
    assert options.fallback_template == "quick"


def test_an_older_shopify_export_without_product_category_is_routed_by_its_google_shopping_category(
    shop: str, tmp_path: Path
) -> None:
    path = shopify_template(tmp_path / "shop", shop)
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    older = [{k: v for k, v in row.items() if k != "Product Category"} for row in rows]
    out = io.StringIO()
    writer = csv.DictWriter(
        out, fieldnames=[c for c in SHOPIFY_COLUMNS if c != "Product Category"], lineterminator="\n"
    )
    writer.writeheader()
    writer.writerows(older)
    path.write_text(out.getvalue(), encoding="utf-8")
    fetcher = Fetcher(FetchSettings(cache=tmp_path / "fetch", allow_private=True))
    (shirt,) = load_catalog(path, CatalogOptions(default_currency="USD", fetcher=fetcher)).products
    assert shirt.google_product_category == "Apparel & Accessories > Clothing"
    assert route(shirt, discover_templates(REPO / "templates")[0]).rule == "taxonomy"

"""Google's RSS example and Shopify's export template through planning and rendering: routed in every aspect,
through every shipped template whose requirements their rows meet, and rendered by ``adgen run``, with the
additional image and the sale's end (or the rating) drawn where the plan puts them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from generator.orchestration.cli import main
from generator.planning.catalog import CatalogOptions, load_catalog
from generator.planning.plan.compile import compile_plan
from generator.planning.plan.types import ImagePlacement, ShotPlan, TextPlacement
from generator.planning.templates import discover_templates
from tests.conftest import REPO, VOICES, stored_plan
from tests.feed_fixtures import BLUE, google_rss, shopify_csv
from tests.media import decode_frame
from tests.test_feed_fields import RENDER_DATE

FIXTURES = {"google-rss": (google_rss, []), "shopify": (shopify_csv, ["--currency", "USD"])}

# Claims both fixtures' first rows; its extra-image shot and its text shots are what the render test looks for.
RENDERED = """\
id: feed-render
version: 1
vertical: test
categories: ["Apparel & Accessories", "Home & Garden"]
requires: [title, price, image_link]
optional: [additional_image_link, sale_price_effective_date, product_rating]
canvas: {fps: 30, aspects: ["1:1"]}
palette: {background: ["#202020", "#181818"], accent: "#303030"}
transition: {type: cut}
shots:
  - id: extra
    duration: 0.4
    when: "product.images | length > 1"
    background: {prompt: "studio"}
    product: {box: hero, image: "product.images[1]", enter: none, shadow: false}
    text:
      - text: "{{ product.sale_ends | ends if product.sale_ends else product.rating | stars }}"
        style: headline
        box: top
        enter: none
"""


@pytest.mark.parametrize("name", list(FIXTURES))
def test_each_fixture_plans_routed_in_every_aspect_and_through_every_template_it_meets(
    tmp_path: Path, name: str
) -> None:
    write, options = FIXTURES[name]
    catalog_path = write(tmp_path / "feed")
    catalog = load_catalog(catalog_path, CatalogOptions(default_currency="USD"))
    root = REPO / "templates"

    result = CliRunner().invoke(
        main, ["plan", str(catalog_path), "--templates", str(root), "--aspect", "all",
               "--render-date", RENDER_DATE.isoformat(), *options],
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    plans = [ShotPlan.model_validate_json(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert sorted((p.product["sku"], p.aspect) for p in plans) == sorted(
        (p.sku, aspect) for p in catalog.products for aspect in ("9:16", "4:5", "1:1", "16:9")
    )
    templates, errors = discover_templates(root)
    assert errors == [] and templates
    met = 0
    for template in templates.values():
        for product in catalog.products:
            if all(product.field_value(field) for field in template.spec.requires):
                for aspect in template.spec.canvas.aspects:
                    assert compile_plan(template, product, aspect, root, VOICES, RENDER_DATE).frames > 0
                    met += 1
    assert met >= len(catalog.products)


def _pixels(frame: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
    x, y, w, h = (round(v) for v in box)
    return frame[y : y + h, x : x + w].astype(int)


@pytest.mark.parametrize("name", list(FIXTURES))
def test_adgen_run_draws_the_additional_image_and_the_sale_end_where_the_plan_puts_them(
    tmp_path: Path, name: str
) -> None:
    write, options = FIXTURES[name]
    catalog_path = write(tmp_path / "feed")
    root = tmp_path / "templates"
    shutil.copytree(REPO / "templates", root)
    (root / "test").mkdir()
    (root / "test" / "feed-render.yaml").write_text(RENDERED, encoding="utf-8")
    out = tmp_path / "out"

    result = CliRunner().invoke(
        main, ["run", str(catalog_path), "--out", str(out), "--templates", str(root), "--limit", "1",
               "--renderer", "draft", "--preset", "ultrafast", "--render-date", RENDER_DATE.isoformat(), *options],
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    (line,) = [json.loads(text) for text in (out / "manifest.jsonl").read_text(encoding="utf-8").splitlines()]
    assert line["template"] == "feed-render" and line["routed_by"] == "taxonomy"
    plan = stored_plan(Path(str(line["job"])))
    (shot,) = plan.shots
    (image,) = [layer for layer in shot.layers if isinstance(layer, ImagePlacement)]
    (text,) = [layer for layer in shot.layers if isinstance(layer, TextPlacement)]
    catalog = load_catalog(catalog_path, CatalogOptions(default_currency="USD"))
    assert image.ref.source == catalog.products[0].images[1].source
    assert text.text == ("Ends Sunday" if name == "google-rss" else "4.6 ★ (1,204)")
    frame = decode_frame(Path(str(line["video"])), shot.start + shot.frames - 1)
    inside = _pixels(frame, image.box)
    blue = (np.abs(inside - np.array(BLUE)).max(axis=2) < 60).mean()
    assert blue > 0.3  # the additional image, cut out and pinned, fills its box
    assert (np.abs(_pixels(frame, (0, 0, *plan.size)) - np.array(BLUE)).max(axis=2) < 60).sum() <= inside.size
    words = _pixels(frame, text.box)
    assert (words.min(axis=2) > 200).mean() > 0.01  # white glyphs inside the text's box
    below = _pixels(frame, (text.box[0], text.box[1] + text.box[3] + 10, text.box[2], text.box[3] / 2))
    assert (below.min(axis=2) > 200).mean() < (words.min(axis=2) > 200).mean() / 4

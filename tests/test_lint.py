"""Template lint: one broken template per rule, each finding asserted with its exact file:line:column and message."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.core.fonts import font_chain
from generator.orchestration.cli import main
from generator.planning.catalog import load_catalog
from generator.planning.lint import lint_template
from generator.planning.plan.compile import box_pixels
from tests.conftest import DRAFT_LEGIBILITY, VOICES, product_row

BASE = """\
id: lint-test
version: 1
vertical: test
requires: [title, price, image_link]
shots:
  - id: hero
    duration: 2.0
    background: {prompt: "studio"}
    product: {box: hero}
    text:
      - {text: "{{ product.title }}", style: headline, box: lower}
"""


def write(tmp_path: Path, text: str, name: str = "broken") -> Path:
    path = tmp_path / "templates" / "lint" / f"{name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def lint(tmp_path: Path, text: str, catalog: Path | None = None) -> list[str]:
    path = write(tmp_path, text)
    loaded = load_catalog(catalog) if catalog is not None else None
    return [
        str(finding).replace(f"{path}:", "T:")
        for finding in lint_template(path, loaded, legibility=DRAFT_LEGIBILITY, voices=VOICES)
    ]


def test_a_good_template_has_no_findings(tmp_path: Path) -> None:
    assert lint(tmp_path, BASE) == []


def test_bad_yaml_names_the_line_and_column_of_the_open_bracket(tmp_path: Path) -> None:
    text = BASE.replace('background: {prompt: "studio"}', 'background: {prompt: "studio"')
    assert lint(tmp_path, text) == ["T:8:17: error: invalid YAML: expected ',' or '}', but got '<scalar>'"]


def test_unknown_field_suggests_the_near_name(tmp_path: Path) -> None:
    text = BASE.replace("    duration: 2.0", "    duraton: 2.0")
    assert lint(tmp_path, text) == [
        "T:6:5: error: missing required field 'duration'",
        "T:7:5: error: unknown field 'duraton' (did you mean 'duration'?)",
    ]


def test_unknown_field_inside_a_layer(tmp_path: Path) -> None:
    text = BASE.replace("product: {box: hero}", "product: {box: hero, enterr: pop}")
    assert lint(tmp_path, text) == ["T:9:26: error: unknown field 'enterr' (did you mean 'enter'?)"]


def test_wrong_type(tmp_path: Path) -> None:
    text = BASE.replace("duration: 2.0", "duration: long")
    assert lint(tmp_path, text) == ["T:7:5: error: duration: expected a number, not 'long'"]


def test_duration_that_is_not_whole_frames(tmp_path: Path) -> None:
    text = BASE.replace("duration: 2.0", "duration: 2.05")
    assert lint(tmp_path, text) == [
        "T:7:5: error: 2.05 s is 61.5 frames at 30 fps; use a whole number of frames (a multiple of 1/30 s)"
    ]


def test_unknown_transition_suggests_the_near_name(tmp_path: Path) -> None:
    text = BASE.replace("    duration: 2.0\n", "    duration: 2.0\n    transition: {type: crosfade}\n")
    assert lint(tmp_path, text) == [
        "T:8:18: error: type: 'crosfade' is not one of cut, crossfade, slide, wipe, zoom (did you mean 'crossfade'?)"
    ]


def test_expression_syntax_error(tmp_path: Path) -> None:
    text = BASE.replace("{{ product.title }}", "{{ product.title | }}")
    assert lint(tmp_path, text) == ["T:11:10: error: syntax error: expected token 'name', got 'end of print statement'"]


def test_unknown_product_field_suggests_the_near_name(tmp_path: Path) -> None:
    text = BASE.replace("{{ product.title }}", "{{ product.titel }}")
    assert lint(tmp_path, text) == ["T:11:10: error: products have no field 'titel' (did you mean 'product.title'?)"]


def test_unknown_style_and_box(tmp_path: Path) -> None:
    assert lint(tmp_path, BASE.replace("style: headline", "style: headlin")) == [
        "T:11:39: error: unknown style 'headlin' (did you mean 'headline'?); defined: badge, body, caption, cta, headline, price, was"
    ]
    assert lint(tmp_path, BASE.replace("box: lower}", "box: lowr}")) == [
        "T:11:56: error: box: unknown box 'lowr'; use one of top, upper, center, lower, bottom, lower-left, lower-right, hero"
        " or [x, y, w, h] (did you mean 'lower'?)"
    ]


def test_an_unquoted_aspect_is_explained(tmp_path: Path) -> None:
    text = BASE.replace("vertical: test\n", "vertical: test\ncanvas: {aspects: [9:16]}\n")
    assert lint(tmp_path, text) == [
        'T:4:20: error: write the aspect in quotes, "9:16": unquoted, YAML reads it as the number 556'
    ]


def test_brand_kit_outside_the_templates_folder(tmp_path: Path) -> None:
    text = BASE.replace("vertical: test\n", "vertical: test\nbrand_kit: ../../../etc/passwd\n")
    assert lint(tmp_path, text) == ["T:4:1: error: brand kit '../../../etc/passwd' is outside the templates folder"]


def test_expression_that_fails_on_a_row_names_the_row(tmp_path: Path, write_catalog: Callable[..., Path]) -> None:
    text = BASE.replace("{{ product.title }}", "{{ product.sale_price.amount }}")
    catalog = write_catalog([product_row("A", sale_price="20.00 USD"), product_row("B"), product_row("C")])
    assert lint(tmp_path, text, catalog) == [
        "T:11:10: error: row 3 (sku B) (and 1 more row): expression failed: 'None' has no attribute 'amount'"
    ]


def test_column_the_template_requires_that_the_catalog_lacks(
    tmp_path: Path, write_catalog: Callable[..., Path]
) -> None:
    text = BASE.replace("requires: [title, price, image_link]", "requires: [title, price, image_link, gtin]")
    catalog = write_catalog([product_row("A")])
    findings = lint(tmp_path, text, catalog)
    assert findings[0] == "T:4:38: error: the catalog has no column 'gtin', which the template requires"


def test_column_read_but_missing_is_a_warning(tmp_path: Path, write_catalog: Callable[..., Path]) -> None:
    text = BASE.replace("{{ product.title }}", "{{ product.title }} {{ product.size }}")
    catalog = write_catalog([product_row("A")])
    assert lint(tmp_path, text, catalog) == [
        "T:11:10: warning: the catalog has no column 'size', read by 'product.size'; it is empty for every row"
    ]
    path = write(tmp_path, text)
    result = CliRunner().invoke(main, ["templates", "lint", str(path), "--catalog", str(catalog)])
    assert result.exit_code == 0, result.output
    assert "warning: the catalog has no column 'size'" in result.output


def test_text_too_long_even_at_minimum_size_names_the_row(tmp_path: Path, write_catalog: Callable[..., Path]) -> None:
    long_title = "Extraordinarily " * 12 + "long title"
    catalog = write_catalog([product_row("A"), product_row("LONG", title=long_title)])
    _, _, width, height = box_pixels("lower", "safe", "9:16")  # the text's box, in pixels
    strict = BASE.replace("box: lower}", "box: lower, overflow: error}")  # catalog text would be shortened by default
    assert lint(tmp_path, strict, catalog) == [
        f"T:11:10: error: row 3 (sku LONG): text '{long_title}' does not fit a {width:.0f}x{height:.0f} px box"
        " even at the minimum size 56 px"
    ]


def test_missing_glyph_names_the_row_and_the_character(tmp_path: Path, write_catalog: Callable[..., Path]) -> None:
    catalog = write_catalog([product_row("A"), product_row("PUA", title="Odd \ue000 sign")])
    chain = ", ".join(font_chain("DejaVu Sans", "bold"))
    assert lint(tmp_path, BASE, catalog) == [
        f"T:11:10: error: row 3 (sku PUA): no font in the chain ({chain}) has a glyph for '\\ue000' (U+E000)"
    ]


def test_box_outside_the_safe_zone(tmp_path: Path) -> None:
    text = BASE.replace("box: lower}", "box: [0.0, 0.0, 1.0, 0.1], area: canvas}")
    findings = lint(tmp_path, text)
    assert findings == [
        "T:11:9: error: the sample product: shots[0].text[0] (text) reaches 230 px past the top, 65 px past the right"
        " and 65 px past the left of the 9:16 safe zone, where platform UI covers it (from frame 15 of shot hero)"
    ]


def test_cli_exit_codes(tmp_path: Path) -> None:
    good, bad = write(tmp_path, BASE, "good"), write(tmp_path, BASE.replace("duration: 2.0", "duration: 2.05"), "bad")
    ok = CliRunner().invoke(main, ["templates", "lint", str(good)])
    assert ok.exit_code == 0 and ok.output.strip().endswith("0 error(s), 0 warning(s)")
    failed = CliRunner().invoke(main, ["templates", "lint", str(bad)])
    assert failed.exit_code == 1
    assert f"{bad}:7:5: error: 2.05 s is 61.5 frames" in failed.output


@pytest.mark.parametrize(
    "name",
    [
        "beauty/beauty-launch",
        "electronics/tech-spotlight",
        "fashion/street-drop",
        "food/fresh-market",
        "home/cozy-home",
    ],
)
def test_shipped_templates_lint_clean_against_the_sample_catalog(name: str, templates_root: Path) -> None:
    from tests.conftest import SAMPLE_CATALOG

    findings = lint_template(
        templates_root / f"{name}.yaml",
        load_catalog(SAMPLE_CATALOG),
        templates_root,
        legibility=DRAFT_LEGIBILITY,
        voices=VOICES,
    )
    assert [str(f) for f in findings if f.severity == "error"] == []

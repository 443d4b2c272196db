"""Batch specs: the sample loads, bad specs exit 2 naming file:line and the rule, filters select as documented."""

from __future__ import annotations

import base64
import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from click.testing import CliRunner, Result

from generator.orchestration.cli import main
from generator.planning.batches import Filter, load_batch, select_products
from generator.planning.catalog import CatalogOptions, load_catalog
from tests.conftest import HEADER, REPO, SAMPLE_CATALOG, product_row

WriteCatalog = Callable[..., Path]
SAMPLE = REPO / "batches" / "spring-sample.yaml"
SECRET_ENV = "ADGEN_TEST_BATCH_SECRET"
SECRET = "whsec_" + base64.b64encode(bytes(range(32))).decode()
SPEC = f"""\
id: spring
catalog:
  source: {SAMPLE_CATALOG}
  currency: USD
filter:
  where:
    - {{field: id, matches: "^BEA-"}}
templates: [quick]
out: out
schedule:
  cron: "0 6 * * mon"
  timezone: Europe/Paris
notify:
  - url: https://hooks.example.com/adgen
    secret_env: {SECRET_ENV}
"""


def validate(spec: Path, templates_root: Path, secret: str | None = SECRET) -> Result:
    """``adgen batch validate SPEC`` with the webhook secret variable set to ``secret`` (None: unset)."""
    args = ["batch", "validate", str(spec), "--templates", str(templates_root)]
    return CliRunner().invoke(main, args, env={SECRET_ENV: secret})


def test_the_sample_spec_loads_and_selects_some_of_the_sample_catalog() -> None:
    batch = load_batch(SAMPLE)
    assert batch.spec.schedule is not None and batch.spec.schedule.timezone == "Europe/Paris"
    assert batch.spec.on_removed == "keep"
    assert batch.catalog_source == SAMPLE_CATALOG
    assert isinstance(batch.out, Path) and batch.out.parent == REPO / "out"
    catalog = load_catalog(SAMPLE_CATALOG, CatalogOptions(default_currency=batch.spec.catalog.currency))
    selected = select_products(batch.spec.filter, catalog.products)
    assert 0 < len(selected) < len(catalog.products)


def test_the_sample_spec_validates_against_the_shipped_templates() -> None:
    result = CliRunner().invoke(main, ["batch", "validate", str(SAMPLE)])
    assert result.exit_code == 0, result.output
    assert "spring-sample" in result.stdout


def test_the_printed_schema_accepts_the_sample_and_refuses_an_unknown_field() -> None:
    result = CliRunner().invoke(main, ["batch", "schema"])
    assert result.exit_code == 0
    validator = jsonschema.Draft202012Validator(json.loads(result.output))
    sample = yaml.safe_load(SAMPLE.read_text(encoding="utf-8"))
    assert list(validator.iter_errors(sample)) == []
    assert list(validator.iter_errors({**sample, "on_remove": "keep"}))


def test_a_spec_that_can_run_here_validates(tmp_path: Path, templates_root: Path) -> None:
    spec = tmp_path / "spring.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    result = validate(spec, templates_root)
    assert result.exit_code == 0, result.output


# (case, text replaced in SPEC, its replacement, the secret variable's value, what the message says)
BAD_SPECS = [
    ("unknown field", "out: out\n", "out: out\non_remove: delete\n", SECRET,
     "unknown field 'on_remove' (did you mean 'on_removed'?)"),
    ("bad cron", '"0 6 * * mon"', '"0 6 * *"', SECRET, "'0 6 * *' is not a 5-field crontab"),
    ("cron value out of range", '"0 6 * * mon"', '"0 25 * * mon"', SECRET, "is not a 5-field crontab"),
    ("unknown timezone", "Europe/Paris", "Europe/Pariss", SECRET,
     "'Europe/Pariss' is not an IANA time zone such as Europe/Paris (did you mean 'Europe/Paris'?)"),
    ("missing secret variable", "out: out", "out: out", None, f"environment variable {SECRET_ENV} is not set"),
    ("secret without prefix", "out: out", "out: out", SECRET.removeprefix("whsec_"), "does not start with whsec_"),
    ("secret not base64", "out: out", "out: out", "whsec_not*base64!", "is not base64"),
    ("secret too short", "out: out", "out: out", "whsec_" + base64.b64encode(b"short").decode(), "decodes to 5 bytes"),
    ("unknown template", "[quick]", "[quik]", SECRET, "unknown template 'quik' (did you mean 'quick'?)"),
    ("unknown fallback template", "templates: [quick]\n", "templates: [quick]\nfallback_template: quik\n", SECRET,
     "unknown template 'quik' (did you mean 'quick'?)"),
    ("bad regex", '"^BEA-"', '"^(BEA-"', SECRET, "'^(BEA-' is not a regular expression"),
    ("two tests in one condition", '"^BEA-"', '"^BEA-", equals: x', SECRET, "give exactly one of equals, one_of"),
    ("unknown renderer setting", "out: out", "out: out\nrenderer: {stepz: 4}", SECRET,
     "unknown renderer setting 'stepz' (did you mean 'steps'?)"),
    ("unknown currency", "currency: USD", "currency: XYZ", SECRET, "'XYZ' is not an ISO 4217 currency code"),
    ("unquoted aspect", "out: out", "out: out\naspects: [9:16]", SECRET, 'write the aspect in quotes, "9:16"'),
    ("catalog neither a path nor a block", f"catalog:\n  source: {SAMPLE_CATALOG}\n  currency: USD\n",
     "catalog: [a.csv, b.csv]\n", SECRET,
     "catalog: expected a path or URL, or a block with source:, not ['a.csv', 'b.csv']"),
    ("a number where a block is expected", "out: out", "out: out\nlimits: 5", SECRET,
     "limits: expected a block with the fields max_rows, max_failures"),
    ("a negative limit", "out: out", "out: out\nlimits: {max_rows: 0}", SECRET,
     "max_rows: expected a number of at least 1, not 0"),
]  # fmt: skip


@pytest.mark.parametrize(("old", "new", "secret", "message"), [case[1:] for case in BAD_SPECS],
                         ids=[case[0] for case in BAD_SPECS])  # fmt: skip
def test_a_bad_spec_exits_2_naming_file_line_and_rule(
    tmp_path: Path, templates_root: Path, old: str, new: str, secret: str | None, message: str
) -> None:
    text = SPEC.replace(old, new)
    spec = tmp_path / "spring.yaml"
    spec.write_text(text, encoding="utf-8")
    result = validate(spec, templates_root, secret)
    assert result.exit_code == 2, result.output
    written = next((line for line in new.splitlines() if line not in SPEC.splitlines()), None)
    at = written if written is not None else f"secret_env: {SECRET_ENV}"
    line = next(number for number, content in enumerate(text.splitlines(), 1) if at.strip() in content)
    assert f"{spec}:{line}," in result.stderr
    assert message in result.stderr
    assert (secret or SECRET) not in result.output


def test_validate_reports_every_problem_in_line_order(tmp_path: Path, templates_root: Path) -> None:
    spec = tmp_path / "spring.yaml"
    spec.write_text(SPEC.replace("[quick]", "[quik]"), encoding="utf-8")
    result = validate(spec, templates_root, secret=None)
    assert result.exit_code == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("ERROR")]
    assert len(errors) == 2
    assert "unknown template" in errors[0] and SECRET_ENV in errors[1]


def test_a_missing_local_catalog_is_named_at_its_line(tmp_path: Path, templates_root: Path) -> None:
    spec = tmp_path / "spring.yaml"
    spec.write_text(SPEC.replace(str(SAMPLE_CATALOG), "feeds/spring.csv"), encoding="utf-8")
    result = validate(spec, templates_root)
    assert result.exit_code == 2
    assert f"{spec}:3," in result.stderr and "catalog file not found" in result.stderr
    assert str(tmp_path / "feeds" / "spring.csv") in result.stderr


def _products(write_catalog: WriteCatalog) -> Any:
    rows = [
        product_row("BEA-1", brand="Lumière", price="24.00 USD", product_type="Health & Beauty > Makeup > Lipstick"),
        product_row("BEA-2", brand="Aqualis", price="39.90 USD", sale_price="29.90 USD",
                    product_type="Health & Beauty > Skin Care", product_highlight="Vegan|Hydrating"),
        product_row("ELE-1", brand="Sonique", price="199.99 USD", product_type="Electronics > Audio",
                    product_highlight="Deep bass"),
        product_row("ELE-2", brand="sonique", price="59.99 EUR", product_type="Electronics > Audio > Speakers",
                    product_highlight="Deep bass"),
    ]  # fmt: skip
    return load_catalog(write_catalog(rows), CatalogOptions()).products


FILTERS = [
    ({}, ["BEA-1", "BEA-2", "ELE-1", "ELE-2"]),
    ({"where": [{"field": "brand", "equals": "SONIQUE"}]}, ["ELE-1", "ELE-2"]),
    ({"where": [{"field": "brand", "one_of": ["lumière", "Aqualis"]}]}, ["BEA-1", "BEA-2"]),
    ({"where": [{"field": "product_type", "contains": "audio"}]}, ["ELE-1", "ELE-2"]),
    ({"where": [{"field": "id", "matches": "^ELE-"}]}, ["ELE-1", "ELE-2"]),
    ({"where": [{"field": "brand", "matches": "^sonique$"}]}, ["ELE-2"]),
    ({"where": [{"field": "product_highlight", "equals": "vegan"}]}, ["BEA-1", "BEA-2"]),
    ({"where": [{"field": "price", "contains": "EUR"}]}, ["ELE-2"]),
    ({"where": [{"field": "id", "matches": "^BEA-"}, {"field": "brand", "equals": "Aqualis"}]}, ["BEA-2"]),
    ({"price": {"currency": "USD", "max": 30}}, ["BEA-1", "BEA-2"]),
    ({"price": {"currency": "USD", "min": "29.90", "max": 100}}, ["BEA-2"]),
    ({"price": {"currency": "EUR", "min": 0}}, ["ELE-2"]),
    ({"product_types": ["skin care", "speakers"]}, ["BEA-2", "ELE-2"]),
    ({"product_types": ["Audio"], "price": {"currency": "USD", "min": 100}}, ["ELE-1"]),
]


@pytest.mark.parametrize(("rules", "selected"), FILTERS)
def test_a_filter_selects_the_products_every_condition_holds_for(
    write_catalog: WriteCatalog, rules: dict[str, Any], selected: list[str]
) -> None:
    products = _products(write_catalog)
    assert [p.sku for p in select_products(Filter.model_validate(rules), products)] == selected


def test_custom_labels_and_availability_are_matched_ignoring_case_and_spelling(write_catalog: WriteCatalog) -> None:
    folder = write_catalog([product_row("unused")]).parent
    path = folder / "labelled.csv"
    rows = [
        product_row("A", availability="in stock", custom_label_0="Spring", custom_label_3="hero"),
        product_row("B", availability="preorder", custom_label_0="summer"),
        product_row("C", availability="", custom_label_0="spring"),
        product_row("D", availability="out_of_stock", custom_label_0="spring"),
    ]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=[*HEADER, "availability", "custom_label_0", "custom_label_3"])
        writer.writeheader()
        writer.writerows(rows)
    products = load_catalog(path, CatalogOptions(include_unavailable=True)).products

    def skus(rules: dict[str, Any]) -> list[str]:
        return [p.sku for p in select_products(Filter.model_validate(rules), products)]

    assert skus({"custom_label_0": ["SPRING"]}) == ["A", "C", "D"]
    assert skus({"custom_label_0": ["spring", "summer"], "custom_label_3": ["hero"]}) == ["A"]
    assert skus({"availability": ["In_Stock"]}) == ["A", "C"]
    assert skus({"availability": ["preorder", "out of stock"]}) == ["B", "D"]

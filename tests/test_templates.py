"""Templates: validation with exact line numbers, sandboxed expressions, filters and discovery."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import jinja2
import jsonschema
import pytest
import yaml
from click.testing import CliRunner
from jinja2.sandbox import SecurityError
from PIL import Image, ImageDraw

from generator.core.errors import TemplateError
from generator.orchestration.cli import main
from generator.planning.assets import load_image_asset
from generator.planning.catalog import Money, Product
from generator.planning.templates import Template, discover_templates, load_template, make_environment
from generator.planning.templates.source import _parsed

REPO_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

# A small valid template written in block style, so that every field sits on its own line.
VALID = """\
id: test-template
version: 1
vertical: beauty
locale: en_US
canvas:
  fps: 30
transition:
  type: crossfade
  duration: 0.3
shots:
  - id: intro
    duration: 2.0
    background:
      prompt: "studio, {{ product.color }}"
    text:
      - text: "{{ product.title }}"
        style: headline
        box: top
  - id: outro
    duration: 1.0
    background:
      prompt: plain studio
    product:
      box: hero
"""


# --- helpers -------------------------------------------------------------------------------------


def edit(text: str, old: str, new: str) -> str:
    """Replace exactly one occurrence of ``old``; fails loudly if the base template changed."""
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
    return text.replace(old, new)


def line_of(text: str, line: str) -> int:
    """1-based number of the last line of ``text`` that reads exactly ``line``."""
    lines = text.splitlines()
    assert line in lines, f"{line!r} not in the template"
    return len(lines) - lines[::-1].index(line)


def write(folder: Path, text: str, name: str = "t.yaml") -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def image_asset(tmp_path: Path):
    path = tmp_path / "images" / "p.png"
    path.parent.mkdir()
    image = Image.new("RGBA", (32, 32), (0, 0, 0, 0))
    ImageDraw.Draw(image).ellipse((8, 8, 23, 23), fill=(30, 160, 90, 255))
    image.save(path)
    return load_image_asset(path, "catalog:images/p.png")


@pytest.fixture
def make_product(image_asset) -> Callable[..., Product]:
    def make(**values: object) -> Product:
        fields: dict[str, object] = {
            "row": 2, "sku": "SKU-1", "title": "Velvet Lipstick", "price": Money(Decimal("24.00"), "USD"),
            "image": image_asset, "color": "ruby",
        }  # fmt: skip
        fields.update(values)
        return Product(**fields)  # type: ignore[arg-type]

    return make


@pytest.fixture
def template(tmp_path: Path) -> Template:
    return load_template(write(tmp_path, VALID))


TEXT_PATH = ("shots", 0, "text", 0, "text")


# --- loading -------------------------------------------------------------------------------------


def test_valid_template_loads_with_defaults_and_field_lines(tmp_path: Path) -> None:
    path = write(tmp_path, VALID)

    loaded = load_template(path)

    assert loaded.id == "test-template"
    assert [shot.id for shot in loaded.spec.shots] == ["intro", "outro"]
    assert loaded.spec.canvas.aspects == ("9:16",)
    assert loaded.line_of(TEXT_PATH) == line_of(VALID, '      - text: "{{ product.title }}"')
    assert loaded.line_of(("shots", 1, "product", "box")) == line_of(VALID, "      box: hero")


# (case id, how to break VALID, the offending line as written, phrase of the message, field)
BROKEN = [
    (
        "yaml-bad-indent",
        lambda t: edit(t, "    background:\n      prompt: plain studio", "   background:\n      prompt: plain studio"),
        "   background:",
        "invalid YAML",
        None,
    ),
    (
        "yaml-unclosed-bracket",
        lambda t: edit(t, "      prompt: plain studio", "      prompt: [plain studio"),
        "      prompt: [plain studio",
        "invalid YAML",
        None,
    ),
    (
        "yaml-duplicate-key",
        lambda t: edit(t, "vertical: beauty\n", "vertical: beauty\nname: First\nname: Second\n"),
        "name: Second",
        "duplicate key 'name'",
        "name",
    ),
    (
        "unknown-field",
        lambda t: edit(t, "    duration: 2.0\n", "    duration: 2.0\n    colour: red\n"),
        "    colour: red",
        "unknown field 'colour'",
        "shots[0].colour",
    ),
    (
        "unknown-top-level-field",
        lambda t: edit(t, "locale: en_US\n", "locale: en_US\nauthor: me\n"),
        "author: me",
        "unknown field 'author'",
        "author",
    ),
    (
        "wrong-type",
        lambda t: edit(t, "version: 1", "version: three"),
        "version: three",
        "version: expected a whole number, not 'three'",
        "version",
    ),
    (
        "jinja-syntax-error",
        lambda t: edit(t, '"{{ product.title }}"', '"{{ product.title "'),
        '      - text: "{{ product.title "',
        "syntax error",
        "shots[0].text[0].text",
    ),
    (
        "jinja-syntax-error-in-prompt",
        lambda t: edit(t, '"studio, {{ product.color }}"', '"studio, {% if product.color %}"'),
        '      prompt: "studio, {% if product.color %}"',
        "syntax error",
        "shots[0].background.prompt",
    ),
    (
        "duration-not-whole-frames",
        lambda t: edit(t, "    duration: 2.0", "    duration: 0.35"),
        "    duration: 0.35",
        "whole number of frames",
        "shots[0].duration",
    ),
    (
        "unknown-transition-type",
        lambda t: edit(t, "  type: crossfade", "  type: wipes"),
        "  type: wipes",
        "'wipes' is not one of cut, crossfade, slide, wipe, zoom (did you mean 'wipe'?)",
        "transition.type",
    ),
    (
        "unknown-shot-transition-type",
        lambda t: edit(t, "    duration: 1.0\n", "    duration: 1.0\n    transition:\n      type: dissolve\n"),
        "      type: dissolve",
        "'dissolve' is not one of cut, crossfade, slide, wipe, zoom",
        "shots[1].transition.type",
    ),
    (
        "unknown-text-style",
        lambda t: edit(t, "        style: headline", "        style: fancy"),
        "        style: fancy",
        "unknown style 'fancy'",
        "shots[0].text[0].style",
    ),
    (
        "duplicate-shot-id",
        lambda t: edit(t, "  - id: outro", "  - id: intro"),
        "  - id: intro",  # the second one
        "duplicate shot id 'intro'",
        "shots[1].id",
    ),
    (
        "unknown-named-box",
        lambda t: edit(t, "        box: top", "        box: middle"),
        "        box: middle",
        "unknown box 'middle'",
        "shots[0].text[0].box",
    ),
    (
        "unknown-poster-shot",
        lambda t: edit(t, "locale: en_US\n", "locale: en_US\nposter: finale\n"),
        "poster: finale",
        "unknown shot 'finale'",
        "poster",
    ),
]


@pytest.mark.parametrize(
    ("breaker", "offending", "phrase", "field"), [case[1:] for case in BROKEN], ids=[case[0] for case in BROKEN]
)
def test_broken_template_error_names_file_line_and_rule(
    tmp_path: Path, breaker: Callable[[str], str], offending: str, phrase: str, field: str | None
) -> None:
    text = breaker(VALID)
    path = write(tmp_path, text)

    with pytest.raises(TemplateError) as caught:
        load_template(path)

    error = caught.value
    assert error.context["file"] == path
    assert error.context["line"] == line_of(text, offending)
    assert phrase in error.message
    if field is not None:
        assert error.context["field"] == field
    assert f"{path}:{line_of(text, offending)}" in str(error)


@pytest.mark.parametrize("text", ["", "# only a comment\n", "- a\n- b\n", "just text\n"])
def test_empty_or_non_mapping_template_is_refused_at_line_1(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, text)

    with pytest.raises(TemplateError) as caught:
        load_template(path)

    assert caught.value.context["file"] == path
    assert caught.value.context["line"] == 1


# --- filters -------------------------------------------------------------------------------------


def render_filter(locale: str, source: str, **variables: object) -> str:
    return make_environment(locale).from_string(source).render(**variables)


@pytest.mark.parametrize(
    ("locale", "money", "expected"),
    [
        ("en_US", Money(Decimal("1299.00"), "USD"), "$1,299.00"),
        ("en_US", Money(Decimal("19.9"), "USD"), "$19.90"),
        ("de_DE", Money(Decimal("1299.00"), "EUR"), "1.299,00 €"),
    ],
)
def test_money_filter_formats_for_the_locale(locale: str, money: Money, expected: str) -> None:
    out = render_filter(locale, "{{ price | money }}", price=money)

    assert out.replace("\u00a0", " ") == expected


def test_money_filter_writes_yen_without_decimals_in_ja_jp() -> None:
    out = render_filter("ja_JP", "{{ price | money }}", price=Money(Decimal("1299"), "JPY"))

    assert "1,299" in out
    assert "." not in out
    assert "¥" in out or "￥" in out


def test_money_filter_refuses_values_that_are_not_prices() -> None:
    with pytest.raises(jinja2.TemplateRuntimeError, match="money expects a price"):
        render_filter("en_US", "{{ 12 | money }}")


@pytest.mark.parametrize(
    ("value", "source", "expected"),
    [
        (Decimal("0.25"), "{{ v | percent }}", "25%"),
        (Decimal("0.125"), "{{ v | percent(1) }}", "12.5%"),
        (0.5, "{{ v | percent }}", "50%"),
    ],
)
def test_percent_filter(value: object, source: str, expected: str) -> None:
    assert render_filter("en_US", source, v=value) == expected


def test_percent_of_none_fails_with_a_hint() -> None:
    with pytest.raises(jinja2.TemplateRuntimeError, match="sale"):
        render_filter("en_US", "{{ v | percent }}", v=None)


@pytest.mark.parametrize(
    ("text", "length"),
    [
        ("Velvet matte lipstick with shea butter", 20),
        ("Hydra glow serum for a dewy, radiant finish", 25),
        ("The quick brown fox jumps over the lazy dog", 20),  # a whole word ends exactly at the cut
        ("A tiny title", 12),
    ],
)
def test_truncate_filter_keeps_whole_words_and_marks_the_cut(text: str, length: int) -> None:
    out = render_filter("en_US", "{{ t | truncate(n) }}", t=text, n=length)

    if len(text) <= length:
        assert out == text
        return
    assert out.endswith("…")
    assert len(out) <= length
    kept = out.removesuffix("…")
    assert text.startswith(kept) and text[len(kept)] == " ", "the cut falls between words"
    next_word = text[len(kept) :].split()[0]
    assert len(f"{kept} {next_word}…") > length, "every whole word that fits is kept"


# --- expressions ---------------------------------------------------------------------------------


def test_strict_undefined_names_the_field_and_line(tmp_path: Path, make_product) -> None:
    text = edit(VALID, '"{{ product.title }}"', '"{{ product.nope }}"')
    loaded = load_template(write(tmp_path, text))
    source = loaded.spec.shots[0].text[0].text

    with pytest.raises(TemplateError) as caught:
        loaded.render_text(source, TEXT_PATH, {"product": make_product()})

    error = caught.value
    assert error.context["field"] == "shots[0].text[0].text"
    assert error.context["line"] == line_of(text, '      - text: "{{ product.nope }}"')
    assert "nope" in error.message
    assert isinstance(error.__cause__, jinja2.UndefinedError)


@pytest.mark.parametrize("expression", ["product.nope", "product.__class__"])
def test_evaluate_raises_template_error_for_undefined_values(template: Template, make_product, expression: str) -> None:
    # A `when:` or `each:` expression must fail here, with file and line, not return an Undefined
    # that blows up later as a bare jinja2 error when the planner tests or iterates it.
    with pytest.raises(TemplateError) as caught:
        template.evaluate(expression, ("shots", 1, "when"), {"product": make_product()})

    assert caught.value.context["field"] == "shots[1].when"
    assert caught.value.context["line"] == line_of(VALID, "  - id: outro")


def test_evaluate_returns_python_values(template: Template, make_product) -> None:
    sale = make_product(sale_price=Money(Decimal("18.00"), "USD"), highlights=("a", "b", "c", "d"))
    variables = {"product": sale}

    assert template.evaluate("product.sale_price is not none", ("shots", 0, "when"), variables) is True
    assert template.evaluate("product.highlights[:3]", ("shots", 0, "each"), variables) == ("a", "b", "c")
    assert template.evaluate("product.discount", ("shots", 0, "when"), variables) == Decimal("0.25")


@pytest.mark.parametrize(
    "source",
    [
        "{{ product.__class__.__mro__ }}",
        "{{ product.title.__class__.__base__.__subclasses__() }}",
        "{{ product.field_value.__globals__ }}",
        "{{ product.price.amount.__class__ }}",
    ],
)
def test_sandbox_refuses_private_attribute_access(template: Template, make_product, source: str) -> None:
    with pytest.raises(TemplateError) as caught:
        template.render_text(source, TEXT_PATH, {"product": make_product()})

    assert isinstance(caught.value.__cause__, SecurityError)
    assert "unsafe" in caught.value.message
    assert caught.value.context["field"] == "shots[0].text[0].text"


def test_sandbox_refuses_private_attribute_access_in_a_template_field(tmp_path: Path, make_product) -> None:
    text = edit(VALID, '"{{ product.title }}"', '"{{ product.__class__.__mro__ }}"')
    loaded = load_template(write(tmp_path, text))

    with pytest.raises(TemplateError) as caught:
        loaded.render_text(loaded.spec.shots[0].text[0].text, TEXT_PATH, {"product": make_product()})

    assert isinstance(caught.value.__cause__, SecurityError)
    assert caught.value.context["line"] == line_of(text, '      - text: "{{ product.__class__.__mro__ }}"')


def test_sandbox_refuses_private_attribute_access_in_expressions(template: Template, make_product) -> None:
    with pytest.raises(TemplateError) as caught:
        template.evaluate("product.__class__.__mro__", ("shots", 0, "when"), {"product": make_product()})

    assert isinstance(caught.value.__cause__, SecurityError)


@pytest.mark.parametrize("title", ["{{ 7*7 }}", "{% for x in y %}", "{{ product.__class__ }}", "{# note #} {{"])
def test_catalog_values_stay_literal(template: Template, make_product, title: str) -> None:
    product = make_product(title=title)

    assert template.render_text("{{ product.title }}", TEXT_PATH, {"product": product}) == title
    assert template.evaluate("product.title", ("shots", 0, "when"), {"product": product}) == title


def test_filters_follow_the_template_locale(tmp_path: Path, make_product) -> None:
    loaded = load_template(write(tmp_path, edit(VALID, "locale: en_US", "locale: de_DE")))
    product = make_product(price=Money(Decimal("1299.00"), "EUR"))

    out = loaded.render_text("{{ product.price | money }}", TEXT_PATH, {"product": product})

    assert out.replace("\u00a0", " ") == "1.299,00 €"


# --- discovery -----------------------------------------------------------------------------------


def test_every_shipped_template_loads() -> None:
    files = sorted(p for p in REPO_TEMPLATES.glob("*/*.yaml") if p.parent.name != "kits")
    expected_ids = {yaml.safe_load(path.read_text(encoding="utf-8"))["id"] for path in files}

    templates, errors = discover_templates(REPO_TEMPLATES)

    assert errors == []
    assert files, "the repository ships templates"
    assert set(templates) == expected_ids
    assert {t.path for t in templates.values()} == set(files)


def test_discovery_returns_broken_files_as_errors_and_loads_the_rest(tmp_path: Path) -> None:
    root = tmp_path / "templates"
    good = write(root / "beauty", VALID, "good.yaml")
    broken_text = edit(edit(VALID, "id: test-template", "id: broken"), "version: 1", "version: three")
    broken = write(root / "beauty", broken_text, "broken.yaml")

    templates, errors = discover_templates(root)

    assert list(templates) == ["test-template"]
    assert templates["test-template"].path == good
    (error,) = errors
    assert error.context["file"] == broken
    assert error.context["line"] == line_of(broken_text, "version: three")


def test_discovery_reports_duplicate_template_ids(tmp_path: Path) -> None:
    root = tmp_path / "templates"
    write(root / "a", VALID, "one.yaml")
    second = write(root / "b", VALID, "two.yaml")

    templates, errors = discover_templates(root)

    assert list(templates) == ["test-template"]
    (error,) = errors
    assert error.context["file"] == second
    assert "duplicate template id" in error.message


def _schema_errors(document: object) -> list[str]:
    schema = json.loads(CliRunner().invoke(main, ["templates", "schema"]).output)
    validator = jsonschema.Draft202012Validator(schema)
    return [f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document)]


def test_the_printed_json_schema_accepts_every_shipped_and_test_template(templates_root: Path) -> None:
    paths = sorted(p for p in templates_root.rglob("*.yaml") if p.parent.name != "kits")
    assert len(paths) >= 7
    for path in paths:
        assert _schema_errors(yaml.safe_load(path.read_text(encoding="utf-8"))) == [], path


@pytest.mark.parametrize(
    ("change", "expected"),
    [({"colour": "red"}, "Additional properties are not allowed ('colour' was unexpected)"),
     ({"version": "two"}, "version: 'two' is not of type 'integer'"),
     ({"shots": []}, "shots: [] should be non-empty")],
)  # fmt: skip
def test_the_json_schema_rejects_unknown_fields_wrong_types_and_empty_shots(
    templates_root: Path, change: dict[str, object], expected: str
) -> None:
    document = {**yaml.safe_load((templates_root / "test" / "quick.yaml").read_text(encoding="utf-8")), **change}
    assert any(expected in error for error in _schema_errors(document)), _schema_errors(document)


@pytest.mark.parametrize(
    "source", ["Shop now", "50% off, today only!", "a } b", "two\nlines", "ends with a newline\n", ""]
)
def test_a_text_without_jinja_syntax_renders_as_jinja_would_render_it(
    template: Template, make_product, source: str
) -> None:
    rendered = template.render_text(source, TEXT_PATH, {"product": make_product()})

    assert rendered == template.env.from_string(source).render({"product": make_product()})


def test_money_filter_gives_equal_prices_the_same_text_however_they_were_written() -> None:
    texts = {
        render_filter("en_US", "{{ price | money }}", price=Money(Decimal(a), "USD")) for a in ("12", "12.0", "12.00")
    }

    assert texts == {render_filter("en_US", "{{ price | money }}", price=Money(Decimal("12.00"), "USD"))}


@pytest.mark.skipif(not yaml.__with_libyaml__, reason="PyYAML built without libyaml")
def test_libyaml_and_pyyaml_read_every_shipped_file_alike_down_to_each_fields_line() -> None:
    files = sorted(REPO_TEMPLATES.glob("**/*.yaml")) + sorted((REPO_TEMPLATES.parent / "batches").glob("*.yaml"))
    assert len(files) >= 6
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert _parsed(text, path, yaml.CSafeLoader) == _parsed(text, path, yaml.SafeLoader), path

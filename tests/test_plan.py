"""Shot plans: resolved, frame-exact, seeded from stable hashes, canonical bytes."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from generator.core.errors import PlanError, TemplateError
from generator.core.identity import stable_seed
from generator.planning.catalog import Product, load_catalog
from generator.planning.plan.compile import compile_plan
from generator.planning.plan.types import ShotPlan, TextPlacement
from generator.planning.templates import Template, load_template
from tests.conftest import VOICES, product_row

WriteCatalog = Callable[..., Path]


def _products(write_catalog: WriteCatalog, *rows: dict[str, str]) -> list[Product]:
    catalog = load_catalog(write_catalog(list(rows)))
    assert not catalog.errors, catalog.errors
    return list(catalog.products)


@pytest.fixture
def beauty(templates_root: Path) -> Template:
    return load_template(templates_root / "beauty" / "beauty-launch.yaml")


def _texts(plan: ShotPlan, shot_prefix: str) -> list[str]:
    return [
        layer.text
        for shot in plan.shots
        if shot.id.startswith(shot_prefix)
        for layer in shot.layers
        if isinstance(layer, TextPlacement) and layer.caption is None
    ]


def test_frames_are_whole_contiguous_and_add_up(
    write_catalog: WriteCatalog, beauty: Template, templates_root: Path
) -> None:
    (product,) = _products(
        write_catalog, product_row("A", sale_price="19.00 USD", product_highlight="One|Two|Three|Four")
    )
    plan = compile_plan(beauty, product, "9:16", templates_root, VOICES)
    start = 0
    for shot in plan.shots:
        assert shot.start == start and shot.frames > 0
        start += shot.frames
    assert plan.frames == start
    spec = {shot.id: shot for shot in beauty.spec.shots}
    for shot in plan.shots:  # each between its duration and the longest it may stretch to for its voice line
        written = spec.get(shot.id) or spec[shot.id.rsplit("-", 1)[0]]
        assert round(written.duration * 30) <= shot.frames <= round((written.max_duration or 0) * 30)
    assert [shot.id for shot in plan.shots] == ["hook", "hero", "benefit-1", "benefit-2", "benefit-3", "sale", "cta"]
    assert 0 <= plan.poster_frame < plan.frames
    assert 10 <= plan.duration <= 20


def test_each_repeats_a_shot_per_item_and_when_drops_it(
    write_catalog: WriteCatalog, beauty: Template, templates_root: Path
) -> None:
    on_sale, regular = _products(
        write_catalog,
        product_row("SALE", sale_price="18.00 USD", product_highlight="Long wear|Vegan"),
        product_row("REGULAR", product_highlight="Only one"),
    )
    sale_plan = compile_plan(beauty, on_sale, "9:16", templates_root, VOICES)
    regular_plan = compile_plan(beauty, regular, "9:16", templates_root, VOICES)
    assert [s.id for s in sale_plan.shots] == ["hook", "hero", "benefit-1", "benefit-2", "sale", "cta"]
    assert [s.id for s in regular_plan.shots] == ["hook", "hero", "benefit-1", "cta"]
    assert _texts(sale_plan, "benefit") == ["Long wear", "Vegan"]
    assert _texts(sale_plan, "sale") == ["-25%", "was $24.00"]
    assert _texts(sale_plan, "cta")[0] == "$18.00"


def test_plan_is_fully_resolved_and_round_trips(
    write_catalog: WriteCatalog, beauty: Template, templates_root: Path
) -> None:
    (product,) = _products(write_catalog, product_row("A"))
    plan = compile_plan(beauty, product, "9:16", templates_root, VOICES)
    text = plan.canonical_json()
    assert "{{" not in text and "{%" not in text
    assert ShotPlan.from_json(text).canonical_json() == text
    assert ShotPlan.from_json(text).sha256 == plan.sha256
    assert str(templates_root) not in text  # machine-independent references only
    assert '"source":"catalog:images/lipstick-ruby.png"' in text


def test_effects_are_written_by_name_so_a_plan_keeps_its_json_shape(
    write_catalog: WriteCatalog, beauty: Template, templates_root: Path
) -> None:
    (product,) = _products(write_catalog, product_row("A"))
    data = json.loads(compile_plan(beauty, product, "9:16", templates_root, VOICES).canonical_json())
    shots = data["shots"]
    assert all(set(shot["camera"]) == {"move", "amount", "ease", "depth"} for shot in shots)
    joins = [shot["transition_in"] for shot in shots if shot["transition_in"] is not None]
    assert joins and all(set(join) == {"type", "frames", "direction", "ease"} for join in joins)
    motions = [layer["motion"] for shot in shots for layer in shot["layers"]]
    assert motions and all(
        isinstance(motion[key], str) for motion in motions for key in ("enter", "exit", "ease", "exit_ease")
    )


# (where in the plan's JSON, the unknown name put there, the field the error must name)
_UNKNOWN: list[tuple[tuple[str | int, ...], str, str]] = [
    (("shots", 0, "camera", "move"), "spin", "move"),
    (("shots", 0, "camera", "ease"), "bouncy", "ease"),
    (("shots", 0, "layers", 0, "kind"), "sticker", "kind"),
    (("shots", 0, "layers", 0, "motion", "enter"), "spin-in", "enter"),
    (("shots", 0, "layers", 0, "motion", "exit"), "vanish", "exit"),
    (("shots", 0, "layers", 0, "motion", "exit_ease"), "wobble", "exit_ease"),
    (("shots", -1, "transition_in", "type"), "spin", "type"),
    (("shots", -1, "transition_in", "direction"), "sideways", "direction"),
    (("shots", -1, "transition_in", "ease"), "bouncy", "ease"),
    (("aspect",), "3:2", "aspect"),
]


@pytest.mark.parametrize(("path", "name", "field"), _UNKNOWN, ids=[".".join(map(str, p)) for p, _, _ in _UNKNOWN])
def test_a_plan_naming_an_unknown_move_transition_easing_kind_or_aspect_is_refused_on_load(
    write_catalog: WriteCatalog,
    beauty: Template,
    templates_root: Path,
    path: tuple[str | int, ...],
    name: str,
    field: str,
) -> None:
    (product,) = _products(write_catalog, product_row("A"))
    data = json.loads(compile_plan(beauty, product, "9:16", templates_root, VOICES).canonical_json())
    node: Any = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = name
    with pytest.raises(ValidationError) as caught:
        ShotPlan.from_json(json.dumps(data))
    (error,) = caught.value.errors()
    # A tagged union (camera move, transition, layer) names its tag in the message; other fields end the location.
    assert error["loc"][-1] == field or f"'{field}'" in error["msg"]
    assert name in str(caught.value)


def test_seeds_come_from_template_version_shot_and_product(
    write_catalog: WriteCatalog, beauty: Template, templates_root: Path
) -> None:
    first, second = _products(write_catalog, product_row("A"), product_row("B"))
    plan_a = compile_plan(beauty, first, "9:16", templates_root, VOICES)
    plan_b = compile_plan(beauty, second, "9:16", templates_root, VOICES)
    for shot in plan_a.shots:
        assert shot.seed == stable_seed("beauty-launch", beauty.spec.version, shot.id, "A")
    assert [s.seed for s in plan_a.shots] != [s.seed for s in plan_b.shots]
    variants = {
        stable_seed("t", 1, "s", "p"),
        stable_seed("t", 2, "s", "p"),
        stable_seed("t", 1, "s2", "p"),
        stable_seed("t2", 1, "s", "p"),
    }
    assert len(variants) == 4 and all(0 <= v < 2**31 for v in variants)


def test_row_position_does_not_change_the_plan(
    write_catalog: WriteCatalog, beauty: Template, templates_root: Path
) -> None:
    _, product = _products(write_catalog, product_row("FILLER"), product_row("A"))
    (alone,) = load_catalog(write_catalog([product_row("A")], name="alone.csv")).products
    assert product.row != alone.row
    assert (
        compile_plan(beauty, product, "9:16", templates_root, VOICES).sha256
        == compile_plan(beauty, alone, "9:16", templates_root, VOICES).sha256
    )


def test_text_that_cannot_fit_even_at_minimum_size_names_the_line_and_row(
    write_catalog: WriteCatalog, templates_root: Path, tmp_path: Path
) -> None:
    root = tmp_path / "templates"
    shutil.copytree(templates_root, root)
    source = (root / "test" / "quick.yaml").read_text()
    (root / "test" / "quick.yaml").write_text(source.replace("style: headline,", "style: headline, overflow: error,"))
    quick = load_template(root / "test" / "quick.yaml")
    (product,) = _products(write_catalog, product_row("LONG", title="Supercalifragilistic " * 40))
    with pytest.raises(TemplateError, match="does not fit") as caught:
        compile_plan(quick, product, "9:16", root, VOICES)
    lines = (root / "test" / "quick.yaml").read_text().splitlines()
    assert caught.value.context["line"] == next(i for i, line in enumerate(lines, 1) if "{{ product.title }}" in line)
    assert caught.value.context["sku"] == "LONG" and caught.value.context["field"] == "shots[0].text[0].text"


def test_a_long_title_shrinks_before_it_fails(write_catalog: WriteCatalog, templates_root: Path) -> None:
    quick = load_template(templates_root / "test" / "quick.yaml")
    short, long = _products(
        write_catalog, product_row("S", title="Lipstick"), product_row("L", title="Velvet matte lipstick " * 3)
    )
    size = {p.sku: _texts(compile_plan(quick, p, "9:16", templates_root, VOICES), "hook")[0] for p in (short, long)}
    layers = {
        p.sku: next(
            layer
            for layer in compile_plan(quick, p, "9:16", templates_root, VOICES).shots[0].layers
            if isinstance(layer, TextPlacement)
        )
        for p in (short, long)
    }
    assert size["L"].startswith("Velvet")
    assert layers["S"].font_size == 104 and 56 <= layers["L"].font_size < 104 and len(layers["L"].lines) > 1


def test_missing_required_field_and_undeclared_aspect_are_plan_errors(
    write_catalog: WriteCatalog, beauty: Template, templates_root: Path
) -> None:
    (no_brand,) = _products(write_catalog, product_row("NB", brand=""))
    with pytest.raises(PlanError, match="requires brand"):
        compile_plan(beauty, no_brand, "9:16", templates_root, VOICES)
    quick = load_template(templates_root / "test" / "quick.yaml")
    with pytest.raises(PlanError, match="does not declare aspect 16:9"):
        compile_plan(quick, no_brand, "16:9", templates_root, VOICES)


def test_expression_failing_on_a_product_names_the_template_line(
    write_catalog: WriteCatalog, templates_root: Path, tmp_path: Path
) -> None:
    root = tmp_path / "templates"
    shutil.copytree(templates_root, root)
    source = (root / "test" / "quick.yaml").read_text()
    (root / "test" / "quick.yaml").write_text(source.replace("{{ product.color }}", "{{ product.colour }}"))
    (product,) = _products(write_catalog, product_row("A"))
    with pytest.raises(TemplateError, match="colour") as caught:
        compile_plan(load_template(root / "test" / "quick.yaml"), product, "9:16", root, VOICES)
    assert caught.value.context["field"] == "shots[0].background.prompt"
    assert caught.value.context["line"] == next(
        i for i, line in enumerate(source.splitlines(), 1) if "product.color" in line
    )


def test_scenes_that_read_the_same_share_their_seed_across_products(
    write_catalog: WriteCatalog, templates_root: Path
) -> None:
    quick = load_template(templates_root / "test" / "quick.yaml")
    red, also_red, blue = _products(
        write_catalog, product_row("A", color="red"), product_row("B", color="red"), product_row("C", color="blue")
    )
    plans = [compile_plan(quick, p, "9:16", templates_root, VOICES) for p in (red, also_red, blue)]
    hooks = [plan.shots[0].background for plan in plans]
    heroes = [plan.shots[1].background for plan in plans]
    assert hooks[0].seed == hooks[1].seed != hooks[2].seed  # "{{ product.color }}" is in the hook's prompt
    assert len({h.seed for h in heroes}) == 1  # the hero's scene names nothing of the product
    assert plans[0].shots[0].seed != plans[1].shots[0].seed  # shot seeds stay per product


def _fresh(template: Template) -> Template:
    """The same template file loaded again: nothing remembered from other rows."""
    return load_template(template.path)


def test_shots_remembered_across_rows_equal_shots_compiled_afresh(
    write_catalog: WriteCatalog, beauty: Template, templates_root: Path
) -> None:
    rows = [
        product_row("A", title="Lip colour", sale_price="19.00 USD", product_highlight="One|Two"),
        product_row("B", title="Lip colour", sale_price="19.00 USD", product_highlight="One|Two"),  # A but its SKU
        product_row("C", product_highlight="One|Two|Three"),  # no sale: other shots, other loop items
        product_row("D", sale_price="19.00 USD", product_highlight="One|Two", title="Another title"),
        product_row("E", sale_price="19.00 USD", product_highlight="One|Two"),
    ]
    products = _products(write_catalog, *rows)
    for product in products:
        for aspect in beauty.spec.canvas.aspects:
            remembered = compile_plan(beauty, product, aspect, templates_root, VOICES)
            afresh = compile_plan(_fresh(beauty), product, aspect, templates_root, VOICES)
            assert remembered.model_dump() == afresh.model_dump()
    assert beauty.memo, "shots were remembered"
    a, b = (compile_plan(beauty, p, "9:16", templates_root, VOICES) for p in products[:2])
    assert [s.layers for s in a.shots] == [s.layers for s in b.shots]
    assert [s.seed for s in a.shots] != [s.seed for s in b.shots]


def test_a_remembered_shot_is_keyed_by_what_its_values_print(write_catalog: WriteCatalog, tmp_path: Path) -> None:
    root = tmp_path / "templates"
    shutil.copytree(Path(__file__).parent.parent / "templates" / "assets", root / "assets")
    (root / "test").mkdir()
    text = (Path(__file__).parent / "data" / "quick.yaml").read_text(encoding="utf-8")
    path = root / "test" / "quick.yaml"
    path.write_text(
        text.replace("{{ product.price | money }}", "{{ product.price.amount }} {{ product.price.currency }}")
    )
    template = load_template(path)
    ten, ten_oh = _products(write_catalog, product_row("A", price="10.0 USD"), product_row("B", price="10.00 USD"))
    assert ten.price == ten_oh.price  # equal as numbers...
    prices = [_texts(compile_plan(template, p, "9:16", root, VOICES), "hero") for p in (ten, ten_oh)]
    assert prices == [["10.0 USD"], ["10.00 USD"]]  # ...yet each prints as written


@pytest.mark.parametrize(
    ("source", "reads"),
    [
        ("{{ product.title }} for {{ product['brand'] | upper }}", ("brand", "title")),
        ("{{ product.price | money }}{% if product.sale_price %}!{% endif %}", ("price", "sale_price")),
        ("plain words", ()),
        ("{{ product[field] }}", None),  # a name chosen at run time: anything may be read
        ("{{ product | string }}", None),  # the whole product
        ("{% set p = product %}{{ p.title }}", None),
        ("{{ product.title", None),  # does not parse
    ],
)
def test_the_fields_a_shot_reads_are_found_in_its_texts(beauty: Template, source: str, reads: object) -> None:
    assert beauty._reads(f"test:{source}", (source,)) == reads

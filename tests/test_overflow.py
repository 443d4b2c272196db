"""The overflow policy: text too long for its box is shrunk, then shortened with an ellipsis, or is an error.

Shortening is checked against the real fonts and ICU: the kept text ends where ICU allows a line
break, is the longest such prefix that fits at the minimum size, stays shaped and right to left for
Arabic, and never splits a grapheme cluster. Then through plans, lint and a real run's manifest.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from icu4py.breakers import CharacterBreaker, LineBreaker, WordBreaker

from generator.core.errors import TemplateError
from generator.core.fonts import font_chain
from generator.core.shaping import TextFitError, segments, shape_line
from generator.orchestration.cli import main
from generator.planning.catalog import load_catalog
from generator.planning.lint import lint_template
from generator.planning.plan.compile import compile_plan
from generator.planning.plan.types import PLAN_VERSION, ShotPlan, TextPlacement
from generator.planning.templates import DEFAULT_STYLES, load_template
from generator.planning.textfit import ELLIPSIS, FittedText, fit_or_shorten, fit_text
from tests.conftest import DRAFT_LEGIBILITY, VOICES, product_row, stored_plan

WriteCatalog = Callable[..., Path]
BOLD = font_chain("DejaVu Sans", "bold")
LONG_TITLE = (
    "Ultra Lightweight Waterproof Premium Organic Stainless Steel Insulated Travel Bottle with Leak-Proof Lid, "
    "Carrying Strap and Double-Wall Vacuum for Hiking"
)


def shorten(
    text: str, fonts: tuple[str, ...], box: tuple[float, float], lang: str = "en", size: int = 80, min_size: int = 48
) -> FittedText:
    return fit_or_shorten(text, fonts, "bold" if fonts == BOLD else "regular", size, min_size, 1.15, box, lang)


def fits_at(text: str, fonts: tuple[str, ...], box: tuple[float, float], size: int, lang: str = "en") -> bool:
    try:
        fit_text(text, fonts, "bold" if fonts == BOLD else "regular", size, size, 1.15, box, lang)
    except TextFitError:
        return False
    return True


def kept(shown: str) -> str:
    assert shown.endswith(ELLIPSIS)
    return shown.removesuffix(ELLIPSIS)


# --- Shortening ----------------------------------------------------------------------------------


def test_text_that_fits_at_some_allowed_size_is_shrunk_not_shortened() -> None:
    box = (700.0, 260.0)
    assert not fits_at(LONG_TITLE[:70], BOLD, box, 80)  # too long at the full size...
    fitted = shorten(LONG_TITLE[:70], BOLD, box)
    assert not fitted.shortened and fitted.text == LONG_TITLE[:70]  # ...but it fits smaller
    assert fitted.layout == fit_text(LONG_TITLE[:70], BOLD, "bold", 80, 48, 1.15, box)
    assert 48 <= fitted.layout.font_size < 80


def test_latin_is_shortened_at_a_word_boundary_to_the_longest_prefix_that_fits() -> None:
    box = (700.0, 180.0)
    fitted = shorten(LONG_TITLE, BOLD, box)
    assert fitted.shortened and fitted.layout.font_size == 48
    head = kept(fitted.text)
    assert LONG_TITLE.startswith(head) and LONG_TITLE[len(head)] in " ,"
    assert " ".join(fitted.layout.lines) == fitted.text
    one_word_more = LONG_TITLE[: LONG_TITLE.index(" ", len(head) + 1)].rstrip(",") + ELLIPSIS
    assert not fits_at(one_word_more, BOLD, box, 48)


def test_no_dangling_space_or_punctuation_before_the_ellipsis() -> None:
    title = "Red, green, blue, yellow, orange, purple, white, black, grey – and more"
    for width in range(300, 900, 40):
        fitted = shorten(title, BOLD, (float(width), 60.0))
        if fitted.shortened:
            assert kept(fitted.text)[-1].isalnum(), fitted.text


def test_line_breaks_of_the_source_are_kept() -> None:
    fitted = shorten("Brand X\nA fairly long second line that goes on and on and on", BOLD, (600.0, 120.0))
    assert fitted.shortened
    assert fitted.layout.lines[0] == "Brand X" and fitted.text.startswith("Brand X\nA fairly")


def test_a_word_too_long_for_any_line_is_cut_between_grapheme_clusters() -> None:
    title = "Meet the Donaudampfschifffahrtsgesellschaftskapitän hat"
    fitted = shorten(title, BOLD, (700.0, 150.0))
    head = kept(fitted.text)
    assert head.startswith("Meet the Donau") and title.startswith(head)  # not just "Meet the…"
    assert not fits_at(title[: len(head) + 1] + ELLIPSIS, BOLD, (700.0, 150.0), 48)


def test_a_word_too_wide_for_a_line_breaks_across_lines_before_anything_is_shortened() -> None:
    code = "XJ-9000-PRO-MAX-ULTRA-2026-EDITION-A1B2C3D4E5F6A1B2C3D4E5F6"
    box = (600.0, 300.0)
    with pytest.raises(TextFitError):  # no line break opportunity leaves a piece that fits a line
        fit_text(f"Model {code}", BOLD, "bold", 80, 48, 1.15, box)
    fitted = shorten(f"Model {code}", BOLD, box)
    assert not fitted.shortened and fitted.text == f"Model {code}"
    lines = fitted.layout.lines
    text = f"Model {code}"
    assert "".join(lines) == text  # whole, broken across lines (after "Model " and ICU's breaks after hyphens)
    cuts = [len("".join(lines[: i + 1])) for i in range(len(lines) - 1)]
    line_breaks = {end for _, end in segments(LineBreaker, text, "en")}
    clusters = {end for _, end in segments(CharacterBreaker, text, "en")}
    assert set(cuts) <= clusters and set(cuts) - line_breaks, "a piece too wide for a line is broken between clusters"
    for line in lines:  # every line fits the box at the chosen size
        assert sum(run.width for run in shape_line(line, BOLD, "bold", fitted.layout.font_size)) <= box[0] + 1e-6


@pytest.mark.parametrize(
    ("lang", "title"),
    [
        ("ja", "国産ひのき天然木まな板、抗菌仕様で食洗機対応、大きめサイズの日本製、職人手作りで贈り物にも最適です"),
        ("zh", "轻薄羽绒服女款冬季保暖连帽外套，防风防水，可收纳便携，多色可选加大码"),
        ("th", "ชุดกระทะเทฟลอนเคลือบหินอ่อนสามชิ้นไม่ติดกระทะใช้ได้กับเตาทุกประเภทรวมเตาแม่เหล็กไฟฟ้า"),
    ],
)
def test_scripts_without_spaces_are_cut_where_a_line_may_break_between_words(noto: None, lang: str, title: str) -> None:
    fonts = font_chain("Noto Sans", lang=lang)
    box = (520.0, 130.0)
    fitted = shorten(title, fonts, box, lang)
    head = kept(fitted.text)
    assert fitted.shortened and title.startswith(head) and len(head) > 4
    words = {end for _, end in segments(WordBreaker, title, lang)}  # ICU's dictionary words
    breaks = [end for _, end in segments(LineBreaker, title, lang) if end in words]
    assert len(head) in breaks
    longer = next(end for end in breaks if end > len(head))
    assert not fits_at(title[:longer] + ELLIPSIS, fonts, box, 48, lang)


def test_arabic_stays_shaped_and_right_to_left_with_the_ellipsis_at_its_end(noto: None) -> None:
    title = "عطر العود الملكي للرجال والنساء، ثبات طويل يدوم حتى أربع وعشرين ساعة، عبوة هدايا فاخرة"
    fonts = font_chain("Noto Sans", lang="ar")
    fitted = shorten(title, fonts, (520.0, 130.0), "ar")
    head = kept(fitted.text)
    assert title.startswith(head) and title[len(head)] in " ،"
    last = fitted.layout.lines[-1]
    runs = shape_line(last, fonts, "regular", fitted.layout.font_size, "ar")
    assert {run.direction for run in runs} == {"rtl"}
    assert {run.family for run in runs if ELLIPSIS not in run.text} == {"Noto Sans Arabic"}
    assert 0 not in [g for run in runs for g in run.glyphs]
    assert runs[0].clusters[0] == last.index(ELLIPSIS), (
        "the ellipsis is drawn leftmost: the end of a right-to-left line"
    )
    joined = shape_line(head.split(" ")[-1], fonts, "regular", 48, "ar")  # the last kept word keeps its joined forms
    alone = [g for ch in head.split(" ")[-1] for run in shape_line(ch, fonts, "regular", 48, "ar") for g in run.glyphs]
    assert [g for run in joined for g in run.glyphs] != alone


def test_emoji_zwj_sequences_are_never_split(noto: None) -> None:
    family = "👨\u200d👩\u200d👧\u200d👦"
    fonts = font_chain("Noto Sans")
    for title in ("Fun " + family * 12, family * 14):
        fitted = shorten(title, fonts, (400.0, 60.0))
        head = kept(fitted.text)
        clusters = [end for _, end in segments(CharacterBreaker, title, "en")]
        assert title.startswith(head) and len(head) in clusters and head.endswith(family)
        assert sum(len(run.glyphs) for run in shape_line(family, fonts, "regular", 48)) == 1


def test_nothing_fits_is_still_an_error() -> None:
    with pytest.raises(TextFitError, match="even at the minimum size 48 px, not even shortened"):
        shorten("Sale today", BOLD, (700.0, 20.0))


# --- Through plans, lint and runs ------------------------------------------------------------------


BASE = """\
id: overflow-test
version: 1
vertical: test
requires: [title, price, image_link]
styles:
  strict: {weight: bold, size: 100, min_size: 56, overflow: error}
shots:
  - id: hero
    duration: 2.0
    background: {prompt: "studio"}
    product: {box: hero}
    text:
      - {text: "{{ product.title }}", style: headline, box: lower}
      - {text: "Free shipping on every order today", style: body, box: [0.3, 0.02, 0.4, 0.06]}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "templates" / "lint" / "overflow.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_catalog_text_shrinks_by_default_and_literal_text_is_an_error(tmp_path: Path) -> None:
    template = load_template(write(tmp_path, BASE))
    title, literal = template.spec.shots[0].text
    assert (template.overflow(title), template.overflow(literal)) == ("shrink", "error")
    assert template.overflow(title.model_copy(update={"style": "strict"})) == "error"  # the style's policy
    assert (
        template.overflow(literal.model_copy(update={"overflow": "shrink", "style": "strict"})) == "shrink"
    )  # the layer's wins


def test_shortening_is_recorded_in_the_plan(tmp_path: Path, write_catalog: WriteCatalog, templates_root: Path) -> None:
    path = write(tmp_path, BASE.replace("Free shipping on every order today", "{{ product.brand }}"))
    (product,) = load_catalog(write_catalog([product_row("LONG", title=LONG_TITLE)])).products
    plan = compile_plan(load_template(path), product, "9:16", templates_root, VOICES)
    title = next(
        layer for layer in plan.shots[0].layers if isinstance(layer, TextPlacement) and layer.field.endswith("text[0]")
    )
    assert plan.plan_version == PLAN_VERSION == 8
    assert title.shortened_from == LONG_TITLE
    assert LONG_TITLE.startswith(kept(title.text)) and " ".join(title.lines) == title.text
    assert title.font_size == DEFAULT_STYLES["headline"].min_size
    assert [layer.field for _, layer in plan.shortened_texts()] == ["shots[0].text[0]"]
    assert ShotPlan.from_json(plan.canonical_json()) == plan


def test_lint_warns_about_shortened_text_with_its_rows(tmp_path: Path, write_catalog: WriteCatalog) -> None:
    path = write(tmp_path, BASE.replace("Free shipping on every order today", "{{ product.brand }}"))
    rows = [product_row("A"), product_row("L1", title=LONG_TITLE), product_row("L2", title=LONG_TITLE + " and more")]
    warnings = [
        str(f).replace(f"{path}:", "T:")
        for f in lint_template(path, load_catalog(write_catalog(rows)), legibility=DRAFT_LEGIBILITY, voices=VOICES)
        if f.severity == "warning"
    ]
    size = DEFAULT_STYLES["headline"].min_size
    assert warnings == [
        f"T:13:10: warning: row 3 (sku L1) (and 1 more row): text too long for its box in 9:16 even at the minimum size"
        f" {size} px: shortened with an ellipsis"
    ]


def test_literal_text_and_overflow_error_keep_the_exact_lint_error(tmp_path: Path, write_catalog: WriteCatalog) -> None:
    strict = BASE.replace("style: headline, box: lower", "style: strict, box: lower")
    path = write(tmp_path, strict)
    catalog = load_catalog(write_catalog([product_row("A"), product_row("LONG", title=LONG_TITLE)]))
    findings = [
        str(f).replace(f"{path}:", "T:")
        for f in lint_template(path, catalog, legibility=DRAFT_LEGIBILITY, voices=VOICES)
    ]
    assert any(
        f.startswith("T:13:10: error: row 3 (sku LONG): text ") and f.endswith("even at the minimum size 56 px")
        for f in findings
    )
    literal = "T:14:10: error: row 2 (sku A): text 'Free shipping on every order today' does not fit"
    assert any(f.startswith(literal) for f in findings), findings
    with pytest.raises(TemplateError, match="does not fit") as caught:
        compile_plan(load_template(path), catalog.products[1], "9:16", path.parent.parent, VOICES)
    assert (caught.value.context["line"], caught.value.context["sku"]) == (13, "LONG")


def test_the_manifest_counts_each_rows_warnings(
    tmp_path: Path, write_catalog: WriteCatalog, templates_root: Path
) -> None:
    catalog = write_catalog([product_row("SHORT"), product_row("LONG", title=LONG_TITLE)])
    out = tmp_path / "out"
    args = ["run", str(catalog), "--out", str(out), "--templates", str(templates_root), "--template", "quick",
            "--preset", "ultrafast", "--workers", "1"]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    lines = {
        line["sku"]: line for line in map(json.loads, (out / "manifest.jsonl").read_text(encoding="utf-8").splitlines())
    }
    assert {sku: (line["status"], line["warnings"]) for sku, line in lines.items()} == {
        "SHORT": ("rendered", 0),
        "LONG": ("rendered", 1),
    }
    (message,) = lines["LONG"]["warning_messages"]
    plan = stored_plan(Path(str(lines["LONG"]["job"])))
    ((shot, layer),) = plan.shortened_texts()
    assert message == f"shot {shot}, {layer.field}: text shortened to fit its box: {layer.text!r}"
    assert layer.shortened_from == LONG_TITLE

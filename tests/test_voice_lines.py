"""Voice lines in plans: shots stretch to fit them, a line too long is sped up or fails naming the shot,
the line and its length, lint reports it at the template line with the worst row, Arabic and Japanese
lines give shaped captions, and the voice is part of the output key."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import pytest

from generator.core.errors import PlanError
from generator.core.geometry import caption_area
from generator.core.shaping import notdef_clusters, shape_line
from generator.orchestration.runs.jobs import make_job
from generator.orchestration.runs.rows import PlannedRow, RunOptions, load_templates, plan_rows
from generator.orchestration.stores.speech import voices
from generator.planning.catalog import Product, load_catalog
from generator.planning.lint import lint_template
from generator.planning.plan.compile import compile_plan
from generator.planning.plan.timeline import footprint
from generator.planning.plan.types import ImagePlacement, ShotPlan, TextPlacement
from generator.planning.templates import load_template
from render.backends import RendererSettings
from render.compose.captions import word_cuts
from render.compose.sprites import text_box
from render.encode import EncodeSettings
from tests.conftest import DRAFT_LEGIBILITY, SAMPLE_CATALOG, product_row

WriteCatalog = Callable[..., Path]
LONG = "{{ product.title }} is here, and it is the best thing you will ever own, truly, believe us."


def _template(root: Path, line: str, *, locale: str = "en_US", voice: str = "{engine: espeak-ng}",
              overflow: str = "shrink", max_duration: float = 2.0, name: str = "t") -> Path:  # fmt: skip
    path = root / "test" / f"{name}.yaml"
    path.write_text(
        f"""id: {name}
version: 1
vertical: test
locale: {locale}
canvas: {{fps: 30, aspects: ["9:16"]}}
voice: {{**{voice}, overflow: {overflow}}}
shots:
  - id: hook
    duration: 1.0
    max_duration: {max_duration}
    line: "{line}"
    background: {{prompt: studio}}
    product: {{box: [0.2, 0.05, 0.6, 0.4], enter: none}}
""".replace("{**{", "{").replace("}, overflow", ", overflow"),
        encoding="utf-8",
    )
    return path


def _product(write_catalog: WriteCatalog, **values: str) -> Product:
    return load_catalog(write_catalog([product_row("V-1", **values)])).products[0]


def _captions(plan: ShotPlan) -> list[TextPlacement]:
    return [
        layer
        for s in plan.shots
        for layer in s.layers
        if isinstance(layer, TextPlacement) and layer.caption is not None
    ]


def _plan(path: Path, product: Product, root: Path) -> ShotPlan:
    return compile_plan(load_template(path), product, "9:16", root, voices())


def test_a_shot_stretches_to_its_line_within_its_max_duration(
    templates_root: Path, write_catalog: WriteCatalog
) -> None:
    product = _product(write_catalog, title="Velvet Lipstick")
    plan = _plan(_template(templates_root, "Meet the {{ product.title }}.", max_duration=4.0), product, templates_root)
    ((shot, line),) = plan.lines()
    spoken = line.samples / line.rate
    assert line.start == 6  # the 0.2 s lead
    assert shot.frames == min(120, max(30, 6 + math.ceil((spoken + 0.3) * 30)))  # lead, line, gap; 1 to 4 s
    assert 30 < shot.frames < 120
    assert [word.text for word in line.words] == ["Meet", "the", "Velvet", "Lipstick."]
    assert all(a.start <= b.start for a, b in zip(line.words, line.words[1:]))


def test_a_line_too_long_fails_with_the_shot_the_line_and_its_length(
    templates_root: Path, write_catalog: WriteCatalog
) -> None:
    product = _product(write_catalog, title="Velvet Lipstick")
    path = _template(templates_root, LONG, overflow="error")
    with pytest.raises(PlanError) as failed:
        _plan(path, product, templates_root)
    message = str(failed.value)
    assert "shots[0].line" in message and "shot hook" in message
    assert "Velvet Lipstick is here" in message
    spoken = float(failed.value.context["spoken"])  # type: ignore[arg-type]
    assert spoken > 2.0 and f"{spoken:.2f} s" in message and "allows 1.80 s" in message


def test_shrink_speaks_a_line_faster_to_fit_and_fails_past_its_limit(
    templates_root: Path, write_catalog: WriteCatalog
) -> None:
    product = _product(write_catalog, title="Velvet Lipstick")
    fitting = "Meet the {{ product.title }}, now in ruby red."
    plain = _plan(_template(templates_root, fitting, max_duration=10.0, name="roomy"), product, templates_root)
    squeezed = _plan(_template(templates_root, fitting, max_duration=2.4, name="tight"), product, templates_root)
    (_, loose), (_, tight) = plain.lines()[0], squeezed.lines()[0]
    assert loose.speed == pytest.approx(1.0) and tight.speed > 1.0  # sped up...
    assert tight.duration < loose.duration and tight.start / 30 + tight.duration <= 2.4  # ...to fit
    with pytest.raises(PlanError, match=r"even at 1\.3x speed"):
        _plan(_template(templates_root, LONG, name="hopeless"), product, templates_root)


def test_lint_reports_a_line_too_long_at_its_template_line_with_the_worst_row(
    templates_root: Path, write_catalog: WriteCatalog
) -> None:
    path = _template(templates_root, "Meet the {{ product.title }}.", overflow="error", name="linted")
    catalog = load_catalog(write_catalog([
        product_row("SHORT", title="Pen"),
        product_row("LONG", title="Ultra Lightweight Waterproof Premium Organic Stainless Steel Travel Bottle"),
        product_row("LONGER", title="Ultra Lightweight Waterproof Premium Organic Stainless Steel Insulated "
                                   "Travel Bottle with a Leak-Proof Lid and a Carrying Strap"),
    ]))  # fmt: skip
    findings = lint_template(path, catalog, legibility=DRAFT_LEGIBILITY, voices=voices())
    (finding,) = [f for f in findings if "voice line" in str(f)]
    assert finding.severity == "error" and finding.line == 11  # the shot's line:
    assert "row 4 (sku LONGER)" in str(finding) and "and 1 more row" in str(finding)


@pytest.mark.usefixtures("noto")
def test_arabic_and_japanese_lines_give_shaped_captions(templates_root: Path, write_catalog: WriteCatalog) -> None:
    arabic = _plan(
        _template(templates_root, "اكتشف {{ product.title }} الجديد", locale="ar_AE", max_duration=6.0, name="ar"),
        _product(write_catalog, title="أحمر الشفاه"), templates_root,
    )  # fmt: skip
    japanese = _plan(
        _template(templates_root, "新しい{{ product.title }}が登場しました。", locale="ja_JP", max_duration=6.0, name="ja"),
        _product(write_catalog, title="リップスティック"), templates_root,
    )  # fmt: skip
    for plan, lang in ((arabic, "ar_AE"), (japanese, "ja_JP")):
        captions = [
            layer
            for s in plan.shots
            for layer in s.layers
            if isinstance(layer, TextPlacement) and layer.caption is not None
        ]
        assert captions and all(notdef_clusters(c.lines, c.fonts, c.weight, lang) == () for c in captions)
    first = next(
        layer
        for s in arabic.shots
        for layer in s.layers
        if isinstance(layer, TextPlacement) and layer.caption is not None
    )
    assert first.text.startswith("اكتشف")
    runs = shape_line(first.lines[0], first.fonts, first.weight, first.font_size, "ar_AE")
    assert runs[0].direction == "rtl"
    isolated = [
        g for ch in "اكتشف" for g in shape_line(ch, first.fonts, first.weight, first.font_size, "ar_AE")[0].glyphs
    ]
    joined = shape_line("اكتشف", first.fonts, first.weight, first.font_size, "ar_AE")[0].glyphs
    assert list(joined) != isolated[::-1] and list(joined) != isolated  # letters take their joining forms
    _, _, w, h = text_box(first)
    cuts = word_cuts(first, (w, h))
    assert cuts[0][0] > cuts[1][0]  # right to left: the first word is the rightmost
    spoken = [
        layer
        for s in japanese.shots
        for layer in s.layers
        if isinstance(layer, TextPlacement) and layer.caption is not None
    ]
    text = "".join(layer.text for layer in spoken)
    assert " " not in text and "リップスティック" in text  # ICU words, glued without spaces
    assert sum(len(layer.caption.words) for layer in spoken) > 2  # type: ignore[union-attr]


def test_the_voice_and_its_version_are_part_of_the_output_key(
    templates_root: Path, write_catalog: WriteCatalog
) -> None:
    product = _product(write_catalog, title="Velvet Lipstick")
    plan = _plan(_template(templates_root, "Meet the {{ product.title }}.", max_duration=4.0), product, templates_root)
    assert plan.voice is not None and plan.voice.engine == "espeak-ng"
    settings, encode = RendererSettings(), EncodeSettings()

    def key(changed: ShotPlan) -> str:
        return make_job(changed, settings, "draft-1", encode, {"templates": templates_root}).key

    newer = plan.model_copy(update={"voice": plan.voice.model_copy(update={"version": "1.52"})})
    other = plan.model_copy(update={"voice": plan.voice.model_copy(update={"voice_sha256": "0" * 64})})
    assert len({key(plan), key(newer), key(other)}) == 3
    german = _plan(
        _template(templates_root, "Meet the {{ product.title }}.", voice="{engine: espeak-ng, name: de}",
                  max_duration=4.0, name="de"),
        product, templates_root,
    )  # fmt: skip
    assert german.voice is not None and german.voice.voice != plan.voice.voice
    assert german.shots[0].line.clip != plan.shots[0].line.clip  # type: ignore[union-attr]


def test_shipped_captions_stay_where_every_platform_leaves_clear_and_never_over_the_product() -> None:
    options = RunOptions(aspects="all")
    plans = [
        item.plan
        for item in plan_rows(load_catalog(SAMPLE_CATALOG), load_templates(options), options)
        if isinstance(item, PlannedRow)
    ]
    assert len(plans) == 60 and all(plan.voice is not None for plan in plans)
    for plan in plans:
        ax, ay, aw, ah = caption_area(plan.aspect)
        for shot in plan.shots:
            products = [
                footprint(layer)
                for layer in shot.layers
                if isinstance(layer, ImagePlacement) and layer.kind == "product"
            ]
            captions = [
                layer for layer in shot.layers if isinstance(layer, TextPlacement) and layer.caption is not None
            ]
            assert captions or shot.line is None, shot.id
            for layer in captions:
                x, y, w, h = layer.box
                assert ax - 0.5 <= x and x + w <= ax + aw + 0.5 and ay - 0.5 <= y and y + h <= ay + ah + 0.5
                for px, py, pw, ph in products:
                    assert min(x + w, px + pw) <= max(x, px) + 0.5 or min(y + h, py + ph) <= max(y, py) + 0.5

"""Kinetic type: each piece of a text shows on the frame the plan gives it and not before (decoded from a real
encode), Arabic enters right to left with its joined shapes intact, letters never split a cluster, Japanese
enters by ICU word, highlight bars and strike-throughs sweep in, a counting price rolls to the price at its
final layout, and lint catches a highlight past the text and a stagger that outlasts its shot."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from icu4py.breakers import CharacterBreaker

from generator.core.errors import TemplateError
from generator.core.images import AssetResolver
from generator.core.shaping import segments, shape_line
from generator.orchestration.studio.forms import apply_edit
from generator.planning.catalog import Product, load_catalog
from generator.planning.lint import lint_template
from generator.planning.plan.compile import compile_plan
from generator.planning.plan.kinetic import Kinetic
from generator.planning.plan.types import ShotPlan, TextPlacement
from generator.planning.templates import load_template
from render.backends import RendererSettings, get_renderer
from render.compose import Compositor
from render.compose.captions import piece_cuts
from render.compose.kinetic import _drawn_text
from render.compose.sprites import text_box
from render.encode import EncodeSettings, encode_argv, encode_video, ffmpeg_executable
from render.scale import scale_plan
from tests.conftest import DRAFT_LEGIBILITY, product_row
from tests.media import decode_frame

SCALE = 0.25  # 270 x 480 frames
WriteCatalog = Callable[..., Path]


def _template(root: Path, text: str, animate: str, *, locale: str = "en_US", duration: float = 1.0,
              style: str = "headline", name: str = "k") -> Path:  # fmt: skip
    path = root / f"{name}.yaml"
    path.write_text(
        textwrap.dedent(f"""\
            id: {name}
            version: 1
            vertical: test
            locale: {locale}
            canvas: {{fps: 30, aspects: ["9:16"]}}
            palette: {{accent: "#10E040"}}
            shots:
              - id: hook
                duration: {duration}
                background: {{prompt: studio}}
                text:
                  - text: "{text}"
                    style: {style}
                    box: center
                    delay: 0.1
                    animate: {animate}
            """),
        encoding="utf-8",
    )
    return path


def _plan(path: Path, product: Product, root: Path) -> ShotPlan:
    return scale_plan(compile_plan(load_template(path), product, "9:16", root), SCALE)


@pytest.fixture
def product(write_catalog: WriteCatalog) -> Product:
    return load_catalog(write_catalog([product_row("K-1", price="1299.00 USD")])).products[0]


def _text(plan: ShotPlan) -> TextPlacement:
    (layer,) = [layer for layer in plan.shots[0].layers if isinstance(layer, TextPlacement)]
    return layer


def _kinetic(layer: TextPlacement) -> Kinetic:
    assert layer.kinetic is not None
    return layer.kinetic


def _frames(plan: ShotPlan) -> list[np.ndarray]:
    compositor = Compositor.render(plan, get_renderer(RendererSettings()), AssetResolver({}))
    return [np.asarray(frame.convert("RGB"), dtype=np.int16) for frame in compositor.frames()]


def _regions(layer: TextPlacement, pieces: list[str]) -> list[tuple[slice, slice]]:
    """Each piece's cut in canvas pixels, kept 2 px inside its neighbours' (codec bleed)."""
    x, y, w, h = text_box(layer)
    return [
        (slice(y + top, y + bottom), slice(x + left + 2, x + right - 2))
        for left, top, right, bottom in piece_cuts(layer, (w, h), pieces)
    ]


def _lit(frame: np.ndarray, empty: np.ndarray, region: tuple[slice, slice]) -> int:
    """Pixels of ``region`` that differ from the empty frame by more than codec noise."""
    return int((np.abs(frame[region] - empty[region]).max(axis=2) > 48).sum())


def test_each_word_appears_on_its_planned_frame_and_not_before_in_the_encoded_video(
    templates_root: Path, product: Product, tmp_path: Path
) -> None:
    plan = _plan(
        _template(tmp_path, "Fresh deals every day", "{by: word, stagger: 0.1, duration: 0.2}"), product, tmp_path
    )
    layer = _text(plan)
    units = _kinetic(layer).units
    assert [unit.text for unit in units] == ["Fresh", "deals", "every", "day"]
    assert [unit.start for unit in units] == [3, 6, 9, 12]  # 0.1 s delay, then one every 0.1 s at 30 fps
    video = tmp_path / "k.mp4"
    compositor = Compositor.render(plan, get_renderer(RendererSettings()), AssetResolver({}), colour="video")
    argv = encode_argv(video, size=plan.size, fps=plan.fps, frames=plan.frames, audio=None,
                       settings=EncodeSettings(preset="ultrafast"), executable=ffmpeg_executable())  # fmt: skip
    encode_video(compositor.video_frames(), argv, size=plan.size)
    decoded = {f: decode_frame(video, f).astype(np.int16) for f in {0} | {u.start + d for u in units for d in (-1, 0)}}
    for unit, region in zip(units, _regions(layer, [unit.text for unit in units])):
        assert _lit(decoded[unit.start - 1], decoded[0], region) == 0, unit
        assert _lit(decoded[unit.start], decoded[0], region) > 5, unit


@pytest.mark.usefixtures("noto")
def test_arabic_enters_right_to_left_by_word_with_its_joined_shapes_intact(product: Product, tmp_path: Path) -> None:
    text = "اكتشف أحمر الشفاه"
    plan = _plan(_template(tmp_path, text, "{by: letter, style: rise}", locale="ar_AE"), product, tmp_path)
    layer = _text(plan)
    units = _kinetic(layer).units
    assert [unit.text for unit in units] == text.split()  # letters in a joined script enter as words
    regions = _regions(layer, [unit.text for unit in units])
    lefts = [region[1].start for region in regions]
    assert lefts == sorted(lefts, reverse=True)  # the first to appear is the rightmost
    frames = _frames(plan)
    whole = _frames(plan.model_copy(update={"shots": (plan.shots[0].model_copy(update={"layers": (
        layer.model_copy(update={"kinetic": None}),)}),)}))  # fmt: skip
    assert np.array_equal(frames[-1], whole[-1])  # at rest: exactly the text drawn whole, joined
    first, second = regions[0], regions[1]
    frame = frames[units[0].start + 1]
    assert _lit(frame, frames[0], first) > 0 and _lit(frame, frames[0], second) == 0

    def middle_row(frame: np.ndarray) -> float:
        return float(np.nonzero(np.abs(frame[first] - frames[0][first]).max(axis=2) > 48)[0].mean())

    assert middle_row(frame) > middle_row(frames[-1]) + 1  # still rising into place


@pytest.mark.usefixtures("noto")
def test_letters_are_whole_grapheme_and_shaped_clusters(product: Product, tmp_path: Path) -> None:
    text = "ga\u0301 office 👍🏽"  # a combining accent, an "ffi" ligature, an emoji with its skin tone
    plan = _plan(_template(tmp_path, text, "{by: letter}", style="body"), product, tmp_path)
    layer = _text(plan)
    (line,) = layer.lines
    units = _kinetic(layer).units
    assert "".join(unit.text for unit in units) == line.replace(" ", "")
    graphemes = {a for a, _ in segments(CharacterBreaker, line, "en")}
    clusters = {c for run in shape_line(line, layer.fonts, layer.weight, 10) for c in run.clusters}
    at = 0
    for unit in units:  # each starts where a grapheme and a shaped cluster start, so splits neither
        at = line.index(unit.text, at)
        assert at in graphemes and at in clusters, unit
        at += len(unit.text)
        assert at == len(line) or line[at] == " " or (at in graphemes and at in clusters), unit
    assert "a\u0301" in [unit.text for unit in units] and "👍🏽" in [unit.text for unit in units]


@pytest.mark.usefixtures("noto")
def test_japanese_enters_by_icu_word_and_by_character_without_splitting_clusters(
    product: Product, tmp_path: Path
) -> None:
    text = "新しいリップが登場"
    plan = _plan(_template(tmp_path, text, "{by: word}", locale="ja_JP", style="body"), product, tmp_path)
    assert len(_text(plan).lines) == 1
    assert [unit.text for unit in _kinetic(_text(plan)).units] == ["新しい", "リップ", "が", "登場"]  # ICU's dictionary
    letters = _plan(
        _template(tmp_path, "か\u3099ん", "{by: letter, style: mask}", locale="ja_JP", name="j"), product, tmp_path
    )
    assert [unit.text for unit in _kinetic(_text(letters)).units] == ["か\u3099", "ん"]
    kinetic, layer = _kinetic(_text(letters)), _text(letters)
    first = _regions(layer, [unit.text for unit in kinetic.units])[0]
    frames = _frames(letters)

    def columns(frame: np.ndarray) -> int:
        return int((np.abs(frame[first] - frames[0][first]).max(axis=2) > 48).any(axis=0).sum())

    start = kinetic.units[0].start
    assert 0 < columns(frames[start]) < columns(frames[start + kinetic.frames - 1])  # an edge reveals it


def test_a_highlight_bar_sweeps_in_behind_the_chosen_word_once_the_text_is_in(product: Product, tmp_path: Path) -> None:
    animate = "{by: word, stagger: 0.05, duration: 0.1, highlight: {words: [2], duration: 0.2}}"
    plan = _plan(_template(tmp_path, "Big summer sale", animate), product, tmp_path)
    layer = _text(plan)
    bar = _kinetic(layer).highlight
    assert bar is not None and bar.lit == (1,) and bar.color == "#10E040"
    assert bar.start == max(unit.start for unit in _kinetic(layer).units) + _kinetic(layer).frames
    frames = _frames(plan)
    regions = _regions(layer, list(bar.words))

    def green(frame: np.ndarray, region: tuple[slice, slice]) -> int:
        pixels = frame[region]
        return int(((pixels[..., 1] > 180) & (pixels[..., 0] < 90)).sum())

    assert green(frames[bar.start - 1], regions[1]) == 0
    assert 0 < green(frames[bar.start], regions[1]) < green(frames[bar.start + bar.frames - 1], regions[1])
    assert green(frames[-1], regions[0]) == 0 and green(frames[-1], regions[2]) == 0
    assert layer.motion.start + layer.motion.frames == bar.start + bar.frames  # settled once the bar is in


def test_a_strike_through_is_drawn_across_the_old_price_over_its_frames(product: Product, tmp_path: Path) -> None:
    animate = "{by: none, strike: {duration: 0.2}}"
    plan = _plan(_template(tmp_path, "$1,499.00", animate, style="was"), product, tmp_path)
    layer = _text(plan)
    strike = _kinetic(layer).strike
    assert strike is not None and strike.frames == 6
    frames = _frames(plan)
    x, y, w, h = text_box(layer)

    def span(frame: np.ndarray) -> int:
        pixels = frame[y : y + h, x : x + w]
        columns = ((pixels[..., 1] > 180) & (pixels[..., 0] < 90)).any(axis=0)
        return int(columns.sum())

    widths = [span(frames[f]) for f in range(strike.start - 1, strike.start + strike.frames)]
    assert widths[0] == 0 and widths == sorted(widths) and 0 < widths[1] < widths[2] < widths[-1]  # drawn across
    assert widths[-1] >= 0.9 * sum(
        run.width for run in shape_line(layer.lines[0], layer.fonts, layer.weight, layer.font_size)
    )
    assert span(frames[-1]) == widths[-1]


def test_a_counting_price_rolls_up_to_the_price_at_the_final_layout(product: Product, tmp_path: Path) -> None:
    path = _template(tmp_path, "${{ '{:,.2f}'.format(product.price.amount) }}", "{count_from: 0}", style="price")
    plan = _plan(path, product, tmp_path)
    layer = _text(plan)
    count = _kinetic(layer).count
    assert count is not None and (count.start_value, count.end_value) == (0.0, 1299.0)
    assert (count.group, count.decimal, count.decimals, count.frames) == (",", ".", 2, 15)
    plain = _plan(_template(tmp_path, "$1,299.00", "{by: none}", style="price", name="p"), product, tmp_path)
    assert (_text(plain).font_size, _text(plain).lines) == (layer.font_size, layer.lines)  # laid out at the price
    shown = [count.text_at(count.start + k, k / 10) for k in range(11)]
    assert shown[0] == "$0.00" and shown[9] == "$1,169.10" and shown[10] == layer.text
    assert all(re.fullmatch(r"\$\d{1,3}(,\d{3})*\.\d{2}", text) for text in shown), shown
    _drawn_text.cache_clear()
    frames = _frames(plan)
    assert _drawn_text.cache_info().currsize < count.frames + 2  # one drawing per distinct string
    last = count.start + count.frames - 1
    assert not np.array_equal(frames[last - 1], frames[last]) and np.array_equal(frames[last], frames[-1])


def test_lint_names_a_highlight_past_the_text_and_a_stagger_longer_than_its_shot(
    product: Product, tmp_path: Path
) -> None:
    path = _template(tmp_path, "Two words", "{highlight: {words: [3]}}")
    with pytest.raises(TemplateError, match=r"highlight words \[3\].*2 words") as caught:
        compile_plan(load_template(path), product, "9:16", tmp_path)
    assert caught.value.context["line"] == 16
    slow = _template(tmp_path, "Two words", "{stagger: 0.5, duration: 0.8}", duration=1.0, name="s")
    findings = [str(f) for f in lint_template(slow, legibility=DRAFT_LEGIBILITY) if f.severity == "error"]
    assert any("s.yaml:16" in f and "not all in until 1.4 s" in f for f in findings), findings


def test_the_studio_form_sets_kinetic_fields_in_the_order_the_schema_gives(product: Product, tmp_path: Path) -> None:
    path = _template(tmp_path, "Fresh deals", "{by: word}")
    text = path.read_text(encoding="utf-8")
    for field, value in (("style", "mask"), ("stagger", 0.1)):
        text = apply_edit(text, {"op": "set", "path": ["shots", 0, "text", 0, "animate", field], "value": value})
    text = apply_edit(
        text, {"op": "set", "path": ["shots", 0, "text", 0, "animate", "highlight", "words"], "value": [2]}
    )
    path.write_text(text, encoding="utf-8")
    assert "animate: {by: word, style: mask, stagger: 0.1, highlight: {words: [2]}}" in text
    kinetic = _kinetic(_text(_plan(path, product, tmp_path)))
    assert kinetic.style == "mask" and kinetic.highlight is not None and kinetic.highlight.lit == (1,)

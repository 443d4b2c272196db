"""Text legibility: WCAG contrast against what is behind each text, in lint, preview and at render time.

Frames are built in the tests (flat colours, a clashing band) or composited from plans of templates
written here; the render-time check runs through the Renderer swap point with a backend that paints
every keyframe in the colour of the text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from generator.core.errors import RenderError
from generator.core.fonts import font_chain
from generator.core.images import AssetResolver
from generator.core.shaping import TextLayout
from generator.orchestration.runs.rows import RunOptions, settle_legibility
from generator.orchestration.runs.run import run_batch
from generator.orchestration.stores.store import LocalStore
from generator.planning.catalog import load_catalog
from generator.planning.lint import lint_template, sample_product
from generator.planning.plan.compile import compile_plan
from generator.planning.plan.effects import Motion
from generator.planning.plan.timeline import settled_frame
from generator.planning.plan.types import ShotPlan, TextPlacement
from generator.planning.templates import load_template
from render import legibility, legibility_draft
from render.backends import KeyframeRequest
from render.backends.draft import DraftRenderer
from render.compose import Compositor, layer_source, shot_still, text_box
from render.contrast import color_luminance, contrast_ratio, needed_ratio, text_contrast
from render.encode import EncodeSettings, ffmpeg_executable
from render.legibility import plate_color, remedy_on_keyframes
from render.legibility_draft import check_on_draft, image_source, remedy_on_draft
from render.preview import render_preview
from render.qc import decode_frames
from render.text import draw_text
from tests.conftest import DRAFT_LEGIBILITY, REPO, SAMPLE_CATALOG, VOICES, product_row, stored_plan

GREY_ON_NAVY = """\
id: clash
version: 1
vertical: test
requires: [title, price, image_link]
palette: {background: ["#1B2A4A", "#101828"], accent: "#E4572E"}
styles:
  was: {size: 64, min_size: 40, color: "#8A8F99"}
shots:
  - id: sale
    duration: 1.0
    background: {prompt: "studio"}
    text:
      - {text: "was {{ product.price | money }}", style: was, box: center, enter: none}
"""


def write_template(root: Path, text: str, name: str = "clash") -> Path:
    path = root / "test" / f"{name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def text_layer(color: str, size: int = 64, text: str = "Legible words", **style: object) -> TextPlacement:
    """A text at (40, 40) in a 600x120 box, drawn alone by the tests."""
    fields: dict[str, object] = {"stroke": 0, "shadow": False, "plate": None} | style
    return TextPlacement(
        field="shots[0].text[0]",
        text=text,
        lines=(text,),
        fonts=font_chain("DejaVu Sans", "bold", (), "en"),
        lang="en",
        weight="bold",
        font_size=size,
        line_height=round(size * 1.15),
        color=color,
        align="left",
        box=(40.0, 40.0, 600.0, 120.0),
        motion=Motion(
            enter="none",
            start=0,
            frames=0,
            ease="linear",
            exit="none",
            exit_start=30,
            exit_frames=0,
            exit_ease="linear",
        ),
        **fields,  # type: ignore[arg-type]
    )


def on(background: np.ndarray, layer: TextPlacement) -> np.ndarray:
    """``background`` (an RGB canvas) with ``layer`` drawn on it where it rests."""
    x, y, width, height = text_box(layer)
    sprite = draw_text(TextLayout(layer.lines, layer.font_size, layer.line_height), layer.fonts, layer.weight, (width, height),
                       color=layer.color, align=layer.align, lang=layer.lang)  # fmt: skip
    canvas = Image.fromarray(background).convert("RGBA")
    canvas.alpha_composite(sprite, (x, y))
    return np.asarray(canvas.convert("RGB"))


def flat(color: tuple[int, int, int], size: tuple[int, int] = (700, 220)) -> np.ndarray:
    return np.full((size[1], size[0], 3), color, dtype=np.uint8)


def test_contrast_ratio_matches_published_wcag_values() -> None:
    white, black = color_luminance("#FFFFFF"), color_luminance("#000000")
    assert contrast_ratio(white, black) == pytest.approx(21.0)
    assert (
        round(contrast_ratio(color_luminance("#767676"), white), 2) == 4.54
    )  # the lightest grey that passes AA on white
    assert round(contrast_ratio(color_luminance("#777777"), white), 2) == 4.48


def test_text_on_a_flat_background_measures_the_two_colours_ratio() -> None:
    layer = text_layer("#767676")
    assert round(text_contrast(on(flat((255, 255, 255)), layer), layer), 2) == 4.54


def test_large_text_needs_3_to_1_and_smaller_text_4_5_to_1() -> None:
    assert needed_ratio(text_layer("#000000", size=32)) == 3.0
    assert needed_ratio(text_layer("#000000", size=31)) == 4.5


def _ink_columns(layer: TextPlacement) -> np.ndarray:
    x, _, width, height = text_box(layer)
    sprite = draw_text(TextLayout(layer.lines, layer.font_size, layer.line_height), layer.fonts, layer.weight, (width, height),
                       color="#FFFFFF", align=layer.align)  # fmt: skip
    return np.flatnonzero((np.asarray(sprite.getchannel("A")) >= 128).any(axis=0)) + x


def test_a_tenth_of_the_text_on_a_clashing_area_fails_it_and_stray_pixels_do_not() -> None:
    layer = text_layer("#000000")
    columns = _ink_columns(layer)
    clash = flat((255, 255, 255))
    clash[:, columns[int(len(columns) * 0.9)] :] = (20, 20, 20)  # the last tenth of the text is on near-black
    assert text_contrast(on(clash, layer), layer) < 1.5
    specks = flat((255, 255, 255))
    rng = np.random.default_rng(7)
    specks[rng.integers(0, 220, 40), rng.integers(0, 700, 40)] = (0, 0, 0)  # a few dark stray pixels around the text
    assert text_contrast(on(specks, layer), layer) > 15


def test_a_plate_or_a_stroke_counts_as_what_is_behind_the_text() -> None:
    white = flat((255, 255, 255))
    plain = text_layer("#FFFFFF")
    assert text_contrast(on(white, plain), plain) == pytest.approx(1.0)
    plated = text_layer("#FFFFFF", plate="#202020")
    x, y, width, height = text_box(plated)
    frame = Image.fromarray(white).convert("RGBA")
    sprite = draw_text(TextLayout(plated.lines, plated.font_size, plated.line_height), plated.fonts, plated.weight, (width, height),
                       color=plated.color, align=plated.align, plate=plated.plate)  # fmt: skip
    frame.alpha_composite(sprite, (x, y))
    measured = text_contrast(np.asarray(frame.convert("RGB")), plated)
    assert measured == pytest.approx(contrast_ratio(1.0, color_luminance("#202020")), rel=1e-3)
    stroked = text_layer("#FFFFFF", stroke=4)  # a black outline 4 px wide lines the 5 px ring round the glyphs
    frame = Image.fromarray(white).convert("RGBA")
    sprite = draw_text(TextLayout(stroked.lines, stroked.font_size, stroked.line_height), stroked.fonts, stroked.weight, (width, height),
                       color=stroked.color, align=stroked.align, stroke=stroked.stroke)  # fmt: skip
    frame.alpha_composite(sprite, (x, y))
    assert text_contrast(np.asarray(frame.convert("RGB")), stroked) > 4.5


def _sample_plan(root: Path, text: str, aspect: str = "9:16") -> ShotPlan:
    """The plan of lint's sample product, with its legibility settled as a run settles it."""
    product = sample_product()
    return settle_legibility(
        compile_plan(load_template(write_template(root, text)), product, aspect, root, VOICES), product, root
    )


@pytest.mark.parametrize(
    "prompt",
    [
        "cozy interior, oak sideboard, teal tones, soft window light",
        "party night, bokeh lights, {color} tones",
        "marble counter",
    ],
)
def test_a_draft_lookalike_draws_the_same_backdrop_but_for_the_dither(prompt: str) -> None:
    request = KeyframeRequest(prompt=prompt.format(color="teal"), negative="blurry", size=(270, 480), seed=912_345,
                              palette=("#EEF2EE", "#C9D3CB"), accent="#2F6F62")  # fmt: skip
    twin = DraftRenderer.lookalike(request)
    other = DraftRenderer.lookalike(replace(request, prompt=prompt.format(color="red"), seed=7))
    original, lookalike = (np.asarray(image, dtype=np.int16) for image in DraftRenderer().render([request, twin]))
    assert np.abs(original - lookalike).max() <= 2  # the dither moves a pixel by under a level, before upscaling
    seeded = "bokeh" in prompt  # where the seed places lights, it stays: the backdrops differ
    assert (twin.seed == request.seed) is seeded and (other == twin) is not seeded


def test_lint_reports_grey_on_navy_at_the_text_line_with_the_measured_ratio(tmp_path: Path) -> None:
    root = tmp_path / "templates"
    path = write_template(root, GREY_ON_NAVY)
    plan = _sample_plan(root, GREY_ON_NAVY)
    (measured,) = check_on_draft(plan, image_source((), root))
    assert measured.ratio < 3 and measured.needed == 3.0
    findings = [
        str(f).replace(f"{path}:", "T:") for f in lint_template(path, legibility=DRAFT_LEGIBILITY, voices=VOICES)
    ]
    assert findings == [
        f"T:13:9: error: the sample product: shots[0].text[0]: contrast {int(measured.ratio * 10) / 10:.1f}:1 of #8A8F99 on the "
        "background behind it, needs 3:1 (text 'was $49.99', shot sale, aspect 9:16)"
    ]


def test_with_legibility_auto_the_same_text_passes_lint_and_its_plan_records_the_plate(tmp_path: Path) -> None:
    root = tmp_path / "templates"
    text = GREY_ON_NAVY.replace('color: "#8A8F99"}', 'color: "#8A8F99", legibility: auto}')
    path = write_template(root, text)
    assert lint_template(path, legibility=DRAFT_LEGIBILITY, voices=VOICES) == []
    plan = _sample_plan(root, text)
    (layer,) = plan.shots[0].layers
    assert isinstance(layer, TextPlacement)
    # A black shadow cannot lift grey text off a dark backdrop: the plate, in the first colour that contrasts 4.5:1.
    assert (layer.legibility, layer.remedy, layer.shadow) == ("auto", "plate", False)
    assert layer.plate == plate_color(layer, plan.shots[0])
    assert contrast_ratio(color_luminance(layer.color), color_luminance(layer.plate)) >= 4.5
    (after,) = check_on_draft(plan, image_source((), root))
    assert after.passed


def test_a_shot_settled_for_one_row_is_settled_alike_for_the_next_and_only_for_the_same_shot(tmp_path: Path) -> None:
    root = tmp_path / "templates"
    text = GREY_ON_NAVY.replace('color: "#8A8F99"}', 'color: "#8A8F99", legibility: auto}')
    template = load_template(write_template(root, text))
    product = sample_product()
    source = image_source((product.image,), root)
    first = remedy_on_draft(compile_plan(template, product, "9:16", root, VOICES), source)
    twin = compile_plan(template, replace(product, sku="TWIN"), "9:16", root, VOICES)  # another row, the same shot
    remembered = remedy_on_draft(twin, source)
    legibility_draft._SETTLED.clear()  # nothing remembered: settled afresh
    legibility._RATIOS.clear()
    assert remembered == remedy_on_draft(twin, source)
    assert remembered.shots[0].layers == first.shots[0].layers and remembered.shots[0].seed != first.shots[0].seed
    assert remembered.shots[0].layers[0].remedy == "plate"  # type: ignore[union-attr]
    # White text on the same scene reads well: what grey text needed is not taken for it.
    white = load_template(write_template(root, text.replace("#8A8F99", "#FFFFFF"), name="white"))
    plan = remedy_on_draft(compile_plan(white, product, "9:16", root, VOICES), source)
    assert plan.shots[0].layers[0].remedy is None  # type: ignore[union-attr]


def test_the_shadow_is_tried_first_and_the_plate_only_when_the_shadow_is_not_enough(tmp_path: Path) -> None:
    text = GREY_ON_NAVY.replace(
        'was: {size: 64, min_size: 40, color: "#8A8F99"}',
        'big: {weight: bold, size: 96, min_size: 48, color: "#FFFFFF", shadow: false, legibility: auto}',
    )
    plan = _sample_plan(tmp_path / "templates", text.replace("style: was", "style: big"))
    layer = plan.shots[0].layers[0]
    assert isinstance(layer, TextPlacement) and layer.remedy is None  # white on the dark draft reads well
    grey = [Image.new("RGB", plan.size, (155, 155, 155))]  # white on it: 2.8:1 plain, a little more with a shadow
    shadowed, (remedied,) = remedy_on_keyframes(plan, grey, lambda layer: None, pinning=False)
    assert (remedied.remedy, remedied.shot, remedied.field) == ("shadow", "sale", "shots[0].text[0]")
    assert remedied.ratio == pytest.approx(contrast_ratio(1.0, color_luminance("#9B9B9B"))) and remedied.ratio < 3
    assert shadowed.shots[0].layers[0].shadow is True and shadowed.shots[0].layers[0].plate is None
    light = [Image.new("RGB", plan.size, (200, 200, 200))]
    plated, (remedied,) = remedy_on_keyframes(plan, light, lambda layer: None, pinning=False)
    after = plated.shots[0].layers[0]
    assert isinstance(after, TextPlacement) and (remedied.remedy, after.remedy, after.shadow) == (
        "plate",
        "plate",
        False,
    )
    assert after.plate == "#1B2A4A"  # the accent contrasts too little with white text; the first palette colour enough


def test_without_auto_a_failing_text_on_the_keyframes_is_a_render_error_naming_text_shot_and_ratio(
    tmp_path: Path,
) -> None:
    plan = _sample_plan(
        tmp_path / "templates", GREY_ON_NAVY.replace('color: "#8A8F99"}', 'color: "#8A8F99", shadow: false}')
    )
    keyframe = [Image.new("RGB", plan.size, (0x8A, 0x8F, 0x99))]  # the text's own colour: 1:1, by definition
    with pytest.raises(RenderError) as caught:
        remedy_on_keyframes(plan, keyframe, lambda layer: None, pinning=False)
    assert caught.value.context == {"field": "shots[0].text[0]", "shot": "sale"}
    assert caught.value.message == (
        "qc: legibility: contrast 1.0:1 of #8A8F99 on the keyframe behind it, needs 3:1 (text 'was $49.99')"
    )


def test_a_still_of_a_settled_frame_is_the_videos_frame(tmp_path: Path, templates_root: Path) -> None:
    template = load_template(templates_root / "test" / "quick.yaml")
    product = next(p for p in load_catalog(SAMPLE_CATALOG).products if p.sku == "BEA-001")
    plan = compile_plan(template, product, "1:1", templates_root, VOICES)
    assets = AssetResolver({"catalog": SAMPLE_CATALOG.parent, "templates": templates_root})
    compositor = Compositor.render(plan, DraftRenderer(), assets)
    frames = [np.asarray(frame) for frame in compositor.frames()]
    for index, shot in enumerate(plan.shots):
        frame = settled_frame(shot)
        still = shot_still(plan, shot, frame, compositor.backgrounds[index], lambda layer: layer_source(layer, assets))
        assert np.array_equal(np.asarray(still), frames[shot.start + frame]), shot.id
        area = (100, 700, 900, 1000)
        part = shot_still(
            plan, shot, frame, compositor.backgrounds[index], lambda layer: layer_source(layer, assets), area=area
        )
        assert np.abs(np.asarray(part, dtype=np.int16) - frames[shot.start + frame][700:1000, 100:900]).max() <= 1


def test_the_shipped_templates_contrast_enough_with_their_remedies_in_every_aspect_on_the_sample_catalog() -> None:
    root = REPO / "templates"
    products = load_catalog(SAMPLE_CATALOG).products
    failing = []
    for path in sorted(root.glob("*/*.yaml")):
        if path.parent.name == "kits":
            continue
        template = load_template(path)
        for product in products:
            for aspect in template.spec.canvas.aspects:
                source = image_source(product.images, root)
                plan = remedy_on_draft(compile_plan(template, product, aspect, root, VOICES), source)
                failing += [f"{template.id} {aspect} {product.sku}: {c.describe()}" for c in check_on_draft(plan, source)
                            if not c.passed]  # fmt: skip
                # Only texts that ask for one (legibility: auto) get a remedy; the rest contrast as they are.
                assert all(layer.legibility == "auto" for shot in plan.shots for layer in shot.layers
                           if getattr(layer, "remedy", None))  # fmt: skip
    assert failing == []


def test_preview_warns_and_reports_the_text_that_clashes(tmp_path: Path) -> None:
    root = tmp_path / "templates"
    plan = _sample_plan(root, GREY_ON_NAVY)
    preview = render_preview(plan, AssetResolver({"templates": root}), tmp_path / "out", "clash")
    assert [(c.shot, c.layer.field, c.passed) for c in preview.clashes] == [("sale", "shots[0].text[0]", False)]


class TextColoured:
    """A model stand-in that paints every keyframe in one flat colour: the colour of the text."""

    name = "text-coloured"
    identity = "text-coloured-1"
    cacheable = False
    roles = frozenset({"scene"})

    def __init__(self, color: str) -> None:
        self.color = tuple(int(color[i : i + 2], 16) for i in (1, 3, 5))

    def render(self, requests: Sequence[KeyframeRequest]) -> list[Image.Image]:
        return [Image.new("RGB", request.size, self.color) for request in requests]


CREAM_PRICE = """\
id: cream
version: 1
vertical: test
requires: [title, price, image_link]
palette: {background: ["#101018", "#08080C"], accent: "#FFD23F", text: "#FFFFFF"}
styles:
  price: {weight: bold, size: 120, min_size: 60, color: "#FFF4D6"%s}
shots:
  - id: deal
    duration: 1.0
    background: {prompt: "studio"}
    text:
      - {text: "{{ product.price | money }}", style: price, box: center, enter: none}
"""


def _render(
    tmp_path: Path, write_catalog: Callable[[list[dict[str, str]]], Path], legibility: str
) -> tuple[Path, list[dict[str, object]]]:
    root = tmp_path / "templates"
    write_template(root, CREAM_PRICE % legibility, name="cream")
    catalog = write_catalog([product_row("P-1", price="24.00 USD")])
    options = RunOptions(template_id="cream", templates_root=root, encode=EncodeSettings(preset="ultrafast"))
    out = tmp_path / "out"
    run_batch(catalog, LocalStore(out), options, renderer=TextColoured("#FFF4D6"))
    return out, [json.loads(line) for line in (out / "manifest.jsonl").read_text(encoding="utf-8").splitlines()]


def test_on_a_models_keyframe_auto_text_gets_its_plate_at_render_time_and_the_manifest_says_so(
    tmp_path: Path, write_catalog: Callable[[list[dict[str, str]]], Path]
) -> None:
    out, (line,) = _render(tmp_path, write_catalog, ", legibility: auto")
    assert line["status"] == "rendered", line.get("error")
    plan = stored_plan(Path(str(line["job"])))
    layer = plan.shots[0].layers[0]
    assert isinstance(layer, TextPlacement) and layer.remedy is None  # on the draft it read well: nothing in the plan
    (remedy,) = line["legibility"]  # type: ignore[misc]
    assert remedy["shot"] == "deal" and remedy["field"] == "shots[0].text[0]" and remedy["remedy"] == "plate"
    assert (
        1.0 <= remedy["ratio"] < 3 and remedy["needed"] == 3.0
    )  # only the text's own shadow lies between cream and cream
    plate = plate_color(layer, plan.shots[0])
    assert plate == "#101018"  # the accent is too light for cream text; the first palette colour contrasts
    number = plan.shots[0].start + settled_frame(plan.shots[0])
    frame = decode_frames(out / str(line["video"]), [number], plan.size, ffmpeg_executable())[number]
    drawn = layer.model_copy(update={"plate": plate, "shadow": False})
    x, y, width, height = text_box(drawn)
    sprite = np.asarray(draw_text(TextLayout(drawn.lines, drawn.font_size, drawn.line_height), drawn.fonts, drawn.weight,
                                  (width, height), color=drawn.color, align=drawn.align, plate=drawn.plate))  # fmt: skip
    on_plate = (sprite[..., 3] == 255) & (
        np.abs(sprite[..., :3].astype(np.int16) - [0x10, 0x10, 0x18]).max(axis=2) == 0
    )
    assert on_plate.sum() > 0.1 * width * height
    decoded = frame[y : y + height, x : x + width].astype(np.int16)[on_plate]
    assert (np.abs(decoded - [0x10, 0x10, 0x18]).max(axis=1) <= 12).mean() > 0.95  # the plate, not the cream keyframe
    assert text_contrast(frame, drawn) >= 3.0


def test_on_a_models_keyframe_text_without_auto_fails_the_row_and_nothing_is_stored(
    tmp_path: Path, write_catalog: Callable[[list[dict[str, str]]], Path]
) -> None:
    out, (line,) = _render(tmp_path, write_catalog, "")
    assert line["status"] == "failed"
    error = str(line["error"])
    assert "field shots[0].text[0], shot deal: qc: legibility: " in error and "(text '$24.00')" in error
    ratio = float(re.search(r"contrast ([0-9.]+):1 of #FFF4D6 on the keyframe behind it, needs 3:1", error).group(1))  # type: ignore[union-attr]
    assert ratio < 3
    assert not [p for p in out.rglob("*") if p.suffix in (".mp4", ".jpg", ".json") and p.name != "run-summary.json"]

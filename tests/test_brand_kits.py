"""Brand kits: one brand-neutral template rendered for two brands, the precedence of kit and template, and kit errors."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from generator.core.errors import TemplateError
from generator.orchestration.runs.jobs import RenderJob, make_job
from generator.planning.lint import lint_template, sample_product
from generator.planning.plan.compile import compile_plan
from generator.planning.plan.types import ImagePlacement, ShotPlan, TextPlacement
from generator.planning.templates import load_template
from render.backends import RendererSettings
from render.encode import EncodeSettings
from tests.conftest import DRAFT_LEGIBILITY
from tests.kits import TEMPLATE, kit_font, make_kit, png_logo, run, svg_logo, write_catalog, write_templates
from tests.media import decode_frame


def _hero(plan: ShotPlan) -> tuple[ImagePlacement, TextPlacement]:
    shot = plan.shots[0]
    (logo,) = [layer for layer in shot.layers if isinstance(layer, ImagePlacement)]
    (text,) = [layer for layer in shot.layers if isinstance(layer, TextPlacement)]
    return logo, text


def _plate_colour(frame: np.ndarray, text: TextPlacement) -> np.ndarray:
    """The median colour of the plate's band above the glyphs, across the middle of the text box."""
    x, y, w, h = text.box
    top = y + (h - text.font_size) / 2  # one line, centred in its box
    row = round(top - 0.11 * text.font_size)  # between the plate's top edge and the glyphs
    return np.median(frame[row - 1 : row + 2, round(x + 0.4 * w) : round(x + 0.6 * w)].reshape(-1, 3), axis=0)


def _ink(frame: np.ndarray, text: TextPlacement) -> np.ndarray:
    """Where the white glyphs are inside the text's box."""
    x, y, w, h = (round(v) for v in text.box)
    return frame[y : y + h, x : x + w].min(axis=2) > 200


def test_one_template_renders_two_brands_in_their_colours_logos_and_fonts(tmp_path: Path) -> None:
    blue, red = tmp_path / "blue", tmp_path / "red"
    kits = {
        "blue": make_kit(blue, primary="#1E88E5", font=kit_font("DejaVu Sans", "Kit Blue Sans", blue),
                         logo=svg_logo(blue / "logo.svg", "#1E88E5")),
        "red": make_kit(red, primary="#C62828", font=kit_font("Noto Sans", "Kit Red Sans", red),
                        logo=png_logo(red / "logo.png", (198, 40, 40))),
    }  # fmt: skip
    catalog, templates = write_catalog(tmp_path / "feed"), write_templates(tmp_path / "templates")
    seen = {}
    for name, kit in kits.items():
        line = run(catalog, templates, kit, tmp_path / f"out-{name}")
        plan = RenderJob.from_json(Path(str(line["job"])).read_text(encoding="utf-8"), "job").plan
        logo, text = _hero(plan)
        frame = decode_frame(Path(str(line["video"])), plan.shots[0].frames - 1)
        seen[name] = (plan, logo, text, frame)
    for name, primary in (("blue", (0x1E, 0x88, 0xE5)), ("red", (0xC6, 0x28, 0x28))):
        plan, logo, text, frame = seen[name]
        assert text.plate == "#{:02X}{:02X}{:02X}".format(*primary)
        assert np.abs(_plate_colour(frame, text) - primary).max() <= 12  # the kit's primary, as decoded
        lx, ly, lw, lh = logo.box
        centre = frame[
            round(ly + lh / 2) - 2 : round(ly + lh / 2) + 3, round(lx + lw * 0.75) - 2 : round(lx + lw * 0.75) + 3
        ]
        assert np.abs(np.median(centre.reshape(-1, 3), axis=0) - primary).max() <= 12  # each logo's own colour
    assert seen["blue"][1].ref.source == "brand:logo.svg" and seen["blue"][1].ref.raster is not None
    assert seen["red"][1].ref.source == "brand:logo.png" and seen["red"][1].ref.raster is None
    blue_text, red_text = seen["blue"][2], seen["red"][2]
    assert blue_text.fonts[0] == "Kit Blue Sans" and red_text.fonts[0] == "Kit Red Sans"
    assert blue_text.text == red_text.text == "Shop now"
    blue_ink, red_ink = _ink(seen["blue"][3], blue_text), _ink(seen["red"][3], red_text)
    assert blue_ink.shape == red_ink.shape and blue_ink.sum() > 500 and red_ink.sum() > 500
    assert (blue_ink != red_ink).mean() > 0.01  # the same words in other glyphs


def test_changing_a_kit_font_file_changes_the_output_key(tmp_path: Path) -> None:
    folder = tmp_path / "kit"
    font = kit_font("DejaVu Sans", "Kit Keyed Sans", folder)
    kit = make_kit(folder, primary="#1E88E5", font=font, logo=svg_logo(folder / "logo.svg", "#1E88E5"))
    root = write_templates(tmp_path / "templates")
    plan = compile_plan(load_template(root / "test" / "branded.yaml", brand_kit=kit), sample_product(), "1:1", root)

    def key() -> str:
        return make_job(plan, RendererSettings(), "draft-1", EncodeSettings(preset="ultrafast"), {}).key

    before = key()
    assert key() == before
    bold = folder / font.name.replace("Regular", "Bold")
    bold.write_bytes(bold.read_bytes() + b"\0\0\0\0")  # still a font, other bytes
    assert key() != before


def test_a_template_hex_colour_wins_and_a_kit_colour_name_is_the_kits(tmp_path: Path) -> None:
    folder = tmp_path / "kit"
    font = kit_font("DejaVu Sans", "Kit Named Sans", folder)
    kit = make_kit(folder, primary="#1E88E5", font=font, logo=svg_logo(folder / "logo.svg", "#1E88E5"))
    text = TEMPLATE.replace(
        "shots:",
        'palette: {accent: "#00FF00"}\nstyles:\n  cta: {plate: primary, color: "#FAFAFA", font: DejaVu Sans}\nshots:',
    )
    root = write_templates(tmp_path / "templates", text)
    template = load_template(root / "test" / "branded.yaml", brand_kit=kit)
    assert template.spec.palette.accent == "#00FF00"  # written in the template
    assert template.spec.palette.background == ("#1B1B1F", "#26262C")  # not written: the kit's
    assert template.spec.palette.text == "#FFFFFF"
    cta = template.styles["cta"]
    assert (cta.plate, cta.color, cta.font) == ("#1E88E5", "#FAFAFA", "DejaVu Sans")
    assert template.styles["headline"].font == "Kit Named Sans"  # a built-in style in the kit's family
    assert template.styles["headline"].weight == "bold"


def test_a_colour_the_kit_lacks_is_an_error_at_the_template_line(tmp_path: Path) -> None:
    folder = tmp_path / "kit"
    font = kit_font("DejaVu Sans", "Kit Lacks Sans", folder)
    kit = make_kit(folder, primary="#1E88E5", font=font, logo=svg_logo(folder / "logo.svg", "#1E88E5"))
    root = write_templates(tmp_path / "templates", TEMPLATE.replace("shots:", "palette: {accent: tertiary}\nshots:"))
    with pytest.raises(TemplateError) as caught:
        load_template(root / "test" / "branded.yaml", brand_kit=kit)
    assert caught.value.context["line"] == 6 and caught.value.context["field"] == "palette.accent"
    assert "'tertiary'" in caught.value.message and "primary" in caught.value.message


def test_a_kit_file_outside_its_folder_is_refused_at_the_kit_line(tmp_path: Path) -> None:
    folder = tmp_path / "kit"
    font = kit_font("DejaVu Sans", "Kit Escape Sans", folder)
    svg_logo(tmp_path / "elsewhere.svg", "#1E88E5")
    kit = make_kit(folder, primary="#1E88E5", font=font, logo=folder / "x.svg")
    kit.write_text(kit.read_text().replace("logo: x.svg", "logo: ../elsewhere.svg"))
    root = write_templates(tmp_path / "templates")
    with pytest.raises(TemplateError) as caught:
        load_template(root / "test" / "branded.yaml", brand_kit=kit)
    assert caught.value.context["file"] == kit.resolve() and caught.value.context["line"] == 2
    assert "outside the brand kit's folder" in caught.value.message


def test_lint_names_the_kit_line_of_a_text_colour_without_contrast(tmp_path: Path) -> None:
    folder = tmp_path / "kit"
    font = kit_font("DejaVu Sans", "Kit Pale Sans", folder)
    kit = make_kit(folder, primary="#1E88E5", font=font, logo=svg_logo(folder / "logo.svg", "#1E88E5"))
    kit.write_text(kit.read_text().replace('text: "#FFFFFF"', 'text: "#2A2A30"'))
    root = write_templates(tmp_path / "templates")
    findings = lint_template(root / "test" / "branded.yaml", legibility=DRAFT_LEGIBILITY, brand_kit=kit)
    at_kit = [f for f in findings if f.file == kit.resolve()]
    assert [(f.line, f.severity) for f in at_kit] == [(5, "error"), (5, "error")]  # on background and background-2
    assert "contrast" in at_kit[0].message


def test_brand_variables_and_the_kit_cta_reach_texts(tmp_path: Path) -> None:
    folder = tmp_path / "kit"
    font = kit_font("DejaVu Sans", "Kit Words Sans", folder)
    kit = make_kit(folder, primary="#1E88E5", font=font, logo=svg_logo(folder / "logo.svg", "#1E88E5"), cta="Get yours")
    root = write_templates(
        tmp_path / "templates", TEMPLATE.replace("{{ brand.cta }}", "{{ brand.name }}: {{ brand.cta }}")
    )
    template = load_template(root / "test" / "branded.yaml", brand_kit=kit)
    plan = compile_plan(template, dataclasses.replace(sample_product(), link=""), "1:1", root)
    assert _hero(plan)[1].text == "kit: Get yours"
    assert [getattr(layer, "text", None) for layer in plan.shots[-1].layers][1] == "Get yours"


def test_the_shipped_templates_plan_with_the_example_kit_and_keep_the_house_kits_mascot() -> None:
    from generator.orchestration.stores.speech import voices
    from generator.planning.templates import discover_templates
    from tests.conftest import REPO

    root = REPO / "templates"
    kit = root / "kits" / "example-brand.yaml"
    found, errors = discover_templates(root, kit)
    assert errors == [] and len(found) >= 6
    speaking = voices()
    for template in found.values():
        assert template.kit is not None and template.kit.spec.name == "Example Brand"
        assert template.spec.mascot is not None  # not in the example kit: the house kit's, beneath it
        plan = compile_plan(template, sample_product(), template.spec.canvas.aspects[0], root, speaking)
        assert plan.frames > 0
    findings = lint_template(
        root / "general" / "showcase.yaml", legibility=DRAFT_LEGIBILITY, voices=speaking, brand_kit=kit
    )
    assert [str(f) for f in findings if f.severity == "error"] == []


def test_the_printed_schemas_accept_kits_end_cards_and_kit_colour_names() -> None:
    import json

    import jsonschema
    import yaml
    from click.testing import CliRunner

    from generator.orchestration.cli import main
    from tests.conftest import REPO

    printed = CliRunner().invoke(main, ["templates", "schema", "--kit"])
    kit_schema = json.loads(printed.output)
    jsonschema.validate(yaml.safe_load((REPO / "templates" / "kits" / "example-brand.yaml").read_text()), kit_schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"end_card": "diagonal"}, kit_schema)
    template_schema = json.loads(CliRunner().invoke(main, ["templates", "schema"]).output)
    template = yaml.safe_load(TEMPLATE.replace("shots:", "styles:\n  cta: {plate: primary}\nshots:"))
    jsonschema.validate(template, template_schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**template, "end_card": {"layout": "diagonal"}}, template_schema)


def test_a_logo_in_the_platform_ui_is_a_safe_zone_finding_and_preview_draws_logo_and_qr(tmp_path: Path) -> None:
    from generator.core.images import AssetResolver
    from generator.planning.safezone import safe_zone_violations
    from generator.planning.templates.brand import kit_root
    from render.preview import render_preview

    folder = tmp_path / "kit"
    font = kit_font("DejaVu Sans", "Kit Zone Sans", folder)
    kit = make_kit(folder, primary="#1E88E5", font=font, logo=svg_logo(folder / "logo.svg", "#1E88E5"))
    text = TEMPLATE.replace(
        "logo: {box: top, enter: none}",
        "logo: {box: [0.0, 0.0, 0.4, 0.1], area: canvas, enter: none, enter_duration: 0}",
    )
    root = write_templates(tmp_path / "templates", text)
    template = load_template(root / "test" / "branded.yaml", brand_kit=kit)
    product = dataclasses.replace(sample_product(), link="https://example.com/p/1")
    plan = compile_plan(template, product, "9:16", root)
    assert [(v.field, v.kind) for v in safe_zone_violations(plan)] == [("shots[0].logo", "logo")]
    assets = AssetResolver({"templates": root, **kit_root(kit)})
    result = render_preview(plan, assets, tmp_path / "preview", "branded")
    assert result.storyboard.is_file() and result.video.is_file()


def test_an_svg_logo_linking_to_another_file_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "kit"
    font = kit_font("DejaVu Sans", "Kit Linked Sans", folder)
    logo = svg_logo(folder / "logo.svg", "#1E88E5")
    logo.write_text(
        logo.read_text().replace("</svg>", '<image href="/elsewhere/photo.png" width="9" height="9"/></svg>')
    )
    kit = make_kit(folder, primary="#1E88E5", font=font, logo=logo)
    root = write_templates(tmp_path / "templates")
    template = load_template(root / "test" / "branded.yaml", brand_kit=kit)
    with pytest.raises(TemplateError) as caught:
        compile_plan(template, sample_product(), "1:1", root)
    assert caught.value.context["field"] == "shots[0].logo" and "may not link to other files" in caught.value.message


def test_a_batch_spec_names_a_kit_relative_to_itself(tmp_path: Path) -> None:
    from generator.orchestration.batches.run import batch_options
    from generator.orchestration.stores.fetch import FetchSettings
    from generator.planning.batches.loading import load_batch

    spec = tmp_path / "specs" / "spec.yaml"
    spec.parent.mkdir()
    spec.write_text("id: branded\ncatalog: {source: catalog.csv}\nout: out\nbrand_kit: ../kits/kit.yaml\n")
    batch = load_batch(spec)
    _, options = batch_options(batch, RendererSettings(), FetchSettings(cache=tmp_path / "fetch"),
                               templates_root=tmp_path, encode=EncodeSettings(), keyframe_cache=None)  # fmt: skip
    assert options.brand_kit is not None and options.brand_kit.resolve() == (tmp_path / "kits" / "kit.yaml").resolve()


def test_plan_and_lint_take_a_kit_on_the_command_line(tmp_path: Path) -> None:
    import json

    from click.testing import CliRunner

    from generator.orchestration.cli import main
    from generator.orchestration.studio.forms import offered_fields

    folder = tmp_path / "kit"
    font = kit_font("DejaVu Sans", "Kit Command Sans", folder)
    kit = make_kit(folder, primary="#1E88E5", font=font, logo=svg_logo(folder / "logo.svg", "#1E88E5"))
    root, catalog = write_templates(tmp_path / "templates"), write_catalog(tmp_path / "feed")
    args = ["plan", str(catalog), "--template", "branded", "--templates", str(root), "--aspect", "1:1"]
    planned = CliRunner().invoke(main, [*args, "--brand-kit", str(kit)])
    assert planned.exit_code == 0, planned.output
    plan = json.loads(planned.output.strip().splitlines()[-1])
    assert [layer["kind"] for layer in plan["shots"][-1]["layers"]] == ["logo", "text", "text", "qr"]
    assert CliRunner().invoke(main, args).exit_code == 1  # without a kit, the logo has none to show
    kit.write_text(kit.read_text().replace('text: "#FFFFFF"', 'text: "#2A2A30"'))
    linted = CliRunner().invoke(
        main, ["templates", "lint", str(root / "test" / "branded.yaml"), "--brand-kit", str(kit)]
    )
    assert linted.exit_code == 1 and f"{kit.resolve()}:5:" in linted.output
    offered = {".".join(map(str, f["path"])): f["default"] for f in offered_fields({"id": "x", "shots": []})}
    assert offered["end_card.duration"] == 2.5 and offered["end_card.qr"] is True

"""End cards: the kit's layout with logo, cta, a short link and the link's QR code, read back from the video."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from generator.orchestration.runs.jobs import RenderJob
from generator.planning.lint import sample_product
from generator.planning.plan.compile import compile_plan
from generator.planning.plan.endcard import short_link
from generator.planning.plan.types import ImagePlacement, PlannedShot, ShotPlan, TextPlacement
from generator.planning.templates import load_template
from tests.kits import LINK, REPO, kit_font, make_kit, run, svg_logo, write_catalog, write_templates
from tests.media import decode_frame, decode_hashes


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, object], ShotPlan, Path]:
    """One row rendered through a template with an end card and a run-time kit: manifest line, plan, folder."""
    base = tmp_path_factory.mktemp("end-card")
    kit_folder = base / "kit"
    font = kit_font("DejaVu Sans", "Kit Card Sans", kit_folder)
    kit = make_kit(kit_folder, primary="#1E88E5", font=font, logo=svg_logo(kit_folder / "logo.svg", "#1E88E5"))
    # Rendered in a worker process, which learns the kit's fonts from the run's brand root.
    line = run(write_catalog(base / "feed"), write_templates(base / "templates"), kit, base / "out", workers=2)
    job = RenderJob.from_json(Path(str(line["job"])).read_text(encoding="utf-8"), "job")
    return line, job.plan, base


def _end_card(plan: ShotPlan) -> PlannedShot:
    return next(shot for shot in plan.shots if shot.id == "end-card")


def test_the_qr_code_read_off_the_rendered_end_card_is_the_product_link(
    rendered: tuple[dict[str, object], ShotPlan, Path],
) -> None:
    line, plan, _ = rendered
    card = _end_card(plan)
    (qr,) = [layer for layer in card.layers if isinstance(layer, ImagePlacement) and layer.kind == "qr"]
    assert qr.qr is not None and qr.qr.text == LINK
    frame = decode_frame(Path(str(line["video"])), card.start + card.frames - 1)
    text, points, _ = cv2.QRCodeDetector().detectAndDecode(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    assert text == LINK
    x, y, w, h = qr.box  # found where the plan put it
    assert points is not None and all(x - 2 <= px <= x + w + 2 and y - 2 <= py <= y + h + 2 for px, py in points[0])
    # Crisp modules: the quiet zone is light and the top-left finder's corner module dark, whatever the palette.
    module = qr.qr.module
    grey = frame.mean(axis=2)
    assert grey[int(y) + module, int(x) + module] > 230
    corner = grey[int(y) + 4 * module + 1 : int(y) + 5 * module - 1, int(x) + 4 * module + 1 : int(x) + 5 * module - 1]
    assert corner.max() < 40


def test_the_end_card_shows_the_logo_cta_and_short_link(rendered: tuple[dict[str, object], ShotPlan, Path]) -> None:
    _, plan, _ = rendered
    card = _end_card(plan)
    texts = {layer.field: layer.text for layer in card.layers if isinstance(layer, TextPlacement)}
    assert texts == {"end_card.cta": "Shop now", "end_card.link": "example.com/products/blue-widget"}
    assert [layer.kind for layer in card.layers if isinstance(layer, ImagePlacement)] == ["logo", "qr"]


def test_a_job_file_with_a_kit_renders_the_same_video_again(
    rendered: tuple[dict[str, object], ShotPlan, Path],
) -> None:
    line, _, base = rendered
    # A fresh process, as a replay on another machine: it learns the kit's fonts from the job's brand root.
    command = ["render", str(line["job"]), "--out", str(base / "again")]
    result = subprocess.run(
        [sys.executable, "-c", "from generator.orchestration.cli import main; main()", *command],
        cwd=REPO, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    video = Path(result.stdout.strip().splitlines()[-1])
    assert json.loads(Path(str(line["job"])).read_text())["roots"]["brand"] == str((base / "kit").resolve())
    assert decode_hashes(video).hashes == decode_hashes(Path(str(line["video"]))).hashes


def test_a_row_without_a_link_gets_the_end_card_without_qr_or_link(tmp_path: Path) -> None:
    kit_folder = tmp_path / "kit"
    font = kit_font("DejaVu Sans", "Kit Nolink Sans", kit_folder)
    kit = make_kit(kit_folder, primary="#1E88E5", font=font, logo=svg_logo(kit_folder / "logo.svg", "#1E88E5"))
    root = write_templates(tmp_path / "templates")
    template = load_template(root / "test" / "branded.yaml", brand_kit=kit)
    product = dataclasses.replace(sample_product(), link="")
    card = _end_card(compile_plan(template, product, "1:1", root))
    assert [getattr(layer, "kind", None) for layer in card.layers] == ["logo", "text"]
    assert all(not isinstance(layer, ImagePlacement) or layer.qr is None for layer in card.layers)


@pytest.mark.parametrize("layout", ["centered", "stacked", "split"])
def test_every_layout_keeps_its_layers_apart_and_on_the_canvas(tmp_path: Path, layout: str) -> None:
    kit_folder = tmp_path / "kit"
    font = kit_font("DejaVu Sans", f"Kit Layout {layout.title()}", kit_folder)
    logo = svg_logo(kit_folder / "logo.svg", "#1E88E5")
    kit = make_kit(kit_folder, primary="#1E88E5", font=font, logo=logo, extra=f"end_card: {layout}\n")
    root = write_templates(tmp_path / "templates")
    template = load_template(root / "test" / "branded.yaml", brand_kit=kit)
    product = dataclasses.replace(sample_product(), link=LINK)
    for aspect in ("1:1", "9:16", "16:9"):
        plan = compile_plan(template, product, aspect, root)
        boxes = [layer.box for layer in _end_card(plan).layers]
        assert len(boxes) == 4
        for i, (x, y, w, h) in enumerate(boxes):
            assert x >= 0 and y >= 0 and x + w <= plan.size[0] and y + h <= plan.size[1]
            for ox, oy, ow, oh in boxes[i + 1 :]:
                assert x + w <= ox or ox + ow <= x or y + h <= oy or oy + oh <= y, (aspect, layout)


@pytest.mark.parametrize(
    ("link", "short"),
    [
        ("https://www.example.com/products/blue-widget?ref=ad#top", "example.com/products/blue-widget"),
        ("http://shop.example.org/", "shop.example.org"),
        ("https://example.com/collections/summer-2026/products/very-long-name", "example.com/collections/…"),
        ("example.com/a", "example.com/a"),
    ],
)
def test_a_short_link_is_host_and_path(link: str, short: str) -> None:
    assert short_link(link) == short
    assert len(short_link(link)) <= 32


def test_qr_modules_in_the_plan_are_drawn_a_whole_number_of_pixels_each() -> None:
    from generator.planning.plan.effects import Motion
    from generator.planning.plan.qr import qr_code, qr_placement
    from render.compose.qr import qr_image

    code = qr_code(LINK)
    placed = qr_placement(code, (10.3, 20.7, 300.0, 280.0), "end_card.qr", Motion.between(0, 10))
    assert placed is not None and placed.qr is not None
    image = np.asarray(qr_image(placed.qr).convert("L"))
    module, count = placed.qr.module, len(code.modules) + 8
    assert image.shape == (module * count, module * count) == (placed.box[3], placed.box[2])
    assert placed.box[0] == round(placed.box[0]) and placed.box[1] == round(placed.box[1])
    cells = image.reshape(count, module, count, module)
    assert (cells.min(axis=(1, 3)) == cells.max(axis=(1, 3))).all()  # every module one flat colour
    dark = cells[:, 0, :, 0] == 0
    assert dark[4:-4, 4:-4].tolist() == [[c == "1" for c in row] for row in code.modules]


def test_an_end_card_of_a_fraction_of_a_frame_is_an_error_at_its_line(tmp_path: Path) -> None:
    from generator.core.errors import TemplateError
    from tests.kits import TEMPLATE

    kit_folder = tmp_path / "kit"
    font = kit_font("DejaVu Sans", "Kit Frames Sans", kit_folder)
    kit = make_kit(kit_folder, primary="#1E88E5", font=font, logo=svg_logo(kit_folder / "logo.svg", "#1E88E5"))
    root = write_templates(
        tmp_path / "templates", TEMPLATE.replace("end_card: {duration: 1.0}", "end_card: {duration: 1.03}")
    )
    template = load_template(root / "test" / "branded.yaml", brand_kit=kit)
    with pytest.raises(TemplateError) as caught:
        compile_plan(template, sample_product(), "1:1", root)
    assert caught.value.context["field"] == "end_card.duration" and caught.value.context["line"] == 13


def test_a_job_whose_kit_fonts_are_not_here_is_refused_naming_the_brand_root(
    rendered: tuple[dict[str, object], ShotPlan, Path], tmp_path: Path
) -> None:
    from generator.core.errors import ConfigError
    from generator.orchestration.runs.replay import replay
    from generator.orchestration.stores.store import LocalStore

    line, plan, _ = rendered
    job = RenderJob.from_json(Path(str(line["job"])).read_text(encoding="utf-8"), "job")
    data = plan.model_dump(mode="json")
    for layer in data["shots"][0]["layers"]:
        if layer["kind"] == "text":
            layer["fonts"] = ["Kit Gone Sans", *layer["fonts"][1:]]  # a family no folder here holds
    with pytest.raises(ConfigError) as caught:
        replay(dataclasses.replace(job, plan=ShotPlan.model_validate(data)), LocalStore(tmp_path / "out"))
    assert "Kit Gone Sans" in caught.value.message and "--root brand=" in caught.value.message

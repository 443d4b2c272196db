"""adgen preview: a storyboard PNG and a low-resolution draft MP4 of one row, through the real CLI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from click.testing import CliRunner
from PIL import Image

from generator.orchestration.cli import main
from generator.orchestration.stores.speech import voices
from generator.planning.catalog import load_catalog
from generator.planning.plan.compile import compile_plan
from generator.planning.plan.types import TextPlacement
from generator.planning.templates import load_template
from render.preview import CAPTION_OUTLINE, PREVIEW_SHORT_SIDE, draw_storyboard, shot_rows
from render.scale import scale_plan
from tests.conftest import REPO, SAMPLE_CATALOG, VOICES
from tests.media import decode_hashes, probe


def test_preview_writes_a_storyboard_and_a_draft_video(tmp_path: Path, templates_root: Path) -> None:
    template = templates_root / "fashion" / "street-drop.yaml"
    result = CliRunner().invoke(main, ["preview", str(template), "--catalog", str(SAMPLE_CATALOG), "--row", "FAS-001",
                                       "--out", str(tmp_path)])  # fmt: skip
    assert result.exit_code == 0, result.output
    storyboard, video = (Path(line) for line in result.stdout.split())
    assert storyboard == tmp_path / "street-drop-FAS-001-9x16.storyboard.png"
    assert video == tmp_path / "street-drop-FAS-001-9x16.draft.mp4"

    product = next(p for p in load_catalog(SAMPLE_CATALOG).products if p.sku == "FAS-001")
    plan = compile_plan(load_template(template), product, "9:16", templates_root, VOICES)
    small = scale_plan(plan, PREVIEW_SHORT_SIDE / 1080)
    assert probe(video).size == small.size == (360, 640)
    assert len(decode_hashes(video).hashes) == plan.frames

    sheet = np.asarray(Image.open(storyboard).convert("RGB"), dtype=np.int16)
    gap, width = 12, small.size[0]
    assert sheet.shape[1] == gap + len(plan.shots) * (width + gap)
    for index in range(len(plan.shots)):  # the platform UI band above the safe area is shaded red in every panel
        left = gap + index * (width + gap)
        ui = sheet[gap + 2 : gap + int(small.safe_area[1]) - 2, left + 2 : left + width - 2]
        safe = sheet[
            gap + int(small.safe_area[1]) + 4 : gap + int(small.safe_area[1]) + 20, left + 2 : left + width - 2
        ]
        assert ui[..., 0].mean() - ui[..., 1].mean() > safe[..., 0].mean() - safe[..., 1].mean() + 15


def test_scaled_plan_keeps_timing_and_scales_every_box(templates_root: Path) -> None:
    product = next(p for p in load_catalog(SAMPLE_CATALOG).products if p.sku == "HOM-002")
    plan = compile_plan(
        load_template(templates_root / "home" / "cozy-home.yaml"), product, "16:9", templates_root, VOICES
    )
    small = scale_plan(plan, 1 / 3)
    assert small.size == (640, 360) and small.frames == plan.frames
    for big_shot, small_shot in zip(plan.shots, small.shots):
        assert (small_shot.start, small_shot.frames) == (big_shot.start, big_shot.frames)
        for big, little in zip(big_shot.layers, small_shot.layers):
            assert np.allclose(little.box, np.array(big.box) / 3, atol=1e-3)


def test_preview_every_aspect_and_unknown_rows(tmp_path: Path, templates_root: Path) -> None:
    template = templates_root / "home" / "cozy-home.yaml"
    result = CliRunner().invoke(main, ["preview", str(template), "--catalog", str(SAMPLE_CATALOG), "--row", "HOM-001",
                                       "--aspect", "all", "--out", str(tmp_path)])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert sorted(path.name for path in tmp_path.glob("*.mp4")) == [
        f"cozy-home-HOM-001-{aspect}.draft.mp4" for aspect in ("16x9", "1x1", "4x5", "9x16")
    ]
    missing = CliRunner().invoke(main, ["preview", str(template), "--catalog", str(SAMPLE_CATALOG), "--row", "NOPE"])
    assert missing.exit_code == 2
    assert "no row 'NOPE'" in missing.output


def test_the_storyboard_names_a_generated_motion_and_shows_its_fallback(templates_root: Path) -> None:
    product = next(p for p in load_catalog(SAMPLE_CATALOG).products if p.sku == "BEA-002")
    plan = compile_plan(load_template(REPO / "tests" / "data" / "moving.yaml"), product, "1:1", templates_root)
    opening, closing = plan.shots
    assert [str(row) for row in shot_rows(plan, opening)][:2] == [
        f"open  0.00–{opening.frames / plan.fps:.2f} s · push-in",
        "≈ “steam rises, light shifts slowly” (generated; here the camera move)",
    ]
    assert str(shot_rows(plan, closing)[1]) == "≈ “plain studio” (generated; here the camera move)"


def test_the_storyboard_shows_a_voice_line_and_outlines_its_caption_band(templates_root: Path) -> None:
    product = next(p for p in load_catalog(SAMPLE_CATALOG).products if p.sku == "BEA-001")
    template = load_template(templates_root / "beauty" / "beauty-launch.yaml")
    small = scale_plan(compile_plan(template, product, "9:16", templates_root, voices()), 1 / 3)
    hook = small.shots[0]
    assert hook.line is not None
    spoken = f"{hook.line.duration:.2f}"
    assert [str(row) for row in shot_rows(small, hook)] == [  # the caption chunks are the line's, not listed
        f"hook  0.00–{hook.frames / small.fps:.2f} s · push-in",
        f"♪ “Meet the Velvet Matte Lipstick – Ruby.” {spoken} s",
        "“New from Lumière”",
    ]

    sheet = np.asarray(draw_storyboard(small, {}).convert("RGB"))  # black stills: only the annotations
    band = next(layer for layer in hook.layers if isinstance(layer, TextPlacement) and layer.caption)
    x, y, w, _ = (round(v) for v in band.box)
    top = sheet[12 + y, 12 + x + 4 : 12 + x + w - 4]
    assert (top == CAPTION_OUTLINE[:3]).all(axis=1).mean() > 0.9

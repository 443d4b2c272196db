"""Backgrounds that move: ``motion: generated`` in the template, in the plan, and under the compositor."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from generator.core.images import AssetResolver
from generator.orchestration.cli import main
from generator.planning.catalog import Product, load_catalog
from generator.planning.plan.compile import compile_plan
from generator.planning.plan.moving import with_video_model
from generator.planning.plan.types import ImagePlacement, SceneSpec, ShotPlan
from generator.planning.templates import load_template
from render.backends.draft import DraftRenderer
from render.compose import Compositor, layer_source
from render.compose.sprites import layer_pixels_at
from tests.conftest import REPO, SAMPLE_CATALOG, VOICES

MOVING = REPO / "tests" / "data" / "moving.yaml"


def _product(sku: str) -> Product:
    return next(p for p in load_catalog(SAMPLE_CATALOG).products if p.sku == sku)


def _plan(sku: str = "BEA-001", aspect: str = "1:1", path: Path = MOVING) -> ShotPlan:
    return compile_plan(load_template(path), _product(sku), aspect, REPO / "templates", VOICES)


def test_the_plan_records_the_motion_its_frames_fps_seed_and_the_scene_it_ends_on() -> None:
    plan = _plan()
    opening, closing = plan.shots
    motion = opening.background.motion
    assert motion is not None and plan.moving
    sale = " past the sale sign" if _product("BEA-001").sale_price else ""
    assert motion.prompt == f"steam rises{sale}, light shifts slowly" and motion.strength == 0.7
    assert (motion.frames, motion.fps) == (opening.frames, plan.fps) == (15, 30)
    assert motion.to == SceneSpec(**closing.background.model_dump(exclude={"motion"}))
    assert motion.model is None  # set by the run that loads a video model
    assert closing.background.motion is not None and closing.background.motion.prompt == "plain studio"
    assert closing.background.motion.to is None and closing.background.motion.strength == 0.5
    stamped = with_video_model(plan, "ltx:abc")
    assert [s.background.motion.model for s in stamped.shots if s.background.motion] == ["ltx:abc"] * 2
    assert stamped.sha256 != plan.sha256 and with_video_model(stamped, "ltx:abc") == stamped


def test_the_clip_is_the_same_for_every_row_of_a_template_shot_and_aspect_and_differs_across_aspects() -> None:
    first, second = _plan("BEA-002"), _plan("ELE-002")  # neither on sale: the same motion prompt
    assert first.shots[0].background.motion == second.shots[0].background.motion
    assert first.shots[0].seed != second.shots[0].seed  # the rows differ; their clip does not
    assert _plan("BEA-001").shots[0].background.motion != first.shots[0].background.motion  # on sale: its own
    tall = _plan("BEA-002", "9:16")
    assert tall.shots[0].background.motion == first.shots[0].background.motion  # the scene is the template's
    assert tall.size != first.size  # made at each plan's size from its own keyframe


def test_a_motion_ending_on_an_unknown_shot_is_a_lint_error_at_its_line(tmp_path: Path) -> None:
    broken = tmp_path / "moving.yaml"
    broken.write_text(MOVING.read_text(encoding="utf-8").replace("to: close", "to: closing"), encoding="utf-8")
    result = CliRunner().invoke(main, ["templates", "lint", str(broken)])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if ": error:" in line]
    (line,) = lines
    number = next(i for i, text in enumerate(broken.read_text().splitlines(), 1) if "to: closing" in text)
    assert line.startswith(f"{broken}:{number}:") and "'closing'" in line and "did you mean 'close'" in line, lines


@pytest.mark.parametrize("pinning", [False, True])
def test_a_clip_is_the_background_of_every_frame_and_the_product_pixels_are_the_still_shots(pinning: bool) -> None:
    plan = _plan()
    assets = AssetResolver({"catalog": SAMPLE_CATALOG.parent, "templates": REPO / "templates"})
    still = Compositor.render(plan, DraftRenderer(), assets)
    opening = plan.shots[0]
    clip = [Image.new("RGB", plan.size, (10 * n, 80, 200 - 10 * n)) for n in range(opening.frames)]
    moving = Compositor(plan, still.backgrounds, assets, pinning=pinning, clips={opening.id: clip})
    still_frames = [np.asarray(f) for f in still.frames(workers=1)]
    frames = [np.asarray(f) for f in moving.frames(workers=1)]
    (product,) = [layer for layer in opening.layers if isinstance(layer, ImagePlacement)]
    source = layer_source(product, assets)
    for n in range(opening.frames):
        assert tuple(frames[n][2, 2]) == (10 * n, 80, 200 - 10 * n)  # the clip's frame, not the camera's keyframe
        image, (x0, y0) = layer_pixels_at(opening, product, source, n, plan.size)
        inside = np.asarray(image)[..., 3] == 255
        box = (slice(y0, y0 + image.height), slice(x0, x0 + image.width))
        assert np.array_equal(frames[n][box][inside], still_frames[n][box][inside])
    if pinning == still.pinning:  # the shots without a clip are drawn as before
        assert all(np.array_equal(a, b) for a, b in zip(frames[opening.frames :], still_frames[opening.frames :]))

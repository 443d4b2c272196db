"""Shape layers: declared in YAML, planned as ``shape`` layers with palette colours, drawn antialiased and once
per look and size, animated frame-exactly (a line drawn on, a bar filling over the shot, a burst spinning into
place, a badge popping, a sticker growing), and checked by the safe-zone lint like text."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from generator.core.errors import TemplateError
from generator.core.images import AssetResolver
from generator.planning.catalog import Product, load_catalog
from generator.planning.plan.compile import compile_plan
from generator.planning.plan.shapes import ShapePlacement
from generator.planning.plan.types import ShotPlan
from generator.planning.safezone import safe_zone_violations
from generator.planning.templates import load_template
from render.backends import RendererSettings, get_renderer
from render.compose import Compositor
from render.compose.shapes import rotated, shape_image
from render.scale import scale_plan
from tests.conftest import product_row

WriteCatalog = Callable[..., Path]
ACCENT = (16, 224, 64)
SHAPES = """\
  - {shape: line, box: [0.1, 0.1, 0.8, 0.04], duration: 0.2, stroke_width: 24}
  - {shape: progress, box: [0.1, 0.2, 0.8, 0.05], stroke: "#202020"}
  - {shape: burst, box: [0.3, 0.3, 0.4, 0.2], animate: spin, duration: 0.2, points: 16}
  - {shape: badge, box: [0.1, 0.55, 0.3, 0.17], text: "-30%", duration: 0.2}
  - {shape: sticker, box: [0.5, 0.6, 0.45, 0.1], text: "NEW", animate: grow, duration: 0.2, color: "#FFD000"}
"""


def _template(root: Path, shapes: str = SHAPES, name: str = "s") -> Path:
    path = root / f"{name}.yaml"
    body = textwrap.indent(shapes, "    ")
    path.write_text(
        textwrap.dedent("""\
            id: {name}
            version: 1
            vertical: test
            canvas: {{fps: 30, aspects: ["9:16"]}}
            palette: {{accent: "#10E040"}}
            shots:
              - id: hook
                duration: 0.5
                background: {{prompt: studio}}
                shapes:
            """).format(name=name)
        + body,
        encoding="utf-8",
    )
    return path


@pytest.fixture
def product(write_catalog: WriteCatalog) -> Product:
    return load_catalog(write_catalog([product_row("S-1")])).products[0]


def _plan(path: Path, product: Product, root: Path) -> ShotPlan:
    return scale_plan(compile_plan(load_template(path), product, "9:16", root), 0.25)


def _shapes(plan: ShotPlan) -> list[ShapePlacement]:
    return [layer for layer in plan.shots[0].layers if isinstance(layer, ShapePlacement)]


def _frames(plan: ShotPlan) -> list[np.ndarray]:
    compositor = Compositor.render(plan, get_renderer(RendererSettings()), AssetResolver({}))
    return [np.asarray(frame.convert("RGB"), dtype=np.int16) for frame in compositor.frames()]


def _accent_columns(frame: np.ndarray, box: tuple[float, float, float, float]) -> int:
    x, y, w, h = (round(v) for v in box)
    pixels = frame[y : y + h, x : x + w]
    near = np.abs(pixels - np.array(ACCENT)).max(axis=2) < 40
    return int(near.any(axis=0).sum())


def test_shapes_are_planned_as_shape_layers_with_palette_colours_and_survive_the_plan_json(
    product: Product, tmp_path: Path
) -> None:
    plan = compile_plan(load_template(_template(tmp_path)), product, "9:16", tmp_path)
    line, progress, burst, badge, sticker = _shapes(plan)
    assert [s.animation for s in (line, progress, burst, badge, sticker)] == ["draw-on", "fill", "spin", "pop", "grow"]
    assert line.look.color == "#10E040" and sticker.look.color == "#FFD000"
    assert sticker.look.rotation == -8.0 and badge.look.rotation == 0.0
    assert badge.look.label is not None and badge.look.label.lines == ("-30%",)
    assert progress.motion.frames == 0  # filling over the shot is no entrance: the shot settles without it
    assert ShotPlan.from_json(plan.canonical_json()) == plan


def test_a_line_draws_on_and_a_progress_bar_fills_frame_by_frame(product: Product, tmp_path: Path) -> None:
    plan = _plan(_template(tmp_path), product, tmp_path)
    line, progress, *_ = _shapes(plan)
    frames = _frames(plan)
    drawn = [_accent_columns(frame, line.box) for frame in frames[: line.motion.frames + 1]]
    assert 0 < drawn[0] < drawn[line.motion.frames - 2] < drawn[line.motion.frames - 1]
    assert drawn == sorted(drawn) and drawn[-1] >= 0.95 * line.box[2]
    filled = [_accent_columns(frame, progress.box) for frame in frames]
    assert filled == sorted(filled) and filled[0] < 0.2 * progress.box[2] and filled[-1] >= 0.95 * progress.box[2]
    assert len(set(filled)) > len(frames) // 2  # it moves on most frames, not in a few jumps


def test_a_spinning_burst_turns_into_place_and_a_growing_sticker_starts_from_nothing(
    product: Product, tmp_path: Path
) -> None:
    plan = _plan(_template(tmp_path), product, tmp_path)
    _, _, burst, _, sticker = _shapes(plan)
    frames = _frames(plan)
    x, y, w, h = (round(v) for v in burst.box)
    crops = [frames[f][y : y + h, x : x + w] for f in range(burst.motion.frames + 1)]
    assert not np.array_equal(crops[0], crops[1]) and np.array_equal(crops[-2], crops[-1])
    sx, sy, sw, sh = (round(v) for v in sticker.box)
    yellow = [
        int((np.abs(f[sy : sy + sh, sx : sx + sw] - np.array((255, 208, 0))).max(axis=2) < 40).sum()) for f in frames
    ]
    assert (
        yellow[0] < 0.5 * yellow[-1] and yellow[sticker.motion.frames - 1] == yellow[-1]
    )  # grown (overshooting) into place


def test_shapes_are_antialiased_and_drawn_once_per_look_and_size(product: Product, tmp_path: Path) -> None:
    plan = _plan(_template(tmp_path), product, tmp_path)
    burst = _shapes(plan)[2]
    size = (round(burst.box[2]), round(burst.box[3]))
    alpha = np.asarray(shape_image(burst.look, size).getchannel("A"))
    assert ((alpha > 0) & (alpha < 255)).sum() > 0.5 * (alpha == 255).sum() ** 0.5  # edge pixels partly covered
    _frames(plan)
    shape_image.cache_clear()
    rotated.cache_clear()
    _frames(plan)
    first = (shape_image.cache_info(), rotated.cache_info())
    _frames(plan)
    again = (shape_image.cache_info(), rotated.cache_info())
    assert first[0].misses > 0 and again[0].misses == first[0].misses  # nothing drawn the second time
    assert again[1].misses == first[1].misses and again[1].hits > first[1].hits


def test_a_label_that_does_not_fit_a_late_animation_and_a_shape_outside_the_safe_zone_are_reported(
    product: Product, tmp_path: Path
) -> None:
    long = "  - {shape: badge, box: [0.1, 0.55, 0.1, 0.05], text: 'An extremely long label for a tiny badge'}\n"
    with pytest.raises(TemplateError, match="does not fit its badge") as caught:
        compile_plan(load_template(_template(tmp_path, long, name="l")), product, "9:16", tmp_path)
    assert caught.value.context["line"] == 11
    late = "  - {shape: burst, box: [0.1, 0.1, 0.2, 0.2], delay: 0.3, duration: 0.3}\n"
    with pytest.raises(TemplateError, match=r"delay \+ duration is 0\.6 s, longer than the shot's 0\.5 s"):
        compile_plan(load_template(_template(tmp_path, late, name="d")), product, "9:16", tmp_path)
    out = "  - {shape: sticker, box: [0.0, 0.0, 1.0, 0.1], area: canvas, text: 'NEW', animate: none}\n"
    plan = compile_plan(load_template(_template(tmp_path, out, name="o")), product, "9:16", tmp_path)
    (violation,) = safe_zone_violations(plan)
    assert violation.kind == "shape" and violation.field == "shots[0].shapes[0]"

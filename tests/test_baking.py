"""Baking: layers resting at the bottom of a shot are drawn once into its world image, and every frame is the
same as drawing each layer where it is, whatever mix of resting and moving layers lies above them."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from generator.core.images import AssetResolver
from generator.planning.catalog import load_catalog
from generator.planning.plan.compile import compile_plan
from generator.planning.templates import load_template
from render.backends.draft import DraftRenderer
from render.compose import Compositor, layer_source
from render.compose.shot import ShotRenderer
from render.compose.sprites import resample, shot_sprites, sprite_at
from tests.conftest import REPO, VOICES

TEMPLATE = """\
id: baking
version: 1
vertical: test
mascot: {{ref: ../assets/mascots/pip.png}}
canvas: {{fps: 30, aspects: ["1:1"]}}
shots:
  - id: hero
    duration: 1.0
    background: {{prompt: "studio"}}
    product: {{box: [0.1, 0.1, 0.5, 0.5], enter: none{product}}}
    mascot: {{box: [0.6, 0.5, 0.35, 0.45], enter: {mascot}}}
"""


@pytest.mark.parametrize(
    ("product", "mascot"),
    [(", reflection: {}", "none"), ("", "none"), ("", "fade")],
    ids=["shadow, reflection and product at rest", "product and mascot at rest", "a mascot fading in"],
)
def test_a_frame_drawn_from_baked_layers_is_each_layer_drawn_where_it_is(
    tmp_path: Path, product: str, mascot: str
) -> None:
    root = tmp_path / "templates"
    shutil.copytree(REPO / "templates" / "assets", root / "assets")
    path = root / "test" / "baking.yaml"
    path.parent.mkdir()
    path.write_text(TEMPLATE.format(product=product, mascot=mascot), encoding="utf-8")
    row = load_catalog(REPO / "catalogs" / "sample.csv").products[0]
    plan = compile_plan(load_template(path), row, "1:1", root, VOICES)
    assets = AssetResolver({"catalog": REPO / "catalogs", "templates": root})
    (background,) = Compositor.render(plan, DraftRenderer(), assets).backgrounds
    (shot,) = plan.shots
    sprites = shot_sprites(shot, lambda layer: layer_source(layer, assets), pinning=False)
    assert len(sprites) >= 3
    renderer = ShotRenderer(plan, shot, background.convert("RGB"), sprites)
    for frame in (0, 5, shot.frames - 1):
        expected = background.convert("RGB")
        view = shot.camera.view(frame, shot.frames, plan.size)
        for sprite in sprites:  # every layer on its own, bottom first: what baking must not change
            rect, opacity, window = sprite_at(sprite, view, shot.camera.layer_depth, plan.size, frame)
            piece = resample(sprite, rect, opacity, plan.size, window)
            if piece is not None:
                expected.paste(piece.image, piece.origin, piece.mask)
        drawn = np.asarray(renderer.draw(renderer.state(frame)).convert("RGB"), np.int16)
        assert np.abs(drawn - np.asarray(expected, np.int16)).max() <= 1, frame

"""Diffusion roles: product and mascot pinned into keyframes, scenes extended to other aspects, inpainting
checkpoints, the mascot as an IP-Adapter subject, renderer settings files.

Everything runs on tiny pipelines saved and loaded like real checkpoints (``tests/tiny_models.py``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image, ImageOps

from generator.core.images import AssetResolver
from generator.orchestration.cli import main
from generator.orchestration.runs.rows import RunOptions
from generator.orchestration.runs.run import run_batch
from generator.orchestration.stores.store import LocalStore
from generator.planning.catalog import load_catalog
from generator.planning.plan.compile import compile_plan
from generator.planning.plan.timeline import layer_rect
from generator.planning.plan.types import ImagePlacement, PlannedShot, ShotPlan
from generator.planning.templates import load_template
from render.backends import KeyframeRequest, Reference, RendererSettings, get_renderer
from render.backends.diffusion import DiffusersRenderer
from render.compose import Compositor, keyframe_requests
from render.encode import EncodeSettings
from render.keyframes import KeyframeService, request_key
from tests.conftest import VOICES, CountingPipeline, product_row
from tests.tiny_ip_adapter import build_tiny_ip_adapter
from tests.tiny_models import build_tiny_sd

WriteCatalog = Callable[..., Path]
RIM = 3  # pixels at the edge of a layer's opaque inside left out of the comparison (the feathered rim)

# Reference outputs of the tiny models (tests/tiny_models.py, tests/tiny_ip_adapter.py) on the CPU in float32
# (torch 2.13, diffusers 0.42): the bottom-right 3x3 pixels, all channels, of a keyframe of each role, recorded by
# running these tests once. Pin and extend corners are RGB 0-255 at canvas size (compared within 2/255); the
# others are RGB in [0, 1] at generation size (within 1e-2). A change means a pipeline call changed, or the
# sample template or images they are built from.
PIN_CORNER = np.array(
    [
        [[139, 121, 151], [139, 122, 152], [138, 122, 153]],
        [[139, 120, 152], [139, 121, 152], [138, 121, 153]],
        [[139, 119, 152], [139, 120, 152], [138, 120, 153]],
    ]
)
EXTEND_CORNER = np.array(
    [
        [[148, 139, 148], [152, 142, 149], [154, 144, 151]],
        [[148, 140, 147], [151, 143, 149], [153, 146, 151]],
        [[147, 141, 146], [151, 145, 148], [153, 147, 150]],
    ]
)
SUBJECT_CORNER = np.array(
    [
        [[0.4890, 0.5550, 0.5252], [0.5203, 0.4350, 0.5904], [0.6034, 0.4428, 0.6176]],
        [[0.3840, 0.5500, 0.5690], [0.4594, 0.4539, 0.6518], [0.4996, 0.4726, 0.6161]],
        [[0.4388, 0.4851, 0.5029], [0.4966, 0.4341, 0.5524], [0.5282, 0.3996, 0.6117]],
    ]
)
INPAINTING_SCENE_CORNER = np.array(
    [
        [[0.3712, 0.4600, 0.5263], [0.4143, 0.3643, 0.6121], [0.5944, 0.5057, 0.6998]],
        [[0.3724, 0.4722, 0.5890], [0.4269, 0.3880, 0.6365], [0.5706, 0.5037, 0.6193]],
        [[0.4888, 0.5028, 0.4709], [0.4928, 0.3752, 0.5400], [0.5994, 0.4116, 0.5534]],
    ]
)


@pytest.fixture(scope="session")
def tiny_inpainting_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_sd(tmp_path_factory.mktemp("models") / "tiny-sd-inpainting", inpainting=True)


def _renderer(model: Path, **settings: Any) -> DiffusersRenderer:
    renderer = get_renderer(
        RendererSettings(
            name="diffusers", model=str(model), steps=2, guidance=5.0, device="cpu", local_files_only=True, **settings
        )
    )
    assert isinstance(renderer, DiffusersRenderer)
    return renderer


def _plan(write_catalog: WriteCatalog, templates_root: Path, aspect: str, **row: str) -> tuple[ShotPlan, AssetResolver]:
    path = write_catalog([product_row("P1", **row)])
    (product,) = load_catalog(path).rows()
    template = load_template(templates_root / "test" / "still.yaml")
    plan = compile_plan(template, product, aspect, templates_root, VOICES)  # type: ignore[arg-type]
    return plan, AssetResolver({"catalog": path.parent, "templates": templates_root})


def _expected(
    reference: Image.Image, layer: ImagePlacement, rect: tuple[float, float, float, float]
) -> tuple[np.ndarray, np.ndarray, tuple[int, int]]:
    """The reference under the plan's transform: its crop mapped onto ``rect`` (premultiplied bilinear).

    Returns RGB, the opaque inside eroded by ``RIM`` (a boolean mask) and the top-left pixel.
    """
    x, y, w, h = rect
    x0, y0, x1, y1 = math.floor(x), math.floor(y), math.ceil(x + w), math.ceil(y + h)
    crop = reference.crop(layer.crop).convert("RGBa")
    pad = 8
    padded = Image.new("RGBa", (crop.width + 2 * pad, crop.height + 2 * pad))
    padded.paste(crop, (pad, pad))
    sx, sy = crop.width / w, crop.height / h
    box = (pad + (x0 - x) * sx, pad + (y0 - y) * sy, pad + (x1 - x) * sx, pad + (y1 - y) * sy)
    pixels = np.asarray(
        padded.resize((x1 - x0, y1 - y0), Image.Resampling.BILINEAR, box=box).convert("RGBA"), dtype=np.int16
    )
    opaque = pixels[..., 3] == 255
    inside = opaque.copy()
    for axis in (0, 1):  # erode by RIM pixels in both directions along each axis
        for shift in range(1, RIM + 1):
            inside &= np.roll(opaque, shift, axis) & np.roll(opaque, -shift, axis)
    return pixels[..., :3], inside, (x0, y0)


def _shown(plan: ShotPlan) -> Iterator[tuple[int, PlannedShot, int]]:
    """(frame number, shot, shot-local frame) for frames that show one shot alone (no crossfade)."""
    for shot in plan.shots:
        blend = shot.transition_in.frames if shot.transition_in is not None else 0
        for local in range(blend, shot.frames):
            yield shot.start + local, shot, local


@pytest.mark.parametrize("aspect", ["9:16", "1:1"])
def test_product_and_mascot_pixels_equal_their_references_in_every_frame(
    tiny_model: Path, write_catalog: WriteCatalog, templates_root: Path, aspect: str
) -> None:
    plan, assets = _plan(write_catalog, templates_root, aspect)
    renderer = KeyframeService(_renderer(tiny_model))
    frames = list(Compositor.render(plan, renderer, assets).frames())
    references = {kind: Image.open(assets.path(*_ref(plan, kind))) for kind in ("product", "mascot")}
    checked = {"product": 0, "mascot": 0}
    worst = 0
    for number, shot, local in _shown(plan):
        frame = np.asarray(frames[number], dtype=np.int16)
        for layer in shot.layers:
            if not isinstance(layer, ImagePlacement):
                continue
            rect, opacity = layer_rect(shot, layer, local, plan.size)
            if opacity < 1.0:
                continue
            expected, inside, (x0, y0) = _expected(references[layer.kind], layer, rect)
            region = frame[y0 : y0 + expected.shape[0], x0 : x0 + expected.shape[1]]
            difference = np.abs(region - expected)[inside]
            worst = max(worst, int(difference.max()))
            checked[layer.kind] += 1
    assert worst <= 2, f"a product or mascot pixel is off by {worst}/255"
    # The still template pins both under a push-in, and pops the product in the second shot.
    assert checked["product"] > plan.frames * 0.6 and checked["mascot"] >= plan.shots[0].frames


def _ref(plan: ShotPlan, kind: str) -> tuple[str, str]:
    """(source, sha256) of the plan's first ``kind`` layer."""
    layer = next(x for s in plan.shots for x in s.layers if isinstance(x, ImagePlacement) and x.kind == kind)
    return layer.ref.source, layer.ref.sha256


def test_a_pinned_keyframe_keeps_the_layers_exactly_and_generates_the_scene_around_them(
    tiny_model: Path, write_catalog: WriteCatalog, templates_root: Path
) -> None:
    plan, assets = _plan(write_catalog, templates_root, "9:16")
    renderer = _renderer(tiny_model)
    service = KeyframeService(renderer)
    table = keyframe_requests(plan, assets, renderer.roles)[0]
    assert table.role == "pin" and [p.kind for p in table.pinned] == ["product", "mascot"]
    assert table.base is not None and table.base.role == "scene"
    keyframe = np.asarray(service.render([table])[0], dtype=np.int16)
    scene = np.asarray(service.render([table.base])[0], dtype=np.int16)
    for layer in table.pinned:
        pixels = np.asarray(layer.image, dtype=np.int16)
        opaque = pixels[..., 3] == 255
        assert opaque.sum() > 1000 and np.array_equal(keyframe[opaque], pixels[..., :3][opaque])
    # Away from the layers the scene was generated again, from the shared scene, not copied from it.
    alpha = np.maximum(*(np.asarray(p.image)[..., 3] for p in table.pinned))
    outside = alpha == 0
    assert float(np.abs(keyframe - scene)[outside].mean()) > 2.0
    assert outside[-3:, -3:].all()  # the corner is generated, not a pinned layer
    np.testing.assert_allclose(keyframe[-3:, -3:], PIN_CORNER, atol=2)
    # The same request gives the same pixels; another seed another scene, around the same exact layers.
    ready = replace(table, base_image=Image.fromarray(scene.astype(np.uint8)))
    again, reseeded = (
        np.asarray(renderer.render([r])[0], dtype=np.int16) for r in (ready, replace(ready, seed=ready.seed + 1))
    )
    assert np.array_equal(again, keyframe)
    assert float(np.abs(reseeded - keyframe)[outside].mean()) > 2.0
    inside = alpha == 255
    assert np.array_equal(reseeded[inside], keyframe[inside])


def test_another_aspect_shows_the_same_scene_extended(
    tiny_model: Path, write_catalog: WriteCatalog, templates_root: Path
) -> None:
    plan, assets = _plan(write_catalog, templates_root, "1:1")
    renderer = _renderer(tiny_model)
    service = KeyframeService(renderer)
    reveal = keyframe_requests(plan, assets, renderer.roles)[1]  # the product pops in: not pinned
    assert reveal.role == "extend" and reveal.base is not None and reveal.base.size == (1080, 1920)
    square, tall = (np.asarray(image, dtype=np.int16) for image in service.render([reveal, reveal.base]))
    # The 9:16 scene sits whole in the middle of the square, 608 pixels wide; the margins are new.
    fitted = np.asarray(
        Image.fromarray(tall.astype(np.uint8)).resize((608, 1080), Image.Resampling.LANCZOS), dtype=np.int16
    )
    left = (1080 - 608) // 2
    middle = square[:, left + 40 : left + 608 - 40]
    assert np.array_equal(middle[40:-40], fitted[40:-40, 40:-40])
    margins = np.concatenate([square[:, : left - 40], square[:, left + 608 + 40 :]], axis=1)
    assert margins.std() > 5.0  # generated content, not a flat fill
    np.testing.assert_allclose(square[-3:, -3:], EXTEND_CORNER, atol=2)  # in the generated margin


def test_scenes_render_once_per_template_and_pins_once_per_product_and_aspect(
    tiny_model: Path, write_catalog: WriteCatalog, templates_root: Path, tmp_path: Path
) -> None:
    images = ["images/lipstick-ruby.png", "images/serum-aqua.png", "images/cream-rose.png"]
    catalog = write_catalog([product_row(f"P{i}", image_link=image) for i, image in enumerate(images)])
    options = RunOptions(
        template_id="still",
        aspects="all",
        templates_root=templates_root,
        keyframe_cache=tmp_path / "cache",
        encode=EncodeSettings(preset="ultrafast"),
    )
    loaded = _renderer(tiny_model)
    scenes, inpaints = CountingPipeline(loaded.pipeline), CountingPipeline(loaded.inpaint)
    renderer = DiffusersRenderer(loaded.settings, scenes, inpaints, loaded.device)
    report = run_batch(catalog, LocalStore(tmp_path / "out"), options, renderer=renderer)
    assert report.exit_code == 0 and report.count("rendered") == 6
    # Two shots, one scene each at 9:16; each extended once to 1:1; the first shot pinned per product and aspect.
    assert len(scenes.prompts) == 2
    assert len(inpaints.prompts) == 2 + 3 * 2


def test_pinned_keyframes_in_a_batch_equal_pinned_keyframes_one_by_one(
    tiny_model: Path, write_catalog: WriteCatalog, templates_root: Path
) -> None:
    renderer = _renderer(tiny_model)
    service = KeyframeService(renderer)
    requests = []
    for image in ("images/lipstick-ruby.png", "images/serum-aqua.png", "images/watch-lime.png"):
        plan, assets = _plan(write_catalog, templates_root, "9:16", image_link=image)
        requests.append(keyframe_requests(plan, assets, renderer.roles)[0])
    (scene,) = service.render([requests[0].base])  # the same scene under all three
    ready = [r.__class__(**{**r.__dict__, "base_image": scene}) for r in requests]
    together = renderer.render_arrays(ready)
    alone = [renderer.render_arrays([r])[0] for r in ready]
    for a, b in zip(together, alone):
        assert np.array_equal(a, b)
    assert float(np.abs(together[0] - together[1]).max()) > 0.01


def test_an_inpainting_checkpoint_alone_renders_every_role(
    tiny_inpainting_model: Path, write_catalog: WriteCatalog, templates_root: Path, tmp_path: Path
) -> None:
    renderer = _renderer(tiny_inpainting_model)
    assert renderer.pipeline is None and renderer.inpaint.unet.config.in_channels == 9
    catalog = write_catalog([product_row("A")])
    out = tmp_path / "out"
    args = ["run", str(catalog), "--out", str(out), "--templates", str(templates_root), "--template", "still", "--aspect", "all",
            "--renderer", "diffusers", "--model", str(tiny_inpainting_model), "--steps", "2", "--device", "cpu", "--local-files-only",
            "--preset", "ultrafast"]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert len(list(out.glob("still/A/*.mp4"))) == 2
    scene = KeyframeRequest("marble counter", "blurry", (1080, 1920), 7, ("#000000", "#FFFFFF"), "#FF0000")
    corner = renderer.render_arrays([scene])[0][-3:, -3:]
    np.testing.assert_allclose(corner, INPAINTING_SCENE_CORNER, atol=1e-2)


def test_a_second_inpainting_model_is_loaded_for_the_inpainting_roles(
    tiny_model: Path, tiny_inpainting_model: Path
) -> None:
    alone = _renderer(tiny_model)
    assert alone.inpaint.unet is alone.pipeline.unet  # derived: the same weights, latent blending
    both = _renderer(tiny_model, inpaint_model=str(tiny_inpainting_model))
    assert both.pipeline.unet.config.in_channels == 4 and both.inpaint.unet.config.in_channels == 9
    assert both.identity != alone.identity


def test_renderer_settings_come_from_a_file_and_command_line_options_win(
    tiny_model: Path, write_catalog: WriteCatalog, templates_root: Path, tmp_path: Path
) -> None:
    config = tmp_path / "renderer.yaml"
    config.write_text(
        f"name: diffusers\nmodel: {tiny_model}\nsteps: 40\ndevice: cpu\nlocal_files_only: true\n", encoding="utf-8"
    )
    catalog = write_catalog([product_row("A")])
    out = tmp_path / "out"
    args = ["run", str(catalog), "--out", str(out), "--templates", str(templates_root), "--template", "still",
            "--preset", "ultrafast", "--renderer-config", str(config), "--steps", "2"]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    (line,) = (out / "manifest.jsonl").read_text().splitlines()
    assert ":steps=2:" in json.loads(line)["renderer"]
    config.write_text(f"name: diffusers\nmodel: {tiny_model}\nsteps: many\n", encoding="utf-8")
    result = CliRunner().invoke(main, args[:-2])
    assert result.exit_code == 2
    assert f"{config}:3" in result.output and "steps" in result.output and "valid integer" in result.output


@pytest.fixture(scope="session")
def tiny_ip_adapter(tiny_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_ip_adapter(tmp_path_factory.mktemp("models") / "tiny-ip-adapter", unet_folder=tiny_model / "unet")


def test_the_mascot_conditions_the_shots_that_show_it_through_an_ip_adapter(
    tiny_model: Path, tiny_ip_adapter: Path, write_catalog: WriteCatalog, templates_root: Path
) -> None:
    path = write_catalog([product_row("P1")])
    (product,) = load_catalog(path).rows()
    plan = compile_plan(load_template(templates_root / "test" / "quick.yaml"), product, "9:16", templates_root, VOICES)  # type: ignore[arg-type]
    assets = AssetResolver({"catalog": path.parent, "templates": templates_root})
    renderer = _renderer(
        tiny_model, ip_adapter=str(tiny_ip_adapter), ip_adapter_subfolder="", ip_adapter_weight="ip-adapter.safetensors"
    )
    assert "subject" in renderer.roles and "subject" not in _renderer(tiny_model).roles
    hook, hero = keyframe_requests(plan, assets, renderer.roles)
    assert (
        hook.subject is not None and hook.subject.kind == "mascot" and hero.subject is None
    )  # the hook shows the mascot
    mascot = hook.subject.image
    other = replace(
        hook, subject=Reference("mascot", "a-different-mascot", lambda: ImageOps.invert(mascot.convert("RGB")))
    )
    first, again, changed = (renderer.render_arrays([r])[0] for r in (hook, hook, other))
    np.testing.assert_allclose(first[-3:, -3:], SUBJECT_CORNER, atol=1e-2)
    assert np.array_equal(first, again)
    assert float(np.abs(first - changed).max()) > 0.01  # the reference really conditions the pixels
    assert request_key(renderer.identity, hook) != request_key(renderer.identity, other)
    unconditioned = replace(hook, subject=None)
    plain = _renderer(tiny_model).render_arrays([unconditioned])[0]
    assert float(np.abs(renderer.render_arrays([unconditioned])[0] - plain).max()) <= 1e-5  # scale 0 without a subject

"""A keyframe depends only on its request and the renderer's identity: not on what it was batched with,
the order of requests, the number of workers, or whether it came from the cache; and a keyframe a row
still needs is never given up from memory.

The diffusers checks run on tiny pipelines saved and loaded like real checkpoints (``tests/tiny_models.py``);
a 2-step random model turns a float difference of 1e-6 into whole 8-bit levels, so pixels are compared exactly.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from generator.core.images import AssetResolver
from generator.orchestration.cli import main
from generator.planning.catalog import load_catalog
from generator.planning.plan.compile import compile_plan
from generator.planning.templates import load_template
from render.backends import KeyframeRequest, Reference, RendererSettings, get_renderer
from render.backends.diffusion import DiffusersRenderer
from render.backends.draft import DraftRenderer
from render.encode import EncodeSettings
from render.keyframes import KeyframeService
from render.video import render_video
from tests.conftest import VOICES, product_row
from tests.media import decode_hashes
from tests.tiny_ip_adapter import build_tiny_ip_adapter
from tests.tiny_models import build_tiny_sd

WriteCatalog = Callable[..., Path]
CANVAS = (270, 480)
PALETTE = ("#101820", "#F2AA4C")


def _renderer(model: Path, **settings: Any) -> DiffusersRenderer:
    base = RendererSettings(name="diffusers", model=str(model), steps=2, guidance=5.0, device="cpu")
    renderer = get_renderer(replace(base, local_files_only=True, **settings))
    assert isinstance(renderer, DiffusersRenderer)
    return renderer


def _scene(index: int, size: tuple[int, int] = CANVAS, **fields: object) -> KeyframeRequest:
    prompts = ("night studio", "marble counter", "soft pastel", "sunlit kitchen")
    return KeyframeRequest(prompts[index % 4], "blurry", size, 100 + index, PALETTE, "#E0115F", **fields)  # type: ignore[arg-type]


def _layer(index: int) -> Reference:
    """A product-like square pinned at a place of its own, on a transparent canvas."""
    layer = Image.new("RGBA", CANVAS, (0, 0, 0, 0))
    layer.paste((40 * index % 256, 90, 200, 255), (20 + 10 * index, 200, 120 + 10 * index, 300))
    return Reference("product", f"square-{index}", lambda: layer)


def _gradient() -> Image.Image:
    ramp = np.linspace(0, 255, CANVAS[0], dtype=np.uint8)
    return Image.fromarray(np.dstack([np.tile(ramp, (CANVAS[1], 1))] * 3))


def _derived(count: int) -> list[KeyframeRequest]:
    """Pinned and extended keyframes, alternately, over a scene given as pixels (the inpainting roles)."""
    base, image = _scene(0), _gradient()
    requests = []
    for index in range(count):
        if index % 2:
            requests.append(_scene(index, base=base, pinned=(_layer(index),), base_image=image))
        else:
            wide = _scene(0, size=(CANVAS[0], CANVAS[0]))
            requests.append(_scene(index, base=wide, base_image=image.resize((CANVAS[0], CANVAS[0]))))
    return requests


def _batched(renderer: DiffusersRenderer, requests: Sequence[KeyframeRequest], size: int) -> list[np.ndarray]:
    images: list[Image.Image] = []
    for start in range(0, len(requests), size):
        images += renderer.render(requests[start : start + size])
    return [np.asarray(image) for image in images]


def _assert_batch_invariant(renderer: DiffusersRenderer, requests: Sequence[KeyframeRequest]) -> None:
    alone = _batched(renderer, requests, 1)
    for size in (2, 8):
        assert all(np.array_equal(a, b) for a, b in zip(alone, _batched(renderer, requests, size), strict=True)), size
    reversed_ = _batched(renderer, requests[::-1], 8)[::-1]
    assert all(np.array_equal(a, b) for a, b in zip(alone, reversed_, strict=True))
    assert not np.array_equal(alone[0], alone[1])  # different requests really differ


def test_text_to_image_keyframes_are_the_same_alone_in_batches_and_in_any_order(tiny_model: Path) -> None:
    _assert_batch_invariant(_renderer(tiny_model), [_scene(index) for index in range(8)])


def test_inpainted_keyframes_are_the_same_alone_in_batches_and_in_any_order(tmp_path: Path) -> None:
    model = build_tiny_sd(tmp_path / "tiny-sd-inpainting", inpainting=True)
    renderer = _renderer(model)
    assert renderer.pipeline is None  # an inpainting checkpoint renders every role
    _assert_batch_invariant(renderer, [*_derived(6), _scene(6), _scene(7)])


def test_keyframes_conditioned_on_a_subject_are_the_same_alone_in_batches_and_in_any_order(
    tiny_model: Path, tmp_path: Path
) -> None:
    adapter = build_tiny_ip_adapter(tmp_path / "tiny-ip-adapter", unet_folder=tiny_model / "unet")
    renderer = _renderer(tiny_model, ip_adapter=str(adapter), ip_adapter_subfolder="",
                         ip_adapter_weight="ip-adapter.safetensors")  # fmt: skip
    subjects = [Reference("mascot", f"mascot-{n}", lambda n=n: _layer(n).image) for n in (1, 5)]
    requests = [_scene(index, subject=subjects[index % 2] if index % 3 else None) for index in range(8)]
    _assert_batch_invariant(renderer, requests)


def test_the_cpu_thread_count_is_fixed_by_the_settings_and_named_in_the_identity(tiny_model: Path) -> None:
    import torch

    renderer, other = _renderer(tiny_model), _renderer(tiny_model, threads=1)
    assert "threads=2" in renderer.identity and renderer.identity != other.identity
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)  # as on a one-core machine, or a Ray actor reserving one CPU
        one_core = renderer.render([_scene(0)])[0]
        torch.set_num_threads(4)
        four_cores = renderer.render([_scene(0)])[0]
    finally:
        torch.set_num_threads(before)
    assert np.array_equal(np.asarray(one_core), np.asarray(four_cores))
    assert torch.get_num_threads() == before  # the process's own setting is given back after each call


def test_a_row_renders_when_its_keyframes_do_not_fit_in_memory(
    write_catalog: WriteCatalog, templates_root: Path, tmp_path: Path
) -> None:
    path = write_catalog([product_row("A", color="red"), product_row("B", color="blue")])
    template = load_template(templates_root / "test" / "quick.yaml")
    assets = AssetResolver({"catalog": path.parent, "templates": templates_root})
    # The draft backend has no cache to read a keyframe back from; one keyframe kept in memory between calls.
    keyframes = KeyframeService(DraftRenderer(), memory=1)
    for product in load_catalog(path).rows():  # B shares A's hero scene, the one kept in memory by then
        for aspect in ("9:16", "1:1"):
            plan = compile_plan(template, product, aspect, templates_root, VOICES)  # type: ignore[arg-type]
            folder = tmp_path / f"{plan.product['sku']}-{aspect.replace(':', 'x')}"
            folder.mkdir()
            render_video(plan, keyframes, assets, folder / "video.mp4", folder / "poster.jpg",
                         EncodeSettings(preset="ultrafast"))  # fmt: skip
            assert decode_hashes(folder / "video.mp4").hashes
    assert len(keyframes._images) == 1  # held only while a row needed them


def _videos(folder: Path) -> dict[str, tuple[str, ...]]:
    return {p.relative_to(folder).as_posix(): decode_hashes(p).hashes for p in sorted(folder.rglob("*.mp4"))}


@pytest.mark.slow
def test_a_diffusers_run_is_the_same_on_1_or_2_workers_and_each_job_file_renders_it_again(
    tiny_model: Path, write_catalog: WriteCatalog, templates_root: Path, tmp_path: Path
) -> None:
    rows = [product_row(f"R{i}", color=color) for i, color in enumerate(["red", "teal", "gold", "plum"])]
    catalog = write_catalog(rows)
    model = ["--renderer", "diffusers", "--model", str(tiny_model), "--steps", "2", "--device", "cpu",
             "--local-files-only", "--template", "quick", "--templates", str(templates_root),
             "--aspect", "9:16,1:1", "--preset", "ultrafast"]  # fmt: skip
    videos = {}
    for workers in (1, 2):
        out = tmp_path / f"out-{workers}"
        args = ["run", str(catalog), "--out", str(out), "--workers", str(workers),
                "--keyframe-cache", str(tmp_path / f"keyframes-{workers}"), *model]  # fmt: skip
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.output
        videos[workers] = _videos(out)
    assert len(videos[1]) == 8 and videos[2] == videos[1]

    out = tmp_path / "out-2"
    again = tmp_path / "again"
    for line in (out / "manifest.jsonl").read_text().splitlines():
        job = json.loads(line)["job"]
        result = CliRunner().invoke(main, ["render", job, "--out", str(again)])  # its keyframes drawn anew, alone
        assert result.exit_code == 0, result.output
    assert _videos(again) == videos[2]

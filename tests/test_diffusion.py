"""The diffusers backend on tiny pipelines saved and loaded like real checkpoints: runs, dedupe, cache, QC."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
from click.testing import CliRunner
from PIL import Image

from generator.orchestration.cli import main
from generator.orchestration.runs.rows import RunOptions
from generator.orchestration.runs.run import run_batch
from generator.orchestration.stores.store import LocalStore
from render.backends import KeyframeRequest, RendererSettings, get_renderer
from render.backends.diffusion import DiffusersRenderer
from render.backends.draft import DraftRenderer
from render.encode import EncodeSettings
from tests.conftest import CountingPipeline, CrashingRenderer, product_row, sample_subset

WriteCatalog = Callable[..., Path]
FAST = EncodeSettings(preset="ultrafast")  # the runs below check keyframes, not the encoder


def _settings(model: Path) -> RendererSettings:
    return RendererSettings(
        name="diffusers", model=str(model), steps=2, guidance=5.0, device="cpu", local_files_only=True
    )


def _counted(model: Path, poison: str | None = None) -> tuple[DiffusersRenderer, CountingPipeline]:
    """A renderer whose text-to-image pipeline is the loaded one, wrapped to count its prompts."""
    loaded = DiffusersRenderer.load(_settings(model))
    counter = CountingPipeline(loaded.pipeline, poison)
    return DiffusersRenderer(loaded.settings, counter, loaded.inpaint, loaded.device), counter


def test_sample_rows_render_with_a_local_model_and_the_bad_row_fails_alone(tiny_model: Path, tmp_path: Path) -> None:
    # A product on sale, the JPEG cut out automatically, a new vertical, and the row with a bad price
    # (the whole catalog takes minutes on two cores; bench/encode_ratio.py renders all of it).
    catalog = sample_subset(tmp_path, ("BEA-001", "ELE-005", "BEA-005", "FAS-001"))
    out = tmp_path / "out"
    args = ["run", str(catalog), "--out", str(out), "--renderer", "diffusers", "--model", str(tiny_model),
            "--steps", "2", "--device", "cpu", "--local-files-only", "--preset", "ultrafast"]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1, result.output
    manifest = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    statuses = [m["status"] for m in manifest]
    assert len(manifest) == 4
    assert statuses.count("rendered") == len(manifest) - 1 and statuses.count("failed") == 1
    assert all(Path(m["video"]).is_file() for m in manifest if m["status"] == "rendered")


def test_shared_scenes_render_once_and_a_second_run_renders_none(
    tiny_model: Path, write_catalog: WriteCatalog, templates_root: Path, tmp_path: Path
) -> None:
    catalog = write_catalog(
        [product_row("A", color="red"), product_row("B", color="blue"), product_row("C", color="green")]
    )
    options = RunOptions(
        template_id="quick", templates_root=templates_root, keyframe_cache=tmp_path / "cache", encode=FAST
    )
    renderer, counter = _counted(tiny_model)
    report = run_batch(catalog, LocalStore(tmp_path / "first"), options, renderer=renderer)
    assert report.exit_code == 0
    # quick.yaml: the hook's scene names the product's colour, the hero's scene is the same for all.
    assert sorted(counter.prompts) == sorted(
        [
            "soft pastel studio, red tones",
            "soft pastel studio, blue tones",
            "soft pastel studio, green tones",
            "marble counter, product photography",
        ]
    )
    again, recount = _counted(tiny_model)
    assert run_batch(catalog, LocalStore(tmp_path / "second"), options, renderer=again).exit_code == 0
    assert recount.prompts == []


def test_keyframes_in_a_batch_equal_keyframes_one_by_one(tiny_model: Path) -> None:
    renderer = get_renderer(_settings(tiny_model))
    assert isinstance(renderer, DiffusersRenderer)
    requests = [
        KeyframeRequest(
            prompt=p, negative="blurry", size=(1080, 1920), seed=s, palette=("#000000", "#FFFFFF"), accent="#FF0000"
        )
        for p, s in (("night studio", 1), ("marble counter", 2), ("soft pastel", 3))
    ]
    together = renderer.render_arrays(requests)
    alone = [renderer.render_arrays([r])[0] for r in requests]
    for a, b in zip(together, alone):
        assert np.array_equal(a, b)
    assert float(np.abs(together[0] - together[1]).max()) > 0.01  # different requests really differ


# Reference output of the tiny model (tests/tiny_models.py) on the CPU in float32 (torch 2.13, diffusers 0.42):
# the bottom-right 3x3 pixels, RGB in [0, 1], of SCENE's keyframe at generation size. Recorded by running the
# test once; a change means the pipeline call (scheduler, steps, guidance, size, seeding) changed.
SCENE = KeyframeRequest("marble counter", "blurry", (1080, 1920), 7, ("#000000", "#FFFFFF"), "#FF0000")
SCENE_CORNER = np.array(
    [
        [[0.4087, 0.4539, 0.5338], [0.4853, 0.3332, 0.6171], [0.6113, 0.4975, 0.6959]],
        [[0.3890, 0.4511, 0.5955], [0.4330, 0.3806, 0.6398], [0.5558, 0.5290, 0.6434]],
        [[0.5069, 0.4893, 0.4890], [0.4555, 0.3566, 0.5473], [0.5718, 0.4679, 0.5718]],
    ]
)


def test_a_seeded_scene_reproduces_its_reference_pixels_and_another_seed_changes_them(tiny_model: Path) -> None:
    renderer = get_renderer(_settings(tiny_model))
    assert isinstance(renderer, DiffusersRenderer)
    first, again, reseeded = (renderer.render_arrays([r])[0] for r in (SCENE, SCENE, replace(SCENE, seed=8)))
    assert first.shape == (*renderer.generation_size(SCENE.size)[::-1], 3)
    np.testing.assert_allclose(first[-3:, -3:], SCENE_CORNER, atol=1e-2)
    assert np.array_equal(first, again)  # the same seed gives the same pixels, bit for bit
    assert float(np.abs(first - reseeded).mean()) > 0.01  # another seed, another picture


def test_generation_keeps_the_canvas_aspect_at_model_resolution(tiny_model: Path) -> None:
    renderer = get_renderer(_settings(tiny_model))
    assert isinstance(renderer, DiffusersRenderer)
    native = renderer.pipeline.unet.config.sample_size * renderer.pipeline.vae_scale_factor
    width, height = renderer.generation_size((1080, 1920))
    assert width == native and height % 8 == 0 and abs(height / width - 1920 / 1080) < 0.15
    assert renderer.render([KeyframeRequest("x", "", (1080, 1920), 1, ("#000000", "#FFFFFF"), "#FF0000")])[0].size == (
        1080,
        1920,
    )


class _BlackFirst:
    """Draft keyframes, but black on the first attempt for prompts containing ``word``."""

    name = "black-first"
    identity = "black-first"
    cacheable = False
    roles = frozenset({"scene"})

    def __init__(self, word: str) -> None:
        self.word = word
        self.seen: set[str] = set()
        self.draft = DraftRenderer()

    def render(self, requests: Sequence[KeyframeRequest]) -> list[Image.Image]:
        images = self.draft.render(requests)
        for index, request in enumerate(requests):
            if self.word in request.prompt and request.prompt not in self.seen:
                self.seen.add(request.prompt)
                images[index] = Image.new("RGB", request.size)
        return images

    def close(self) -> None:
        pass


def test_black_keyframes_are_retried_then_fail_only_their_row(
    tiny_model: Path, write_catalog: WriteCatalog, templates_root: Path, tmp_path: Path
) -> None:
    catalog = write_catalog(
        [product_row("OK", color="teal"), product_row("NAN", color="cursed"), product_row("OK2", color="teal")]
    )
    options = RunOptions(
        template_id="quick",
        templates_root=templates_root,
        keyframe_cache=tmp_path / "cache",
        keyframe_retries=2,
        encode=FAST,
    )
    renderer, counter = _counted(tiny_model, poison="cursed")
    report = run_batch(catalog, LocalStore(tmp_path / "out"), options, renderer=renderer)
    by_sku = {r.sku: r for r in report.results}
    assert by_sku["OK"].status == by_sku["OK2"].status == "rendered"
    assert by_sku["NAN"].status == "failed" and by_sku["NAN"].keyframe_retries == 2
    assert "qc: keyframe black" in str(by_sku["NAN"].error) and "after 3 attempts" in str(by_sku["NAN"].error)
    assert counter.prompts.count("soft pastel studio, cursed tones") == 3
    manifest = [json.loads(line) for line in (tmp_path / "out" / "manifest.jsonl").read_text().splitlines()]
    assert next(m for m in manifest if m["sku"] == "NAN")["keyframe_retries"] == 2


def test_a_keyframe_that_passes_on_retry_ships_and_the_retry_is_recorded(
    write_catalog: WriteCatalog, templates_root: Path, tmp_path: Path
) -> None:
    catalog = write_catalog([product_row("A", color="flaky")])
    options = RunOptions(template_id="quick", templates_root=templates_root, encode=FAST)
    (result,) = run_batch(catalog, LocalStore(tmp_path / "out"), options, renderer=_BlackFirst("flaky")).results
    assert result.status == "rendered" and result.keyframe_retries == 1


def test_a_backend_crash_fails_the_rows_that_need_it_not_the_run(
    write_catalog: WriteCatalog, templates_root: Path, tmp_path: Path
) -> None:
    catalog = write_catalog([product_row("OK", color="teal"), product_row("BOOM", color="boom")])
    options = RunOptions(
        template_id="quick", templates_root=templates_root, keyframe_cache=tmp_path / "cache", encode=FAST
    )
    report = run_batch(
        catalog,
        LocalStore(tmp_path / "out"),
        options,
        renderer=CrashingRenderer("boom", RuntimeError("CUDA out of memory"), cacheable=True),
    )
    by_sku = {r.sku: r for r in report.results}
    assert by_sku["OK"].status == "rendered"
    assert by_sku["BOOM"].status == "failed" and "RuntimeError: CUDA out of memory" in str(by_sku["BOOM"].error)

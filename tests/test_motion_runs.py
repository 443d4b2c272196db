"""Generated motion in runs: the tiny LTX-Video and Wan checkpoints loaded through ``--video-model``, clips
made once per template shot and aspect and reused, checked, retried, fallen back, and reported."""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from generator.core.errors import RenderError
from generator.orchestration.cli import main
from generator.orchestration.executors.local import ProcessExecutor
from generator.orchestration.runs.rows import RunOptions
from generator.orchestration.runs.run import run_batch
from generator.orchestration.stores.store import LocalStore
from generator.planning.catalog import load_catalog
from generator.planning.plan.types import ShotPlan
from render.backends import RendererSettings
from render.keyframes import KeyframeCache
from render.motion import ClipRequest, VideoModel
from render.motion.service import NO_MODEL, MotionService
from tests.conftest import REPO, SAMPLE_CATALOG, sample_subset, stored_plan
from tests.media import decode_hashes
from tests.tiny_video_models import build_tiny_ltx, build_tiny_wan

MOVING = REPO / "tests" / "data" / "moving.yaml"
QUIET = ("BEA-002", "ELE-002")  # no sale price: the opening's motion prompt is the same for both


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("moving") / "templates"
    shutil.copytree(REPO / "templates", folder)
    (folder / "test").mkdir()
    shutil.copy(MOVING, folder / "test" / "moving.yaml")
    return folder


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("video-models")
    return {"ltx": build_tiny_ltx(folder / "tiny-ltx"), "wan": build_tiny_wan(folder / "tiny-wan")}


def _run(
    catalog: Path, out: Path, root: Path, cache: Path, workers: int = 1, **renderer: object
) -> list[dict[str, object]]:
    settings = RendererSettings(device="cpu", threads=1, video_steps=2, video_size=(64, 64), **renderer)  # type: ignore[arg-type]
    options = RunOptions(
        template_id="moving", aspects=("1:1",), templates_root=root, renderer=settings, keyframe_cache=cache
    )
    run_batch(catalog, LocalStore(out), options, executor=ProcessExecutor(workers) if workers > 1 else None)
    return [json.loads(line) for line in (out / "manifest.jsonl").read_text(encoding="utf-8").splitlines()]


def test_without_a_video_model_the_shots_keep_their_camera_move_and_the_manifest_says_why(
    tmp_path: Path, root: Path
) -> None:
    catalog = sample_subset(tmp_path / "catalog", QUIET[:1])
    result = CliRunner().invoke(main, ["run", str(catalog), "--out", str(tmp_path / "out"), "--templates", str(root),
                                       "--template", "moving", "--aspect", "1:1", "--preset", "ultrafast"])  # fmt: skip
    assert result.exit_code == 0, result.output
    (line,) = [json.loads(text) for text in (tmp_path / "out" / "manifest.jsonl").read_text().splitlines()]
    assert line["status"] == "rendered"
    assert line["motion"] == [
        {"shot": "open", "motion": "fallback", "retries": 0, "reason": NO_MODEL},
        {"shot": "close", "motion": "fallback", "retries": 0, "reason": NO_MODEL},
    ]
    summary = json.loads((tmp_path / "out" / "run-summary.json").read_text())
    assert summary["motion"] == {"generated": 0, "reused": 0, "fallback": 2}


@pytest.mark.parametrize("family", ["ltx", "wan"])
def test_a_video_model_moves_the_background_the_same_way_twice_and_the_job_file_renders_it_again(
    tmp_path: Path, root: Path, models: dict[str, Path], family: str
) -> None:
    catalog = sample_subset(tmp_path / "catalog", QUIET)
    # The tiny models' random weights draw nothing like the keyframe: shown unchecked to exercise the path.
    first = _run(
        catalog, tmp_path / "a", root, tmp_path / "cache-a", video_model=str(models[family]), video_checks=False
    )
    model = {"video_model": str(models[family]), "video_checks": False}
    again = _run(catalog, tmp_path / "b", root, tmp_path / "cache-b", workers=2, **model)  # made before dispatch
    warm = _run(catalog, tmp_path / "c", root, tmp_path / "cache-a", **model)  # every clip read back from the cache
    assert [line["status"] for line in first] == ["rendered", "rendered"]
    statuses = [[shot["motion"] for shot in line["motion"]] for line in first]  # type: ignore[union-attr]
    assert statuses == [["generated", "generated"], ["reused", "reused"]]
    # Two workers rendering both rows at once do not both make the clips: the run made them once, first.
    assert [[shot["motion"] for shot in line["motion"]] for line in again] == statuses  # type: ignore[union-attr]
    assert all(shot["checked"] is False for line in first for shot in line["motion"])  # type: ignore[union-attr]
    assert [[shot["motion"] for shot in line["motion"]] for line in warm] == [["reused"] * 2] * 2  # type: ignore[union-attr]
    for one, two, three in zip(first, again, warm):
        video = Path(str(one["video"])).read_bytes()
        assert Path(str(two["video"])).read_bytes() == video == Path(str(three["video"])).read_bytes()
    plan = stored_plan(Path(str(first[0]["job"])))
    opening = plan.shots[0]
    assert opening.background.motion is not None and family in str(opening.background.motion.model).lower()
    hashes = decode_hashes(Path(str(first[0]["video"]))).hashes[: opening.frames]
    assert len(set(hashes)) == opening.frames  # every frame of the opening differs: its background moves
    result = CliRunner().invoke(main, ["render", str(first[0]["job"]), "--out", str(tmp_path / "replay")])
    assert result.exit_code == 0, result.output
    replayed = Path(result.output.strip().splitlines()[-1].removeprefix("file://"))
    assert replayed.read_bytes() == Path(str(first[0]["video"])).read_bytes()


def test_clips_are_made_once_per_template_shot_and_aspect_and_the_store_holds_one_each(
    tmp_path: Path, root: Path, models: dict[str, Path]
) -> None:
    cache = tmp_path / "cache"
    good = [product.sku for product in load_catalog(SAMPLE_CATALOG).products][:10]
    catalog = sample_subset(tmp_path / "catalog", good)
    settings = RendererSettings(device="cpu", threads=1, video_steps=2, video_size=(64, 64),
                                video_model=str(models["ltx"]), video_checks=False)  # fmt: skip
    options = RunOptions(template_id="moving", aspects=("1:1",), templates_root=root, renderer=settings,
                         keyframe_cache=cache)  # fmt: skip
    report = run_batch(catalog, LocalStore(tmp_path / "out"), options)
    assert report.count("rendered") == 10
    motions = {
        (shot.id, shot.background.motion)
        for r in report.results
        for shot in stored_plan(Path(str(r.job))).shots
        if shot.background.motion is not None
    }
    shots = [shot for r in report.results for shot in r.motion or ()]
    assert sum(shot["motion"] == "generated" for shot in shots) == len(motions) < len(shots)
    assert {shot["motion"] for shot in shots} == {"generated", "reused"}
    sheets = list(cache.rglob("clip-*.png"))
    assert len(sheets) == len(motions)
    for sheet in sheets:  # kept as the model made them: 64x64 frames, an LTX count, fewer than the shot shows
        with Image.open(sheet) as image:
            made = int(image.info["adgen-frames"])
            assert image.size == (64, 64 * made) and made % 8 == 1
            assert made < min(shot.frames for shot in stored_plan(Path(str(report.results[0].job))).shots)
    summary = json.loads((tmp_path / "out" / "run-summary.json").read_text())
    assert summary["motion"] == {"generated": len(motions), "reused": len(shots) - len(motions), "fallback": 0}


def test_clips_that_fail_their_checks_are_retried_once_then_the_shot_keeps_its_camera_move(
    tmp_path: Path, root: Path, models: dict[str, Path]
) -> None:
    catalog = sample_subset(tmp_path / "catalog", QUIET[:1])
    (line,) = _run(catalog, tmp_path / "out", root, tmp_path / "cache", video_model=str(models["ltx"]))
    assert line["status"] == "rendered"
    for shot in line["motion"]:  # type: ignore[union-attr]
        assert shot["motion"] == "fallback" and shot["retries"] == 1
        assert str(shot["reason"]).startswith("the clip failed its checks twice: ")
        assert {"flicker", "worst_step", "stability"} <= set(shot)


class _Scripted:
    """A video model whose clips pan the keyframe, with a ``fault`` injected into the clips it is told to spoil."""

    name = "scripted"
    identity = "scripted-pan"

    def __init__(self, fault: str, spoiled: int) -> None:
        self.fault, self.spoiled, self.calls = fault, spoiled, 0

    def generate(self, requests: Sequence[ClipRequest]) -> list[list[Image.Image]]:
        clips = []
        for request in requests:
            self.calls += 1
            base = np.asarray(request.first, dtype=np.int16)
            frames = [np.roll(base, n, axis=1) for n in range(request.frames)]
            if self.calls <= self.spoiled:
                if self.fault == "flicker":
                    frames = [f + 60 * (n % 2) for n, f in enumerate(frames)]
                else:
                    frames[len(frames) // 2] = np.zeros_like(base)
            clips.append([Image.fromarray(np.clip(f, 0, 255).astype(np.uint8)) for f in frames])
        return clips

    def close(self) -> None:
        pass


def _service_plan(root: Path) -> tuple[ShotPlan, list[Image.Image]]:
    from generator.planning.plan.compile import compile_plan
    from generator.planning.plan.moving import with_video_model
    from generator.planning.templates import load_template

    product = next(p for p in load_catalog(SAMPLE_CATALOG).products if p.sku == QUIET[0])
    plan = with_video_model(
        compile_plan(load_template(root / "test" / "moving.yaml"), product, "1:1", root), "scripted"
    )
    keyframes = [Image.linear_gradient("L").convert("RGB").resize(plan.size) for _ in plan.shots]
    return plan, keyframes


@pytest.mark.parametrize("fault", ["flicker", "black"])
@pytest.mark.parametrize(("spoiled", "expected"), [(0, "generated"), (1, "generated"), (2, "fallback")])
def test_an_injected_fault_is_caught_retried_with_another_seed_and_then_falls_back(
    tmp_path: Path, root: Path, fault: str, spoiled: int, expected: str
) -> None:
    plan, keyframes = _service_plan(root)
    model = _Scripted(fault, spoiled)
    service = MotionService(lambda: model, None)
    clips, (report, _) = service.plates(plan, keyframes.__getitem__)
    assert report.status == expected and report.retries == min(spoiled, 1)
    assert ("open" in clips) == (expected == "generated")
    if expected == "fallback":
        assert ("flicker" if fault == "flicker" else "black") in str(report.reason)
        with pytest.raises(RenderError, match="motion-strict"):
            MotionService(lambda: _Scripted(fault, 9), None, strict=True).plates(plan, keyframes.__getitem__)


def test_a_run_makes_each_clip_once_before_rendering_and_its_workers_keep_its_refusals(
    tmp_path: Path, root: Path
) -> None:
    plan, keyframes = _service_plan(root)
    scenes = lambda plan: keyframes.__getitem__  # noqa: E731
    model = _Scripted("flicker", 0)
    reports = MotionService(lambda: model, KeyframeCache(tmp_path / "good")).prepare([plan, plan, plan], scenes)
    moving = len(reports[0])
    assert model.calls == moving == 2  # both moving shots made once, for three plans
    assert [[r.status for r in reports[i]] for i in range(3)] == [["generated"] * 2, ["reused"] * 2, ["reused"] * 2]

    failing = _Scripted("black", 99)
    refusing = MotionService(lambda: failing, KeyframeCache(tmp_path / "bad"))
    (refused,) = refusing.prepare([plan], scenes).values()
    assert failing.calls == 2 * moving and [r.status for r in refused] == ["fallback"] * moving
    assert len(refusing.refused) == moving

    def never() -> VideoModel:
        raise AssertionError("a worker loaded the video model")

    worker = MotionService(never, KeyframeCache(tmp_path / "bad"), refused=refusing.refused)
    assert worker.plates(plan, keyframes.__getitem__) == ({}, refused)  # the figures and reasons of the refusal
    strict = MotionService(never, KeyframeCache(tmp_path / "bad"), refused=refusing.refused, strict=True)
    with pytest.raises(RenderError, match="motion-strict"):
        strict.plates(plan, keyframes.__getitem__)

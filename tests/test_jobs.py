"""Output identity: the key covers plan, fonts, renderer and encoder; job files render their video again."""

from __future__ import annotations

import dataclasses
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.orchestration.cli import main
from generator.orchestration.runs.jobs import RenderJob
from tests.conftest import product_row
from tests.media import decode_hashes

WriteCatalog = Callable[..., Path]


def _diffusers(model: Path) -> list[str]:
    return ["--renderer", "diffusers", "--model", str(model), "--steps", "2", "--device", "cpu", "--local-files-only"]


def _run(catalog: Path, templates_root: Path, out: Path, *extra: str) -> list[dict[str, object]]:
    args = ["run", str(catalog), "--template", "quick", "--templates", str(templates_root), "--out", str(out),
            "--workers", "1", "--preset", "ultrafast", *extra]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in (out / "manifest.jsonl").read_text(encoding="utf-8").splitlines()]


def _videos(out: Path) -> dict[str, list[str]]:
    """SKU -> the video files stored for it."""
    return {sku.name: sorted(p.name for p in sku.glob("*.mp4")) for sku in (out / "quick").iterdir()}


def test_another_renderer_or_preset_renders_anew_and_replace_keeps_one_video_per_sku_and_aspect(
    tiny_model: Path, write_catalog: WriteCatalog, templates_root: Path, tmp_path: Path
) -> None:
    catalog = write_catalog([product_row("A"), product_row("B")])
    out = tmp_path / "out"
    draft = _run(catalog, templates_root, out)
    assert [line["status"] for line in draft] == ["rendered", "rendered"]
    assert {line["renderer"] for line in draft} == {"draft-1"}

    # 1. The same folder, a tiny diffusers model: every row renders anew, beside the draft videos.
    model = _run(catalog, templates_root, out, *_diffusers(tiny_model))
    assert [line["status"] for line in model] == ["rendered", "rendered"]
    identity = str(model[0]["renderer"])
    assert identity.startswith("diffusers:") and {line["renderer"] for line in model} == {identity}
    assert {line["output_key"] for line in model}.isdisjoint({line["output_key"] for line in draft})
    assert all(len(videos) == 2 for videos in _videos(out).values())

    # 2. The identical run skips every row; each line describes the stored video, read from its job file.
    again = _run(catalog, templates_root, out, *_diffusers(tiny_model))
    assert [line["status"] for line in again] == ["skipped", "skipped"]
    for line, before in zip(again, model):
        stored = json.loads(Path(str(line["job"])).read_text(encoding="utf-8"))
        assert line["renderer"] == stored["renderer"]["identity"] == identity
        assert line["encode"] == stored["encode"] and stored["encode"]["preset"] == "ultrafast"
        assert line["output_key"] == before["output_key"] == stored["key"]

    # 3. Another preset is another output.
    faster = _run(catalog, templates_root, out, *_diffusers(tiny_model), "--preset", "superfast")
    assert [line["status"] for line in faster] == ["rendered", "rendered"]
    assert {json.dumps(line["encode"]) for line in faster} == {
        json.dumps({**model[0]["encode"], "preset": "superfast"})
    }  # type: ignore[dict-item]
    assert all(len(videos) == 3 for videos in _videos(out).values())

    # 4. --replace retires the older outputs of each SKU x aspect, keeping the one this run stores.
    kept = _run(catalog, templates_root, out, *_diffusers(tiny_model), "--replace")
    assert [line["status"] for line in kept] == ["skipped", "skipped"]
    assert all(len(line["retired"]) == 6 for line in kept)  # type: ignore[arg-type]
    assert _videos(out) == {str(line["sku"]): [Path(str(line["video"])).name] for line in kept}
    assert sorted(p.suffix for p in (out / "quick" / "A").iterdir()) == [".jpg", ".json", ".mp4"]


@pytest.mark.parametrize("backend", ["draft", "diffusers"])
def test_a_job_file_renders_the_same_frames_again(
    backend: str, tiny_model: Path, write_catalog: WriteCatalog, templates_root: Path, tmp_path: Path
) -> None:
    catalog = write_catalog([product_row("A", color="teal")])
    extra = _diffusers(tiny_model) if backend == "diffusers" else []
    (line,) = _run(catalog, templates_root, tmp_path / "out", *extra)
    result = CliRunner().invoke(main, ["render", str(line["job"]), "--out", str(tmp_path / "again")])
    assert result.exit_code == 0, result.output
    video = Path(result.output.strip().splitlines()[-1])
    assert video.name == Path(str(line["video"])).name
    assert decode_hashes(video).hashes == decode_hashes(Path(str(line["video"]))).hashes


def test_a_job_file_is_refused_when_edited_or_when_its_fonts_or_model_changed(
    tiny_model: Path, write_catalog: WriteCatalog, templates_root: Path, tmp_path: Path
) -> None:
    model = tmp_path / "model"
    shutil.copytree(tiny_model, model)
    catalog = write_catalog([product_row("A")])
    (line,) = _run(catalog, templates_root, tmp_path / "out", *_diffusers(model))
    path = Path(str(line["job"]))
    text = path.read_text(encoding="utf-8")

    def render(job_text: str) -> tuple[int, str]:
        edited = tmp_path / "job.json"
        edited.write_text(job_text, encoding="utf-8")
        result = CliRunner().invoke(main, ["render", str(edited), "--out", str(tmp_path / "again")])
        return result.exit_code, result.output

    code, output = render(text.replace('"fps":30', '"fps":25'))
    assert code == 2 and "job.json" in output and "does not hash to its key" in output
    code, output = render(text.replace('"threads":1', '"threads":0'))  # x264's auto: the bytes would follow the machine
    assert code == 2 and "EncodeSettings.threads: Input should be greater than or equal to 1" in output

    job = RenderJob.from_json(text, str(path))
    family = sorted(job.fonts)[0]
    code, output = render(dataclasses.replace(job, fonts={**job.fonts, family: "0" * 64 + "#0"}).to_json())
    assert code == 2 and f"not the files the job was made with: {family}" in output

    scheduler = model / "scheduler" / "scheduler_config.json"
    scheduler.write_text(json.dumps({**json.loads(scheduler.read_text()), "beta_end": 0.0131}), encoding="utf-8")
    code, output = render(text)
    assert code == 2 and f"the job was made by {job.renderer_identity}" in output
    assert not (tmp_path / "again").exists() or not list((tmp_path / "again").rglob("*.mp4"))

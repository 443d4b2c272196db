"""``adgen batch run``: incremental runs against the batch's index, removals, crashes, aborts and dry runs.

One 20-product batch is rendered once for the module (``seed``); each test copies its store and runs
the batch again on a changed catalog, on a local folder or on a real S3-protocol server (moto).
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from generator.core.errors import RenderError
from generator.orchestration.batches.run import batch_options, run_batch_spec
from generator.orchestration.cli import main
from generator.orchestration.stores.fetch import FetchSettings
from generator.orchestration.stores.store import LocalStore
from generator.planning.batches import load_batch
from render.backends import RendererSettings
from render.encode import EncodeSettings
from tests.conftest import HEADER, REPO, CrashingRenderer, product_row
from tests.test_s3 import S3, moto_server, s3  # noqa: F401  (fixtures)
from tests.test_webhooks import SECRET, Serve, serve  # noqa: F401  (fixture)

SKUS = [f"S{i:02d}" for i in range(20)]
FAST = ["--preset", "ultrafast", "--workers", "1"]


@dataclass(frozen=True)
class Seed:
    """A store holding the first run of the 20-product batch, and where templates are."""

    out: Path
    templates_root: Path

    def copy(self, folder: Path) -> Path:
        """A copy of the store in ``folder`` (file times kept)."""
        shutil.copytree(self.out, folder)
        return folder


def write_catalog(folder: Path, rows: list[dict[str, str]]) -> Path:
    if not (folder / "images").exists():
        shutil.copytree(REPO / "catalogs" / "images", folder / "images")
    path = folder / "catalog.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=HEADER)
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_spec(folder: Path, out: str, on_removed: str = "keep", extra: str = "") -> Path:
    """A batch spec of ``folder``'s catalog through the quick template into ``out``."""
    spec = folder / "batch.yaml"
    text = (
        f"id: test-batch\ncatalog: {{source: catalog.csv}}\ntemplates: [quick]\nout: {out}\non_removed: {on_removed}\n"
    )
    spec.write_text(text + extra, encoding="utf-8")
    return spec


def batch_run(spec: Path, templates_root: Path, *extra: str) -> Any:
    args = ["batch", "run", str(spec), "--templates", str(templates_root), *FAST, *extra]
    return CliRunner().invoke(main, args)


def changed_rows() -> list[dict[str, str]]:
    """The seed's catalog with 3 rows changed (price, title, image), 2 removed (S15, S16) and 1 added (S20)."""
    rows = {sku: product_row(sku) for sku in SKUS if sku not in ("S15", "S16")}
    rows["S03"]["price"] = "31.00 USD"
    rows["S07"]["title"] = "A new title"
    rows["S11"]["image_link"] = "images/serum-aqua.png"
    return [*rows.values(), product_row("S20")]


def times(folder: Path) -> dict[str, int]:
    """Each file under ``folder`` (relative path) -> its mtime in nanoseconds."""
    return {p.relative_to(folder).as_posix(): p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}


def records(out: Path, run: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """A run's manifest lines and summary."""
    manifest = [json.loads(line) for line in (out / "runs" / run / "manifest.jsonl").read_text().splitlines()]
    return manifest, json.loads((out / "runs" / run / "summary.json").read_text())


def index(out: Path) -> dict[str, Any]:
    return json.loads((out / "index.json").read_text())  # type: ignore[no-any-return]


def changes(manifest: list[dict[str, Any]]) -> dict[str, str]:
    """Slot -> change, for each manifest line."""
    return {line["slot"]: line["change"] for line in manifest}


EXPECTED = {
    **{f"quick/{sku}/9x16": "unchanged" for sku in SKUS},
    "quick/S03/9x16": "changed",
    "quick/S07/9x16": "changed",
    "quick/S11/9x16": "changed",
    "quick/S15/9x16": "removed",
    "quick/S16/9x16": "removed",
    "quick/S20/9x16": "new",
}
EXPECTED_COUNTS = {"new": 1, "changed": 3, "unchanged": 15, "removed": 2, "failed": 0}


@pytest.fixture(scope="module")
def seed(tmp_path_factory: pytest.TempPathFactory, templates_root: Path) -> Seed:
    folder = tmp_path_factory.mktemp("seed")
    write_catalog(folder, [product_row(sku) for sku in SKUS])
    spec = write_spec(folder, str(folder / "out"))
    result = batch_run(spec, templates_root, "--workers", "2", "--keyframe-cache", str(folder / "keyframes"))
    assert result.exit_code == 0, result.output
    assert len(index(folder / "out")["entries"]) == 20
    return Seed(folder / "out", templates_root)


def test_a_changed_catalog_renders_only_new_and_changed_slots_and_leaves_the_others_untouched(
    seed: Seed, tmp_path: Path
) -> None:
    out = seed.copy(tmp_path / "out")
    before, previous = times(out), index(out)
    write_catalog(tmp_path, changed_rows())
    result = batch_run(write_spec(tmp_path, str(out)), seed.templates_root)
    assert result.exit_code == 0, result.output

    run = index(out)["run"]
    manifest, summary = records(out, run)
    assert changes(manifest) == EXPECTED
    assert summary["counts"] == EXPECTED_COUNTS and summary["status"] == "finished"
    assert summary["videos"] == {"rendered": 4, "already_stored": 0}
    assert {line["status"] for line in manifest if line["change"] in ("new", "changed")} == {"rendered"}
    after = times(out)
    # 1. Every file stored before is still there, untouched (keep leaves removed outputs); only the index changed.
    assert {name: after[name] for name in before if name != "index.json"} == {
        name: mtime for name, mtime in before.items() if name != "index.json"
    }
    new_videos = sorted(name for name in after.keys() - before.keys() if name.endswith(".mp4"))
    assert [name.split("/")[1] for name in new_videos] == ["S03", "S07", "S11", "S20"]
    # 2. The index points at the new outputs, keeps the unchanged ones, and marks the removed ones.
    entries = index(out)["entries"]
    assert sorted(entries[slot]["video"] for slot in entries if slot.split("/")[1] in ("S03", "S07", "S11", "S20")) == (
        new_videos
    )
    assert {slot: entry.get("removed") for slot, entry in entries.items() if "removed" in entry} == {
        "quick/S15/9x16": run,
        "quick/S16/9x16": run,
    }
    unchanged = [slot for slot, change in EXPECTED.items() if change == "unchanged"]
    assert {slot: entries[slot] for slot in unchanged} == {slot: previous["entries"][slot] for slot in unchanged}


@pytest.mark.parametrize("policy", ["keep", "unlist", "delete"])
def test_removed_products_are_kept_unlisted_or_deleted_after_the_index_is_stored(
    seed: Seed, tmp_path: Path, policy: str
) -> None:
    out = seed.copy(tmp_path / "out")
    gone = {slot: entry for slot, entry in index(out)["entries"].items() if slot.split("/")[1] in ("S15", "S16")}
    write_catalog(tmp_path, [product_row(sku) for sku in SKUS if sku not in ("S15", "S16")])
    spec = write_spec(tmp_path, str(out), policy)
    result = batch_run(spec, seed.templates_root)
    assert result.exit_code == 0, result.output

    run = index(out)["run"]
    manifest, summary = records(out, run)
    assert summary["counts"] == {"new": 0, "changed": 0, "unchanged": 18, "removed": 2, "failed": 0}
    assert [line for line in manifest if line["change"] == "removed"] == [
        {"slot": slot, "change": "removed", "on_removed": policy, "output_key": entry["output_key"],
         **{name: str(out / entry[name]) for name in ("job", "poster", "video")}}
        for slot, entry in sorted(gone.items())
    ]  # fmt: skip
    entries = index(out)["entries"]
    files = [out / entry[name] for entry in gone.values() for name in ("job", "poster", "video")]
    if policy == "keep":
        assert {slot: entries[slot] for slot in gone} == {
            slot: {**entry, "removed": run} for slot, entry in gone.items()
        }
        assert all(path.is_file() for path in files)
    else:
        assert gone.keys().isdisjoint(entries)
        assert all(path.is_file() for path in files) == (policy == "unlist")
        assert summary["removed"].get("deleted", []) == (
            [entry[name] for entry in gone.values() for name in ("video", "poster", "job")]
            if policy == "delete"
            else []
        )
    assert len(entries) == (20 if policy == "keep" else 18)

    # A product that comes back: unchanged while its kept output still matches, else rendered anew.
    write_catalog(tmp_path, [product_row(sku) for sku in SKUS if sku != "S16"])
    again = batch_run(spec, seed.templates_root)
    assert again.exit_code == 0, again.output
    manifest, summary = records(out, index(out)["run"])
    assert changes(manifest)["quick/S15/9x16"] == ("unchanged" if policy == "keep" else "new")
    assert summary["counts"]["removed"] == 0  # S16 was already reported
    assert summary["videos"]["rendered"] == (1 if policy == "delete" else 0)  # unlisted files are reused
    assert index(out)["entries"]["quick/S15/9x16"] == gone["quick/S15/9x16"]


def test_on_s3_unchanged_objects_keep_their_etag_and_last_modified(
    seed: Seed,
    s3: S3,  # noqa: F811
    tmp_path: Path,
) -> None:
    for path in seed.out.rglob("*"):
        if path.is_file():
            s3.client.upload_file(str(path), s3.bucket, f"ads/{path.relative_to(seed.out).as_posix()}")
    before = {key: (head["ETag"], head["LastModified"]) for key, head in s3.objects("ads/").items()}
    write_catalog(tmp_path, changed_rows())
    spec = write_spec(tmp_path, f"s3://{s3.bucket}/ads", "delete")
    result = batch_run(spec, seed.templates_root, "--s3-endpoint-url", s3.proxy.url)
    assert result.exit_code == 0, result.output

    stored = json.loads(s3.get("ads/index.json"))
    manifest = [json.loads(line) for line in s3.get(f"ads/runs/{stored['run']}/manifest.jsonl").decode().splitlines()]
    summary = json.loads(s3.get(f"ads/runs/{stored['run']}/summary.json"))
    assert changes(manifest) == EXPECTED and summary["counts"] == EXPECTED_COUNTS
    after = {key: (head["ETag"], head["LastModified"]) for key, head in s3.objects("ads/").items()}
    removed = {key for key in before if re.match(r"ads/quick/S1[56]/", key)}
    assert removed and removed.isdisjoint(after)  # deleted, once the new index was stored
    assert {key: after[key] for key in before.keys() - removed - {"ads/index.json"}} == {
        key: value for key, value in before.items() if key not in removed and key != "ads/index.json"
    }
    new_videos = sorted(key.split("/")[2] for key in after.keys() - before.keys() if key.endswith(".mp4"))
    assert new_videos == ["S03", "S07", "S11", "S20"]


def test_a_killed_run_leaves_the_index_and_the_next_run_completes_without_rendering_twice(
    seed: Seed, tmp_path: Path
) -> None:
    out = seed.copy(tmp_path / "out")
    stored_index = (out / "index.json").read_bytes()
    write_catalog(tmp_path, changed_rows())
    spec = write_spec(tmp_path, str(out))
    argv = [
        sys.executable,
        "-m",
        "generator",
        "batch",
        "run",
        str(spec),
        "--templates",
        str(seed.templates_root),
        *FAST,
    ]
    process = subprocess.Popen(argv, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert process.stderr is not None
    log = []
    for line in process.stderr:  # a slot's progress line is logged once its outputs are stored
        log.append(line.decode())
        if re.search(r"\] row \d+ \S+ \S+ rendered", log[-1]):
            break
    else:
        pytest.fail(f"the run ended before a slot was rendered:\n{''.join(log)}")
    process.send_signal(signal.SIGKILL)
    process.wait()
    process.stderr.close()

    assert (out / "index.json").read_bytes() == stored_index  # intact, and readable
    assert len(index(out)["entries"]) == 20
    assert sorted(p.name for p in (out / "runs").iterdir()) == [index(out)["run"]]  # no records of the killed run
    first = {name: mtime for name, mtime in times(out).items() if name.endswith(".mp4")}
    assert 21 <= len(first) < 24

    result = batch_run(spec, seed.templates_root)
    assert result.exit_code == 0, result.output
    manifest, summary = records(out, index(out)["run"])
    assert changes(manifest) == EXPECTED
    assert summary["videos"] == {"rendered": 24 - len(first), "already_stored": len(first) - 20}
    videos = times(out)
    assert len([name for name in videos if name.endswith(".mp4")]) == 24  # one new video per new or changed slot
    assert {name: videos[name] for name in first} == first  # those stored before the kill were not made again
    assert {line["status"] for line in manifest if line["change"] in ("new", "changed")} == {"rendered", "skipped"}


def test_past_max_failures_the_run_stops_reports_aborted_and_leaves_the_index(
    seed: Seed,
    tmp_path: Path,
    serve: Serve,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = seed.copy(tmp_path / "out")
    stored_index, before = (out / "index.json").read_bytes(), times(out)
    receiver = serve(SECRET, [])
    monkeypatch.setenv("ADGEN_TEST_WEBHOOK", SECRET)
    rows = [product_row(sku) for sku in SKUS]
    rows[1]["color"] = rows[2]["color"] = "cursed"  # their backgrounds crash the renderer
    rows[3]["price"] = "31.00 USD"
    write_catalog(tmp_path, rows)
    notify = f"notify: [{{url: '{receiver.url}', secret_env: ADGEN_TEST_WEBHOOK}}]\nlimits: {{max_failures: 1}}\n"
    batch = load_batch(write_spec(tmp_path, str(out), extra=notify))
    path, options = batch_options(
        batch, RendererSettings(), FetchSettings(cache=tmp_path / "fetch"), templates_root=seed.templates_root,
        encode=EncodeSettings(preset="ultrafast"), keyframe_cache=None,
    )  # fmt: skip
    crashing = CrashingRenderer("cursed", RenderError("the model crashed"))
    crashing.identity = "draft-1"  # draft pictures but for cursed prompts: the seed's outputs are this renderer's
    report = run_batch_spec(batch, path, LocalStore(out), options, renderer=crashing)

    assert report.exit_code == 3 and report.aborted is not None and "max_failures" in report.aborted
    assert (out / "index.json").read_bytes() == stored_index
    after = times(out)
    assert {name for name in after.keys() - before.keys() if not name.startswith("runs/")} == set()  # S03 not rendered
    manifest, summary = records(out, report.plan.run)
    assert summary["status"] == "aborted" and summary["videos"]["rendered"] == 0
    assert summary["counts"] == {"new": 0, "changed": 1, "unchanged": 17, "removed": 0, "failed": 2}
    assert [(line["slot"], line["change"], line["status"]) for line in manifest if line["change"] != "unchanged"] == [
        ("quick/S01/9x16", "failed", "failed"),
        ("quick/S02/9x16", "failed", "failed"),
        ("quick/S03/9x16", "changed", "planned"),
    ]
    (event,) = receiver.wait_for(1)
    body = json.loads(event.body)
    assert event.verified and body["type"] == "batch.aborted" and body["run"] == report.plan.run
    assert body["counts"] == summary["counts"] and body["failures"] == summary["failures"]
    assert body["index_uri"] == str(out / "index.json") and body["manifest_uri"] == str(
        out / "runs" / report.plan.run / "manifest.jsonl"
    )
    assert [d["delivered"] for d in summary["webhooks"]] == [True]


def test_a_selection_over_max_rows_aborts_before_planning(seed: Seed, tmp_path: Path) -> None:
    out = seed.copy(tmp_path / "out")
    stored_index = (out / "index.json").read_bytes()
    write_catalog(tmp_path, [product_row(sku) for sku in SKUS])
    result = batch_run(write_spec(tmp_path, str(out), extra="limits: {max_rows: 5}\n"), seed.templates_root)
    assert result.exit_code == 3, result.output
    assert "the filter selects 20 products, more than limits.max_rows (5)" in result.output
    assert (out / "index.json").read_bytes() == stored_index


def test_a_dry_run_prints_the_classification_and_an_estimate_and_writes_nothing(seed: Seed, tmp_path: Path) -> None:
    out = seed.copy(tmp_path / "out")
    before = times(out)
    write_catalog(tmp_path, changed_rows())
    result = batch_run(write_spec(tmp_path, str(out)), seed.templates_root, "--dry-run")
    assert result.exit_code == 0, result.output
    assert times(out) == before
    printed = dict(
        reversed(line.split()[:2]) for line in result.stdout.splitlines() if re.match(r"^[a-z]+ +quick/", line)
    )
    assert printed == EXPECTED
    assert "1 new, 3 changed, 15 unchanged, 2 removed, 0 failed" in result.stdout
    _, summary = records(out, index(out)["run"])
    pace = summary["seconds_per_video"]
    assert f"estimated time: 4 videos x {pace:.1f} s (measured by run {index(out)['run']}) = {4 * pace:.0f} s" in (
        result.stdout
    )


def test_a_spec_naming_an_unknown_template_exits_2_at_its_line(seed: Seed, tmp_path: Path) -> None:
    write_catalog(tmp_path, [product_row("S00")])
    spec = write_spec(tmp_path, str(tmp_path / "out"))
    spec.write_text(spec.read_text().replace("templates: [quick]", "templates: [quik]"))
    result = batch_run(spec, seed.templates_root)
    assert result.exit_code == 2
    assert f"{spec}:3" in result.output and "unknown template 'quik'" in result.output
    assert not (tmp_path / "out").exists()


def test_a_spec_naming_its_catalog_by_path_alone_runs(tmp_path: Path, templates_root: Path) -> None:
    write_catalog(tmp_path, [product_row("S01"), product_row("S02")])
    spec = tmp_path / "week1.yaml"
    spec.write_text(f"id: week1\ncatalog: catalog.csv\ntemplates: [quick]\nout: {tmp_path / 'out'}\n", encoding="utf-8")
    result = batch_run(spec, templates_root)
    assert result.exit_code == 0, result.output
    assert len(index(tmp_path / "out")["entries"]) == 2

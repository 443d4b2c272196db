"""``--executor ray`` on a real local Ray cluster: the same bytes as a local run, on a folder and on S3
(moto), and a row whose worker is killed mid-render is run again without a partial or duplicate object."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from generator.core.errors import ConfigError
from generator.orchestration.cli import main
from generator.orchestration.executors.ray_tasks import RayExecutor, RaySettings
from generator.orchestration.runs.rows import RunOptions
from generator.orchestration.runs.run import run_batch
from generator.orchestration.stores.destination import StoreLocation
from generator.orchestration.stores.store import LocalStore
from generator.planning.catalog import load_catalog
from render.backends import RendererSettings
from render.encode import EncodeSettings
from tests.conftest import REPO, SAMPLE_CATALOG, sample_subset
from tests.test_s3 import S3, moto_server, s3  # noqa: F401  (fixtures)
from tests.tiny_video_models import build_tiny_ltx

SKUS = ["BEA-001", "ELE-001", "HOM-002"]
FAST = ["--preset", "ultrafast", "--workers", "1"]
QUICK = ["--template", "quick"]  # two seconds, every layer kind
RECORDS = ("manifest.jsonl", "run-summary.json")
S3_ENV = {"AWS_ACCESS_KEY_ID": "adgen-test", "AWS_SECRET_ACCESS_KEY": "adgen-secret", "AWS_DEFAULT_REGION": "us-east-1",
          "AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent"}  # fmt: skip


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[Any]:
    """A local Ray cluster of 2 CPUs, its temporary files and auth token in a folder of its own.

    Its workers inherit the environment of this moment: the S3 test credentials are set first, and the
    token settings before Ray is imported (it reads them then).
    """
    folder = Path(tempfile.mkdtemp(prefix="ray"))  # short: Ray's socket paths live under it
    token = folder / "auth_token"
    token.write_text(secrets.token_hex(32), encoding="utf-8")
    saved = {name: os.environ.get(name) for name in [*S3_ENV, "RAY_AUTH_MODE", "RAY_AUTH_TOKEN_PATH"]}
    os.environ.update({**S3_ENV, "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN_PATH": str(token)})
    import ray

    ray.init(num_cpus=2, include_dashboard=False, _temp_dir=str(folder / "t"), log_to_driver=False)
    try:
        yield ray
    finally:
        ray.shutdown()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sample_subset(tmp_path_factory.mktemp("catalog"), SKUS)


@pytest.fixture(scope="module")
def local_run(catalog: Path, tmp_path_factory: pytest.TempPathFactory, templates_root: Path) -> Path:
    out = tmp_path_factory.mktemp("local") / "out"
    args = ["run", str(catalog), "--out", str(out), "--templates", str(templates_root), *FAST, *QUICK]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    return out


def outputs(folder: Path) -> dict[str, bytes]:
    """Every output file under ``folder`` (the run's records aside) -> its bytes."""
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name not in RECORDS
    }


def statuses(manifest: str) -> list[tuple[str, str, str]]:
    lines = [json.loads(line) for line in manifest.splitlines()]
    return sorted((line["sku"], line.get("aspect", ""), line["status"]) for line in lines)


def test_ray_gives_the_bytes_and_statuses_of_a_local_run(
    ray_cluster: Any, catalog: Path, local_run: Path, tmp_path: Path, templates_root: Path
) -> None:
    out = tmp_path / "out"
    args = [
        "run",
        str(catalog),
        "--out",
        str(out),
        "--templates",
        str(templates_root),
        *FAST,
        *QUICK,
        "--executor",
        "ray",
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    expected = outputs(local_run)
    assert len([name for name in expected if name.endswith(".mp4")]) == len(SKUS)
    assert outputs(out) == expected
    assert statuses((out / "manifest.jsonl").read_text()) == statuses((local_run / "manifest.jsonl").read_text())
    peaks = json.loads((out / "run-summary.json").read_text())["peak_rss_mb"]
    workers = peaks["workers"]  # each Ray worker that rendered a row, by host:pid, with its peak memory
    assert workers and all(int(name.rsplit(":", 1)[1]) != os.getpid() and mb > 0 for name, mb in workers.items())
    assert peaks["worker"] == max(workers.values())


def test_ray_into_s3_stores_the_objects_of_a_local_run(
    ray_cluster: Any,
    catalog: Path,
    local_run: Path,
    templates_root: Path,
    s3: S3,  # noqa: F811
) -> None:
    args = ["run", str(catalog), "--out", f"s3://{s3.bucket}/ray", "--s3-endpoint-url", s3.proxy.url,
            "--templates", str(templates_root), *FAST, *QUICK, "--executor", "ray"]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    listed = s3.client.list_objects_v2(Bucket=s3.bucket, Prefix="ray/")["Contents"]
    stored = {
        item["Key"].removeprefix("ray/"): s3.client.get_object(Bucket=s3.bucket, Key=item["Key"])["Body"].read()
        for item in listed
        if item["Key"].rsplit("/", 1)[-1] not in RECORDS
    }
    assert stored == outputs(local_run)


def _rendering_workers() -> list[int]:
    """The processes running a row task now (Ray names them after the task)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "cmdline").read_bytes().startswith(b"ray::render_row"):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def test_a_worker_killed_mid_row_has_its_row_run_again_whole(
    ray_cluster: Any, catalog: Path, local_run: Path, tmp_path: Path, templates_root: Path
) -> None:
    out = tmp_path / "out"
    options = RunOptions(template_id="quick", encode=EncodeSettings(preset="ultrafast"), templates_root=templates_root)
    executor = RayExecutor(RaySettings(in_flight=1, max_retries=2), StoreLocation(str(out)))
    done, report, killed = threading.Event(), [], []

    def run() -> None:
        try:
            report.append(run_batch(catalog, LocalStore(out), options, executor=executor))
        finally:
            done.set()

    threading.Thread(target=run).start()
    while not done.is_set() and not killed:  # the first row task seen running is killed, mid-row
        for pid in _rendering_workers():
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)
        done.wait(0.05)
    done.wait()

    assert killed, "no row task was seen running"
    (finished,) = report
    assert [result.status for result in finished.results] == ["rendered"] * len(SKUS)
    assert outputs(out) == outputs(local_run)  # nothing partial, nothing twice
    assert not [path for path in out.rglob("*") if ".part" in path.name or path.name.startswith(".")]


def test_a_batch_spec_can_send_its_rows_to_ray(
    ray_cluster: Any, catalog: Path, local_run: Path, tmp_path: Path, templates_root: Path
) -> None:
    spec = tmp_path / "batch.yaml"
    spec.write_text(
        f"id: on-ray\ncatalog: {{source: {catalog}}}\ntemplates: [quick]\nout: out\nexecutor: {{kind: ray, in_flight: 2}}\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["batch", "run", str(spec), "--templates", str(templates_root), *FAST])
    assert result.exit_code == 0, result.output
    stored = {name: data for name, data in outputs(tmp_path / "out").items() if not name.startswith("runs/")}
    assert stored.pop("index.json") and stored == outputs(local_run)

    spec.write_text(spec.read_text().replace("kind: ray", "kind: ray, address: 'tcp://x'"), encoding="utf-8")
    refused = CliRunner().invoke(main, ["batch", "validate", str(spec), "--templates", str(templates_root)])
    assert refused.exit_code == 2 and "batch.yaml:5" in refused.output and "address" in refused.output


def test_keyframes_of_a_model_render_on_actors_that_load_it_once_and_give_the_local_bytes(
    ray_cluster: Any, tiny_model: Path, tmp_path: Path, templates_root: Path
) -> None:
    many = [
        "BEA-001",
        "BEA-002",
        "BEA-003",
        "BEA-004",
        "ELE-001",
        "ELE-002",
        "ELE-003",
        "FAS-001",
        "FOO-001",
        "HOM-002",
    ]
    catalog = sample_subset(tmp_path, many)  # more distinct scenes than one batch of keyframes holds
    diffusers = ["--renderer", "diffusers", "--model", str(tiny_model), "--steps", "2", "--device", "cpu",
                 "--local-files-only", "--template", "quick"]  # fmt: skip
    local = tmp_path / "local"
    args = ["run", str(catalog), "--out", str(local), "--templates", str(templates_root), *FAST, *diffusers,
            "--keyframe-cache", str(tmp_path / "keyframes")]  # fmt: skip
    assert CliRunner().invoke(main, args).exit_code == 0

    out = tmp_path / "ray"
    settings = RendererSettings(name="diffusers", model=str(tiny_model), steps=2, device="cpu", local_files_only=True)
    options = RunOptions(template_id="quick", renderer=settings, encode=EncodeSettings(preset="ultrafast"),
                         templates_root=templates_root)  # fmt: skip
    executor = RayExecutor(RaySettings(actors=2, actor_gpus=0, actor_cpus=0.5), StoreLocation(str(out)))
    pool = executor.renderer(settings)  # the executor's pool, passed in to be looked at after the run
    try:
        report = run_batch(catalog, LocalStore(out), options, renderer=pool, executor=executor)
        stats = pool.stats()  # type: ignore[attr-defined]
    finally:
        pool.close()

    assert [result.status for result in report.results] == ["rendered"] * len(many)
    videos = {name: data for name, data in outputs(out).items() if not name.startswith("keyframes/")}
    assert videos == outputs(local)
    stored = {name for name in outputs(out) if name.startswith("keyframes/")}
    cached = {path.name for path in (tmp_path / "keyframes").rglob("*.png")}
    assert {name.rsplit("/", 1)[1] for name in stored} == cached  # each keyframe once, in the store, by its key
    assert len(stats) == 2 and {s.loads for s in stats} == {1}  # each actor loaded the model once
    assert sum(s.batches for s in stats) >= 2 and all(s.batches >= 1 for s in stats)
    assert len({s.worker for s in stats}) == 2


def test_clips_are_made_once_each_on_the_keyframe_actors_and_give_the_local_bytes(
    ray_cluster: Any, tiny_model: Path, tmp_path: Path, templates_root: Path
) -> None:
    root = tmp_path / "templates"
    shutil.copytree(templates_root, root)
    (root / "test").mkdir(exist_ok=True)
    shutil.copy(REPO / "tests" / "data" / "moving.yaml", root / "test" / "moving.yaml")
    catalog = sample_subset(
        tmp_path / "catalog", [product.sku for product in load_catalog(SAMPLE_CATALOG).products][:10]
    )
    settings = RendererSettings(
        name="diffusers", model=str(tiny_model), steps=2, device="cpu", threads=1, local_files_only=True,
        video_model=str(build_tiny_ltx(tmp_path / "tiny-ltx")), video_steps=2, video_size=(64, 64), video_checks=False,
    )  # fmt: skip
    options = RunOptions(template_id="moving", aspects=("1:1",), templates_root=root, renderer=settings,
                         encode=EncodeSettings(preset="ultrafast"))  # fmt: skip
    local = tmp_path / "local"
    expected = run_batch(catalog, LocalStore(local), replace(options, keyframe_cache=tmp_path / "cache"))

    out = tmp_path / "ray"
    executor = RayExecutor(RaySettings(actors=2, actor_gpus=0, actor_cpus=0.5), StoreLocation(str(out)))
    pool = executor.renderer(settings)
    try:
        report = run_batch(catalog, LocalStore(out), options, renderer=pool, executor=executor)
        stats = pool.stats()  # type: ignore[attr-defined]
    finally:
        pool.close()

    # The tiny keyframe model may leave a headline unreadable: that row fails the same way in both runs.
    assert [(r.status, r.motion) for r in report.results] == [(r.status, r.motion) for r in expected.results]
    assert report.count("rendered") >= 8
    assert {name: data for name, data in outputs(out).items() if not name.startswith("keyframes/")} == outputs(local)
    clips = {name.rsplit("/", 1)[1] for name in outputs(out) if "/clip-" in name}
    assert clips == {path.name for path in (tmp_path / "cache").rglob("clip-*.png")}  # one each, by its key
    shots = [shot for r in report.results for shot in r.motion or ()]
    assert sum(shot["motion"] == "generated" for shot in shots) == len(clips) < len(shots)
    assert sum(s.clips for s in stats) == len(clips) >= 2  # every clip made once, by the actors
    assert len(stats) == 2 and {(s.loads, s.video_loads) for s in stats} == {(1, 1)}  # each loaded each model once


def test_a_renderer_config_file_can_send_rows_to_ray(
    ray_cluster: Any, catalog: Path, local_run: Path, tmp_path: Path, templates_root: Path
) -> None:
    config, out = tmp_path / "renderer.yaml", tmp_path / "out"
    config.write_text("name: draft\nexecutor: {kind: ray, in_flight: 2}\n", encoding="utf-8")
    args = ["run", str(catalog), "--templates", str(templates_root), *FAST, *QUICK, "--renderer-config", str(config)]
    result = CliRunner().invoke(main, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert outputs(out) == outputs(local_run)
    workers = json.loads((out / "run-summary.json").read_text())["peak_rss_mb"]["workers"]
    assert all(int(name.rsplit(":", 1)[1]) != os.getpid() for name in workers)  # rendered by Ray's workers

    config.write_text("name: draft\nexecutor: {kind: slurm}\n", encoding="utf-8")
    refused = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "never")])
    assert refused.exit_code == 2 and "renderer.yaml:2" in refused.output and "executor.kind" in refused.output
    assert not (tmp_path / "never").exists()


def test_keyframe_actors_asking_for_more_gpus_than_the_cluster_has_are_refused(
    ray_cluster: Any, tiny_model: Path, tmp_path: Path
) -> None:
    settings = RendererSettings(name="diffusers", model=str(tiny_model), steps=2, device="cpu", local_files_only=True)
    executor = RayExecutor(RaySettings(actors=1, actor_gpus=1000), StoreLocation(str(tmp_path / "out")))
    with pytest.raises(ConfigError, match="--ray-actor-gpus 0"):  # not an actor Ray waits for ever to place
        executor.renderer(settings)

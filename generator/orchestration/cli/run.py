"""``adgen run`` (a whole catalog) and ``adgen render`` (one stored job, again)."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

import click

from generator.core.errors import AdgenError, RenderError
from generator.orchestration.cli.common import (
    brand_kit_option,
    executor_block,
    gpu_option,
    guard,
    keyframe_cache_option,
    log,
    on_gpu,
    open_catalog,
    parse_aspects,
    parse_root,
    preset,
    render_date_option,
    renderer_settings,
    s3_endpoint_option,
    video_size,
    with_catalog_arguments,
    workers_option,
)
from generator.orchestration.executors.local import Executor, InlineExecutor, ProcessExecutor
from generator.orchestration.runs.manifest import summarize
from generator.orchestration.runs.rows import RunOptions
from generator.orchestration.runs.run import run_batch
from generator.orchestration.stores.destination import open_store
from generator.orchestration.stores.fetch import FetchSettings
from generator.orchestration.stores.store import MANIFEST_KEY, LocalStore


@click.command()
@with_catalog_arguments
@click.option(
    "--template",
    "template_id",
    help="Template id (default: chosen per row by its category, vertical column or product_type).",
)
@click.option(
    "--fallback-template",
    metavar="ID",
    help="Template for rows that no category, vertical or product_type routes (default: the general vertical's).",
)
@click.option("--out", default="out", show_default=True, help="Output folder, or s3://bucket/prefix.")
@click.option("--force", is_flag=True, help="Render rows again whose video is already stored.")
@click.option(
    "--replace",
    "replace_older",
    is_flag=True,
    help="Once a row's new video is stored, delete its older videos (other renderer or encoder settings).",
)
@workers_option
@click.option(
    "--executor",
    "executor_name",
    type=click.Choice(["local", "ray"]),
    default="local",
    show_default=True,
    help="local: this machine's cores (--workers); ray: a Ray cluster, each row a task that stores its outputs.",
)
@click.option("--ray-address", help="ray: auto, ray://host:port, or unset for RAY_ADDRESS or a new local cluster.")
@click.option(
    "--ray-in-flight",
    type=click.IntRange(min=1),
    default=8,
    show_default=True,
    help="ray: rows submitted to the cluster at once.",
)
@click.option(
    "--ray-actors",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="ray: keyframe actors of a model renderer (and of the video model), each loading a model once.",
)
@click.option(
    "--ray-actor-gpus",
    type=click.FloatRange(min=0),
    default=1.0,
    show_default=True,
    help="ray: GPUs each keyframe (and clip) actor reserves (0: CPU actors).",
)
@s3_endpoint_option
@click.option("--s3-region", help="S3 region (default: the AWS configuration's).")
@click.option("--public", is_flag=True, help="S3: make uploaded objects publicly readable.")
@click.option("--sse", type=click.Choice(["AES256", "aws:kms"]), help="S3: server-side encryption.")
@click.option(
    "--presign", type=click.IntRange(min=1), metavar="SECONDS", help="Add links valid this long to the manifest."
)
@click.option(
    "--renderer-config",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="YAML file of renderer settings (docs/models.md); the options below override it.",
)
@click.option(
    "--renderer",
    type=click.Choice(["draft", "diffusers"]),
    default="draft",
    show_default=True,
    help="Keyframe backend: procedural draft, or a diffusers model.",
)
@click.option("--model", help="diffusers: local folder or hub id of a text-to-image or inpainting checkpoint.")
@click.option("--inpaint-model", help="diffusers: a second, inpainting checkpoint for extended and pinned keyframes.")
@click.option(
    "--ip-adapter", help="diffusers: local folder or hub id of IP-Adapter weights, to condition on the mascot."
)
@click.option("--steps", type=click.IntRange(min=1), default=25, show_default=True, help="diffusers: denoising steps.")
@click.option(
    "--guidance", type=click.FloatRange(min=0), default=7.0, show_default=True, help="diffusers: guidance scale."
)
@click.option(
    "--device", type=click.Choice(["cuda", "mps", "cpu"]), help="diffusers: device (default: best available)."
)
@click.option("--local-files-only", is_flag=True, help="diffusers: never contact a model hub.")
@click.option(
    "--video-model",
    help="Local folder or hub id of an image-to-video checkpoint (LTX-Video, Wan, SVD) for shots whose background "
    "is 'motion: generated'; without one they keep their camera move.",
)
@click.option(
    "--video-size",
    metavar="WxH",
    callback=lambda _, __, value: video_size(value),
    help="The size clips are generated at (default: the model's native size nearest the canvas's aspect).",
)
@click.option(
    "--video-steps", type=click.IntRange(min=1), default=25, show_default=True, help="Denoising steps per clip."
)
@click.option(
    "--motion-strict",
    is_flag=True,
    help="A generated clip that fails its checks twice fails its row (default: "
    "the shot keeps its camera move, and the manifest says so).",
)
@click.option(
    "--preset",
    default="medium",
    show_default=True,
    callback=lambda _, __, value: preset(value),
    help="x264 preset, ultrafast to veryslow: faster presets encode quicker into bigger files of the same quality.",
)
@gpu_option
@keyframe_cache_option
@render_date_option
@brand_kit_option
def run(catalog: str | Path, templates_root: Path, aspect: str | None, limit: int | None, columns: Path | None,
        currency: str | None, max_pixels: int, allow_private_urls: bool, fetch_cache: Path, template_id: str | None,
        fallback_template: str | None, out: str, force: bool, replace_older: bool, workers: int, executor_name: str, ray_address: str | None,
        ray_in_flight: int, ray_actors: int, ray_actor_gpus: float, s3_endpoint_url: str | None,
        s3_region: str | None, public: bool, sse: str | None, presign: int | None, renderer_config: Path | None,
        preset: Any, gpu: bool, keyframe_cache: Path, reading: dict[str, Any], render_date: dt.date, brand_kit: Path | None,
        motion_strict: bool, **renderer_options: Any) -> None:  # fmt: skip
    """Render every row of CATALOG (a file, or an https://, http:// or s3:// URL) into videos under --out,
    with a manifest.jsonl and run-summary.json."""
    settings = guard(lambda: renderer_settings(renderer_config, renderer_options))
    fetch = FetchSettings(cache=fetch_cache, allow_private=allow_private_urls, endpoint_url=s3_endpoint_url)
    path, catalog_options = guard(lambda: open_catalog(catalog, columns, currency, max_pixels, fetch, reading))
    options = RunOptions(
        template_id=template_id, fallback_template=fallback_template, aspects=parse_aspects(aspect),  # type: ignore[arg-type]
        limit=limit, renderer=settings, encode=guard(lambda: on_gpu(preset, gpu)), keyframe_cache=keyframe_cache,
        templates_root=templates_root, force=force, replace=replace_older, presign=presign, catalog=catalog_options,
        render_date=render_date, brand_kit=brand_kit, motion_strict=motion_strict,
    )  # fmt: skip
    store = guard(lambda: open_store(out, s3_endpoint_url, s3_region, public, sse))
    cli = {"executor_name": executor_name, "ray_address": ray_address, "ray_in_flight": ray_in_flight,
           "ray_actors": ray_actors, "ray_actor_gpus": ray_actor_gpus}  # fmt: skip
    block = guard(lambda: executor_block(renderer_config, cli))
    executor: Executor = ProcessExecutor(workers) if workers > 1 else InlineExecutor()
    if block.kind == "ray":
        from generator.orchestration.executors.ray_tasks import RayExecutor, RaySettings
        from generator.orchestration.stores.destination import StoreLocation

        where = out if out.startswith("s3://") else str(Path(out).resolve())
        location = StoreLocation(where, s3_endpoint_url, s3_region, public, sse)
        executor = RayExecutor(RaySettings.of(block), location)
    report = guard(lambda: run_batch(path, store, options, executor=executor))
    summary = summarize(list(report.results), report.seconds, "")
    log.info(
        "%d rendered, %d skipped (already there, or unavailable), %d failed in %.1f s (%s videos per minute); manifest: %s",
        report.count("rendered"), report.count("skipped"), report.count("failed"), report.seconds,
        summary["videos_per_minute"], store.uri(MANIFEST_KEY),
    )  # fmt: skip
    for failure in summary["failures"]:
        log.info("  %d × %s", failure["count"], failure["reason"])
    sys.exit(report.exit_code)


@click.command("render")
@click.argument("job_file", metavar="JOB.json", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), default=Path("out"), show_default=True)
@click.option(
    "--root",
    "roots",
    multiple=True,
    metavar="NAME=FOLDER",
    help="Where the plan's NAME: references are (catalog, templates), if not where the job says.",
)
def render_command(job_file: Path, out: Path, roots: tuple[str, ...]) -> None:
    """Render exactly the job in JOB.json (stored beside every video) into --out, under its output key."""
    from generator.orchestration.runs.replay import load_job, replay

    folders = dict(parse_root(value) for value in roots)
    job = guard(lambda: load_job(job_file))
    try:
        keys = replay(job, LocalStore(out), folders)
    except AdgenError as exc:
        log.error("%s", exc)
        sys.exit(1 if isinstance(exc, RenderError) else exc.exit_code)
    click.echo(LocalStore(out).uri(keys.video))

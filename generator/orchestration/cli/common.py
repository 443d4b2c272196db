"""What the ``adgen`` commands share: catalog options, stores, renderer and encoder settings, and error exits."""

from __future__ import annotations

import functools
import logging
import os
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import yaml
from click.core import ParameterSource
from pydantic import ValidationError

from generator.core.errors import AdgenError, ConfigError
from generator.core.geometry import ASPECT_SIZES
from generator.core.urls import is_url
from generator.orchestration.batches.job import BatchSettings
from generator.orchestration.runs.rows import DEFAULT_TEMPLATES
from generator.orchestration.stores.fetch import Fetcher, FetchSettings
from generator.planning.batches import ExecutorBlock
from generator.planning.catalog import CATALOG_FORMATS, CatalogOptions, load_column_map
from render.backends import RendererSettings, load_renderer_settings

log = logging.getLogger("adgen")


def catalog_location(context: click.Context, parameter: click.Parameter, value: str) -> str | Path:
    """A URL stays text; anything else is a local file path, checked as before."""
    if is_url(value):
        return value
    path = click.Path(dir_okay=False, path_type=Path).convert(value, parameter, context)
    assert isinstance(path, Path)
    return path


def open_catalog(
    catalog: str | Path,
    columns: Path | None,
    currency: str | None,
    max_pixels: int,
    fetch: FetchSettings,
    reading: dict[str, Any],
) -> tuple[Path, CatalogOptions]:
    """The local catalog file and how to read it (``reading``: format, sheet, variants, include_unavailable);
    a URL catalog is fetched first and becomes the base of its links."""
    fetcher = Fetcher(fetch)
    options = CatalogOptions(
        column_map=load_column_map(columns) if columns else {},
        default_currency=currency,
        max_pixels=max_pixels,
        fetcher=fetcher,
        **reading,
    )
    if isinstance(catalog, Path):
        return catalog, options
    return fetcher.fetch(catalog, "catalog"), replace(options, base_url=catalog)


def parse_aspects(value: str | None) -> tuple[str, ...] | str | None:
    if value is None or value == "all":
        return value
    aspects = tuple(a.strip() for a in value.split(","))
    unknown = [a for a in aspects if a not in ASPECT_SIZES]
    if unknown:
        raise click.BadParameter(f"unknown aspect {unknown[0]!r}; use {', '.join(ASPECT_SIZES)} or all")
    return aspects


allow_private_urls_option = click.option(
    "--allow-private-urls",
    is_flag=True,
    help="Fetch URLs whose host is private, loopback or link-local (refused by default).",
)
fetch_cache_option = click.option(
    "--fetch-cache", type=click.Path(path_type=Path, file_okay=False), envvar="ADGEN_FETCH_CACHE",
    default=Path.home() / ".cache" / "adgen" / "fetch", show_default=True,
    help="Folder of downloaded catalogs and images, shared by runs.",
)  # fmt: skip
workers_option = click.option(
    "--workers", type=click.IntRange(min=1), default=os.cpu_count() or 1, show_default="the number of cores",
    help="Worker processes rendering videos.",
)  # fmt: skip
keyframe_cache_option = click.option(
    "--keyframe-cache", type=click.Path(path_type=Path, file_okay=False), envvar="ADGEN_KEYFRAME_CACHE",
    default=Path.home() / ".cache" / "adgen" / "keyframes", show_default=True,
    help="Folder of cached model keyframes, shared by runs.",
)  # fmt: skip
s3_endpoint_option = click.option(
    "--s3-endpoint-url", envvar="AWS_ENDPOINT_URL", help="S3-compatible endpoint (MinIO, R2, ...)."
)


_catalog_arguments = [
    click.argument("catalog", callback=catalog_location),
    click.option("--templates", "templates_root", type=click.Path(path_type=Path, file_okay=False),
                 default=DEFAULT_TEMPLATES, show_default=True, envvar="ADGEN_TEMPLATES", help="Folder of <vertical>/*.yaml templates."),
    click.option("--aspect", "aspect", help="Aspect(s) to render, e.g. 9:16 or 9:16,1:1 or all (default: each template's first)."),
    click.option("--limit", type=click.IntRange(min=1), help="Only the first N catalog rows."),
    click.option("--columns", type=click.Path(path_type=Path, dir_okay=False, exists=True),
                 help="YAML mapping of canonical column names to this feed's column names."),
    click.option("--currency", help="ISO 4217 currency for prices written without one."),
    click.option("--max-pixels", type=click.IntRange(min=1), default=40_000_000, show_default=True,
                 help="Largest reference image accepted, in pixels."),
    allow_private_urls_option,
    fetch_cache_option,
]  # fmt: skip


_reading_arguments = [
    click.option("--format", "catalog_format", type=click.Choice(CATALOG_FORMATS), default="auto", show_default=True,
                 help="The catalog's kind: Merchant Center CSV, Meta, Shopify export or Merchant XML feed; auto tells it from the content."),
    click.option("--sheet", help="Excel workbooks: the sheet to read (default: the first)."),
    click.option("--variants", is_flag=True, help="Shopify exports: one video per variant instead of one per product."),
    click.option("--include-unavailable", is_flag=True,
                 help="Also render rows that are out of stock, drafts, archived or unpublished (skipped by default)."),
]  # fmt: skip


def with_catalog_arguments(function: Any) -> Any:
    for decorator in reversed(_catalog_arguments):
        function = decorator(function)
    return with_reading_arguments(function)


def with_reading_arguments(function: Any) -> Any:
    """Add the options of how to read a catalog; the command receives them together, as ``reading``."""

    @functools.wraps(function)
    def command(
        *args: Any, catalog_format: str, sheet: str | None, variants: bool, include_unavailable: bool, **kwargs: Any
    ) -> Any:
        reading = {
            "format": catalog_format,
            "sheet": sheet,
            "variants": variants,
            "include_unavailable": include_unavailable,
        }
        return function(*args, reading=reading, **kwargs)

    for decorator in reversed(_reading_arguments):
        command = decorator(command)
    return command


def parse_root(value: str) -> tuple[str, Path]:
    name, sep, folder = value.partition("=")
    if not sep or not name or not folder:
        raise click.BadParameter(f"{value!r} is not NAME=FOLDER", param_hint="--root")
    return name, Path(folder)


def preset(value: str) -> Any:
    """Encoder settings with x264 preset ``value`` (render.encode is imported only when rendering)."""
    from render.encode import X264_PRESETS, EncodeSettings

    if value not in X264_PRESETS:
        raise click.BadParameter(f"{value!r} is not an x264 preset; use one of {', '.join(X264_PRESETS)}")
    return EncodeSettings(preset=value)


def video_size(value: str | None) -> tuple[int, int] | None:
    """``--video-size WxH`` as (width, height)."""
    if value is None:
        return None
    width, x, height = value.lower().partition("x")
    if not (x and width.isdigit() and height.isdigit() and int(width) > 0 and int(height) > 0):
        raise click.BadParameter(f"{value!r} is not a size; write it as WIDTHxHEIGHT, e.g. 768x512")
    return int(width), int(height)


def on_gpu(settings: Any, gpu: bool) -> Any:
    """``settings`` moved to the GPU when ``gpu`` is set, as far as this machine allows; each part that
    stays on the CPU is logged as a warning, once, before any output key is made."""
    if not gpu:
        return settings
    from render.gpu import on_gpu as moved

    settings, notes = moved(settings)
    for note in notes:
        log.warning("--gpu: %s", note)
    return settings


render_date_option = click.option(
    "--render-date",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    callback=lambda _, __, value: value.date() if value is not None else datetime.now(UTC).date(),
    help="The date templates plan for, YYYY-MM-DD: a sale's end is counted from it, and a sale not running then "
    "has no sale price (default: today's UTC date).",
)

gpu_option = click.option(
    "--gpu", is_flag=True,
    help="Composite frames on a CUDA GPU and encode with NVENC where this machine has them (each falls back to "
    "the CPU, with a warning); part of every output key.",
)  # fmt: skip


def renderer_settings(path: Path | None, options: dict[str, Any]) -> RendererSettings:
    """Settings from ``path`` if given, with the options given on the command line on top."""
    context = click.get_current_context()
    if path is None:
        return RendererSettings(**{("name" if k == "renderer" else k): v for k, v in options.items()})
    given = {
        ("name" if k == "renderer" else k): v
        for k, v in options.items()
        if context.get_parameter_source(k) not in (ParameterSource.DEFAULT, ParameterSource.DEFAULT_MAP)
    }
    return load_renderer_settings(path, others=("executor",), **given)


_EXECUTOR_OPTIONS = {"executor_name": "kind", "ray_address": "address", "ray_in_flight": "in_flight",
                     "ray_actors": "actors", "ray_actor_gpus": "actor_gpus"}  # fmt: skip


def executor_block(path: Path | None, options: dict[str, Any]) -> ExecutorBlock:
    """Where rows render: the ``executor`` mapping of the renderer configuration file ``path`` (if any),
    with the executor options given on the command line on top.

    Raises:
        ConfigError: the file's ``executor`` is not a valid executor block (names file and line).
    """
    context = click.get_current_context()
    given = {
        _EXECUTOR_OPTIONS[name]: value
        for name, value in options.items()
        if context.get_parameter_source(name) not in (ParameterSource.DEFAULT, ParameterSource.DEFAULT_MAP)
    }
    written: dict[str, Any] = {}
    if path is not None:
        text = path.read_text(encoding="utf-8")
        data = yaml.safe_load(text)
        if isinstance(data, dict) and data.get("executor") is not None:
            line = next((n for n, row in enumerate(text.splitlines(), 1) if row.startswith("executor:")), None)
            if not isinstance(data["executor"], dict):
                raise ConfigError("executor: a mapping (kind, address, in_flight, ...)", file=path, line=line)
            written = data["executor"]
            try:
                ExecutorBlock.model_validate(written)
            except ValidationError as exc:
                problem = exc.errors()[0]
                where = ".".join(str(part) for part in problem["loc"])
                raise ConfigError(f"executor.{where}: {problem['msg']}", file=path, line=line) from exc
    return ExecutorBlock.model_validate({**written, **given})


def guard(work: Any) -> Any:
    """Run ``work``; a configuration error ends the program with exit code 2, Ctrl-C with 130."""
    try:
        return work()
    except AdgenError as exc:
        log.error("%s", exc)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        log.error("interrupted")
        sys.exit(130)


templates_option = click.option(
    "--templates", "templates_root", type=click.Path(path_type=Path, file_okay=False), default=DEFAULT_TEMPLATES,
    show_default=True, envvar="ADGEN_TEMPLATES",
    help="Folder of <vertical>/*.yaml templates (where a spec's template ids are looked up).",
)  # fmt: skip

_batch_arguments = [
    templates_option,
    click.option("--preset", "encode", default="medium", show_default=True,
                 callback=lambda _, __, value: preset(value),
                 help="x264 preset; part of every output key, so another preset renders every slot anew."),
    gpu_option,
    workers_option,
    keyframe_cache_option,
    fetch_cache_option,
    allow_private_urls_option,
    s3_endpoint_option,
]  # fmt: skip


def with_batch_settings(function: Any) -> Any:
    """Add the options of how batches run on this machine; the command receives them as ``settings``."""

    @functools.wraps(function)
    def command(*args: Any, templates_root: Path, encode: Any, gpu: bool, workers: int, keyframe_cache: Path,
                fetch_cache: Path, allow_private_urls: bool, s3_endpoint_url: str | None, **kwargs: Any) -> Any:  # fmt: skip
        fetch = FetchSettings(cache=fetch_cache, allow_private=allow_private_urls, endpoint_url=s3_endpoint_url)
        settings = BatchSettings(templates_root, guard(lambda: on_gpu(encode, gpu)), workers, keyframe_cache, fetch)
        return function(*args, settings=settings, **kwargs)

    for decorator in reversed(_batch_arguments):
        command = decorator(command)
    return command


brand_kit_option = click.option(
    "--brand-kit", "brand_kit", type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="Brand kit file (YAML) laid over every template's own brand_kit: its logo, fonts, colours, cta and end card.",
)  # fmt: skip

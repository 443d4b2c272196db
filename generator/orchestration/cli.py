"""The ``adgen`` command: the only place that parses arguments, sets up logging and maps errors to exit codes.

Exit codes: 0 every row succeeded; 1 some rows failed (each reported); 2 usage or configuration
error (nothing was run); 130 interrupted.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource

from generator.core.errors import AdgenError, ConfigError
from generator.core.urls import is_url
from generator.orchestration.batch import (
    DEFAULT_TEMPLATES,
    PlannedRow,
    RunOptions,
    load_templates,
    plan_rows,
    run_batch,
    settle_legibility,
    summarize,
)
from generator.orchestration.fetch import Fetcher, FetchSettings
from generator.orchestration.store import MANIFEST_KEY, LocalStore, Store, safe_name
from generator.planning.catalog import CATALOG_FORMATS, CatalogOptions, load_catalog, load_column_map
from generator.planning.plan import ASPECT_SIZES
from generator.planning.templates import template_schema
from render.backends import RendererSettings, load_renderer_settings

log = logging.getLogger("adgen")


def _catalog_location(context: click.Context, parameter: click.Parameter, value: str) -> str | Path:
    """A URL stays text; anything else is a local file path, checked as before."""
    if is_url(value):
        return value
    path = click.Path(dir_okay=False, path_type=Path).convert(value, parameter, context)
    assert isinstance(path, Path)
    return path


def _open_catalog(
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


def _aspects(value: str | None) -> tuple[str, ...] | str | None:
    if value is None or value == "all":
        return value
    aspects = tuple(a.strip() for a in value.split(","))
    unknown = [a for a in aspects if a not in ASPECT_SIZES]
    if unknown:
        raise click.BadParameter(f"unknown aspect {unknown[0]!r}; use {', '.join(ASPECT_SIZES)} or all")
    return aspects


_catalog_arguments = [
    click.argument("catalog", callback=_catalog_location),
    click.option("--templates", "templates_root", type=click.Path(path_type=Path, file_okay=False),
                 default=DEFAULT_TEMPLATES, show_default=True, envvar="ADGEN_TEMPLATES", help="Folder of <vertical>/*.yaml templates."),
    click.option("--aspect", "aspect", help="Aspect(s) to render, e.g. 9:16 or 9:16,1:1 or all (default: each template's first)."),
    click.option("--limit", type=click.IntRange(min=1), help="Only the first N catalog rows."),
    click.option("--columns", type=click.Path(path_type=Path, dir_okay=False, exists=True),
                 help="YAML mapping of canonical column names to this feed's column names."),
    click.option("--currency", help="ISO 4217 currency for prices written without one."),
    click.option("--max-pixels", type=click.IntRange(min=1), default=40_000_000, show_default=True,
                 help="Largest reference image accepted, in pixels."),
    click.option("--allow-private-urls", is_flag=True,
                 help="Fetch URLs whose host is private, loopback or link-local (refused by default)."),
    click.option("--fetch-cache", type=click.Path(path_type=Path, file_okay=False), envvar="ADGEN_FETCH_CACHE",
                 default=Path.home() / ".cache" / "adgen" / "fetch", show_default=True,
                 help="Folder of downloaded catalogs and images, shared by runs."),
]  # fmt: skip


_reading_arguments = [
    click.option("--format", "catalog_format", type=click.Choice(CATALOG_FORMATS), default="auto", show_default=True,
                 help="The catalog's kind: Merchant Center CSV, Meta, Shopify export or Merchant XML feed; auto tells it from the content."),
    click.option("--sheet", help="Excel workbooks: the sheet to read (default: the first)."),
    click.option("--variants", is_flag=True, help="Shopify exports: one video per variant instead of one per product."),
    click.option("--include-unavailable", is_flag=True,
                 help="Also render rows that are out of stock, drafts, archived or unpublished (skipped by default)."),
]  # fmt: skip


def _with_catalog_arguments(function: Any) -> Any:
    for decorator in reversed(_catalog_arguments):
        function = decorator(function)
    return _with_reading_arguments(function)


def _with_reading_arguments(function: Any) -> Any:
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


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Debug logging.")
@click.version_option(package_name="adgen")
def main(verbose: bool) -> None:
    """adgen turns product catalogs into short ad videos through templates."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(levelname)s %(message)s",
        stream=sys.stderr,
        force=True,
    )
    for noisy in ("botocore", "boto3", "s3transfer", "urllib3"):  # their INFO lines are not the user's business
        logging.getLogger(noisy).setLevel(logging.DEBUG if verbose else logging.WARNING)


@main.command()
@_with_catalog_arguments
@click.option("--template", "template_id", help="Template id (default: chosen per row by vertical or product_type).")
@click.option("--out", default="out", show_default=True, help="Output folder, or s3://bucket/prefix.")
@click.option("--force", is_flag=True, help="Render rows again whose video is already stored.")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=os.cpu_count() or 1,
    show_default="the number of cores",
    help="Worker processes rendering rows.",
)
@click.option("--s3-endpoint-url", envvar="AWS_ENDPOINT_URL", help="S3-compatible endpoint (MinIO, R2, ...).")
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
    "--preset",
    default="medium",
    show_default=True,
    callback=lambda _, __, value: _preset(value),
    help="x264 preset, ultrafast to veryslow: faster presets encode quicker into bigger files of the same quality.",
)
@click.option(
    "--keyframe-cache",
    type=click.Path(path_type=Path, file_okay=False),
    envvar="ADGEN_KEYFRAME_CACHE",
    default=Path.home() / ".cache" / "adgen" / "keyframes",
    show_default=True,
    help="Folder of cached model keyframes, shared by runs.",
)
def run(catalog: str | Path, templates_root: Path, aspect: str | None, limit: int | None, columns: Path | None,
        currency: str | None, max_pixels: int, allow_private_urls: bool, fetch_cache: Path, template_id: str | None, out: str, force: bool, workers: int, s3_endpoint_url: str | None,
        s3_region: str | None, public: bool, sse: str | None, presign: int | None, renderer_config: Path | None,
        preset: Any, keyframe_cache: Path, reading: dict[str, Any], **renderer_options: Any) -> None:  # fmt: skip
    """Render every row of CATALOG (a file, or an https://, http:// or s3:// URL) into videos under --out,
    with a manifest.jsonl and run-summary.json."""
    settings = _guard(lambda: _renderer_settings(renderer_config, renderer_options))
    fetch = FetchSettings(cache=fetch_cache, allow_private=allow_private_urls, endpoint_url=s3_endpoint_url)
    path, catalog_options = _guard(lambda: _open_catalog(catalog, columns, currency, max_pixels, fetch, reading))
    options = RunOptions(
        template_id=template_id, aspects=_aspects(aspect), limit=limit, renderer=settings,  # type: ignore[arg-type]
        encode=preset, keyframe_cache=keyframe_cache, templates_root=templates_root,
        force=force, presign=presign, workers=workers, catalog=catalog_options,
    )  # fmt: skip
    store = _guard(lambda: _open_store(out, s3_endpoint_url, s3_region, public, sse))
    report = _guard(lambda: run_batch(path, store, options))
    summary = summarize(list(report.results), report.seconds, "")
    log.info(
        "%d rendered, %d skipped (already there, or unavailable), %d failed in %.1f s (%s videos per minute); manifest: %s",
        report.count("rendered"), report.count("skipped"), report.count("failed"), report.seconds,
        summary["videos_per_minute"], store.uri(MANIFEST_KEY),
    )  # fmt: skip
    for failure in summary["failures"]:
        log.info("  %d × %s", failure["count"], failure["reason"])
    sys.exit(report.exit_code)


def _open_store(out: str, endpoint: str | None, region: str | None, public: bool, sse: str | None) -> Store:
    """A LocalStore for a folder, an S3Store for ``s3://bucket/prefix`` (S3 options need the latter)."""
    if out.startswith("s3://"):
        from generator.orchestration.s3store import S3Settings, S3Store, parse_s3_uri

        bucket, prefix = parse_s3_uri(out)
        return S3Store(bucket, prefix, S3Settings(endpoint_url=endpoint, region=region, public=public, sse=sse))
    if public or sse:
        raise ConfigError("--public and --sse apply to s3:// outputs only")
    return LocalStore(Path(out))


def _preset(value: str) -> Any:
    """Encoder settings with x264 preset ``value`` (render.encode is imported only when rendering)."""
    from render.encode import X264_PRESETS, EncodeSettings

    if value not in X264_PRESETS:
        raise click.BadParameter(f"{value!r} is not an x264 preset; use one of {', '.join(X264_PRESETS)}")
    return EncodeSettings(preset=value)


def _renderer_settings(path: Path | None, options: dict[str, Any]) -> RendererSettings:
    """Settings from ``path`` if given, with the options given on the command line on top."""
    context = click.get_current_context()
    if path is None:
        return RendererSettings(**{("name" if k == "renderer" else k): v for k, v in options.items()})
    given = {
        ("name" if k == "renderer" else k): v
        for k, v in options.items()
        if context.get_parameter_source(k) not in (ParameterSource.DEFAULT, ParameterSource.DEFAULT_MAP)
    }
    return load_renderer_settings(path, **given)


@main.command()
@_with_catalog_arguments
@click.option("--template", "template_id", required=True, help="Template id.")
@click.option(
    "--out", type=click.Path(path_type=Path, file_okay=False), help="Write plan files here instead of stdout."
)
def plan(catalog: str | Path, templates_root: Path, aspect: str | None, limit: int | None, columns: Path | None,
         currency: str | None, max_pixels: int, allow_private_urls: bool, fetch_cache: Path, template_id: str,
         out: Path | None, reading: dict[str, Any]) -> None:  # fmt: skip
    """Print one canonical plan JSON per line for each row of CATALOG (a file or URL; no rendering)."""
    fetch = FetchSettings(cache=fetch_cache, allow_private=allow_private_urls)

    def work() -> int:
        path, catalog_options = _open_catalog(catalog, columns, currency, max_pixels, fetch, reading)
        options = RunOptions(
            template_id=template_id, aspects=_aspects(aspect), limit=limit, templates_root=templates_root,  # type: ignore[arg-type]
            catalog=catalog_options,
        )  # fmt: skip
        templates = load_templates(options)
        loaded = load_catalog(path, options.catalog)
        store = LocalStore(out) if out else None
        failed = 0
        for item in plan_rows(loaded, templates, options):
            if not isinstance(item, PlannedRow) and item.status == "skipped":
                log.info("row %d (%s) skipped: %s", item.row, item.sku, item.reason)
            elif not isinstance(item, PlannedRow):
                log.error("%s", item.error)
                failed += 1
            elif store is not None:
                uri = store.put_bytes(
                    f"{item.key_prefix}.plan.json", item.plan.canonical_json().encode(), "application/json"
                )
                log.info("wrote %s", uri)
            else:
                click.echo(item.plan.canonical_json())
        return 1 if failed else 0

    sys.exit(_guard(work))


@main.command()
@click.argument("template", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option(
    "--catalog",
    "catalog",
    required=True,
    callback=lambda c, p, v: _catalog_location(c, p, v),
    help="Catalog (a file or URL) holding the row.",
)
@click.option("--row", "row", required=True, help="The row's SKU (id), or its row number in the file.")
@click.option("--aspect", "aspect", help="Aspect(s): e.g. 9:16, 9:16,1:1 or all (default: the template's first).")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), default=Path("preview"), show_default=True)
@click.option(
    "--columns",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="YAML mapping of canonical column names to this feed's column names.",
)
@click.option("--currency", help="ISO 4217 currency for prices written without one.")
@click.option("--templates", "templates_root", type=click.Path(path_type=Path, file_okay=False),
              help="Templates folder that assets resolve in (default: the template's folder's parent).")  # fmt: skip
@_with_reading_arguments
def preview(template: Path, catalog: str | Path, row: str, aspect: str | None, out: Path, columns: Path | None,
            currency: str | None, templates_root: Path | None, reading: dict[str, Any]) -> None:  # fmt: skip
    """Storyboard PNG and low-resolution draft MP4 of TEMPLATE for one catalog row, in seconds."""
    from generator.planning.assets import AssetResolver
    from generator.planning.plan import compile_plan
    from generator.planning.templates import load_template
    from render.preview import render_preview

    def work() -> int:
        started = time.monotonic()
        loaded_template = load_template(template)
        root = templates_root or template.parent.parent
        fetch = FetchSettings(cache=Path.home() / ".cache" / "adgen" / "fetch")
        path, options = _open_catalog(catalog, columns, currency, 40_000_000, fetch, reading)
        loaded = load_catalog(path, options)
        product = next((p for p in loaded.products if p.sku == row or str(p.row) == row), None)
        if product is None:
            bad = next(
                (e for e in loaded.errors if str(e.context.get("sku")) == row or str(e.context.get("row")) == row), None
            )
            skipped = next((s for s in loaded.skipped if row in (s.sku, str(s.row))), None)
            if bad is None and skipped is not None:
                raise ConfigError(
                    f"row {skipped.row} ({skipped.sku}) is skipped: {skipped.reason}; --include-unavailable shows it"
                )
            raise ConfigError(str(bad) if bad else f"no row {row!r} in {loaded.name} (give a SKU or a row number)")
        declared = loaded_template.spec.canvas.aspects
        chosen = _aspects(aspect)
        aspects = declared if chosen == "all" else (chosen or declared[:1])
        assets = AssetResolver({"catalog": path.parent, "templates": root}, options.fetcher)
        for name in aspects:
            plan = settle_legibility(compile_plan(loaded_template, product, name, root), product, root)
            stem = f"{loaded_template.id}-{safe_name(product.sku)}-{name.replace(':', 'x')}"
            result = render_preview(plan, assets, out, stem)
            click.echo(f"{result.storyboard}\n{result.video}")
        log.info(
            "preview of %s row %s, %d frames, in %.2f s",
            loaded_template.id,
            product.row,
            result.frames,
            time.monotonic() - started,
        )
        return 0

    sys.exit(_guard(work))


@main.group()
def templates() -> None:
    """Inspect templates."""


@templates.command("schema")
def schema() -> None:
    """Print the JSON Schema of the template language (for editors such as VS Code's YAML extension)."""
    click.echo(json.dumps(template_schema(), indent=2, sort_keys=True))


@templates.command("list")
@click.option("--templates", "templates_root", type=click.Path(path_type=Path, file_okay=False),
              default=DEFAULT_TEMPLATES, show_default=True, envvar="ADGEN_TEMPLATES")  # fmt: skip
def list_templates(templates_root: Path) -> None:
    """One template per line: id, version, vertical, aspects, duration range, name."""
    found = _guard(lambda: load_templates(RunOptions(templates_root=templates_root)))
    for template in sorted(found.values(), key=lambda t: t.id):
        spec = template.spec
        click.echo(f"{spec.id}\tv{spec.version}\t{spec.vertical}\t{','.join(spec.canvas.aspects)}\t{spec.name}")


@templates.command("lint")
@click.argument("template", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option(
    "--catalog",
    "catalog",
    callback=lambda c, p, v: None if v is None else _catalog_location(c, p, v),
    help="Check every row of this catalog (a file or URL) through the template, in every aspect.",
)
@click.option(
    "--columns",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="YAML mapping of canonical column names to this feed's column names.",
)
@click.option("--currency", help="ISO 4217 currency for prices written without one.")
@click.option("--templates", "templates_root", type=click.Path(path_type=Path, file_okay=False),
              help="Templates folder that assets resolve in (default: the template's folder's parent).")  # fmt: skip
@_with_reading_arguments
def lint(template: Path, catalog: str | Path | None, columns: Path | None, currency: str | None, templates_root: Path | None,
         reading: dict[str, Any]) -> None:  # fmt: skip
    """Check TEMPLATE and print each problem as file:line:column: severity: message.

    Exits 1 if there is an error, 0 if there are only warnings or nothing.
    """
    from generator.planning.lint import lint_template

    def work() -> int:
        loaded = None
        if catalog is not None:
            fetch = FetchSettings(cache=Path.home() / ".cache" / "adgen" / "fetch")
            path, options = _open_catalog(catalog, columns, currency, 40_000_000, fetch, reading)
            loaded = load_catalog(path, options)
        findings = lint_template(template, loaded, templates_root)
        for finding in findings:
            click.echo(str(finding))
        errors = sum(f.severity == "error" for f in findings)
        click.echo(f"{template}: {errors} error(s), {len(findings) - errors} warning(s)", err=True)
        return 1 if errors else 0

    sys.exit(_guard(work))


def _guard(work: Any) -> Any:
    """Run ``work``; a configuration error ends the program with exit code 2, Ctrl-C with 130."""
    try:
        return work()
    except AdgenError as exc:
        log.error("%s", exc)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        log.error("interrupted")
        sys.exit(130)

"""The commands of template authors: ``adgen plan``, ``adgen preview`` and ``adgen templates``."""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from pathlib import Path
from typing import Any

import click

from generator.core.errors import ConfigError
from generator.orchestration.cli.common import (
    brand_kit_option,
    catalog_location,
    guard,
    log,
    open_catalog,
    parse_aspects,
    render_date_option,
    with_catalog_arguments,
    with_reading_arguments,
)
from generator.orchestration.runs.outputs import plan_key
from generator.orchestration.runs.rows import (
    DEFAULT_TEMPLATES,
    PlannedRow,
    RunOptions,
    load_templates,
    plan_rows,
    settle_legibility,
)
from generator.orchestration.stores.fetch import FetchSettings
from generator.orchestration.stores.store import LocalStore, safe_name
from generator.planning.catalog import load_catalog, stream_catalog
from generator.planning.templates import template_schema


@click.command()
@with_catalog_arguments
@click.option(
    "--template", "template_id", help="Template id (default: chosen per row by its category, vertical or product_type)."
)
@click.option(
    "--fallback-template",
    metavar="ID",
    help="Template for rows that no category, vertical or product_type routes (default: the general vertical's).",
)
@click.option(
    "--out", type=click.Path(path_type=Path, file_okay=False), help="Write plan files here instead of stdout."
)
@render_date_option
@brand_kit_option
def plan(catalog: str | Path, templates_root: Path, aspect: str | None, limit: int | None, columns: Path | None,
         currency: str | None, max_pixels: int, allow_private_urls: bool, fetch_cache: Path, template_id: str | None,
         fallback_template: str | None, out: Path | None, reading: dict[str, Any], render_date: dt.date,
         brand_kit: Path | None) -> None:  # fmt: skip
    """Print one canonical plan JSON per line for each row of CATALOG (a file or URL; no rendering).

    Rows only the fallback template takes are reported as warnings."""
    fetch = FetchSettings(cache=fetch_cache, allow_private=allow_private_urls)

    def work() -> int:
        path, catalog_options = open_catalog(catalog, columns, currency, max_pixels, fetch, reading)
        options = RunOptions(
            template_id=template_id, fallback_template=fallback_template, aspects=parse_aspects(aspect),  # type: ignore[arg-type]
            limit=limit, templates_root=templates_root, catalog=catalog_options, render_date=render_date,
            brand_kit=brand_kit,
        )  # fmt: skip
        templates = load_templates(options)
        loaded = stream_catalog(path, options.catalog)  # planned as it is read: memory stays flat
        store = LocalStore(out) if out else None
        failed = 0
        for item in plan_rows(loaded, templates, options):
            if not isinstance(item, PlannedRow) and item.status == "skipped":
                log.info("row %d (%s) skipped: %s", item.row, item.sku, item.reason)
            elif not isinstance(item, PlannedRow):
                log.error("%s", item.error)
                failed += 1
            elif store is not None:
                key = plan_key(item.template.id, item.product.sku, item.plan)
                uri = store.put_bytes(key, item.plan.canonical_json().encode(), "application/json")
                log.info("wrote %s", uri)
            else:
                click.echo(item.plan.canonical_json())
        return 1 if failed else 0

    sys.exit(guard(work))


@click.command()
@click.argument("template", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option(
    "--catalog",
    "catalog",
    required=True,
    callback=catalog_location,
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
@brand_kit_option
@with_reading_arguments
@render_date_option
def preview(template: Path, catalog: str | Path, row: str, aspect: str | None, out: Path, columns: Path | None,
            currency: str | None, templates_root: Path | None, reading: dict[str, Any], render_date: dt.date,
            brand_kit: Path | None) -> None:  # fmt: skip
    """Storyboard PNG and low-resolution draft MP4 of TEMPLATE for one catalog row, in seconds."""
    from generator.core.images import AssetResolver
    from generator.orchestration.stores.speech import voices
    from generator.planning.plan.compile import compile_plan
    from generator.planning.templates import load_template
    from generator.planning.templates.brand import kit_root
    from render.preview import render_preview

    def work() -> int:
        started = time.monotonic()
        loaded_template = load_template(template, brand_kit=brand_kit)
        root = templates_root or template.parent.parent
        fetch = FetchSettings(cache=Path.home() / ".cache" / "adgen" / "fetch")
        path, options = open_catalog(catalog, columns, currency, 40_000_000, fetch, reading)
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
        chosen = parse_aspects(aspect)
        aspects = declared if chosen == "all" else (chosen or declared[:1])
        assets = AssetResolver({"catalog": path.parent, "templates": root, **kit_root(brand_kit)}, options.fetcher)
        for name in aspects:
            planned = compile_plan(loaded_template, product, name, root, voices(), render_date)
            plan = settle_legibility(planned, product, root, brand_kit)
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

    sys.exit(guard(work))


@click.group()
def templates() -> None:
    """Inspect templates."""


@templates.command("schema")
@click.option("--kit", is_flag=True, help="The schema of brand kit files instead.")
def schema(kit: bool) -> None:
    """Print the JSON Schema of the template language (for editors such as VS Code's YAML extension)."""
    from generator.planning.templates.brand import brand_kit_schema

    click.echo(json.dumps(brand_kit_schema() if kit else template_schema(), indent=2, sort_keys=True))


@templates.command("list")
@click.option("--templates", "templates_root", type=click.Path(path_type=Path, file_okay=False),
              default=DEFAULT_TEMPLATES, show_default=True, envvar="ADGEN_TEMPLATES")  # fmt: skip
def list_templates(templates_root: Path) -> None:
    """One template per line: id, version, vertical, aspects, duration range, name."""
    found = guard(lambda: load_templates(RunOptions(templates_root=templates_root)))
    for template in sorted(found.values(), key=lambda t: t.id):
        spec = template.spec
        click.echo(f"{spec.id}\tv{spec.version}\t{spec.vertical}\t{','.join(spec.canvas.aspects)}\t{spec.name}")


@templates.command("lint")
@click.argument("template", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option(
    "--catalog",
    "catalog",
    callback=lambda c, p, v: None if v is None else catalog_location(c, p, v),
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
@click.option(
    "--fallback-template",
    metavar="ID",
    help="With --catalog: the template for rows no rule routes, as adgen run's (default: the general vertical's).",
)
@click.option("--platform", "platforms", multiple=True, metavar="NAME",
              help="Check each plan against a platform's creative guidance: reels, tiktok, shorts or feed "
                   "(repeat, or a comma list); see docs/platforms.md.")  # fmt: skip
@click.option("--strict-platform", is_flag=True, help="Make --platform findings errors (exit 1), for CI.")
@brand_kit_option
@with_reading_arguments
@render_date_option
def lint(template: Path, catalog: str | Path | None, columns: Path | None, currency: str | None, templates_root: Path | None,
         fallback_template: str | None, platforms: tuple[str, ...], strict_platform: bool, brand_kit: Path | None,
         reading: dict[str, Any], render_date: dt.date) -> None:  # fmt: skip
    """Check TEMPLATE and print each problem as file:line:column: severity: message.

    With --catalog, also warns of each row that no template but the fallback takes. With --platform, warns of
    each platform rule a plan breaks (the worst row and aspect, the measured value, the limit and its source).
    Exits 1 if there is an error, 0 if there are only warnings or nothing.
    """
    from generator.orchestration.stores.speech import voices
    from generator.planning.lint import LegibilityCheck, lint_template
    from generator.planning.platforms import PlatformCheck, platform_names
    from render.legibility_draft import check_on_draft, image_source, remedy_on_draft

    legibility = LegibilityCheck(image_source, remedy_on_draft, check_on_draft)

    def work() -> int:
        check = PlatformCheck(platform_names(platforms), strict_platform) if platforms else None
        loaded = None
        if catalog is not None:
            fetch = FetchSettings(cache=Path.home() / ".cache" / "adgen" / "fetch")
            path, options = open_catalog(catalog, columns, currency, 40_000_000, fetch, reading)
            loaded = load_catalog(path, options)
        findings = lint_template(
            template,
            loaded,
            templates_root,
            legibility=legibility,
            fallback=fallback_template,
            voices=voices(),
            platforms=check,
            today=render_date,
            brand_kit=brand_kit,
        )
        for finding in findings:
            click.echo(str(finding))
        errors = sum(f.severity == "error" for f in findings)
        click.echo(f"{template}: {errors} error(s), {len(findings) - errors} warning(s)", err=True)
        return 1 if errors else 0

    sys.exit(guard(work))

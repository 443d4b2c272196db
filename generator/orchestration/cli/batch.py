"""``adgen batch``: scheduled marketing batches, described by specs in ``batches/*.yaml``."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import fields
from pathlib import Path
from typing import Any

import click
from pydantic import TypeAdapter, ValidationError

from generator.core.errors import ConfigError
from generator.orchestration.batch import DEFAULT_TEMPLATES
from generator.orchestration.batchrun import batch_options, dry_run_lines, new_run_id, run_batch_spec
from generator.orchestration.cli.common import (
    allow_private_urls_option,
    fetch_cache_option,
    guard,
    keyframe_cache_option,
    log,
    open_store,
    preset,
    s3_endpoint_option,
    workers_option,
)
from generator.orchestration.executors import InlineExecutor, ProcessExecutor
from generator.orchestration.fetch import FetchSettings
from generator.orchestration.index import plan_batch
from generator.planning.batches import Batch, batch_problems, batch_schema, load_batch
from generator.planning.templates import discover_templates
from generator.planning.templates.schema import did_you_mean
from render.backends import RendererSettings, renderer_identity


def renderer_settings_of(batch: Batch) -> RendererSettings:
    """The spec's ``renderer`` block as ``RendererSettings`` (planning keeps it a plain mapping, since
    it never imports rendering; this is where it is checked).

    Raises:
        ConfigError: an unknown setting or a value of the wrong type, at its line.
    """
    known = [f.name for f in fields(RendererSettings)]
    for name in batch.spec.renderer:
        if name not in known:
            raise batch.error(f"unknown renderer setting {name!r}" + did_you_mean(name, known), ("renderer", name))
    try:
        return TypeAdapter(RendererSettings).validate_python(batch.spec.renderer)
    except ValidationError as exc:
        problem = exc.errors()[0]
        name = str(problem["loc"][0])
        raise batch.error(f"{name}: {problem['msg'][0].lower()}{problem['msg'][1:]}", ("renderer", name)) from exc


def spec_problems(batch: Batch, templates_root: Path) -> list[ConfigError]:
    """Every reason ``batch`` cannot run here (secrets, templates under ``templates_root``, the local
    catalog, the renderer settings), in the order of the spec's lines."""
    template_ids: set[str] = set()
    if batch.spec.templates != "auto":
        if not templates_root.is_dir():
            raise ConfigError("templates folder not found", path=templates_root)
        template_ids = set(discover_templates(templates_root)[0])
    problems = batch_problems(batch, template_ids, os.environ)
    try:
        renderer_settings_of(batch)
    except ConfigError as exc:
        problems.append(exc)
    return sorted(problems, key=lambda problem: int(str(problem.context.get("line", 0))))


@click.group()
def batch() -> None:
    """Scheduled marketing batches: re-render a catalog's selection through templates, on a schedule."""


@batch.command("schema")
def schema() -> None:
    """Print the JSON Schema of batch specs (for editors such as VS Code's YAML extension)."""
    click.echo(json.dumps(batch_schema(), indent=2, sort_keys=True))


@batch.command("validate")
@click.argument("spec", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--templates", "templates_root", type=click.Path(path_type=Path, file_okay=False),
              default=DEFAULT_TEMPLATES, show_default=True, envvar="ADGEN_TEMPLATES",
              help="Folder of <vertical>/*.yaml templates the spec's template ids are looked up in.")  # fmt: skip
def validate(spec: Path, templates_root: Path) -> None:
    """Check SPEC and what it needs here: its webhook secrets, its templates, its catalog, its renderer.

    Prints each problem as file:line and exits 2, or exits 0 when the batch can run.
    """

    def work() -> int:
        loaded = load_batch(spec)
        problems = spec_problems(loaded, templates_root)
        for problem in problems:
            log.error("%s", problem)
        if problems:
            return 2
        click.echo(f"{spec}: batch {loaded.id} is valid")
        return 0

    sys.exit(guard(work))


@batch.command("run")
@click.argument("spec", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option(
    "--dry-run",
    is_flag=True,
    help="Print each slot's change, the counts and an estimated time; render and write nothing.",
)
@click.option(
    "--templates",
    "templates_root",
    type=click.Path(path_type=Path, file_okay=False),
    default=DEFAULT_TEMPLATES,
    show_default=True,
    envvar="ADGEN_TEMPLATES",
    help="Folder of <vertical>/*.yaml templates.",
)
@click.option(
    "--preset",
    "encode",
    default="medium",
    show_default=True,
    callback=lambda _, __, value: preset(value),
    help="x264 preset; part of every output key, so another preset renders every slot anew.",
)
@workers_option
@keyframe_cache_option
@fetch_cache_option
@allow_private_urls_option
@s3_endpoint_option
def run_command(spec: Path, dry_run: bool, templates_root: Path, encode: Any, workers: int, keyframe_cache: Path,
                fetch_cache: Path, allow_private_urls: bool, s3_endpoint_url: str | None) -> None:  # fmt: skip
    """Render what changed in SPEC's selection since its last run, and record the run in its out store.

    Each slot (product x template x aspect) is new, changed, unchanged, removed or failed against the
    batch's index.json; only new and changed ones are rendered. Exit codes: 0 every slot succeeded,
    1 some slots failed, 2 a bad spec or setting, 3 the run aborted (limits.max_rows, limits.max_failures).
    """

    def work() -> int:
        loaded = load_batch(spec)
        problems = spec_problems(loaded, templates_root)
        for problem in problems:
            log.error("%s", problem)
        if problems:
            return 2
        fetch = FetchSettings(cache=fetch_cache, allow_private=allow_private_urls, endpoint_url=s3_endpoint_url)
        path, options = batch_options(loaded, renderer_settings_of(loaded), fetch, templates_root=templates_root,
                                      encode=encode, keyframe_cache=keyframe_cache)  # fmt: skip
        store = open_store(str(loaded.out), s3_endpoint_url, None, False, None)
        if dry_run:
            identity = renderer_identity(options.renderer)
            for line in dry_run_lines(plan_batch(loaded, path, store, options, identity, new_run_id()), store):
                click.echo(line)
            return 0
        executor = ProcessExecutor(workers) if workers > 1 else InlineExecutor()
        return run_batch_spec(loaded, path, store, options, executor=executor).exit_code

    sys.exit(guard(work))

"""``adgen batch``: scheduled marketing batches, described by specs in ``batches/*.yaml``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from generator.orchestration.batches.index import plan_batch
from generator.orchestration.batches.job import BatchSettings, check_spec, open_batch
from generator.orchestration.batches.run import dry_run_lines, new_run_id, run_batch_spec
from generator.orchestration.cli.common import guard, log, templates_option, with_batch_settings
from generator.orchestration.cli.schedule import list_command, serve, status
from generator.planning.batches import batch_schema
from render.backends import renderer_identity


@click.group()
def batch() -> None:
    """Scheduled marketing batches: re-render a catalog's selection through templates, on a schedule."""


@batch.command("schema")
def schema() -> None:
    """Print the JSON Schema of batch specs (for editors such as VS Code's YAML extension)."""
    click.echo(json.dumps(batch_schema(), indent=2, sort_keys=True))


@batch.command("validate")
@click.argument("spec", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@templates_option
def validate(spec: Path, templates_root: Path) -> None:
    """Check SPEC and what it needs here: its webhook secrets, its templates, its catalog, its renderer.

    Prints each problem as file:line and exits 2, or exits 0 when the batch can run.
    """

    def work() -> int:
        loaded, problems = check_spec(spec, templates_root)
        for problem in problems:
            log.error("%s", problem)
        if loaded is None or problems:
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
@with_batch_settings
def run_command(spec: Path, dry_run: bool, settings: BatchSettings) -> None:
    """Render what changed in SPEC's selection since its last run, and record the run in its out store.

    Each slot (product x template x aspect) is new, changed, unchanged, removed or failed against the
    batch's index.json; only new and changed ones are rendered. Exit codes: 0 every slot succeeded,
    1 some slots failed, 2 a bad spec or setting, 3 the run aborted (limits.max_rows, limits.max_failures).
    """

    def work() -> int:
        loaded, problems = check_spec(spec, settings.templates_root)
        for problem in problems:
            log.error("%s", problem)
        if loaded is None or problems:
            return 2
        opened = open_batch(loaded, settings)
        if dry_run:
            identity = renderer_identity(opened.options.renderer)
            plan = plan_batch(loaded, opened.catalog, opened.store, opened.options, identity, new_run_id())
            for line in dry_run_lines(plan, opened.store):
                click.echo(line)
            return 0
        report = run_batch_spec(
            loaded, opened.catalog, opened.store, opened.options, executor=settings.executor_for(loaded)
        )
        return report.exit_code

    sys.exit(guard(work))


for command in (serve, list_command, status):
    batch.add_command(command)

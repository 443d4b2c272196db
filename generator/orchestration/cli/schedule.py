"""``adgen batch serve``, ``list`` and ``status``: the scheduler, and what it will do and did."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import sys
import threading
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click

from generator.core.errors import ConfigError
from generator.orchestration.batches.job import BatchSettings, check_spec
from generator.orchestration.batches.lease import current_lease
from generator.orchestration.batches.records import RunRecord, recent_runs
from generator.orchestration.batches.scheduler import (
    JOBS_FILE,
    BatchScheduler,
    ServeSettings,
    cron_trigger,
    scheduler_running,
    spec_files,
)
from generator.orchestration.cli.common import guard, log, s3_endpoint_option, templates_option, with_batch_settings
from generator.orchestration.stores.destination import open_store
from generator.orchestration.stores.store import Store
from generator.planning.batches import Batch
from generator.planning.templates.schema import did_you_mean


def default_state() -> Path:
    """``$XDG_STATE_HOME/adgen/scheduler``, or ``~/.local/state/adgen/scheduler``."""
    return Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state") / "adgen" / "scheduler"


folder_argument = click.argument(
    "folder", type=click.Path(path_type=Path, file_okay=False, exists=True), default="batches", required=False
)
state_option = click.option(
    "--state", type=click.Path(path_type=Path, file_okay=False), envvar="ADGEN_SCHEDULER_STATE",
    default=default_state, show_default="$XDG_STATE_HOME/adgen/scheduler",
    help="The scheduler's own folder: its job store (jobs.sqlite) and lock file. One scheduler per folder.",
)  # fmt: skip
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")


@click.command("serve")
@folder_argument
@state_option
@click.option("--owner", help="This scheduler's name in leases and run records  [default: host:pid]")
@click.option(
    "--lease-ttl",
    type=click.IntRange(min=10),
    default=900,
    show_default=True,
    help="Seconds a batch's lease lasts unrenewed (renewed every third of that while the batch runs); "
    "a crashed scheduler's batches are taken over this long after it stopped renewing.",
)
@click.option("--reload-every", type=click.FloatRange(min=0.1), default=30.0, show_default=True,
              help="Seconds between two readings of FOLDER's specs.")  # fmt: skip
@with_batch_settings
def serve(folder: Path, state: Path, owner: str | None, lease_ttl: int, reload_every: float,
          settings: BatchSettings) -> None:  # fmt: skip
    """Run every spec of FOLDER (default: batches) on its schedule, until stopped.

    Specs are read again every --reload-every seconds. Fire times missed while the scheduler was down
    run once when it starts (within each spec's schedule.misfire_grace). Schedulers on other machines
    may serve the same specs: a lease in each batch's store lets one run it at a time. SIGTERM or
    Ctrl-C stop it once running batches finish; a second Ctrl-C stops it at once (exit 130).
    """

    def work() -> int:
        name = owner or f"{socket.gethostname()}:{os.getpid()}"
        serve_settings = ServeSettings(folder, state, settings, name, timedelta(seconds=lease_ttl), reload_every)
        scheduler, stop = BatchScheduler(serve_settings), threading.Event()

        def on_signal(signum: int, frame: object) -> None:
            if stop.is_set():
                raise KeyboardInterrupt
            stop.set()

        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, on_signal)
        scheduler.start()
        log.info("scheduler %s serving %s (state in %s)", name, folder, state)
        stop.wait()
        log.info("stopping: waiting for running batches to finish")
        scheduler.shutdown(wait=True)
        return 0

    sys.exit(guard(work))


def _store(batch: Batch, endpoint_url: str | None) -> Store:
    return open_store(str(batch.out), endpoint_url, None, False, None)


def _stored_fire_times(state: Path) -> dict[str, datetime | None]:
    """Each job's next fire time as the scheduler stored it (None: paused); empty without a job store."""
    path = state / JOBS_FILE
    if not path.exists():
        return {}
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
        try:
            rows = connection.execute("SELECT id, next_run_time FROM apscheduler_jobs").fetchall()
        except sqlite3.Error:
            return {}
    return {job: datetime.fromtimestamp(when, UTC) if when is not None else None for job, when in rows}


def _next_fire(batch: Batch, stored: Mapping[str, datetime | None]) -> datetime | None:
    assert batch.spec.schedule is not None
    zone = ZoneInfo(batch.spec.schedule.timezone)
    if batch.id in stored:
        when = stored[batch.id]
        return when.astimezone(zone) if when is not None else None
    fire_time: datetime | None = cron_trigger(batch.spec.schedule).get_next_fire_time(None, datetime.now(zone))
    return fire_time


def _run_line(record: RunRecord) -> str:
    summary = record.summary
    if summary is None:
        return f"{record.run}  incomplete (crashed, killed or still running)"
    counts = summary.get("counts")
    told = ", ".join(f"{n} {name}" for name, n in counts.items()) if isinstance(counts, dict) else "no counts"
    trigger = summary.get("trigger")
    by = trigger.get("owner") or trigger.get("by") if isinstance(trigger, dict) else None
    return f"{record.run}  {record.status}  {told}  ({summary.get('seconds')} s, by {by or 'command'})"


def _schedule_text(batch: Batch) -> str | None:
    schedule = batch.spec.schedule
    return f"{schedule.cron} {schedule.timezone}" if schedule else None


def _run_json(record: RunRecord) -> dict[str, Any]:
    return {"run": record.run, "status": record.status, "summary": record.summary}


@click.command("list")
@folder_argument
@state_option
@templates_option
@s3_endpoint_option
@json_option
def list_command(folder: Path, state: Path, templates_root: Path, s3_endpoint_url: str | None, as_json: bool) -> None:
    """Show each spec of FOLDER (default: batches): its schedule, next fire time and last run.

    Next fire times are the scheduler's (from --state) when it has one, else the cron's. Exits 2
    when a spec does not check (each problem is printed as file:line).
    """

    def work() -> int:
        stored, running = _stored_fire_times(state), scheduler_running(state)
        rows: list[tuple[Batch, datetime | None, RunRecord | None]] = []
        broken = 0
        for path in spec_files(folder):
            batch, problems = check_spec(path, templates_root)
            for problem in problems:
                log.error("%s", problem)
            if batch is None or problems:
                broken += 1
                continue
            last = recent_runs(_store(batch, s3_endpoint_url), 1)
            next_fire = _next_fire(batch, stored) if batch.spec.schedule else None
            rows.append((batch, next_fire, last[0] if last else None))
        if as_json:
            listed = [
                {"batch": batch.id, "file": str(batch.path), "schedule": _schedule_text(batch),
                 "next_fire": next_fire.isoformat() if next_fire else None,
                 "last_run": _run_json(record) if record else None}
                for batch, next_fire, record in rows
            ]  # fmt: skip
            click.echo(json.dumps({"scheduler_running": running, "batches": listed}, indent=2, sort_keys=True))
        else:
            click.echo(f"scheduler ({state}): {'running' if running else 'not running'}")
            for batch, next_fire, record in rows:
                when = next_fire.isoformat() if next_fire else "-"
                click.echo(f"{batch.id}  [{_schedule_text(batch) or 'no schedule'}]  next: {when}")
                click.echo(f"    last: {_run_line(record) if record else 'never run'}")
        return 2 if broken else 0

    sys.exit(guard(work))


def _find(folder: Path, batch_id: str, templates_root: Path) -> Batch:
    """The spec of ``batch_id`` in ``folder``.

    Raises:
        ConfigError: no spec there has that id.
    """
    ids = []
    for path in spec_files(folder):
        batch, _ = check_spec(path, templates_root)
        if batch is not None and batch.id == batch_id:
            return batch
        ids.extend([batch.id] if batch is not None else [])
    raise ConfigError(f"no spec of batch {batch_id!r}" + did_you_mean(batch_id, ids), path=folder)


@click.command("status")
@click.argument("batch_id", metavar="ID")
@click.option("--dir", "folder", type=click.Path(path_type=Path, file_okay=False, exists=True), default="batches",
              show_default=True, help="The folder of batch specs.")  # fmt: skip
@click.option("--limit", type=click.IntRange(min=1), default=10, show_default=True, help="Runs shown, newest first.")
@state_option
@templates_option
@s3_endpoint_option
@json_option
def status(batch_id: str, folder: Path, limit: int, state: Path, templates_root: Path, s3_endpoint_url: str | None,
           as_json: bool) -> None:  # fmt: skip
    """Show batch ID's recent runs (from its store's run records), its lease and its next fire time."""

    def work() -> int:
        batch = _find(folder, batch_id, templates_root)
        store = _store(batch, s3_endpoint_url)
        runs, lease = recent_runs(store, limit), current_lease(store, batch.id)
        now = datetime.now(UTC)
        held = lease is not None and not lease.free(now)
        next_fire = _next_fire(batch, _stored_fire_times(state)) if batch.spec.schedule else None
        if as_json:
            report = {
                "batch": batch.id, "file": str(batch.path), "out": str(batch.out),
                "next_fire": next_fire.isoformat() if next_fire else None,
                "lease": {"owner": lease.owner, "expires": lease.expires.isoformat()} if held and lease else None,
                "runs": [_run_json(record) for record in runs],
            }  # fmt: skip
            click.echo(json.dumps(report, indent=2, sort_keys=True))
            return 0
        click.echo(f"batch {batch.id} ({batch.path}) -> {batch.out}")
        click.echo(f"next fire: {next_fire.isoformat() if next_fire else '-'}")
        holder = f"held by {lease.owner} until {lease.expires.isoformat()}" if held and lease else "free"
        click.echo(f"lease: {holder}")
        click.echo(f"runs ({len(runs)} latest):" if runs else "runs: none yet")
        for record in runs:
            click.echo(f"  {_run_line(record)}")
        return 0

    sys.exit(guard(work))

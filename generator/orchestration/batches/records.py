"""Reading a batch's run records back: ``runs/<run>/summary.json`` in its store, newest first.

A run id starts with the UTC second the run started (``new_run_id``), so ids sort by start time and
the store's listing alone tells when each run started. A run without a summary crashed, was killed,
or is still going.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from generator.core.errors import StoreError
from generator.orchestration.stores.store import Store

RUNS_PREFIX = "runs/"
_ID_TIME = "%Y%m%dT%H%M%SZ"


def run_started(run: str) -> datetime | None:
    """When ``run`` started, to the second, read from its id (None: not an id ``new_run_id`` made)."""
    try:
        return datetime.strptime(run[:16], _ID_TIME).replace(tzinfo=UTC)
    except ValueError:
        return None


def run_ids(store: Store) -> list[str]:
    """The ids of every run recorded in ``store``, newest first."""
    found = {key[len(RUNS_PREFIX) :].split("/", 1)[0] for key in store.list(RUNS_PREFIX)}
    return sorted((run for run in found if run_started(run) is not None), reverse=True)


@dataclass(frozen=True)
class RunRecord:
    """One run as its records tell it; ``summary`` is None when the run left none (crashed or running)."""

    run: str
    summary: Mapping[str, object] | None

    @property
    def started(self) -> datetime | None:
        return run_started(self.run)

    @property
    def status(self) -> str:
        return str(self.summary.get("status", "unknown")) if self.summary is not None else "incomplete"


def read_run(store: Store, run: str) -> RunRecord:
    """The record of ``run``; an unreadable or missing summary reads as incomplete."""
    try:
        summary = json.loads(store.get_bytes(f"{RUNS_PREFIX}{run}/summary.json"))
    except (StoreError, ValueError):
        return RunRecord(run, None)
    return RunRecord(run, summary if isinstance(summary, dict) else None)


def recent_runs(store: Store, limit: int) -> list[RunRecord]:
    """The ``limit`` latest runs of the batch stored in ``store``, newest first."""
    return [read_run(store, run) for run in run_ids(store)[:limit]]

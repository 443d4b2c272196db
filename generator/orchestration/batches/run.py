"""One incremental run of a batch spec (``adgen batch run``): only what changed since its index is rendered.

1. Read the catalog the spec names and select its products (the spec's ``filter``). A selection of
   more than ``limits.max_rows`` products aborts the run before anything is planned.
2. Plan each selected product through the spec's templates and aspects, and compute each slot's job
   and output key (the renderer's identity is worked out from its settings, without a model).
3. Classify each slot against the batch's index: new, changed, unchanged or failed; an entry no
   longer planned is removed (steps 1 to 3: ``plan_batch`` in ``generator.orchestration.batches.index``).
4. Render the new and changed slots (``render_rows``: an output already stored under its key, say by
   a run that was killed, is not rendered again). Past ``limits.max_failures`` failed slots, stop.
5. Unless the run aborted: replace the index in one atomic write, then, under ``on_removed:
   delete``, delete the removed slots' outputs (never before the new index is stored).
6. Write ``runs/<run>/manifest.jsonl`` (one line per slot, with its ``change``), send the run's
   event to each ``notify`` webhook (a failed delivery is reported, never fails the run) and write
   ``runs/<run>/summary.json``.

Nothing the index names is touched before step 5, so a run killed at any point leaves the previous
index intact, and the next run takes up from what is stored (a run killed between storing the
index and deleting leaves those files in the store, no longer indexed). Under ``on_removed: keep`` a removed
slot's entry stays in the index, marked with the run that found its product gone, and is not
reported again; a product that comes back is ``unchanged`` while its output key still matches.
Older outputs of a changed slot stay in the store, as ``adgen run`` leaves them without ``--replace``.

Exit codes (``BatchReport.exit_code``): 0 every slot succeeded, 1 some slots failed, 3 the run
aborted (``max_rows``, ``max_failures``); a bad spec or setting raises ``ConfigError`` (exit 2).
"""

from __future__ import annotations

import contextlib
import json
import logging
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path

from generator.core.errors import ConfigError
from generator.orchestration.batches.index import (
    INDEX_KEY,
    BatchIndex,
    BatchPlan,
    IndexEntry,
    SlotPlan,
    delete_outputs,
    max_failures_passed,
    plan_batch,
    write_index,
)
from generator.orchestration.batches.records import RUNS_PREFIX, read_run
from generator.orchestration.batches.webhooks import Delivery, WebhookTarget, batch_event, deliver, load_target
from generator.orchestration.executors.local import Executor, load_renderer
from generator.orchestration.runs.progress import Progress
from generator.orchestration.runs.rows import RunOptions
from generator.orchestration.runs.run import render_rows
from generator.orchestration.stores.fetch import Fetcher, FetchSettings
from generator.orchestration.stores.store import Store
from generator.planning.batches import Batch
from generator.planning.catalog import CatalogOptions
from render.backends import Renderer, RendererSettings, renderer_identity
from render.encode import EncodeSettings

log = logging.getLogger(__name__)

DEFAULT_SECONDS_PER_VIDEO = 30.0
"""A dry run's estimate per video before any run of the batch has measured one."""
Send = Callable[[WebhookTarget, Mapping[str, object]], Delivery]


def run_folder(run: str) -> str:
    """Where a run's records go in the batch's store."""
    return f"{RUNS_PREFIX}{run}"


@dataclass(frozen=True)
class BatchReport:
    """What a run did: its slots as it left them, why it aborted (None: it did not), and its summary."""

    plan: BatchPlan
    slots: tuple[SlotPlan, ...]
    aborted: str | None
    summary: Mapping[str, object]

    @property
    def exit_code(self) -> int:
        if self.aborted is not None:
            return 3
        return 1 if any(slot.change == "failed" for slot in self.slots) else 0


def new_run_id() -> str:
    """UTC time and a random suffix: a record's name, unique enough for runs started the same second."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def batch_options(
    batch: Batch,
    renderer: RendererSettings,
    fetch: FetchSettings,
    *,
    templates_root: Path,
    encode: EncodeSettings,
    keyframe_cache: Path | None,
    scheduled: date | None = None,
) -> tuple[Path, RunOptions]:
    """The local catalog file of ``batch`` (fetched when it is a URL) and the options to run it with; templates
    plan for the spec's ``render_date``, else the ``scheduled`` date, else today's UTC date."""
    block, fetcher = batch.spec.catalog, Fetcher(fetch)
    catalog = CatalogOptions(
        column_map=block.columns, default_currency=block.currency, format=block.format, fetcher=fetcher
    )
    source = batch.catalog_source
    if isinstance(source, str):
        path, catalog = fetcher.fetch(source, "catalog"), replace(catalog, base_url=source)
    else:
        path = source
    options = RunOptions(
        aspects=batch.spec.aspects, renderer=renderer, encode=encode, keyframe_cache=keyframe_cache,
        templates_root=templates_root, catalog=catalog, fallback_template=batch.spec.fallback_template,
        render_date=batch.spec.render_date or scheduled or datetime.now(UTC).date(),
        brand_kit=batch.path.parent / batch.spec.brand_kit if batch.spec.brand_kit else None,
    )  # fmt: skip
    return path, options


def run_batch_spec(
    batch: Batch,
    catalog_path: Path,
    store: Store,
    options: RunOptions,
    *,
    renderer: Renderer | None = None,
    executor: Executor | None = None,
    send: Send | None = None,
    environ: Mapping[str, str] | None = None,
    trigger: Mapping[str, object] | None = None,
) -> BatchReport:
    """One incremental run of ``batch`` into ``store`` (see the module docstring).

    Args:
        batch: the loaded spec.
        catalog_path: its catalog, as a local file.
        store: its ``out`` store.
        options: how to plan and render (``batch_options``).
        renderer: a loaded backend to render with (the caller's to close); None loads the one
            ``options.renderer`` names, only if something is to be rendered.
        executor: renders the slots (None: in this process).
        send: delivers the run's event to one webhook (None: ``deliver``, retrying with real waits).
        environ: where webhook secrets are read (None: ``os.environ``).
        trigger: what started the run, recorded in its summary (None: a command).

    Raises:
        ConfigError, CatalogError, StoreError: the run could not start, or its store failed.
    """
    # 1-3. Read, select, plan and classify: nothing is written yet.
    started, started_at = time.monotonic(), datetime.now(UTC)
    targets = [load_target(notify.url, notify.secret_env, environ) for notify in batch.spec.notify]
    identity = renderer.identity if renderer is not None else renderer_identity(options.renderer)
    plan = plan_batch(batch, catalog_path, store, options, identity, new_run_id())
    # 4. Render the new and changed slots.
    slots, aborted, render_seconds = plan.slots, plan.abort, 0.0
    if aborted is None and plan.to_render:
        render_started = time.monotonic()
        slots, aborted = _render(plan, catalog_path, store, options, renderer, executor)
        render_seconds = time.monotonic() - render_started

    # 5. The new index, then the removed outputs' deletion; neither when the run aborted.
    removal: dict[str, object] = {"policy": batch.spec.on_removed, "slots": list(plan.removed)}
    if aborted is None:
        stored = {
            slot.slot: IndexEntry.of(slot.output.keys, slot.output.job.key)
            for slot in slots
            if slot.slot is not None and slot.output is not None and slot.change != "failed"
        }
        now = datetime.now(UTC).isoformat(timespec="seconds")
        write_index(store, plan.index.updated_by(plan.run, now, stored, plan.removed, batch.spec.on_removed))
        if batch.spec.on_removed == "delete":
            removal["deleted"], removal["errors"] = delete_outputs(store, [plan.index.entries[s] for s in plan.removed])

    # 6. The run's records and its event.
    folder = run_folder(plan.run)
    manifest = "".join(line + "\n" for line in _manifest(plan, slots, store))
    manifest_uri = store.put_bytes(f"{folder}/manifest.jsonl", manifest.encode("utf-8"), "application/x-ndjson")
    counts = plan.counts(slots)
    reasons = [slot.result.reason or slot.result.error or "unknown" for slot in slots if slot.change == "failed"]
    event = batch_event(
        "batch.aborted" if aborted else "batch.finished", batch=batch.id, run=plan.run, counts=counts,
        failure_reasons=reasons, manifest_uri=manifest_uri, index_uri=store.uri(INDEX_KEY),
        duration_s=round(time.monotonic() - started, 3),
    )  # fmt: skip
    deliveries = [(send or _deliver)(target, event) for target in targets]
    rendered = sum(1 for slot in slots if slot.result.status == "rendered")
    already = sum(1 for slot in slots if slot.change in ("new", "changed") and slot.result.status == "skipped")
    summary = {
        **{key: event[key] for key in ("batch", "run", "counts", "failures", "manifest_uri", "index_uri")},
        "status": "aborted" if aborted else "finished",
        "aborted": aborted,
        "started": started_at.isoformat(timespec="milliseconds"),
        "finished": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "trigger": dict(trigger or {"by": "command"}),
        "seconds": round(time.monotonic() - started, 3),
        "videos": {"rendered": rendered, "already_stored": already},
        "seconds_per_video": round(render_seconds / rendered, 3) if rendered else previous_pace(store, plan.index),
        "renderer": identity,
        "removed": removal,
        "webhooks": [asdict(delivery) for delivery in deliveries],
    }  # fmt: skip
    data = json.dumps(summary, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    store.put_bytes(f"{folder}/summary.json", data.encode("utf-8"), "application/json")
    log.info(
        "batch %s run %s %s: %d new, %d changed, %d unchanged, %d removed (%s), %d failed; %d rendered in %.1f s",
        batch.id, plan.run, summary["status"], counts.new, counts.changed, counts.unchanged, counts.removed,
        batch.spec.on_removed, counts.failed, rendered, summary["seconds"],
    )  # fmt: skip
    if aborted:
        log.error("batch %s run %s aborted: %s", batch.id, plan.run, aborted)
    return BatchReport(plan, slots, aborted, summary)


def _render(
    plan: BatchPlan,
    catalog_path: Path,
    store: Store,
    options: RunOptions,
    renderer: Renderer | None,
    executor: Executor | None,
) -> tuple[tuple[SlotPlan, ...], str | None]:
    """Step 4: the slots with the results of rendering the new and changed ones, and why rendering stopped early."""
    slots = list(plan.slots)
    todo = [i for i, slot in enumerate(slots) if slot.change in ("new", "changed")]
    rows = [output.row for i in todo if (output := slots[i].output) is not None]
    failed = sum(1 for slot in slots if slot.change == "failed")
    roots = {"catalog": catalog_path.parent, "templates": options.templates_root}
    with contextlib.ExitStack() as stack:
        backend = renderer or stack.enter_context(contextlib.closing(load_renderer(options.renderer, executor)))
        if backend.identity != plan.identity:
            raise ConfigError(
                "the loaded renderer's identity is not the one its settings give", identity=backend.identity,
                expected=plan.identity,
            )  # fmt: skip
        advance = stack.enter_context(Progress(len(rows)))
        results = stack.enter_context(contextlib.closing(render_rows(rows, roots, store, options, backend, executor)))
        for done in results:
            slot = slots[todo[done.index]]
            change = "failed" if done.result.status == "failed" else slot.change
            slots[todo[done.index]] = replace(slot, change=change, result=done.result)
            advance(done.result)
            failed += change == "failed"
            if (why := max_failures_passed(failed, plan.batch.spec.limits.max_failures)) is not None:
                return tuple(slots), why
    return tuple(slots), None


def _deliver(target: WebhookTarget, event: Mapping[str, object]) -> Delivery:
    return deliver(target, event, clock=time.time)


def _manifest(plan: BatchPlan, slots: Sequence[SlotPlan], store: Store) -> list[str]:
    """The run's manifest lines: its slots in catalog order, then the removed ones."""
    lines = [slot.line() for slot in slots]
    for name in plan.removed:
        entry = plan.index.entries[name]
        line = {"slot": name, "change": "removed", "on_removed": plan.batch.spec.on_removed,
                "output_key": entry.output_key, "video": store.uri(entry.video), "poster": store.uri(entry.poster),
                "job": store.uri(entry.job)}  # fmt: skip
        lines.append(json.dumps(line, sort_keys=True, ensure_ascii=False))
    return lines


def previous_pace(store: Store, index: BatchIndex) -> float | None:
    """Seconds per video measured by the run that stored ``index`` (carried over by runs that rendered none)."""
    if index.run is None:
        return None
    pace = (read_run(store, index.run).summary or {}).get("seconds_per_video")
    return float(pace) if isinstance(pace, (int, float)) else None


def dry_run_lines(plan: BatchPlan, store: Store) -> list[str]:
    """What ``--dry-run`` prints: each slot's change, the counts and the estimated rendering time."""
    lines = []
    for slot in plan.slots:
        where = slot.slot or f"row {slot.result.row} {slot.result.sku}".rstrip()
        lines.append(f"{slot.change:9} {where}" + (f"  ({slot.result.reason})" if slot.change == "failed" else ""))
    lines.extend(f"{'removed':9} {name}  (on_removed: {plan.batch.spec.on_removed})" for name in plan.removed)
    counts = plan.counts()
    lines.append(
        f"{counts.new} new, {counts.changed} changed, {counts.unchanged} unchanged, {counts.removed} removed, "
        f"{counts.failed} failed"
    )
    if plan.abort is not None:
        lines.append(f"the run would abort: {plan.abort}")
        return lines
    pace = previous_pace(store, plan.index)
    source = f"measured by run {plan.index.run}" if pace is not None else "a default; no run has measured one yet"
    pace = pace if pace is not None else DEFAULT_SECONDS_PER_VIDEO
    videos = len(plan.to_render)
    lines.append(f"estimated time: {videos} videos x {pace:.1f} s ({source}) = {videos * pace:.0f} s")
    return lines

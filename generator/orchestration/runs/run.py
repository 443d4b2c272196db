"""Batches: every catalog row x aspect planned (``generator.orchestration.runs.rows``), rendered, checked and
stored, with a manifest.

Each planned row becomes a job (``generator.orchestration.runs.jobs``) whose key names its outputs
(``generator.orchestration.runs.outputs``); an output already stored under that key is skipped, and
its manifest line describes the stored job. A failing row is reported in the manifest and the log;
the rest of the batch goes on.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import logging
import shutil
import tempfile
import time
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from generator.core.errors import AdgenError
from generator.core.images import AssetResolver
from generator.orchestration.executors.local import (
    Delivery,
    Executor,
    InlineExecutor,
    Job,
    Outcome,
    RemoteExecutor,
    RenderSetup,
    Workbench,
    deliver,
    load_renderer,
)
from generator.orchestration.runs.jobs import RenderJob, make_job
from generator.orchestration.runs.manifest import RowResult, RunReport, write_manifest, write_summary
from generator.orchestration.runs.outputs import OutputKeys, StoredOutputs, retire, stored_job
from generator.orchestration.runs.progress import Progress
from generator.orchestration.runs.rows import PlannedRow, RunOptions, load_templates, plan_rows
from generator.orchestration.stores.fetch import Fetcher
from generator.orchestration.stores.keyframes import StoreKeyframes
from generator.orchestration.stores.speech import clip_source, speech_cache
from generator.orchestration.stores.store import Store
from generator.planning.catalog import load_catalog
from generator.planning.templates.brand import kit_root
from render.backends import Renderer, RendererSettings
from render.encode import EncodeSettings
from render.motion import VideoModel
from render.motion.service import MotionService, motion_service

log = logging.getLogger(__name__)

_MANIFEST_INTERVAL = 10.0  # seconds between manifest rewrites during a run


def run_batch(
    catalog_path: Path,
    store: Store,
    options: RunOptions,
    *,
    renderer: Renderer | None = None,
    executor: Executor | None = None,
) -> RunReport:
    """Render a whole catalog into ``store``; ``renderer`` defaults to the backend ``options`` name
    (loaded and closed here; a renderer given as an object is the caller's to close).

    Rows are rendered by ``render_rows``. The manifest (in catalog order, rewritten every few seconds
    while the run goes on) and a run summary go to the store.

    Raises:
        ConfigError, CatalogError: nothing can be run (bad options, unreadable catalog).
    """
    started = time.monotonic()
    templates = load_templates(options)
    catalog = load_catalog(catalog_path, options.catalog)
    items = list(plan_rows(catalog, templates, options))
    roots = {"catalog": catalog_path.parent, "templates": options.templates_root, **kit_root(options.brand_kit)}
    results: dict[int, RowResult] = {}
    workers: dict[str, float] = {}  # each rendering process's peak memory (MB)
    with contextlib.ExitStack() as stack:
        backend = renderer or stack.enter_context(contextlib.closing(load_renderer(options.renderer, executor)))
        advance = stack.enter_context(Progress(len(items)))
        last_manifest = time.monotonic()
        try:
            for done in render_rows(items, roots, store, options, backend, executor):
                results[done.index] = done.result
                if done.worker:
                    workers[done.worker] = max(workers.get(done.worker, 0.0), done.worker_rss)
                advance(done.result)
                if time.monotonic() - last_manifest > _MANIFEST_INTERVAL:
                    write_manifest(store, [results[i] for i in sorted(results)])
                    last_manifest = time.monotonic()
        finally:
            ordered = [results[i] for i in sorted(results)]
            write_manifest(store, ordered)
            identity = getattr(backend, "identity", backend.name)
            write_summary(store, ordered, time.monotonic() - started, identity, workers, catalog.source)
    return RunReport(tuple(results[i] for i in sorted(results)), round(time.monotonic() - started, 3))


@dataclass(frozen=True)
class Finished:
    """What became of ``items[index]`` in ``render_rows``, and the peak memory so far (MB) of the process
    that rendered it (``worker``: ``host:pid``; empty when nothing was rendered)."""

    index: int
    result: RowResult
    worker_rss: float = 0.0
    worker: str = ""


def render_rows(
    items: Sequence[PlannedRow | RowResult],
    roots: Mapping[str, Path],
    store: Store,
    options: RunOptions,
    backend: Renderer,
    executor: Executor | None = None,
) -> Generator[Finished, None, None]:
    """Render ``items``' planned rows with ``backend`` and store their outputs; yields each item's result.

    Failed and unavailable rows (``RowResult`` items) and rows whose video is already stored (the
    store is listed once; unless ``options.force``) come first, in order; rendered rows follow as
    they finish. With a cacheable backend, the keyframes of all the rows still to render are
    prepared first, each distinct one rendered once. Rows are rendered by ``executor`` (None: an
    ``InlineExecutor``, in this process); their outputs are stored from this process. Closing the
    iterator early stops the run: rows in flight are abandoned, and nothing of theirs is stored.
    """
    from render.compose import keyframe_requests
    from render.keyframes import KeyframeCache, KeyframeService

    encode = options.encode or EncodeSettings()
    with tempfile.TemporaryDirectory(prefix="adgen-") as scratch:
        fetcher = options.catalog.fetcher
        assets = AssetResolver(dict(roots), fetcher)
        stored = StoredOutputs(() if options.force else store.list())
        identity = getattr(backend, "identity", backend.name)
        planned = {i: item for i, item in enumerate(items) if isinstance(item, PlannedRow)}
        jobs = {i: make_job(row.plan, options.renderer, identity, encode, roots) for i, row in planned.items()}
        keys = {i: OutputKeys.of(row.template.id, row.product.sku, jobs[i]) for i, row in planned.items()}
        done = {i: job for i, k in keys.items() if stored.has(k) and (job := stored_job(store, k)) is not None}
        todo = {i: row for i, row in planned.items() if i not in done}

        # Without a keyframe cache, keyframes still live on disk for the run: derived ones need their bases.
        cache_folder = options.keyframe_cache or Path(scratch) / "keyframes"
        remote = executor.keyframe_store if isinstance(executor, RemoteExecutor) else None  # every node reads it
        cache = StoreKeyframes(remote.open()) if remote is not None else KeyframeCache(cache_folder)
        keyframes = KeyframeService(backend, cache, retries=options.keyframe_retries)
        if keyframes.cache is not None and todo:
            try:
                keyframes.prepare(
                    r for row in todo.values() for r in keyframe_requests(row.plan, assets, backend.roles)
                )
                log.info("keyframes ready: %d rendered by %s", keyframes.backend_calls, backend.name)
            except AdgenError as exc:
                log.warning("preparing keyframes together failed (%s); rendering row by row", exc)
        loader = _video_loader(options.renderer, executor)
        motion = motion_service(options.renderer, cache, strict=options.motion_strict, load=loader)
        prepared = _prepared_clips(motion, todo, keyframes, assets)
        setup = RenderSetup(
            renderer=options.renderer, name=backend.name, identity=keyframes.identity, cacheable=backend.cacheable,
            roles=backend.roles, keyframe_cache=cache_folder, keyframe_retries=options.keyframe_retries,
            roots=dict(roots), encode=encode, fetch=fetcher.settings if isinstance(fetcher, Fetcher) else None,
            keyframe_store=remote, speech_cache=speech_cache(options.keyframe_cache), motion_strict=options.motion_strict,
            motion_refused=motion.refused,
        )  # fmt: skip
        bench = Workbench(keyframes, assets, encode, clip_source(speech_cache(options.keyframe_cache)), motion)
        output = _Output(store, stored, options.presign, options.replace)

        for index, item in enumerate(items):
            if isinstance(item, RowResult):
                yield Finished(index, _logged(item))
            elif index not in todo:
                yield Finished(index, output.skipped(item, keys[index], done[index]))
        work = {
            index: Job(index, row.plan, Path(scratch) / f"job-{index}", _delivery(row, jobs[index], keys[index]))
            for index, row in todo.items()
        }
        try:
            for outcome in (executor or InlineExecutor()).run(setup, bench, list(work.values())):
                i = outcome.index
                result = output.rendered(
                    todo[i], jobs[i], keys[i], replace(outcome, motion=prepared.get(i, outcome.motion)), work[i]
                )
                yield Finished(i, _logged(result), outcome.peak_rss_mb, outcome.worker)
        finally:
            motion.close()


def _video_loader(settings: RendererSettings, executor: Executor | None) -> Callable[[], VideoModel] | None:
    """How the run loads the video model ``settings`` name: on the remote executor's cluster, else None (here)."""
    if isinstance(executor, RemoteExecutor):
        return functools.partial(executor.video_model, settings)
    return None


def _prepared_clips(
    motion: MotionService, rows: Mapping[int, PlannedRow], keyframes: Renderer, assets: AssetResolver
) -> dict[int, tuple[dict[str, object], ...]]:
    """Make the clips of ``rows``' moving shots before any row is rendered (``MotionService.prepare``), and
    each row's motion reports, by index; on failure, rows make their own clips (and report it)."""
    from render.video import scenes

    moving = [(index, row.plan) for index, row in rows.items() if row.plan.moving]
    if not moving or not motion.generates:
        return {}
    try:
        reports = motion.prepare([plan for _, plan in moving], lambda plan: scenes(plan, keyframes, assets))
    except AdgenError as exc:
        log.warning("preparing clips together failed (%s); each row makes its own", exc)
        return {}
    finally:
        motion.close()  # the model's memory goes back before the rows are rendered
    log.info("clips ready: %d generated", sum(r.status == "generated" for found in reports.values() for r in found))
    return {moving[n][0]: tuple(report.to_json() for report in found) for n, found in reports.items()}


def _delivery(row: PlannedRow, job: RenderJob, keys: OutputKeys) -> Delivery:
    """Where ``row``'s files go in the store, with the metadata each carries."""
    metadata = {
        "output-key": job.key, "plan-hash": row.plan.sha256, "template": row.template.id,
        "template-version": str(row.template.spec.version), "sku": row.product.sku, "aspect": row.plan.aspect,
    }  # fmt: skip
    return Delivery(keys.job, keys.poster, keys.video, job.to_json().encode("utf-8"), metadata, keys.captions)


def _logged(result: RowResult) -> RowResult:
    if result.status == "failed":
        log.error("%s", result.error)
    return result


class _Output:
    """Stores rendered rows and describes skipped ones, retiring older outputs of their slot when replacing."""

    def __init__(self, store: Store, stored: StoredOutputs, presign: int | None, replace_older: bool) -> None:
        self.store, self.stored, self.presign, self.replace_older = store, stored, presign, replace_older

    def _described(self, base: RowResult, keys: OutputKeys, job: RenderJob) -> RowResult:
        store = self.store
        video_url = poster_url = None
        if self.presign is not None:
            video_url, poster_url = store.url(keys.video, self.presign), store.url(keys.poster, self.presign)
        retired: tuple[str, ...] = ()
        if self.replace_older:
            try:
                retired = retire(store, self.stored, keys)
            except AdgenError as exc:
                log.warning("could not retire the older outputs of %s: %s", keys.slot, exc)
        return replace(
            base, video=store.uri(keys.video), poster=store.uri(keys.poster), job=store.uri(keys.job),
            output_key=job.key, renderer=job.renderer_identity, encode=dataclasses.asdict(job.encode),
            retired=retired or None, video_url=video_url, poster_url=poster_url,
            captions=tuple(store.uri(key) for key in keys.captions) or None,
        )  # fmt: skip

    def skipped(self, row: PlannedRow, keys: OutputKeys, job: RenderJob) -> RowResult:
        """The manifest line of a row whose output is stored: it describes that output's ``job``."""
        return self._described(replace(row.result(), status="skipped"), keys, job)

    def rendered(self, row: PlannedRow, job: RenderJob, keys: OutputKeys, outcome: Outcome, work: Job) -> RowResult:
        """Store a rendered row's job, poster and video (the video last), or record why it failed."""
        plan, store = row.plan, self.store
        base = replace(row.result(), keyframe_retries=outcome.keyframe_retries)
        where = f"row {row.product.row} ({row.template.id}, {plan.aspect})"
        try:
            if outcome.error is not None:
                return replace(base, status="failed", error=f"{where}: {outcome.error}", reason=outcome.reason)
            if not outcome.stored:
                try:
                    deliver(work, store)
                except AdgenError as exc:
                    return replace(base, status="failed", error=f"{where}: {exc}", reason=exc.message)
        finally:
            shutil.rmtree(work.folder, ignore_errors=True)
        rendered = replace(
            base, status="rendered", fidelity=outcome.fidelity, seconds=outcome.seconds,
            legibility=outcome.legibility or None, audio=outcome.audio or None, motion=outcome.motion or None,
        )  # fmt: skip
        return self._described(rendered, keys, job)

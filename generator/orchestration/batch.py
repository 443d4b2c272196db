"""Batches: every catalog row x aspect planned, rendered, checked and stored, with a manifest.

Outputs of a row go to ``<template>/<sku>/<aspect>-<plan hash 12>.{plan.json,jpg,mp4}``; the
MP4 is stored last, so its presence means the row is complete, and a re-run skips it. A failing
row is reported in the manifest and the log; the rest of the batch goes on.
"""

from __future__ import annotations

import collections
import json
import logging
import resource
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from generator.core.errors import AdgenError, ConfigError
from generator.orchestration.executors import Executor, InlineExecutor, Job, Outcome, ProcessExecutor, RenderSetup
from generator.orchestration.progress import Progress
from generator.orchestration.store import MANIFEST_KEY, SUMMARY_KEY, Store, safe_name
from generator.planning.assets import AssetResolver
from generator.planning.catalog import Catalog, CatalogOptions, CatalogSource, Product, SkippedRow, load_catalog
from generator.planning.plan import ShotPlan, compile_plan
from generator.planning.templates import Template, discover_templates, iter_templates_for

if TYPE_CHECKING:
    from render.encode import EncodeSettings
from render.backends import Renderer, RendererSettings

log = logging.getLogger(__name__)

DEFAULT_TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
_MANIFEST_INTERVAL = 10.0  # seconds between manifest rewrites during a run


@dataclass(frozen=True)
class RunOptions:
    """What to run: template (None: chosen per row), aspects (None: each template's first; ``all``:
    every declared one), how many catalog rows, the keyframe backend, where cached keyframes live
    (None: no disk cache) and how often a failing keyframe is retried, the encoder's settings (None:
    its defaults),
    whether to render rows again that are already stored (``force``), how long the presigned links
    in the manifest last (``presign`` seconds; None: no links), how many worker processes render
    rows, and where templates live."""

    template_id: str | None = None
    aspects: tuple[str, ...] | Literal["all"] | None = None
    limit: int | None = None
    renderer: RendererSettings = field(default_factory=RendererSettings)
    encode: EncodeSettings | None = None
    keyframe_cache: Path | None = None
    keyframe_retries: int = 2
    force: bool = False
    presign: int | None = None
    workers: int = 1
    templates_root: Path = DEFAULT_TEMPLATES
    catalog: CatalogOptions = field(default_factory=CatalogOptions)


@dataclass(frozen=True)
class RowResult:
    """One manifest line: a catalog row in one aspect, and what became of it."""

    row: int
    sku: str
    status: Literal["rendered", "skipped", "failed", "planned"]
    template: str | None = None
    template_version: int | None = None
    aspect: str | None = None
    plan_hash: str | None = None
    video: str | None = None
    poster: str | None = None
    plan: str | None = None
    duration: float | None = None
    frames: int | None = None
    seconds: float | None = None
    renderer: str | None = None
    keyframe_retries: int | None = None
    fidelity: dict[str, float] | None = (
        None  # worst mean difference of each layer kind from its reference, 8-bit levels
    )
    legibility: tuple[dict[str, str | float], ...] | None = (
        None  # remedies given to texts on the keyframes at render time
    )
    video_url: str | None = None
    poster_url: str | None = None
    error: str | None = None
    reason: str | None = None  # the error without where it happened, to group failures by
    warnings: int | None = None  # how many adjustments the plan records (texts shortened to fit), 0 when none
    warning_messages: tuple[str, ...] | None = None

    def to_json(self) -> str:
        return json.dumps({k: v for k, v in asdict(self).items() if v is not None}, sort_keys=True, ensure_ascii=False)


@dataclass(frozen=True)
class RunReport:
    results: tuple[RowResult, ...]
    seconds: float = 0.0

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def exit_code(self) -> int:
        """0 when every row succeeded, 1 when any failed."""
        return 1 if self.count("failed") else 0


@dataclass(frozen=True)
class PlannedRow:
    product: Product
    template: Template
    plan: ShotPlan

    def result(self) -> RowResult:
        """This row's manifest line before rendering (status ``planned``)."""
        warnings = tuple(
            f"shot {shot}, {layer.field}: text shortened to fit its box: {layer.text!r}"
            for shot, layer in self.plan.shortened_texts()
        )
        return RowResult(
            row=self.product.row, sku=self.product.sku, status="planned", template=self.template.id,
            template_version=self.template.spec.version, aspect=self.plan.aspect, plan_hash=self.plan.sha256,
            duration=round(self.plan.duration, 3), frames=self.plan.frames,
            warnings=len(warnings), warning_messages=warnings or None,
        )  # fmt: skip

    @property
    def key_prefix(self) -> str:
        aspect = self.plan.aspect.replace(":", "x")
        return f"{self.template.id}/{safe_name(self.product.sku)}/{aspect}-{self.plan.sha256[:12]}"


def load_templates(options: RunOptions) -> dict[str, Template]:
    """Templates under ``options.templates_root``; a broken template is logged, or fatal when it is the one asked for.

    Raises:
        ConfigError: no templates, or the requested template is missing or broken.
    """
    if not options.templates_root.is_dir():
        raise ConfigError(f"templates folder not found: {options.templates_root}")
    templates, errors = discover_templates(options.templates_root)
    for error in errors:
        log.warning("skipping broken template: %s", error)
    if options.template_id is not None and options.template_id not in templates:
        broken = "".join(f"\n  broken: {error}" for error in errors)
        raise ConfigError(
            f"unknown template {options.template_id!r}; available: {', '.join(sorted(templates)) or 'none'}{broken}"
        )
    if not templates:
        raise ConfigError(f"no usable templates in {options.templates_root}")
    return templates


def plan_rows(
    catalog: Catalog, templates: dict[str, Template], options: RunOptions
) -> Iterator[PlannedRow | RowResult]:
    """Plans for each good row x aspect, a failed ``RowResult`` for each row that cannot be planned, and a
    skipped one, with its reason, for each row that is not for sale."""
    rows = catalog.rows()
    if options.limit is not None:
        rows = rows[: options.limit]
    for item in rows:
        if isinstance(item, SkippedRow):
            yield RowResult(row=item.row, sku=item.sku, status="skipped", reason=item.reason)
            continue
        if not isinstance(item, Product):
            row, sku = int(str(item.context["row"])), str(item.context.get("sku", ""))
            yield RowResult(row=row, sku=sku, status="failed", error=str(item), reason=item.message)
            continue
        try:
            template = _choose_template(item, templates, options)
        except AdgenError as exc:
            yield RowResult(
                row=item.row,
                sku=item.sku,
                status="failed",
                error=f"{catalog.name} row {item.row}: {exc}",
                reason=exc.message,
            )
            continue
        aspects = (
            template.spec.canvas.aspects
            if options.aspects == "all"
            else (options.aspects or template.spec.canvas.aspects[:1])
        )
        for aspect in aspects:
            try:
                plan = compile_plan(template, item, aspect, options.templates_root)
            except AdgenError as exc:
                yield RowResult(
                    row=item.row, sku=item.sku, status="failed", template=template.id,
                    template_version=template.spec.version, aspect=aspect,
                    error=f"{catalog.name} row {item.row}: {exc}", reason=exc.message,
                )  # fmt: skip
                continue
            yield PlannedRow(item, template, settle_legibility(plan, item, options.templates_root))


def settle_legibility(plan: ShotPlan, product: Product, templates_root: Path) -> ShotPlan:
    """``plan`` with the remedy of each ``auto`` text that lacks contrast on the draft backgrounds
    recorded in it; a model's keyframes are measured again when the video is rendered."""
    if not plan.auto_legibility:
        return plan
    from render.legibility import image_source, remedy_on_draft  # composites frames: loaded only when asked

    return remedy_on_draft(plan, image_source((product.image,), templates_root))


def _choose_template(product: Product, templates: dict[str, Template], options: RunOptions) -> Template:
    if options.template_id is not None:
        return templates[options.template_id]
    for template in iter_templates_for(templates, product.vertical, product.product_type):
        return template
    raise ConfigError(
        f"no template for vertical {product.vertical!r} / product_type {product.product_type!r}; "
        "pass --template or add a 'vertical' column"
    )


def run_batch(catalog_path: Path, store: Store, options: RunOptions, *, renderer: Renderer | None = None) -> RunReport:
    """Render a whole catalog into ``store``; ``renderer`` defaults to the backend ``options`` name.

    Rows whose video is already stored are skipped (the store is listed once), unless
    ``options.force``. With a cacheable backend, the keyframes of all the rows still to render are
    prepared first, each distinct one rendered once. Rows are rendered by ``options.workers``
    processes (in this process when 1, or when ``renderer`` is given as an object); their outputs
    are stored from this process as they finish. The manifest (in catalog order) and a run summary
    go to the store.

    Raises:
        ConfigError, CatalogError: nothing can be run (bad options, unreadable catalog).
    """
    from render.backends import get_renderer  # render is imported only when rendering
    from render.compose import keyframe_requests
    from render.encode import EncodeSettings
    from render.keyframes import KeyframeCache, KeyframeService

    started = time.monotonic()
    encode = options.encode or EncodeSettings()
    templates = load_templates(options)
    catalog = load_catalog(catalog_path, options.catalog)
    items = list(plan_rows(catalog, templates, options))
    backend = renderer or get_renderer(options.renderer)
    roots = {"catalog": catalog_path.parent, "templates": options.templates_root}
    fetcher = options.catalog.fetcher
    assets = AssetResolver(roots, fetcher)
    stored = set() if options.force else {key for key in store.list() if key.endswith(".mp4")}
    todo = {
        i: item
        for i, item in enumerate(items)
        if isinstance(item, PlannedRow) and f"{item.key_prefix}.mp4" not in stored
    }

    results: dict[int, RowResult] = {}
    worker_rss = 0.0
    last_manifest = time.monotonic()
    with Progress(len(items)) as advance, tempfile.TemporaryDirectory(prefix="adgen-") as scratch:
        # Without a keyframe cache, keyframes still live on disk for the run: derived ones need their bases.
        cache_folder = options.keyframe_cache or Path(scratch) / "keyframes"
        keyframes = KeyframeService(backend, KeyframeCache(cache_folder), retries=options.keyframe_retries)
        if keyframes.cache is not None and todo:
            try:
                keyframes.prepare(
                    r for row in todo.values() for r in keyframe_requests(row.plan, assets, backend.roles)
                )
                log.info("keyframes ready: %d rendered by %s", keyframes.backend_calls, backend.name)
            except AdgenError as exc:
                log.warning("preparing keyframes together failed (%s); rendering row by row", exc)
        workers = min(options.workers, len(todo))
        executor: Executor
        if workers > 1 and renderer is None:
            setup = RenderSetup(
                renderer=options.renderer, name=backend.name, identity=keyframes.identity, cacheable=backend.cacheable,
                roles=backend.roles, keyframe_cache=cache_folder, keyframe_retries=options.keyframe_retries,
                roots=roots, encode=encode, fetch=fetcher.settings if fetcher is not None else None,
            )  # fmt: skip
            executor = ProcessExecutor(workers, setup)
            log.info("rendering %d videos in %d worker processes", len(todo), workers)
        else:
            executor = InlineExecutor(keyframes, assets, encode)

        def record(index: int, result: RowResult) -> None:
            nonlocal last_manifest
            if result.status == "failed":
                log.error("%s", result.error)
            results[index] = result
            advance(result)
            if time.monotonic() - last_manifest > _MANIFEST_INTERVAL:
                write_manifest(store, [results[i] for i in sorted(results)])
                last_manifest = time.monotonic()

        try:
            for index, item in enumerate(items):
                if isinstance(item, RowResult):
                    record(index, item)
                elif index not in todo:
                    record(index, _skipped(item, store, options.presign))
            jobs = {index: Job(index, row.plan, Path(scratch) / f"job-{index}") for index, row in todo.items()}
            for outcome in executor.run(list(jobs.values())):
                worker_rss = max(worker_rss, outcome.peak_rss_mb)
                result = _store_row(todo[outcome.index], outcome, jobs[outcome.index], store, options.presign)
                record(outcome.index, replace(result, renderer=keyframes.identity))
        finally:
            ordered = [results[i] for i in sorted(results)]
            write_manifest(store, ordered)
            write_summary(store, ordered, time.monotonic() - started, keyframes.identity, worker_rss, catalog.source)
            close = getattr(backend, "close", None)
            if close is not None:
                close()
    return RunReport(tuple(results[i] for i in sorted(results)), round(time.monotonic() - started, 3))


def _keys(row: PlannedRow) -> tuple[str, str, str]:
    """(video, poster, plan) keys of ``row``."""
    prefix = row.key_prefix
    return f"{prefix}.mp4", f"{prefix}.jpg", f"{prefix}.plan.json"


def _links(row: PlannedRow, store: Store, presign: int | None) -> RowResult:
    video_key, poster_key, _ = _keys(row)
    base = row.result()
    if presign is None:
        return base
    return replace(base, video_url=store.url(video_key, presign), poster_url=store.url(poster_key, presign))


def _skipped(row: PlannedRow, store: Store, presign: int | None) -> RowResult:
    video_key, poster_key, plan_key = _keys(row)
    base = _links(row, store, presign)
    return replace(
        base, status="skipped", video=store.uri(video_key), poster=store.uri(poster_key), plan=store.uri(plan_key)
    )


def _store_row(row: PlannedRow, outcome: Outcome, job: Job, store: Store, presign: int | None) -> RowResult:
    """Store a rendered row's plan, poster and video (the video last), or record why it failed."""
    plan = row.plan
    video_key, poster_key, plan_key = _keys(row)
    base = replace(row.result(), keyframe_retries=outcome.keyframe_retries)
    where = f"row {row.product.row} ({row.template.id}, {plan.aspect})"
    try:
        if outcome.error is not None:
            return replace(base, status="failed", error=f"{where}: {outcome.error}", reason=outcome.reason)
        metadata = {
            "plan-hash": plan.sha256, "template": row.template.id, "template-version": str(row.template.spec.version),
            "sku": row.product.sku, "aspect": plan.aspect,
        }  # fmt: skip
        try:
            plan_uri = store.put_bytes(plan_key, plan.canonical_json().encode("utf-8"), "application/json", metadata)
            poster_uri = store.put_file(poster_key, job.poster, "image/jpeg", metadata)
            video_uri = store.put_file(video_key, job.video, "video/mp4", metadata)
        except AdgenError as exc:
            return replace(base, status="failed", error=f"{where}: {exc}", reason=exc.message)
    finally:
        shutil.rmtree(job.folder, ignore_errors=True)
    linked = _links(row, store, presign)
    return replace(
        base, status="rendered", video=video_uri, poster=poster_uri, plan=plan_uri, fidelity=outcome.fidelity,
        video_url=linked.video_url, poster_url=linked.poster_url, seconds=outcome.seconds, legibility=outcome.legibility or None,
    )  # fmt: skip


def write_manifest(store: Store, results: list[RowResult]) -> None:
    """Replace the manifest with one JSON line per result (atomically)."""
    data = "".join(r.to_json() + "\n" for r in results).encode("utf-8")
    store.put_bytes(MANIFEST_KEY, data, "application/x-ndjson")


def summarize(
    results: list[RowResult],
    seconds: float,
    renderer: str,
    worker_rss: float = 0.0,
    catalog: CatalogSource | None = None,
) -> dict[str, Any]:
    """Counts by status, failures and unavailable rows grouped by reason (most frequent first), throughput,
    peak memory, and what the catalog was read as."""
    reasons = collections.Counter(r.reason or r.error or "unknown" for r in results if r.status == "failed")
    unavailable = collections.Counter(r.reason for r in results if r.status == "skipped" and r.reason)
    rendered = sum(1 for r in results if r.status == "rendered")
    return {
        "rows": len({r.row for r in results}),
        "videos": {
            status: sum(1 for r in results if r.status == status) for status in ("rendered", "skipped", "failed")
        },
        "failures": [{"reason": reason, "count": count} for reason, count in reasons.most_common()],
        "unavailable": [{"reason": reason, "count": count} for reason, count in unavailable.most_common()],
        "catalog": catalog.as_dict() if catalog is not None else None,
        "seconds": round(seconds, 3),
        "videos_per_minute": round(rendered / seconds * 60, 3) if seconds > 0 else None,
        "renderer": renderer,
        "peak_rss_mb": {
            "main": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),  # KiB on Linux
            "worker": worker_rss or None,
        },
    }


def write_summary(
    store: Store,
    results: list[RowResult],
    seconds: float,
    renderer: str,
    worker_rss: float,
    catalog: CatalogSource | None = None,
) -> None:
    """Replace the run summary (``run-summary.json``) with this run's."""
    data = (
        json.dumps(
            summarize(results, seconds, renderer, worker_rss, catalog), indent=2, sort_keys=True, ensure_ascii=False
        )
        + "\n"
    )
    store.put_bytes(SUMMARY_KEY, data.encode("utf-8"), "application/json")

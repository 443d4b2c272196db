"""A batch's index: the latest output of each of its slots, and how a run's slots compare with it.

``index.json``, in the batch's ``out`` store::

    {"batch": "spring-sample", "run": "<the run that stored it>", "updated": "<UTC, ISO 8601>",
     "entries": {"<template>/<sku>/<aspect>": {"output_key": "...", "job": "...", "poster": "...",
                                               "video": "...", "removed": "<run>"}}}

A slot is ``OutputKeys.slot``: one product through one template in one aspect. ``job``, ``poster``
and ``video`` are store keys, relative to ``out``, so a copied or moved store keeps a valid index.
``removed`` is only there under ``on_removed: keep``: it names the run that found the product gone.

Compared with the index, each slot a run plans is ``new`` (not in the index), ``changed`` (another
output key) or ``unchanged`` (the same key; also for a product that comes back while its kept
output still matches); ``failed`` when it could not be planned or rendered; and an entry the run no
longer plans is ``removed`` (its product left the feed or the filter). An entry whose slot failed,
or whose product's row failed before its slots were known, is carried over as it was, never removed.

``plan_batch`` classifies a run's slots: it reads the catalog, selects the spec's products, plans
them through its templates and aspects, and computes each slot's job and output key. A catalog row
that cannot be read is a failed slot of every batch reading that catalog, since no filter can tell
whether it belongs.
"""

from __future__ import annotations

import collections
import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Literal

from generator.core.errors import CatalogError, ConfigError, StoreError
from generator.orchestration.batches.webhooks import RunCounts
from generator.orchestration.runs.jobs import RenderJob, make_job
from generator.orchestration.runs.manifest import RowResult
from generator.orchestration.runs.outputs import OutputKeys
from generator.orchestration.runs.rows import PlannedRow, RunOptions, load_templates, plan_rows
from generator.orchestration.stores.store import Store, safe_name
from generator.planning.batches import Batch, OnRemoved, select_products
from generator.planning.catalog import load_catalog
from render.encode import EncodeSettings

INDEX_KEY = "index.json"
Change = Literal["new", "changed", "unchanged", "removed", "failed"]


def slot_name(template: str, sku: str, aspect: str) -> str:
    """The slot of ``sku`` through ``template`` in ``aspect``: ``OutputKeys.slot`` for a slot without output."""
    return f"{template}/{safe_name(sku)}/{aspect.replace(':', 'x')}"


@dataclass(frozen=True)
class IndexEntry:
    """A slot's latest output: its output key and the store keys of its files."""

    output_key: str
    job: str
    poster: str
    video: str
    removed: str | None = None

    @classmethod
    def of(cls, keys: OutputKeys, output_key: str) -> IndexEntry:
        return cls(output_key, keys.job, keys.poster, keys.video)

    def files(self) -> tuple[str, str, str]:
        """The output's store keys, video first: an output half deleted is never taken as complete."""
        return self.video, self.poster, self.job


@dataclass(frozen=True)
class BatchIndex:
    """The index of ``batch`` as the run ``run`` stored it at ``updated`` (both None before a first run)."""

    batch: str
    run: str | None = None
    updated: str | None = None
    entries: Mapping[str, IndexEntry] = field(default_factory=dict)

    def change(self, slot: str, output_key: str) -> Change:
        """How a planned slot whose output has ``output_key`` compares with this index."""
        entry = self.entries.get(slot)
        if entry is None:
            return "new"
        return "unchanged" if entry.output_key == output_key else "changed"

    def removed(self, planned: Collection[str], protected_skus: Collection[str]) -> tuple[str, ...]:
        """The slots whose product left: not ``planned``, not already marked removed, and not of a SKU in
        ``protected_skus`` (rows that failed before their slots were known)."""
        return tuple(
            slot
            for slot, entry in sorted(self.entries.items())
            if slot not in planned and entry.removed is None and slot.split("/")[1] not in protected_skus
        )

    def updated_by(
        self, run: str, now: str, stored: Mapping[str, IndexEntry], removed: Collection[str], on_removed: OnRemoved
    ) -> BatchIndex:
        """The index after run ``run``: entries ``stored`` replace theirs; ``removed`` ones are marked (``keep``)
        or dropped (``unlist``, ``delete``); every other entry is carried over as it was."""
        entries = {**self.entries, **stored}
        for slot in removed:
            if on_removed == "keep":
                entries[slot] = replace(entries[slot], removed=run)
            else:
                del entries[slot]
        return BatchIndex(self.batch, run, now, dict(sorted(entries.items())))

    def to_json(self) -> bytes:
        entries = {slot: {k: v for k, v in asdict(e).items() if v is not None} for slot, e in self.entries.items()}
        data = {"batch": self.batch, "run": self.run, "updated": self.updated, "entries": entries}
        return (json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")

    @classmethod
    def parse(cls, data: bytes, source: str) -> BatchIndex:
        """The index in ``data`` (read from ``source``).

        Raises:
            ConfigError: not a batch index.
        """
        try:
            raw = json.loads(data.decode("utf-8"))
            entries = {str(slot): IndexEntry(**entry) for slot, entry in dict(raw["entries"]).items()}
            return cls(str(raw["batch"]), raw.get("run"), raw.get("updated"), entries)
        except (ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"not a batch index: {exc}", file=source) from exc


def read_index(store: Store, batch: str) -> BatchIndex:
    """The index stored in ``store``, or an empty one before ``batch``'s first run.

    Raises:
        ConfigError: what is stored is not an index, or is another batch's (the store is left untouched).
        StoreError: the store cannot be read.
    """
    if not store.exists(INDEX_KEY):
        return BatchIndex(batch)
    index = BatchIndex.parse(store.get_bytes(INDEX_KEY), store.uri(INDEX_KEY))
    if index.batch != batch:
        raise ConfigError(f"the index there is batch {index.batch!r}'s, not {batch!r}'s", file=store.uri(INDEX_KEY))
    return index


def write_index(store: Store, index: BatchIndex) -> str:
    """Replace the stored index with ``index`` in one atomic write; returns its URI."""
    return store.put_bytes(INDEX_KEY, index.to_json(), "application/json")


def delete_outputs(store: Store, entries: Collection[IndexEntry]) -> tuple[list[str], list[str]]:
    """Delete the files of ``entries``; returns the keys deleted, and an error per key that could not be."""
    deleted, errors = [], []
    for entry in entries:
        for key in entry.files():
            try:
                store.delete(key)
                deleted.append(key)
            except StoreError as exc:
                errors.append(str(exc))
    return deleted, errors


@dataclass(frozen=True)
class Output:
    """A planned slot's row, its job and the store keys its output has."""

    row: PlannedRow
    job: RenderJob
    keys: OutputKeys


@dataclass(frozen=True)
class SlotPlan:
    """One slot of a run: how it compares with the index, its manifest line, and its output when planned.

    ``slot`` is None for a row that failed before its slots were known (unreadable, or no template).
    """

    slot: str | None
    change: Change
    result: RowResult
    output: Output | None = None

    def line(self) -> str:
        """Its line in the run's manifest."""
        return json.dumps({"slot": self.slot, "change": self.change, **json.loads(self.result.to_json())},
                          sort_keys=True, ensure_ascii=False)  # fmt: skip


@dataclass(frozen=True)
class BatchPlan:
    """A run's slots against ``index``, the slots ``removed`` since, and why it aborts before rendering, if it does."""

    batch: Batch
    run: str
    index: BatchIndex
    identity: str
    slots: tuple[SlotPlan, ...]
    removed: tuple[str, ...]
    abort: str | None = None

    @property
    def to_render(self) -> tuple[SlotPlan, ...]:
        return tuple(slot for slot in self.slots if slot.change in ("new", "changed"))

    def counts(self, slots: Sequence[SlotPlan] | None = None) -> RunCounts:
        """Slots by change (``slots``: these, as the run left them; None: as planned)."""
        changes = collections.Counter(slot.change for slot in (self.slots if slots is None else slots))
        return RunCounts(changes["new"], changes["changed"], changes["unchanged"], len(self.removed), changes["failed"])


def plan_batch(
    batch: Batch, catalog_path: Path, store: Store, options: RunOptions, identity: str, run: str
) -> BatchPlan:
    """Steps 1 to 3: the run's slots, classified against the stored index; reads, never writes.

    Raises:
        ConfigError, CatalogError, StoreError: nothing can be planned (templates, catalog, index).
    """
    templates = load_templates(options)
    catalog = load_catalog(catalog_path, options.catalog)
    index = read_index(store, batch.id)
    limits = batch.spec.limits
    selected = select_products(batch.spec.filter, catalog.products)
    if limits.max_rows is not None and len(selected) > limits.max_rows:
        why = f"the filter selects {len(selected)} products, more than limits.max_rows ({limits.max_rows})"
        return BatchPlan(batch, run, index, identity, (), (), why)
    encode = options.encode or EncodeSettings()
    roots = {"catalog": catalog_path.parent, "templates": options.templates_root}
    slots = [SlotPlan(None, "failed", _unreadable(error)) for error in catalog.errors]
    chosen = replace(catalog, products=selected, errors=(), skipped=())  # rows not for sale left the selection
    for template_id in (None,) if batch.spec.templates == "auto" else batch.spec.templates:
        for item in plan_rows(chosen, templates, replace(options, template_id=template_id)):
            if isinstance(item, RowResult):
                known = item.template is not None and item.aspect is not None
                slot = slot_name(str(item.template), item.sku, str(item.aspect)) if known else None
                slots.append(SlotPlan(slot, "failed", item))
                continue
            job = make_job(item.plan, options.renderer, identity, encode, roots)
            keys = OutputKeys.of(item.template.id, item.product.sku, job)
            change = index.change(keys.slot, job.key)
            result = item.result()
            if change == "unchanged":
                result = _described(replace(result, status="skipped"), store, index.entries[keys.slot])
            slots.append(SlotPlan(keys.slot, change, result, Output(item, job, keys)))
    slots.sort(key=lambda slot: slot.result.row)  # catalog order; templates in the spec's order within a row
    protected = {safe_name(slot.result.sku) for slot in slots if slot.slot is None}
    removed = index.removed({slot.slot for slot in slots if slot.slot is not None}, protected)
    failed = sum(1 for slot in slots if slot.change == "failed")
    abort = max_failures_passed(failed, limits.max_failures)
    return BatchPlan(batch, run, index, identity, tuple(slots), removed, abort)


def max_failures_passed(failed: int, limit: int | None) -> str | None:
    """Why a run with ``failed`` failed slots aborts under ``limits.max_failures: limit``; None while it goes on."""
    if limit is None or failed <= limit:
        return None
    return f"{failed} slots failed, more than limits.max_failures ({limit})"


def _unreadable(error: CatalogError) -> RowResult:
    """The manifest line of a catalog row that could not be read."""
    row, sku = int(str(error.context.get("row", 0))), str(error.context.get("sku", ""))
    return RowResult(row=row, sku=sku, status="failed", error=str(error), reason=error.message)


def _described(result: RowResult, store: Store, entry: IndexEntry) -> RowResult:
    """``result`` describing the stored output ``entry`` names."""
    return replace(
        result, output_key=entry.output_key, video=store.uri(entry.video), poster=store.uri(entry.poster),
        job=store.uri(entry.job),
    )  # fmt: skip

"""A batch spec file, checked against this machine and run: what ``adgen batch run`` and the scheduler share."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from datetime import date
from pathlib import Path

from pydantic import TypeAdapter, ValidationError

from generator.core.errors import ConfigError
from generator.orchestration.batches.run import batch_options
from generator.orchestration.executors.local import Executor, InlineExecutor, ProcessExecutor
from generator.orchestration.runs.rows import RunOptions
from generator.orchestration.stores.destination import open_store
from generator.orchestration.stores.fetch import FetchSettings
from generator.orchestration.stores.store import Store
from generator.planning.batches import Batch, batch_problems, load_batch
from generator.planning.templates import discover_templates
from generator.planning.templates.schema import did_you_mean
from render.backends import RendererSettings
from render.encode import EncodeSettings


@dataclass(frozen=True)
class BatchSettings:
    """How this machine runs batches; everything else comes from the spec.

    Attributes:
        templates_root: the folder a spec's template ids are looked up in.
        encode: encoder settings (their preset is part of every output key).
        workers: processes rendering videos (1: in this process).
        keyframe_cache: the folder of cached model keyframes (None: no cache).
        fetch: how catalogs and images given as URLs are downloaded.
    """

    templates_root: Path
    encode: EncodeSettings
    workers: int
    keyframe_cache: Path | None
    fetch: FetchSettings

    def executor_for(self, batch: Batch) -> Executor:
        """The spec's executor: this machine's processes (``workers``), or its Ray cluster."""
        block = batch.spec.executor
        if block.kind == "ray":
            from generator.orchestration.executors.ray_tasks import RayExecutor, RaySettings
            from generator.orchestration.stores.destination import StoreLocation

            out = batch.out if isinstance(batch.out, str) else str(Path(batch.out).resolve())
            location = StoreLocation(out, self.fetch.endpoint_url)
            return RayExecutor(RaySettings.of(block), location)
        return ProcessExecutor(self.workers) if self.workers > 1 else InlineExecutor()


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


def spec_problems(batch: Batch, templates_root: Path, *, catalog: bool = True) -> list[ConfigError]:
    """Every reason ``batch`` cannot run here (secrets, templates under ``templates_root``, the local
    catalog unless not ``catalog``, the renderer settings), in the order of the spec's lines."""
    template_ids: set[str] = set()
    if batch.spec.templates != "auto" or batch.spec.fallback_template is not None:
        if not templates_root.is_dir():
            raise ConfigError("templates folder not found", path=templates_root)
        template_ids = set(discover_templates(templates_root)[0])
    problems = batch_problems(batch, template_ids, os.environ, catalog=catalog)
    try:
        renderer_settings_of(batch)
    except ConfigError as exc:
        problems.append(exc)
    return sorted(problems, key=lambda problem: int(str(problem.context.get("line", 0))))


def check_spec(spec: Path, templates_root: Path, *, catalog: bool = True) -> tuple[Batch | None, list[ConfigError]]:
    """``spec``'s batch and every reason it cannot run here (``spec_problems``); (None, [the error]) when
    it does not load."""
    try:
        batch = load_batch(spec)
    except ConfigError as exc:
        return None, [exc]
    return batch, spec_problems(batch, templates_root, catalog=catalog)


@dataclass(frozen=True)
class OpenBatch:
    """A checked batch ready to run: its catalog as a local file, its store and its run options."""

    batch: Batch
    catalog: Path
    store: Store
    options: RunOptions


def batch_store(batch: Batch, settings: BatchSettings) -> Store:
    """The store ``batch`` writes to: its ``out`` folder or ``s3://`` prefix."""
    return open_store(str(batch.out), settings.fetch.endpoint_url, None, False, None)


def open_batch(
    batch: Batch, settings: BatchSettings, store: Store | None = None, scheduled: date | None = None
) -> OpenBatch:
    """Fetch ``batch``'s catalog if it is a URL, and open its store (unless given ``store``); ``scheduled``: the
    date the run was scheduled for, which templates plan for unless the spec gives a ``render_date``."""
    path, options = batch_options(batch, renderer_settings_of(batch), settings.fetch,
                                  templates_root=settings.templates_root, encode=settings.encode,
                                  keyframe_cache=settings.keyframe_cache, scheduled=scheduled)  # fmt: skip
    return OpenBatch(batch, path, store or batch_store(batch, settings), options)

"""Full-quality renders started from the studio, in the background, and the runs they leave.

Each render is a run folder ``<work>/runs/<run>/`` (a ``LocalStore``): the outputs, then
``manifest.jsonl`` as ``adgen run`` writes it. Its progress is a list of events that the page
follows over server-sent events; a reader waits on a condition for the next one, never polls.
"""

from __future__ import annotations

import collections
import contextlib
import json
import logging
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from generator.core.errors import AdgenError
from generator.orchestration.runs.manifest import RowResult, write_manifest
from generator.orchestration.runs.rows import PlannedRow, RunOptions, plan_rows
from generator.orchestration.runs.run import render_rows
from generator.orchestration.stores.store import MANIFEST_KEY, LocalStore, safe_name
from generator.orchestration.studio.workspace import Workspace
from render.backends import RendererSettings
from render.encode import EncodeSettings

log = logging.getLogger(__name__)

RUNS = "runs"
Event = dict[str, Any]


@dataclass
class RenderRun:
    """One background render: its events so far, and whether it has ended."""

    run: str
    total: int = 0
    events: list[Event] = field(default_factory=list)
    ended: bool = False
    _changed: threading.Condition = field(default_factory=threading.Condition)

    def publish(self, event: Event, *, last: bool = False) -> None:
        with self._changed:
            self.events.append(event)
            self.ended = self.ended or last
            self._changed.notify_all()

    def wait_beyond(self, seen: int, timeout: float) -> tuple[list[Event], bool]:
        """The events after the first ``seen`` (waiting up to ``timeout`` seconds for one), and whether the run ended."""
        with self._changed:
            self._changed.wait_for(lambda: len(self.events) > seen or self.ended, timeout)
            return self.events[seen:], self.ended


class Renders:
    """Starts renders in a thread each and keeps them by run id."""

    def __init__(self, workspace: Workspace, work: Path, renderer: RendererSettings, encode: EncodeSettings) -> None:
        self.workspace, self.folder = workspace, work.resolve() / RUNS
        self.renderer, self.encode = renderer, encode
        self.runs: dict[str, RenderRun] = {}

    def start(self, template_id: str, text: str, skus: Sequence[str] | None, aspect: str | None) -> RenderRun:
        """Render ``text`` (as ``template_id``'s file) for ``skus`` (None: the whole catalog) in ``aspect``.

        Raises:
            TemplateError, ConfigError: the text does not load, or a SKU is not in the catalog.
        """
        template = self.workspace.load(template_id, text)
        for sku in skus or ():
            self.workspace.product(sku)
        catalog = self.workspace.catalog
        assert catalog is not None and self.workspace.catalog_path is not None
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        run = RenderRun(f"{stamp}-{safe_name(template_id)}")
        self.runs[run.run] = run
        chosen = aspect if aspect in template.spec.canvas.aspects else template.spec.canvas.aspects[0]
        options = RunOptions(template_id=template.id, aspects=(chosen,), renderer=self.renderer, encode=self.encode,
                             templates_root=self.workspace.root)  # fmt: skip
        wanted = set(skus) if skus is not None else None
        items = [
            item
            for item in plan_rows(catalog, {template.id: template}, options)
            if wanted is None or (item.product.sku if isinstance(item, PlannedRow) else item.sku) in wanted
        ]
        run.total = len(items)
        roots = {"catalog": self.workspace.catalog_path.parent, "templates": self.workspace.root}
        thread = threading.Thread(target=self._render, args=(run, items, roots, options), name=f"render-{run.run}")
        thread.start()
        return run

    def _render(
        self, run: RenderRun, items: list[PlannedRow | RowResult], roots: dict[str, Path], options: RunOptions
    ) -> None:
        from render.backends import get_renderer

        store = LocalStore(self.folder / run.run)
        results: dict[int, RowResult] = {}
        run.publish({"type": "started", "run": run.run, "total": run.total})
        try:
            with contextlib.closing(get_renderer(options.renderer)) as backend:
                for done in render_rows(items, roots, store, options, backend):
                    results[done.index] = done.result
                    line = with_files(json.loads(done.result.to_json()), self.folder / run.run)
                    run.publish({"type": "progress", "done": len(results), "total": run.total, "result": line})
        except AdgenError as exc:
            log.error("studio render %s: %s", run.run, exc)
            run.publish({"type": "error", "message": str(exc)})
        finally:
            write_manifest(store, [results[i] for i in sorted(results)])
            counts = collections.Counter(result.status for result in results.values())
            run.publish({"type": "finished", "run": run.run, "counts": dict(counts)}, last=True)


def list_runs(work: Path) -> list[str]:
    """Run ids with a manifest, newest first."""
    folder = work.resolve() / RUNS
    if not folder.is_dir():
        return []
    return sorted((path.parent.name for path in folder.glob(f"*/{MANIFEST_KEY}")), reverse=True)


def read_run(work: Path, run: str) -> dict[str, Any]:
    """A run's manifest lines (poster and video as paths under the work folder) and its failures by reason.

    Raises:
        KeyError: no such run.
    """
    if run not in list_runs(work):
        raise KeyError(run)
    folder = work.resolve() / RUNS / run
    lines = [with_files(json.loads(line), folder) for line in (folder / MANIFEST_KEY).read_text("utf-8").splitlines()]
    return {"run": run, "lines": lines, "failures": _by_reason(lines)}


def with_files(line: dict[str, Any], folder: Path) -> dict[str, Any]:
    """A manifest line of the run stored in ``folder``, with ``poster_file`` and ``video_file``: where the
    page fetches them (``/files/<path>``, relative to the work folder)."""
    for name in ("poster", "video"):
        if line.get(name):
            relative = Path(line[name]).relative_to(folder).as_posix()
            line[f"{name}_file"] = f"{RUNS}/{folder.name}/{relative}"
    return line


def _by_reason(lines: Iterable[dict[str, Any]]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = collections.defaultdict(list)
    for line in lines:
        if line.get("status") == "failed":
            grouped[str(line.get("reason") or line.get("error") or "unknown")].append(str(line.get("sku")))
    return dict(grouped)

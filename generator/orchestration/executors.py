"""Executors, the swap point that renders rows: in this process, or in a pool of worker processes.

A ``Job`` is one plan and a scratch folder to write its video and poster into; its ``Outcome``
is what became of it (fidelity, keyframe retries, or the error). Executors yield outcomes as
rows finish; storing and recording them is the batch's business, in the main process.

``ProcessExecutor`` starts each worker once (``spawn``, so no lock or thread is inherited
half-way): it builds the keyframe service and asset resolver from a picklable ``RenderSetup`` and
keeps them for every job it takes. Keyframes prepared by the main process are read from the
shared disk cache; a worker loads the model itself only if it has to render one. Workers ignore
Ctrl-C: the main process decides, and on an interrupt the pool is terminated, abandoning the
rows in flight (their scratch files go with the run's temporary folder).
"""

from __future__ import annotations

import multiprocessing
import resource
import signal
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from PIL import Image

from generator.core.errors import AdgenError
from generator.orchestration.fetch import Fetcher, FetchSettings
from generator.planning.assets import AssetResolver
from generator.planning.plan import ShotPlan
from render.backends import KeyframeRequest, Renderer, RendererSettings

if TYPE_CHECKING:
    from render.encode import EncodeSettings


@dataclass(frozen=True)
class Job:
    index: int
    plan: ShotPlan
    folder: Path

    @property
    def video(self) -> Path:
        return self.folder / "video.mp4"

    @property
    def poster(self) -> Path:
        return self.folder / "poster.jpg"


@dataclass(frozen=True)
class Outcome:
    """A job's result: ``error`` (with ``reason``, the error without its location) or the checks'
    ``fidelity``, and the ``legibility`` remedies applied at render time (their JSON for the manifest)."""

    index: int
    fidelity: dict[str, float] = field(default_factory=dict)
    keyframe_retries: int = 0
    seconds: float | None = None
    peak_rss_mb: float = 0.0  # the rendering process's peak resident memory so far (ffmpeg not included)
    error: str | None = None
    reason: str | None = None
    legibility: tuple[dict[str, str | float], ...] = ()


class Executor(Protocol):
    def run(self, jobs: Sequence[Job]) -> Iterator[Outcome]:
        """Render ``jobs``, yielding each outcome as it is ready (not necessarily in job order)."""
        ...


def render_job(job: Job, keyframes: Any, assets: AssetResolver, encode: EncodeSettings) -> Outcome:
    """Render ``job``'s plan into its folder with ``keyframes`` (a ``KeyframeService``) and check it."""
    from render.compose import keyframe_requests
    from render.video import VideoChecks, render_video

    job.folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    try:
        checks = render_video(job.plan, keyframes, assets, job.video, job.poster, encode)
        error = None
    except AdgenError as exc:
        checks, error = VideoChecks(()), exc
    retries = keyframes.retries_for(keyframe_requests(job.plan, assets, keyframes.roles))
    rss = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # KiB on Linux
    if error is not None:
        return Outcome(job.index, keyframe_retries=retries, peak_rss_mb=rss, error=str(error), reason=error.message)
    fidelity: dict[str, float] = {}
    for check in checks.layers:
        fidelity[check.kind] = max(fidelity.get(check.kind, 0.0), check.error)
    seconds = round(time.perf_counter() - started, 3)
    legibility = tuple(remedy.to_json() for remedy in checks.legibility)
    return Outcome(job.index, fidelity, retries, seconds=seconds, peak_rss_mb=rss, legibility=legibility)


class InlineExecutor:
    """Renders jobs one after another in this process."""

    def __init__(self, keyframes: Any, assets: AssetResolver, encode: EncodeSettings) -> None:
        self.keyframes = keyframes
        self.assets = assets
        self.encode = encode

    def run(self, jobs: Sequence[Job]) -> Iterator[Outcome]:
        for job in jobs:
            yield render_job(job, self.keyframes, self.assets, self.encode)


@dataclass(frozen=True)
class RenderSetup:
    """Everything a worker process needs to render any plan of the run; picklable. ``fetch`` finds URL assets."""

    renderer: RendererSettings
    name: str
    identity: str
    cacheable: bool
    roles: frozenset[str]
    keyframe_cache: Path
    keyframe_retries: int
    roots: dict[str, Path]
    encode: EncodeSettings
    fetch: FetchSettings | None = None


class _LazyRenderer:
    """The run's backend as the main process described it, loaded on the first keyframe it must render."""

    def __init__(self, setup: RenderSetup) -> None:
        self.setup = setup
        self.name, self.identity, self.cacheable, self.roles = setup.name, setup.identity, setup.cacheable, setup.roles
        self._backend: Renderer | None = None

    def render(self, requests: Sequence[KeyframeRequest]) -> list[Image.Image]:
        if self._backend is None:
            from render.backends import get_renderer

            self._backend = get_renderer(self.setup.renderer)
        return self._backend.render(requests)


_worker: InlineExecutor | None = None  # this worker process's renderer, built once by _start


def _start(setup: RenderSetup) -> None:
    from render.keyframes import KeyframeCache, KeyframeService

    global _worker
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    keyframes = KeyframeService(
        _LazyRenderer(setup), KeyframeCache(setup.keyframe_cache), retries=setup.keyframe_retries
    )
    fetcher = Fetcher(setup.fetch) if setup.fetch is not None else None
    _worker = InlineExecutor(keyframes, AssetResolver(setup.roots, fetcher), setup.encode)


def _work(job: Job) -> Outcome:
    assert _worker is not None, "the pool's initializer builds the worker"
    return render_job(job, _worker.keyframes, _worker.assets, _worker.encode)


class ProcessExecutor:
    """Renders jobs in ``workers`` processes; see the module docstring."""

    def __init__(self, workers: int, setup: RenderSetup) -> None:
        self.workers = workers
        self.setup = setup

    def run(self, jobs: Sequence[Job]) -> Iterator[Outcome]:
        context = multiprocessing.get_context("spawn")
        pool = context.Pool(self.workers, initializer=_start, initargs=(self.setup,))
        try:
            yield from pool.imap_unordered(_work, jobs)
            pool.close()
        finally:
            pool.terminate()  # after close, only reaps; on an interrupt, abandons the rows in flight
            pool.join()

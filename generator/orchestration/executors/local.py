"""Executors, the swap point that renders rows: in this process, or in worker processes.

A ``Job`` is one plan and a scratch folder to write its video and poster into; its ``Outcome``
is what became of it (fidelity, keyframe retries, or the error). The batch hands an executor the
run's ``RenderSetup`` (picklable: how any process builds what renders), the ``Workbench`` this
process built from it, and the jobs. Executors yield outcomes as rows finish; storing and
recording them is the batch's business, in the main process. An executor keeps nothing between
runs, and nothing lives in module globals.

``ProcessExecutor`` starts its workers for each run (``spawn``, so no lock or thread is inherited
half-way). Each worker builds its own workbench from the setup once, then renders the jobs sent
over its pipe, one at a time, until told to stop, and closes its backend. Keyframes prepared by
the main process are read from the shared disk cache; a worker loads the model itself only if it
has to render one. Workers ignore Ctrl-C: the main process decides, and on an interrupt it
terminates them, abandoning the rows in flight (their scratch files go with the run's temporary
folder). A worker that dies fails the row it had, and a new one takes its place.
"""

from __future__ import annotations

import collections
import contextlib
import ctypes
import logging
import multiprocessing
import multiprocessing.connection
import os
import resource
import signal
import socket
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.context import SpawnContext, SpawnProcess
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from PIL import Image

from generator.core.errors import AdgenError
from generator.core.images import AssetResolver
from generator.orchestration.stores.destination import StoreLocation
from generator.orchestration.stores.fetch import Fetcher, FetchSettings
from generator.orchestration.stores.keyframes import StoreKeyframes
from generator.orchestration.stores.store import Store
from generator.planning.plan.types import ShotPlan
from generator.planning.templates.brand import use_kit_fonts
from render.backends import Capability, KeyframeRequest, Renderer, RendererSettings

if TYPE_CHECKING:
    from render.encode import EncodeSettings
    from render.keyframes import KeyframeService
    from render.motion import VideoModel
    from render.motion.service import MotionReport, MotionService
    from render.speech.clips import ClipSource

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Delivery:
    """Where a job's files go in the run's store, and the job file itself: what an executor that
    stores outputs where it renders (``RayExecutor``) writes, the job file, then the poster, the video last."""

    job_key: str
    poster_key: str
    video_key: str
    job_json: bytes
    metadata: dict[str, str]
    captions: tuple[str, ...] = ()  # the keys of its WebVTT and SRT files, when the video has a voice


@dataclass(frozen=True)
class Job:
    index: int
    plan: ShotPlan
    folder: Path
    delivery: Delivery | None = None

    @property
    def video(self) -> Path:
        return self.folder / "video.mp4"

    @property
    def poster(self) -> Path:
        return self.folder / "poster.jpg"

    @property
    def captions(self) -> tuple[Path, Path]:
        """Its WebVTT and SRT files (written when the plan has a voice)."""
        return self.folder / "captions.vtt", self.folder / "captions.srt"


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
    audio: dict[str, float] = field(default_factory=dict)  # the master's measured loudness (LUFS) and true peak
    stored: bool = False  # the executor stored the job's files itself (``Job.delivery``)
    worker: str = ""  # the process that rendered it, ``host:pid``
    motion: tuple[dict[str, object], ...] = ()  # each moving shot's report (``render.motion.service.MotionReport``)


@dataclass(frozen=True)
class RenderSetup:
    """Everything a worker process needs to render any plan of the run; picklable. ``fetch`` finds URL assets."""

    renderer: RendererSettings
    name: str
    identity: str
    cacheable: bool
    roles: frozenset[Capability]
    keyframe_cache: Path
    keyframe_retries: int
    roots: dict[str, Path]
    encode: EncodeSettings
    fetch: FetchSettings | None = None
    keyframe_store: StoreLocation | None = None  # keyframes in the run's store instead of ``keyframe_cache``
    speech_cache: Path | None = None  # voice clips by content hash (None: made again where they are needed)
    motion_strict: bool = False  # a generated clip that fails its checks fails the row (``--motion-strict``)
    motion_refused: Mapping[str, MotionReport] = field(default_factory=dict)  # clips refused before rendering, by key


@dataclass(frozen=True)
class Workbench:
    """What renders jobs in one process: the keyframe service, the asset resolver and the encoder's settings."""

    keyframes: KeyframeService
    assets: AssetResolver
    encode: EncodeSettings
    clips: ClipSource | None = None  # voice clips (None: synthesised again, and checked, when a plan needs them)
    motion: MotionService | None = None  # generated backgrounds (None: moving shots keep their camera move)

    @classmethod
    def build(cls, setup: RenderSetup) -> Workbench:
        """A workbench as ``setup`` describes it; its backend is loaded on the first keyframe it must render."""
        from render.keyframes import KeyframeCache, KeyframeService, KeyframeStore

        cache: KeyframeStore = KeyframeCache(setup.keyframe_cache)
        if setup.keyframe_store is not None:
            cache = StoreKeyframes(setup.keyframe_store.open())
        keyframes = KeyframeService(_LazyRenderer(setup), cache, retries=setup.keyframe_retries)
        fetcher = Fetcher(setup.fetch) if setup.fetch is not None else None
        from render.speech.clips import ClipSource

        use_kit_fonts(setup.roots)
        from render.motion.service import motion_service

        motion = motion_service(setup.renderer, cache, strict=setup.motion_strict, refused=setup.motion_refused)
        return cls(keyframes, AssetResolver(setup.roots, fetcher), setup.encode, ClipSource(setup.speech_cache), motion)


class Executor(Protocol):
    def run(self, setup: RenderSetup, bench: Workbench, jobs: Sequence[Job]) -> Iterator[Outcome]:
        """Render ``jobs``, yielding each outcome as it is ready (not necessarily in job order).

        ``bench`` renders in this process; another process builds its own from ``setup`` (so a
        backend given to the batch as an object renders only in this process).
        """
        ...


@runtime_checkable
class RemoteExecutor(Protocol):
    """An executor whose workers run on other machines: they read keyframes from the run's store
    (``keyframe_store``), and keyframes are rendered by the backend it provides (``renderer``)."""

    keyframe_store: StoreLocation

    def renderer(self, settings: RendererSettings) -> Renderer: ...

    def video_model(self, settings: RendererSettings) -> VideoModel:
        """The video model ``settings`` name, making clips where the keyframes are rendered."""
        ...


def load_renderer(settings: RendererSettings, executor: Executor | None) -> Renderer:
    """The backend ``settings`` name: the remote executor's (a pool on its cluster), else loaded here."""
    if isinstance(executor, RemoteExecutor):
        return executor.renderer(settings)
    from render.backends import get_renderer

    return get_renderer(settings)


def render_job(job: Job, bench: Workbench) -> Outcome:
    """Render ``job``'s plan into its folder with ``bench`` and check it."""
    from render.compose import keyframe_requests
    from render.video import VideoChecks, render_video

    job.folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    keyframes = bench.keyframes
    try:
        checks = render_video(
            job.plan, keyframes, bench.assets, job.video, job.poster, bench.encode, bench.clips, bench.motion
        )
        write_captions(job)
        error = None
    except AdgenError as exc:
        checks, error = VideoChecks(()), exc
    retries = keyframes.retries_for(keyframe_requests(job.plan, bench.assets, keyframes.roles))
    rss = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # KiB on Linux
    worker = f"{socket.gethostname()}:{os.getpid()}"
    if error is not None:
        return Outcome(job.index, keyframe_retries=retries, peak_rss_mb=rss, error=str(error), reason=error.message,
                       worker=worker)  # fmt: skip
    fidelity: dict[str, float] = {}
    for check in checks.layers:
        fidelity[check.kind] = max(fidelity.get(check.kind, 0.0), check.error)
    seconds = round(time.perf_counter() - started, 3)
    legibility = tuple(remedy.to_json() for remedy in checks.legibility)
    sound = checks.sound
    audio = (
        {}
        if sound is None
        else {"integrated_lufs": round(sound.loudness, 2), "true_peak_dbtp": round(sound.true_peak, 2)}
    )
    motion = tuple(report.to_json() for report in checks.motion)
    return Outcome(job.index, fidelity, retries, seconds=seconds, peak_rss_mb=rss, legibility=legibility, worker=worker,
                   audio=audio, motion=motion)  # fmt: skip


def write_captions(job: Job) -> None:
    """Write the WebVTT and SRT files of a plan with a voice into the job's folder."""
    if job.plan.voice is None:
        return
    from render.subtitles import srt, webvtt

    vtt_path, srt_path = job.captions
    vtt_path.write_text(webvtt(job.plan), encoding="utf-8")
    srt_path.write_text(srt(job.plan), encoding="utf-8")


def release_memory() -> None:
    """Give the memory malloc holds free back to the system (glibc; elsewhere nothing), between rows.

    A row allocates and frees frame-sized buffers from several threads; glibc keeps what was freed in
    its arenas, fragmented, so a long-lived worker would grow row after row without this.
    """
    with contextlib.suppress(OSError, AttributeError):  # not glibc
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def deliver(job: Job, store: Store) -> None:
    """Store ``job``'s rendered files as its delivery says: the job file, the poster, the captions, then the
    video, each atomically, so a video in the store means a complete output.

    Raises:
        StoreError: a write failed.
    """
    delivery = job.delivery
    assert delivery is not None
    store.put_bytes(delivery.job_key, delivery.job_json, "application/json", delivery.metadata)
    store.put_file(delivery.poster_key, job.poster, "image/jpeg", delivery.metadata)
    store_captions(store, delivery.captions, job, delivery.metadata)
    store.put_file(delivery.video_key, job.video, "video/mp4", delivery.metadata)


def store_captions(store: Store, keys: tuple[str, ...], job: Job, metadata: dict[str, str]) -> None:
    """Store ``job``'s WebVTT and SRT files under ``keys`` (none for a video without a voice)."""
    from render.subtitles import SRT_TYPE, VTT_TYPE

    for key, path, content_type in zip(keys, job.captions, (VTT_TYPE, SRT_TYPE)):
        store.put_file(key, path, content_type, metadata)


class InlineExecutor:
    """Renders jobs one after another in this process, with the batch's workbench."""

    def run(self, setup: RenderSetup, bench: Workbench, jobs: Sequence[Job]) -> Iterator[Outcome]:
        for job in jobs:
            yield render_job(job, bench)


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

    def close(self) -> None:
        if self._backend is not None:
            self._backend.close()
            self._backend = None


def _serve(setup: RenderSetup, connection: Connection) -> None:
    """A worker process: build a workbench from ``setup``, then render each job received until ``None``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    bench = Workbench.build(setup)
    try:
        with contextlib.suppress(EOFError):  # EOF: the main process is gone
            while (job := connection.recv()) is not None:
                connection.send(render_job(job, bench))
                release_memory()
    finally:
        bench.keyframes.close()
        if bench.motion is not None:
            bench.motion.close()


@dataclass
class _Worker:
    process: SpawnProcess
    connection: Connection  # the main process's end of the worker's pipe
    job: Job | None = None  # the job it is rendering

    @classmethod
    def start(cls, context: SpawnContext, setup: RenderSetup) -> _Worker:
        ours, theirs = context.Pipe()
        process = context.Process(target=_serve, args=(setup, theirs), name="adgen-worker", daemon=True)
        process.start()
        theirs.close()
        return cls(process, ours)

    def give(self, waiting: collections.deque[Job]) -> None:
        """Send the next waiting job, if any."""
        if waiting:
            self.job = waiting.popleft()
            self.connection.send(self.job)

    def outcome(self, ready: Sequence[object]) -> Outcome | None:
        """The outcome of its job if it is ready (a failed one if the worker died), else None."""
        assert self.job is not None
        if self.connection not in ready and self.process.sentinel not in ready:
            return None
        try:
            outcome: Outcome = self.connection.recv()
        except (EOFError, OSError):
            self.process.join()
            reason = f"worker process died (exit code {self.process.exitcode})"
            outcome = Outcome(self.job.index, error=reason, reason=reason)
        self.job = None
        return outcome


class ProcessExecutor:
    """Renders jobs in up to ``workers`` processes; see the module docstring."""

    def __init__(self, workers: int) -> None:
        self.workers = workers

    def run(self, setup: RenderSetup, bench: Workbench, jobs: Sequence[Job]) -> Iterator[Outcome]:
        if not jobs:
            return
        count = min(self.workers, len(jobs))
        log.info("rendering %d videos in %d worker processes", len(jobs), count)
        context = multiprocessing.get_context("spawn")
        waiting = collections.deque(jobs)
        workers: list[_Worker] = []
        try:
            for _ in range(count):
                workers.append(_Worker.start(context, setup))
                workers[-1].give(waiting)
            while busy := [w for w in workers if w.job is not None]:
                ready = multiprocessing.connection.wait(
                    [w.connection for w in busy] + [w.process.sentinel for w in busy]
                )
                for worker in busy:
                    outcome = worker.outcome(ready)
                    if outcome is None:
                        continue
                    if waiting and not worker.process.is_alive():
                        workers[workers.index(worker)] = worker = _Worker.start(context, setup)
                    worker.give(waiting)
                    yield outcome
            for worker in workers:
                with contextlib.suppress(OSError):  # a worker that died has no pipe left
                    worker.connection.send(None)  # each closes its backend and exits
                worker.process.join()
        finally:
            for worker in workers:
                if worker.process.is_alive():
                    worker.process.terminate()  # an interrupt: the rows in flight are abandoned
                worker.process.join()
                worker.connection.close()

"""``RayExecutor``: each row a Ray task that renders, checks and stores its own outputs.

Planning stays in the driver. A task gets the run's ``RenderSetup``, one ``Job`` (its plan and its
``Delivery``: the store keys and the job file) and where the store is (``StoreLocation``). It
renders into a scratch folder on its node, then writes the job file, the poster and the video into
the store, each atomically and the video last, and returns only its ``Outcome``: frames and videos
never pass through Ray's object store. A task whose worker or node is lost is run again
(``max_retries``): its writes are whole-object replacements with the same bytes, so a retry leaves
neither a partial nor a duplicate object, and a driver that dies is resumed by running the command
again, which skips every output already stored. At most ``in_flight`` rows are submitted at once.

Ray comes with the ``ray`` extra, and is imported only when this executor runs.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator.core.errors import AdgenError, ConfigError
from generator.orchestration.executors.local import (
    Job,
    Outcome,
    RenderSetup,
    Workbench,
    deliver,
    release_memory,
    render_job,
)
from generator.orchestration.stores.destination import StoreLocation
from generator.planning.batches.spec import ExecutorBlock
from render.backends import Renderer, RendererSettings, get_renderer
from render.motion import VideoModel
from render.motion.service import motion_identity

if TYPE_CHECKING:
    from generator.orchestration.executors.ray_actors import ActorPool

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RaySettings:
    """Where the cluster is and how rows are spread over it.

    Attributes:
        address: ``auto`` (the running cluster), ``ray://host:port`` (a remote one), or None (the cluster
            ``RAY_ADDRESS`` names, else a new one on this machine).
        in_flight: rows submitted at once; more wait in the driver (back-pressure).
        max_retries: how often a row whose worker or node was lost is run again.
        num_cpus: CPUs each row task reserves.
        actors: keyframe actors of a model backend (``diffusers``), each loading the model once.
        actor_gpus: GPUs each keyframe actor reserves (0: CPU actors).
        actor_cpus: CPUs each keyframe actor reserves.
        malloc_arenas: glibc malloc arenas of each row worker (``MALLOC_ARENA_MAX``). Few arenas, and
            the free memory given back after each row, keep a worker's memory flat over a long catalog.
    """

    address: str | None = None
    in_flight: int = 8
    max_retries: int = 3
    num_cpus: float = 1.0
    actors: int = 1
    actor_gpus: float = 0.0
    actor_cpus: float = 1.0
    malloc_arenas: int = 2

    @classmethod
    def of(cls, block: ExecutorBlock) -> RaySettings:
        """The settings an ``executor`` block (batch spec, renderer configuration, options) gives."""
        return cls(block.address, block.in_flight, actors=block.actors, actor_gpus=block.actor_gpus)


def render_row(setup: RenderSetup, job: Job, location: StoreLocation) -> Outcome:
    """A row task: render ``job`` in a scratch folder of this node, check it and store its outputs."""
    bench = Workbench.build(setup)
    try:
        with tempfile.TemporaryDirectory(prefix="adgen-row-") as scratch:
            here = replace(job, folder=Path(scratch))
            outcome = render_job(here, bench)
            if outcome.error is not None or job.delivery is None:
                return outcome
            try:
                deliver(here, location.open())
            except AdgenError as exc:
                return replace(outcome, error=str(exc), reason=exc.message)
            return replace(outcome, stored=True)
    finally:
        bench.keyframes.close()
        release_memory()


class RayExecutor:
    """Renders jobs as Ray tasks that store their own outputs; see the module docstring."""

    def __init__(self, settings: RaySettings, location: StoreLocation) -> None:
        self.settings, self.location = settings, location
        self.keyframe_store = location  # keyframes go into the run's store, under keyframes/
        self._pool: ActorPool | None = None  # the keyframe actors of the model backend, once started

    def _connected(self) -> Any:
        ray = _ray()
        if not ray.is_initialized():
            ray.init(address=self.settings.address, include_dashboard=False, log_to_driver=False)
        return ray

    def renderer(self, settings: RendererSettings) -> Renderer:
        """The draft backend here (drawing is cheaper than moving pixels); a model on a pool of actors."""
        if settings.name == "draft":
            return get_renderer(settings)
        self._pool = self._actors(settings, settings.name)
        return self._pool

    def video_model(self, settings: RendererSettings) -> VideoModel:
        """The video model on the keyframe actors (a pool of its own beside the draft backend), loaded by each
        actor on its first clip."""
        from generator.orchestration.executors.ray_actors import PooledVideoModel

        identity = motion_identity(settings)
        if identity is None:
            raise ConfigError("no video model is named (--video-model)")
        if self._pool is not None and self._pool.actors:
            return PooledVideoModel(self._pool, identity, owned=False)
        return PooledVideoModel(self._actors(settings, f"the video model {settings.video_model}"), identity, owned=True)

    def _actors(self, settings: RendererSettings, what: str) -> ActorPool:
        from generator.orchestration.executors.ray_actors import ActorPool

        s, ray = self.settings, self._connected()
        gpus = float(ray.cluster_resources().get("GPU", 0.0))
        if s.actor_gpus > gpus:  # Ray would wait for such an actor for ever
            raise ConfigError(
                f"each keyframe actor asks for {s.actor_gpus:g} GPUs and the Ray cluster has {gpus:g}; "
                "pass --ray-actor-gpus 0 to run the model on CPUs"
            )
        log.info("loading %s on %d keyframe actors (%g GPUs each)", what, s.actors, s.actor_gpus)
        return ActorPool(ray, settings, s.actors, s.actor_gpus, s.actor_cpus)

    def run(self, setup: RenderSetup, bench: Workbench, jobs: Sequence[Job]) -> Iterator[Outcome]:
        if not jobs:
            return
        ray = self._connected()
        s = self.settings
        task = ray.remote(render_row).options(
            name="render_row",
            num_cpus=s.num_cpus,
            max_retries=s.max_retries,
            runtime_env={"env_vars": {"MALLOC_ARENA_MAX": str(s.malloc_arenas)}},
        )
        shared = ray.put(setup)
        waiting = list(reversed(jobs))
        pending: dict[Any, Job] = {}
        log.info("rendering %d videos as Ray tasks, %d at a time", len(jobs), self.settings.in_flight)
        try:
            while waiting or pending:
                while waiting and len(pending) < self.settings.in_flight:
                    job = waiting.pop()
                    pending[task.remote(shared, job, self.location)] = job
                ready, _ = ray.wait(list(pending), num_returns=1)
                job = pending.pop(ready[0])
                yield _outcome(ray, ready[0], job)
        finally:
            for reference in pending:  # an interrupt: the rows in flight are abandoned
                ray.cancel(reference, force=True)


def _outcome(ray: Any, reference: Any, job: Job) -> Outcome:
    """The task's outcome; a task that failed for good (retries spent, or a crash in it) fails its row."""
    try:
        outcome: Outcome = ray.get(reference)
    except ray.exceptions.RayError as exc:
        reason = f"the row's Ray task failed: {type(exc).__name__}"
        return Outcome(job.index, error=f"{reason}: {str(exc).splitlines()[0]}", reason=reason)
    return outcome


def _ray() -> Any:
    try:
        import ray
    except ModuleNotFoundError as exc:
        raise ConfigError("--executor ray needs Ray: pip install 'adgen[ray]'") from exc
    return ray

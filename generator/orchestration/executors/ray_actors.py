"""Keyframes on a pool of Ray actors: each loads the model once and renders whole batches.

``ActorPool`` is a ``Renderer`` for the driver's keyframe service. The service hands it several
batches at once (``render_batches``, ``parallel`` of them); each goes whole to one actor. A backend's
keyframe never depends on its batch, so the pixels are a local run's however batches fall. Requests
travel with their reference images already loaded (the asset resolver stays in the driver); the
keyframes come back as images, small beside the videos that never travel.
"""

from __future__ import annotations

import functools
import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from PIL import Image

from render.backends import KeyframeRequest, Reference, RendererSettings


@dataclass(frozen=True)
class ActorStats:
    """What one actor did: where it runs, how often it loaded the model, how many batches it rendered."""

    worker: str
    loads: int
    batches: int


class KeyframeActor:
    """A Ray actor holding one loaded backend."""

    def __init__(self, settings: RendererSettings) -> None:
        from render.backends import get_renderer

        self.backend = get_renderer(settings)
        self.loads, self.batches = 1, 0

    def describe(self) -> tuple[str, str, bool, frozenset[str]]:
        backend = self.backend
        return backend.name, backend.identity, backend.cacheable, frozenset(backend.roles)

    def render(self, requests: Sequence[KeyframeRequest]) -> list[Image.Image]:
        self.batches += 1
        return self.backend.render(requests)

    def stats(self) -> ActorStats:
        return ActorStats(f"{socket.gethostname()}:{os.getpid()}", self.loads, self.batches)


def _same(image: Image.Image) -> Image.Image:
    return image


def _portable(reference: Reference) -> Reference:
    """``reference`` with its image loaded here, so it needs nothing of the driver's where it goes."""
    return replace(reference, load=functools.partial(_same, reference.image))


def portable(request: KeyframeRequest) -> KeyframeRequest:
    """``request`` (and the request it derives from) with every reference image loaded."""
    return replace(
        request,
        base=portable(request.base) if request.base is not None else None,
        pinned=tuple(_portable(reference) for reference in request.pinned),
        subject=_portable(request.subject) if request.subject is not None else None,
    )


class ActorPool:
    """``size`` actors, each reserving ``num_gpus`` GPUs and ``num_cpus`` CPUs, rendering keyframes for
    ``settings`` (on the CPU with the settings' fixed thread count, whatever Ray reserved)."""

    cacheable = True

    def __init__(self, ray: Any, settings: RendererSettings, size: int, num_gpus: float, num_cpus: float) -> None:
        self._ray = ray
        actor = ray.remote(KeyframeActor).options(num_gpus=num_gpus, num_cpus=num_cpus)
        self.actors = [actor.remote(settings) for _ in range(size)]
        name, identity, cacheable, roles = ray.get(self.actors[0].describe.remote())
        self.name, self.identity, self.cacheable, self.roles = name, identity, cacheable, roles
        self.parallel = size

    def render(self, requests: Sequence[KeyframeRequest]) -> list[Image.Image]:
        return self.render_batches([requests])[0]

    def render_batches(self, batches: Sequence[Sequence[KeyframeRequest]]) -> list[list[Image.Image]]:
        """Each batch's keyframes; batch ``i`` goes whole to actor ``i`` modulo the pool's size."""
        pending = [
            self.actors[index % len(self.actors)].render.remote([portable(request) for request in batch])
            for index, batch in enumerate(batches)
        ]
        results: list[list[Image.Image]] = self._ray.get(pending)
        return results

    def stats(self) -> list[ActorStats]:
        found: list[ActorStats] = self._ray.get([actor.stats.remote() for actor in self.actors])
        return found

    def close(self) -> None:
        for actor in self.actors:
            self._ray.kill(actor)
        self.actors = []

"""Keyframes and clips on a pool of Ray actors: each loads the model once and renders whole batches, and
loads the video model on its first clip (``PooledVideoModel``).

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
from render.motion import ClipRequest, VideoModel


@dataclass(frozen=True)
class ActorStats:
    """What one actor did: where it runs, how often it loaded the model, how many batches it rendered."""

    worker: str
    loads: int
    batches: int
    video_loads: int = 0
    clips: int = 0


class KeyframeActor:
    """A Ray actor holding one loaded backend."""

    def __init__(self, settings: RendererSettings) -> None:
        from render.backends import get_renderer

        self.settings = settings
        self.backend = get_renderer(settings)
        self.video: VideoModel | None = None
        self.loads, self.batches, self.video_loads, self.clips = 1, 0, 0, 0

    def describe(self) -> tuple[str, str, bool, frozenset[str]]:
        backend = self.backend
        return backend.name, backend.identity, backend.cacheable, frozenset(backend.roles)

    def render(self, requests: Sequence[KeyframeRequest]) -> list[Image.Image]:
        self.batches += 1
        return self.backend.render(requests)

    def generate(self, requests: Sequence[ClipRequest]) -> list[list[Image.Image]]:
        """Clips of the video model the settings name, loaded here on the first."""
        if self.video is None:
            from render.motion.diffusion import DiffusersVideoModel
            from render.motion.service import video_settings

            settings = video_settings(self.settings)
            assert settings is not None, "clips asked of a pool without a video model"
            self.video, self.video_loads = DiffusersVideoModel.load(settings), self.video_loads + 1
        self.clips += len(requests)
        return self.video.generate(requests)

    def release_video(self) -> None:
        if self.video is not None:
            self.video.close()
            self.video = None

    def stats(self) -> ActorStats:
        where = f"{socket.gethostname()}:{os.getpid()}"
        return ActorStats(where, self.loads, self.batches, self.video_loads, self.clips)


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
        self.ray = ray
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
        results: list[list[Image.Image]] = self.ray.get(pending)
        return results

    def stats(self) -> list[ActorStats]:
        found: list[ActorStats] = self.ray.get([actor.stats.remote() for actor in self.actors])
        return found

    def close(self) -> None:
        for actor in self.actors:
            self.ray.kill(actor)
        self.actors = []


class PooledVideoModel:
    """A ``VideoModel`` whose clips are made on ``pool``'s actors, request ``i`` by actor ``i`` modulo its size;
    each actor loads the video model on its first clip. Closing it frees the actors' video models, and closes
    the pool when it was made for the clips alone (``owned``)."""

    name = "diffusers"

    def __init__(self, pool: ActorPool, identity: str, *, owned: bool) -> None:
        self.pool, self.identity, self.owned = pool, identity, owned
        self.parallel = pool.parallel  # clips made at once

    def generate(self, requests: Sequence[ClipRequest]) -> list[list[Image.Image]]:
        actors = self.pool.actors
        pending = [actors[index % len(actors)].generate.remote([request]) for index, request in enumerate(requests)]
        return [clip for (clip,) in self.pool.ray.get(pending)]

    def close(self) -> None:
        if self.owned:
            self.pool.close()
        elif self.pool.actors:
            self.pool.ray.get([actor.release_video.remote() for actor in self.pool.actors])

"""The ``Renderer`` swap point: keyframe requests in, background images out.

A backend is chosen by name (``get_renderer``). Every backend must be deterministic: the same
request gives the same pixels, so a plan alone reproduces its video.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from PIL import Image

from generator.errors import ConfigError


@dataclass(frozen=True)
class KeyframeRequest:
    """One background keyframe: what to show, at which size, from which seed."""

    prompt: str
    negative: str
    size: tuple[int, int]
    seed: int
    palette: tuple[str, str]
    accent: str


class Renderer(Protocol):
    """Turns keyframe requests into RGB images of the requested sizes, in order.

    ``identity`` names everything that decides the pixels besides the request (model, steps, ...);
    a backend with ``cacheable = True`` has its keyframes kept in the on-disk keyframe cache.
    """

    name: str
    identity: str
    cacheable: bool

    def render(self, requests: Sequence[KeyframeRequest]) -> list[Image.Image]: ...


@dataclass(frozen=True)
class RendererSettings:
    """Which backend renders keyframes, and how.

    Attributes:
        name: ``draft`` (procedural, no model) or ``diffusers``.
        model: diffusers only: local folder or hub id of a text-to-image checkpoint.
        steps: denoising steps per keyframe.
        guidance: classifier-free guidance scale (0 or 1 turns it off, as Turbo models want).
        device: ``cuda``, ``mps`` or ``cpu``; None picks the best available.
        resolution: short side of generated keyframes in pixels; None uses the model's own.
        batch_size: keyframes per pipeline call.
        local_files_only: never contact a hub.
    """

    name: str = "draft"
    model: str | None = None
    steps: int = 25
    guidance: float = 7.0
    device: str | None = None
    resolution: int | None = None
    batch_size: int = 4
    local_files_only: bool = False


def get_renderer(settings: RendererSettings) -> Renderer:
    """The backend ``settings`` name, loaded.

    Raises:
        ConfigError: no such backend, or a diffusers backend without a model.
    """
    if settings.name == "draft":
        from render.backends.draft import DraftRenderer

        return DraftRenderer()
    if settings.name == "diffusers":
        if not settings.model:
            raise ConfigError("the diffusers renderer needs --model (a local folder or a hub id)")
        from render.backends.diffusion import DiffusersRenderer

        return DiffusersRenderer(settings)
    raise ConfigError(f"unknown renderer {settings.name!r}; available: draft, diffusers")

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
    """Turns keyframe requests into RGB images of the requested sizes, in order."""

    name: str

    def render(self, requests: Sequence[KeyframeRequest]) -> list[Image.Image]: ...


def get_renderer(name: str) -> Renderer:
    """The backend called ``name``.

    Raises:
        ConfigError: no such backend.
    """
    if name == "draft":
        from render.backends.draft import DraftRenderer

        return DraftRenderer()
    raise ConfigError(f"unknown renderer {name!r}; available: draft")

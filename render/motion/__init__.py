"""The ``VideoModel`` swap point: a shot's keyframe in, its moving background plate out.

A ``motion: generated`` shot's background is a clip an image-to-video model makes from the shot's
keyframe (the pinned one, where layers are pinned), optionally towards another shot's keyframe.
Generated frames are only the background: the compositor draws the product and the mascot over
every frame from their references. A model must be deterministic: the same request gives the same
frames. ``render.motion.timing`` brings what a model makes to the plan's frame count, fps and size;
``render.motion.checks`` decides whether a clip may be shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from PIL import Image


@dataclass(frozen=True)
class ClipRequest:
    """One generated background clip, shown as ``frames`` frames at ``fps`` and ``size`` (the plan's), from ``seed``.

    ``first`` and ``last`` are the keyframes it starts from and (optionally) ends on, RGB images of
    ``size``; ``strength`` (0 to 1) is how much the picture may move away from ``first``.
    """

    prompt: str
    negative: str
    size: tuple[int, int]
    frames: int
    fps: int
    seed: int
    strength: float
    first: Image.Image = field(compare=False, repr=False)
    last: Image.Image | None = field(default=None, compare=False, repr=False)


class VideoModel(Protocol):
    """Makes clips: RGB images in order, of the model's own frame count and generation size (stored as they
    are; ``render.motion.timing.Clip`` brings them to the request's ``frames`` and ``size``).

    ``identity`` names everything that decides the frames besides the request (model, steps, ...).
    """

    name: str
    identity: str

    def generate(self, requests: Sequence[ClipRequest]) -> list[list[Image.Image]]: ...

    def close(self) -> None:
        """Release models and device memory; the model is not used afterwards."""
        ...

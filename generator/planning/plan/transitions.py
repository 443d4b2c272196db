"""Transitions: how a shot replaces the one before it, each a frozen type that blends two frames.

A transition covers the first ``frames`` frames of the incoming shot, and the outgoing shot goes on
past its end meanwhile. A slide or wipe names where it travels: a ``left`` slide brings the
incoming shot in from the right edge over the outgoing one, a ``left`` wipe's edge sweeps from
right to left with the incoming shot on its right. In a plan's JSON a transition is an object told
by its ``type``; an unknown type fails when the plan is loaded.

``apply`` takes Pillow images: a transition is the one effect that works on whole frames rather
than on a layer's rectangle, and keeping its pixels beside its math keeps each kind in one place.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import MappingProxyType
from typing import Annotated, Literal

import numpy as np
from PIL import Image
from pydantic import BaseModel, ConfigDict, Field

from generator.planning.plan.camera import CameraView
from generator.planning.plan.effects import Easing, Side

WIPE_FEATHER = 2.5  # pixels over which a wipe's edge goes from the outgoing shot to the incoming one
ZOOM_TRANSITION = 0.15  # a zoom transition enlarges the outgoing shot by this fraction

# Transposes that turn a transition travelling in each direction into one travelling left.
TO_LEFT: Mapping[Side, tuple[Image.Transpose, ...]] = MappingProxyType({
    "left": (), "right": (Image.Transpose.FLIP_LEFT_RIGHT,), "up": (Image.Transpose.TRANSPOSE,),
    "down": (Image.Transpose.TRANSPOSE, Image.Transpose.FLIP_LEFT_RIGHT),
})  # fmt: skip


class _Transition(BaseModel):
    """``frames`` frames of blending, eased by ``ease``, travelling towards ``direction`` where that matters."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    frames: int
    direction: Side
    ease: Easing

    def progress(self, local: int, frames: int) -> float:
        """How far (eased, 0..1) the blend has gone at the incoming shot's ``local`` frame, over ``frames`` frames
        (the transition's, or fewer when the shot is shorter): never quite 0 or 1 while it blends."""
        return min(1.0, max(0.0, self.ease.apply((local + 1) / (frames + 1))))

    def apply(self, outgoing: Image.Image, incoming: Image.Image, progress: float) -> Image.Image:
        """The frame ``progress`` of the way from ``outgoing`` to ``incoming`` (RGB, same size); may draw on ``outgoing``."""
        raise NotImplementedError


class Crossfade(_Transition):
    """The incoming shot fades in over the outgoing one."""

    type: Literal["crossfade"] = "crossfade"

    def apply(self, outgoing: Image.Image, incoming: Image.Image, progress: float) -> Image.Image:
        return Image.blend(outgoing, incoming, progress)


class Zoom(_Transition):
    """The outgoing shot zooms in about the centre (by ``ZOOM_TRANSITION``) as it fades out."""

    type: Literal["zoom"] = "zoom"

    def apply(self, outgoing: Image.Image, incoming: Image.Image, progress: float) -> Image.Image:
        box = CameraView(1 + ZOOM_TRANSITION * progress).box(outgoing.size)
        return Image.blend(outgoing.resize(outgoing.size, Image.Resampling.BILINEAR, box=box), incoming, progress)


class SlideOver(_Transition):
    """The incoming shot slides in over the outgoing one, travelling ``direction``."""

    type: Literal["slide"] = "slide"

    def apply(self, outgoing: Image.Image, incoming: Image.Image, progress: float) -> Image.Image:
        """Turned to travel left, the incoming shot's left edge is at ``width * (1 - progress)``: a
        fractional column, covered in part, and whole columns resampled at the fractional offset."""
        below, above = _turned(outgoing, self.direction), _turned(incoming, self.direction)
        width, height = below.size
        left = width * (1 - progress)
        edge = math.floor(left)
        if edge < width:
            if edge + 1 < width:
                box = (edge + 1 - left, 0.0, width - left, float(height))
                piece = above.resize((width - edge - 1, height), Image.Resampling.BILINEAR, box=box)
                below.paste(piece, (edge + 1, 0))
            cover = Image.new("L", (1, height), round(255 * (edge + 1 - left)))
            below.paste(above.crop((0, 0, 1, height)), (edge, 0), cover)
        return _turned(below, self.direction, back=True)


class Wipe(_Transition):
    """An edge sweeps across travelling ``direction``, the incoming shot behind it."""

    type: Literal["wipe"] = "wipe"

    def apply(self, outgoing: Image.Image, incoming: Image.Image, progress: float) -> Image.Image:
        return Image.composite(incoming, outgoing, self.mask(outgoing.size, progress))

    def mask(self, size: tuple[int, int], progress: float) -> Image.Image:
        """How much of the incoming shot shows (L, 255: all), the edge ``progress`` of the way across.

        Turned to travel left, the edge starts just past the right side and ends just past the left
        one; columns right of it show the incoming shot, with a ``WIPE_FEATHER``-pixel soft edge at
        its fractional position.
        """
        width, height = size[::-1] if Image.Transpose.TRANSPOSE in TO_LEFT[self.direction] else size
        edge = (width + WIPE_FEATHER) * (1 - progress) - WIPE_FEATHER / 2
        cover = np.clip((np.arange(width) + 0.5 - edge) / WIPE_FEATHER + 0.5, 0.0, 1.0)
        row = np.round(cover * 255).astype(np.uint8)
        mask = Image.fromarray(np.ascontiguousarray(np.broadcast_to(row, (height, width))))
        return _turned(mask, self.direction, back=True)


Transition = Annotated[Crossfade | Zoom | SlideOver | Wipe, Field(discriminator="type")]
TRANSITIONS: Mapping[str, type[Crossfade | Zoom | SlideOver | Wipe]] = MappingProxyType({
    "crossfade": Crossfade, "zoom": Zoom, "slide": SlideOver, "wipe": Wipe,
})  # fmt: skip


def transition(kind: str, frames: int, direction: str, ease: str) -> Crossfade | Zoom | SlideOver | Wipe:
    """The transition of type ``kind``.

    Raises:
        ValueError: no transition has that type.
    """
    if kind not in TRANSITIONS:
        raise ValueError(f"unknown transition {kind!r}; known: {', '.join(TRANSITIONS)}")
    return TRANSITIONS[kind].model_validate({"type": kind, "frames": frames, "direction": direction, "ease": ease})


def _turned(image: Image.Image, direction: Side, *, back: bool = False) -> Image.Image:
    """``image`` transposed so that travelling ``direction`` becomes travelling left (``back``: undone)."""
    steps = TO_LEFT[direction]
    for step in reversed(steps) if back else steps:
        image = image.transpose(step)
    return image

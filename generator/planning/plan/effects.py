"""The plan's layer effects: easing curves, and entrances and exits, each a small frozen type with
its own ``apply``. Pure math over the plan, in canvas pixels, never rounded.

A slide entrance or exit names where the layer travels: ``slide-right`` enters from the left
edge, and as an exit leaves off the right edge.

In a plan's JSON an easing, an entrance or an exit is its name (``"ease-out-cubic"``,
``"slide-left"``); an unknown name fails when the plan is loaded.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Annotated, Any, ClassVar, Literal, Protocol

from pydantic import BaseModel, ConfigDict, PlainSerializer, PlainValidator, WithJsonSchema

from generator.core.geometry import Rect

Side = Literal["left", "right", "up", "down"]
POP_FROM = 0.6  # a popping layer starts (or, leaving, ends) at this fraction of its size


class Easing(enum.StrEnum):
    """How a move's progress (0 to 1) maps to the share of the way it has gone."""

    LINEAR = "linear"
    EASE_IN = "ease-in"
    EASE_OUT = "ease-out"
    EASE_IN_OUT = "ease-in-out"
    EASE_IN_CUBIC = "ease-in-cubic"
    EASE_OUT_CUBIC = "ease-out-cubic"
    EASE_IN_OUT_CUBIC = "ease-in-out-cubic"
    EASE_OUT_BACK = "ease-out-back"  # overshoots, then settles

    @property
    def curve(self) -> Callable[[float], float]:
        """The curve on [0, 1], unclamped."""
        return _CURVES[self]

    def apply(self, t: float) -> float:
        """``t`` clamped to [0, 1] through the curve; exactly 0 at 0 and 1 at 1."""
        if t <= 0.0:
            return 0.0
        if t >= 1.0:
            return 1.0
        return _CURVES[self](t)


_CURVES: Mapping[Easing, Callable[[float], float]] = MappingProxyType({
    Easing.LINEAR: lambda t: t,
    Easing.EASE_IN: lambda t: 1 - math.cos(math.pi * t / 2),
    Easing.EASE_OUT: lambda t: math.sin(math.pi * t / 2),
    Easing.EASE_IN_OUT: lambda t: 0.5 - 0.5 * math.cos(math.pi * t),
    Easing.EASE_IN_CUBIC: lambda t: t**3,
    Easing.EASE_OUT_CUBIC: lambda t: 1 - (1 - t) ** 3,
    Easing.EASE_IN_OUT_CUBIC: lambda t: 4 * t**3 if t < 0.5 else 1 - (2 - 2 * t) ** 3 / 2,
    Easing.EASE_OUT_BACK: lambda t: 1 + 2.70158 * (t - 1) ** 3 + 1.70158 * (t - 1) ** 2,
})  # fmt: skip


# Entrances and exits --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _LayerMove:
    """An entrance or exit: moves a layer's rect ``away`` from rest (0: at rest, 1: all the way, eased)."""

    enter_ease: ClassVar[Easing] = Easing.EASE_OUT_CUBIC  # decelerating into place, when the layer names none
    exit_ease: ClassVar[Easing] = Easing.EASE_IN_CUBIC  # accelerating away

    def apply(
        self, rect: Rect, anchor: Rect, canvas: tuple[int, int], away: float, shown: float, *, entering: bool
    ) -> tuple[Rect, float]:
        """``rect`` moved ``away`` from rest, and its opacity; ``shown`` is the linear part of the way
        it is in (0 to 1). ``anchor`` is the footprint of the whole layer ``rect`` belongs to (a
        product with its shadow): a pop scales about its centre and a slide carries all of it."""
        raise NotImplementedError

    @property
    def name(self) -> str:
        """The move's name in a plan."""
        raise NotImplementedError


@dataclass(frozen=True)
class Appear(_LayerMove):
    """No move: the layer is simply there (``none``)."""

    enter_ease: ClassVar[Easing] = Easing.LINEAR
    exit_ease: ClassVar[Easing] = Easing.LINEAR

    @property
    def name(self) -> str:
        return "none"

    def apply(
        self, rect: Rect, anchor: Rect, canvas: tuple[int, int], away: float, shown: float, *, entering: bool
    ) -> tuple[Rect, float]:
        return rect, 1.0


@dataclass(frozen=True)
class Fade(_LayerMove):
    """Opacity from 0 to 1 (entering) or back."""

    @property
    def name(self) -> str:
        return "fade"

    def apply(
        self, rect: Rect, anchor: Rect, canvas: tuple[int, int], away: float, shown: float, *, entering: bool
    ) -> tuple[Rect, float]:
        return rect, min(1.0, max(0.0, 1 - away))


@dataclass(frozen=True)
class Pop(_LayerMove):
    """Grows from ``POP_FROM`` of its size about its anchor's centre (overshooting with its default
    easing) while fading in quickly; leaving, the reverse."""

    enter_ease: ClassVar[Easing] = Easing.EASE_OUT_BACK

    @property
    def name(self) -> str:
        return "pop"

    def apply(
        self, rect: Rect, anchor: Rect, canvas: tuple[int, int], away: float, shown: float, *, entering: bool
    ) -> tuple[Rect, float]:
        x, y, w, h = rect
        ax, ay, aw, ah = anchor
        shrink = (1 - POP_FROM) * away
        return (
            x + (ax + aw / 2 - x) * shrink,
            y + (ay + ah / 2 - y) * shrink,
            w * (1 - shrink),
            h * (1 - shrink),
        ), min(1.0, shown * 2.5)


_OPPOSITE: Mapping[Side, Side] = MappingProxyType({"left": "right", "right": "left", "up": "down", "down": "up"})


@dataclass(frozen=True)
class Slide(_LayerMove):
    """Travels towards ``side``: entering from the opposite edge, leaving off that one."""

    side: Side

    @property
    def name(self) -> str:
        return f"slide-{self.side}"

    def apply(
        self, rect: Rect, anchor: Rect, canvas: tuple[int, int], away: float, shown: float, *, entering: bool
    ) -> tuple[Rect, float]:
        x, y, w, h = rect
        ax, ay, aw, ah = anchor
        edge = _OPPOSITE[self.side] if entering else self.side
        # the shortest move that takes the whole anchor just past the edge
        dx, dy = {
            "left": (-(ax + aw), 0.0),
            "right": (canvas[0] - ax, 0.0),
            "up": (0.0, -(ay + ah)),
            "down": (0.0, canvas[1] - ay),
        }[edge]
        return (x + dx * away, y + dy * away, w, h), 1.0


LayerMove = Appear | Fade | Pop | Slide
LAYER_MOVES: Mapping[str, LayerMove] = MappingProxyType({
    move.name: move
    for move in (Appear(), Fade(), Pop(), Slide("left"), Slide("right"), Slide("up"), Slide("down"))
})  # fmt: skip


def _layer_move(value: Any) -> LayerMove:
    if isinstance(value, Appear | Fade | Pop | Slide):
        return value
    if isinstance(value, str) and value in LAYER_MOVES:
        return LAYER_MOVES[value]
    raise ValueError(f"unknown entrance or exit {value!r}; known: {', '.join(LAYER_MOVES)}")


# In a plan an entrance or exit is its name; loaded, it is the move itself.
LayerMoveField = Annotated[
    LayerMove,
    PlainValidator(_layer_move),
    PlainSerializer(lambda move: move.name, return_type=str),
    WithJsonSchema({"enum": list(LAYER_MOVES)}),
]


def _progress(elapsed: int, frames: int) -> float:
    """Linear progress after ``elapsed`` frames of a ``frames``-frame move: 1 on its last frame."""
    return 1.0 if frames <= 0 else min(1.0, (elapsed + 1) / frames)


class Motion(BaseModel):
    """A layer's entrance (``enter`` over ``frames`` frames from shot-local ``start``) and exit
    (``exit`` over ``exit_frames`` frames from shot-local ``exit_start``), each with its easing."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enter: LayerMoveField
    start: int
    frames: int
    ease: Easing
    exit: LayerMoveField
    exit_start: int
    exit_frames: int
    exit_ease: Easing

    @classmethod
    def between(cls, start: int, end: int, enter: LayerMove | None = None, frames: int = 0) -> Motion:
        """Shown from ``start`` (entering with ``enter`` over ``frames``; default: just there) until ``end``,
        where a one-frame fade cuts it."""
        move = enter or Appear()
        return cls(
            enter=move, start=start, frames=frames, ease=move.enter_ease,
            exit=Fade(), exit_start=max(end, start + 1), exit_frames=1, exit_ease=Easing.LINEAR,
        )  # fmt: skip

    @property
    def exits(self) -> bool:
        return not isinstance(self.exit, Appear)

    def leaves(self, shot_frames: int) -> int:
        """Shot-local frame where the layer begins to leave: the shot's length when it stays."""
        return self.exit_start if self.exits else shot_frames

    def shown(self, shot_frames: int) -> range:
        """Shot-local frames from the one after its entrance until it begins to leave: where it rests."""
        end = self.leaves(shot_frames)
        return range(min(self.start + self.frames, end), end)

    def apply(self, rect: Rect, anchor: Rect, canvas: tuple[int, int], frame: int) -> tuple[Rect, float]:
        """``rect`` (screen pixels) and its opacity at shot-local ``frame``: the entrance, then the exit.

        ``anchor`` is the footprint of the whole layer ``rect`` belongs to (see ``_LayerMove.apply``).
        """
        if frame < self.start:
            return rect, 0.0
        q = _progress(frame - self.start, self.frames)
        rect, opacity = self.enter.apply(rect, anchor, canvas, 1 - self.ease.apply(q), q, entering=True)
        if self.exits and frame >= self.exit_start:
            q = _progress(frame - self.exit_start, self.exit_frames)
            rect, shown = self.exit.apply(rect, anchor, canvas, self.exit_ease.apply(q), 1 - q, entering=False)
            opacity *= shown
        return rect, opacity


class Moves(Protocol):
    """What moves a drawn piece: a ``Motion``, or a piece of kinetic type or a shape (``render.compose``)."""

    def apply(self, rect: Rect, anchor: Rect, canvas: tuple[int, int], frame: int) -> tuple[Rect, float]: ...

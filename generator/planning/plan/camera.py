"""Camera moves: how a shot's keyframe is seen over the shot, each a frozen type with its own ``view``.

A pan or parallax names where the camera turns or travels, so the picture moves the other way on
screen: under ``pan-left`` the background travels right; ``pan-up`` moves it down. Under parallax,
products and mascots travel ``depth`` times as far as the background. In a plan's JSON a camera
move is an object told by its ``move``; an unknown move fails when the plan is loaded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from generator.core.geometry import Rect
from generator.planning.plan.effects import Easing


@dataclass(frozen=True)
class CameraView:
    """The camera in one frame: a world point ``p`` (keyframe pixels) is seen at
    ``c + (p - c) * scale + depth * (dx, dy)``, ``c`` the canvas centre and ``depth`` 1 but for
    image layers under parallax. Never rounded: slow moves stay sub-pixel."""

    scale: float = 1.0
    dx: float = 0.0
    dy: float = 0.0

    @property
    def at_rest(self) -> bool:
        return self.scale == 1.0 and self.dx == 0.0 and self.dy == 0.0

    def rect(self, rect: Rect, canvas: tuple[int, int], depth: float = 1.0) -> Rect:
        """``rect`` (world pixels) as seen on the canvas; unchanged, bit for bit, while at rest."""
        if self.at_rest:
            return rect
        cx, cy = canvas[0] / 2, canvas[1] / 2
        x, y, w, h = rect
        s = self.scale
        return (cx + (x - cx) * s + depth * self.dx, cy + (y - cy) * s + depth * self.dy, w * s, h * s)

    def box(self, canvas: tuple[int, int]) -> Rect:
        """The part of the world (at depth 1) the canvas shows, as a (left, top, right, bottom) crop
        box; kept inside the canvas against rounding (Pillow refuses a box a hair outside)."""
        width, height = canvas
        left = width / 2 - (width / 2 + self.dx) / self.scale
        top = height / 2 - (height / 2 + self.dy) / self.scale
        return (
            max(0.0, left),
            max(0.0, top),
            min(width, left + width / self.scale),
            min(height, top + height / self.scale),
        )


class _Camera(BaseModel):
    """A move over a whole shot, eased by ``ease``; ``amount`` is how far (a fraction of the canvas)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    amount: float
    ease: Easing
    depth: float

    @property
    def moves(self) -> bool:
        """Whether the view changes during the shot."""
        return self.amount > 0

    @property
    def layer_depth(self) -> float:
        """How many times as far as the background image layers travel."""
        return 1.0

    def view(self, frame: int, frames: int, canvas: tuple[int, int]) -> CameraView:
        """The camera at shot-local ``frame`` of a ``frames``-frame shot; frames past its end hold the last view.

        The camera never looks past the keyframe: an easing that overshoots (``ease-out-back``)
        holds at the end of the move instead.
        """
        if self.amount == 0:
            return CameraView()
        return self._view(min(1.0, self.ease.apply(frame / max(1, frames - 1))), canvas)

    def _view(self, t: float, canvas: tuple[int, int]) -> CameraView:
        raise NotImplementedError


class Still(_Camera):
    """No camera move."""

    move: Literal["none"] = "none"

    @property
    def moves(self) -> bool:
        return False

    def _view(self, t: float, canvas: tuple[int, int]) -> CameraView:
        return CameraView()


class Push(_Camera):
    """A zoom in by ``amount`` about the centre."""

    move: Literal["push-in"] = "push-in"

    def _view(self, t: float, canvas: tuple[int, int]) -> CameraView:
        return CameraView(1 + self.amount * t)


class Pull(_Camera):
    """A zoom out about the centre, from ``1 + amount`` to the whole keyframe."""

    move: Literal["pull-out"] = "pull-out"

    def _view(self, t: float, canvas: tuple[int, int]) -> CameraView:
        return CameraView(1 + self.amount * (1 - t))


# Which way the picture travels on screen under each pan: the opposite of where the camera turns.
_PANS: Mapping[str, tuple[int, int]] = MappingProxyType({
    "pan-left": (1, 0), "pan-right": (-1, 0), "pan-up": (0, 1), "pan-down": (0, -1),
    "parallax-left": (1, 0), "parallax-right": (-1, 0),
})  # fmt: skip


class _Travel(_Camera):
    """A view zoomed by ``1 + amount`` that travels across the whole margin the zoom gives, side to side."""

    move: str

    def _view(self, t: float, canvas: tuple[int, int]) -> CameraView:
        sx, sy = _PANS[self.move]
        travel = (2 * t - 1) * self.amount / 2  # from one margin to the other, as a fraction of the canvas
        return CameraView(1 + self.amount, sx * travel * canvas[0], sy * travel * canvas[1])


class Pan(_Travel):
    """The camera turns: the whole picture travels together."""

    move: Literal["pan-left", "pan-right", "pan-up", "pan-down"]


class Parallax(_Travel):
    """The camera travels: products and mascots travel ``depth`` times as far as the background."""

    move: Literal["parallax-left", "parallax-right"]

    @property
    def layer_depth(self) -> float:
        return self.depth


CameraMove = Annotated[Still | Push | Pull | Pan | Parallax, Field(discriminator="move")]
CAMERA_MOVES: Mapping[str, type[Still | Push | Pull | Pan | Parallax]] = MappingProxyType({
    "none": Still, "push-in": Push, "pull-out": Pull, "pan-left": Pan, "pan-right": Pan, "pan-up": Pan,
    "pan-down": Pan, "parallax-left": Parallax, "parallax-right": Parallax,
})  # fmt: skip


def camera_move(move: str, amount: float, ease: str, depth: float) -> Still | Push | Pull | Pan | Parallax:
    """The camera move named ``move``.

    Raises:
        ValueError: no camera move has that name.
    """
    if move not in CAMERA_MOVES:
        raise ValueError(f"unknown camera move {move!r}; known: {', '.join(CAMERA_MOVES)}")
    return CAMERA_MOVES[move].model_validate({"move": move, "amount": amount, "ease": ease, "depth": depth})

"""Product treatments: a reflection on a glossy floor, a zoom to a detail, a slow turn. Pure math over the plan.

Every function here gives a sprite's rect in world pixels at a shot-local frame, before the camera
and the layer's entrance and exit move it (``plan.timeline``), so a treated product follows both
like any other. A zoom and a turn play while the product rests: from the frame after its entrance
to the last before its exit, eased; before, they have not begun, after, they hold their end.

A turn is faked by parallax between flat layers: the product is a card whose face stands
``TURN_DEPTH`` of its width in front of the upright axis it turns about, so turning by θ narrows it
by cos θ and carries its face sideways by ``TURN_DEPTH`` · width · sin θ; its contact shadow, on the
floor near the axis, travels ``SHADOW_RATE`` of that; the backdrop stays. A reflection is the
product's mirror image and so turns with it exactly.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from generator.core.geometry import Rect
from generator.planning.plan.effects import Easing, Motion

TURN_DEPTH = 0.5  # the product's face stands this many of its widths in front of the axis it turns about
SHADOW_RATE = 0.4  # how far the contact shadow travels while the product turns, as a share of the product's travel


class _Treatment(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Reflection(_Treatment):
    """A mirrored copy of the product below its foot, ``gap`` (of the product's height) below it, at
    ``opacity`` at the top, fading to nothing ``fade`` of the product's height further down."""

    opacity: float
    fade: float
    gap: float

    def rect(self, product: Rect, share: float) -> Rect:
        """The reflection of ``product`` (drawn rect), covering ``share`` of its height (at least ``fade``)."""
        x, y, w, h = product
        return (x, y + h * (1 + self.gap), w, h * share)


class Zoom(_Treatment):
    """The visible crop of the image narrows from all of it to ``to`` ([x, y, w, h] of its content box,
    in the box's aspect: w == h), while the layer's box grows ``scale`` times about its centre."""

    to: Rect
    scale: float
    ease: Easing

    def at(self, box: Rect, t: float) -> tuple[Rect, Rect]:
        """(the whole image's rect, the window it is seen through) at progress ``t`` (0 to 1).

        The crop's size changes geometrically (a steady zoom) and its corner travels in a straight
        line, in step with the size, from the image's corner to the detail's.
        """
        x, y, w, h = box
        e = self.ease.apply(t)
        grow = 1 + (self.scale - 1) * e
        window = (x + w * (1 - grow) / 2, y + h * (1 - grow) / 2, w * grow, h * grow)
        tx, ty, tw, th = self.to
        size_w, size_h = tw**e, th**e
        k = (1 - size_w) / (1 - tw) if tw < 1 else e  # how far along the straight line the corner has gone
        iw, ih = window[2] / size_w, window[3] / size_h
        return (window[0] - tx * k * iw, window[1] - ty * k * ih, iw, ih), window


class Turn(_Treatment):
    """Turns ``angle`` degrees towards ``direction`` (where its face travels on screen), eased by ``ease``."""

    angle: float
    direction: Literal["left", "right"]
    ease: Easing

    def at(self, t: float, width: float) -> tuple[float, float]:
        """(cos θ, the face's sideways travel in pixels) at progress ``t`` for a product ``width`` wide."""
        theta = math.radians(self.angle) * self.ease.apply(t)
        sign = -1.0 if self.direction == "left" else 1.0
        return math.cos(theta), sign * TURN_DEPTH * width * math.sin(theta)


class Treatment(_Treatment):
    """What is done to a product beyond placing it; a zoom and a turn never come together, nor a zoom
    and a reflection (the template rules say so)."""

    reflection: Reflection | None = None
    zoom: Zoom | None = None
    turn: Turn | None = None

    @property
    def moves(self) -> bool:
        """Whether the product changes while it rests (it cannot be pinned into a keyframe)."""
        return self.zoom is not None or self.turn is not None


def planned_treatment(layer: Any) -> Treatment | None:
    """The treatment a template's product layer asks for, or None; a zoom's detail is widened (or
    heightened) about its centre to the box's aspect, kept inside the image."""
    reflection, zoom, turn = layer.reflection, layer.zoom, layer.turn
    if reflection is None and zoom is None and turn is None:
        return None
    fitted = None
    if zoom is not None:
        x, y, w, h = zoom.to
        size = max(w, h)
        left = min(max(0.0, x + w / 2 - size / 2), 1 - size)
        top = min(max(0.0, y + h / 2 - size / 2), 1 - size)
        fitted = Zoom(to=(round(left, 6), round(top, 6), size, size), scale=zoom.scale, ease=Easing(zoom.ease))
    return Treatment(
        reflection=Reflection(**reflection.model_dump()) if reflection is not None else None,
        zoom=fitted,
        turn=Turn(angle=turn.angle, direction=turn.direction, ease=Easing(turn.ease)) if turn is not None else None,
    )


def progress(motion: Motion, frames: int, frame: int) -> float:
    """How far a zoom or turn has gone at shot-local ``frame``: 0 until the layer rests, 1 from its last resting frame."""
    shown = motion.shown(frames)
    if frame <= shown.start:
        return 0.0
    span = len(shown) - 1
    return 1.0 if span <= 0 else min(1.0, (frame - shown.start) / span)


def product_at(
    box: Rect, treatment: Treatment | None, motion: Motion, frames: int, frame: int
) -> tuple[Rect, Rect | None]:
    """Where the whole product image is drawn at ``frame`` (world pixels), and the window it is seen through (None: all of it)."""
    if treatment is None:
        return box, None
    t = progress(motion, frames, frame)
    if treatment.zoom is not None:
        return treatment.zoom.at(box, t)
    if treatment.turn is not None:
        x, y, w, h = box
        cos, travel = treatment.turn.at(t, w)
        return (x + w * (1 - cos) / 2 + travel, y, w * cos, h), None
    return box, None


def visible_at(box: Rect, treatment: Treatment | None, motion: Motion, frames: int, frame: int) -> Rect:
    """The part of the canvas (world pixels) the product covers at ``frame``: its window, or its drawn rect."""
    rect, window = product_at(box, treatment, motion, frames, frame)
    return window if window is not None else rect


def shadow_at(band: Rect, box: Rect, treatment: Treatment | None, motion: Motion, frames: int, frame: int) -> Rect:
    """The contact shadow's band at ``frame``: under a turn it travels ``SHADOW_RATE`` as far as the product."""
    if treatment is None or treatment.turn is None:
        return band
    _, travel = treatment.turn.at(progress(motion, frames, frame), box[2])
    x, y, w, h = band
    return (x + SHADOW_RATE * travel, y, w, h)


def reflection_at(box: Rect, treatment: Treatment, motion: Motion, frames: int, frame: int, share: float) -> Rect:
    """The reflection's rect at ``frame``, covering ``share`` of the product's height below its foot."""
    assert treatment.reflection is not None
    return treatment.reflection.rect(product_at(box, treatment, motion, frames, frame)[0], share)


def reach(treatment: Treatment | None) -> float:
    """How far below the product's foot its reflection reaches, as a fraction of its height (0: none)."""
    reflection = treatment.reflection if treatment is not None else None
    return reflection.gap + reflection.fade if reflection is not None else 0.0

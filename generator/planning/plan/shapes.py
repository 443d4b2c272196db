"""Shape layers in the plan: vector shapes resolved to canvas pixels, with their label laid out and their
animation timed to the frame.

A shape's ``motion`` is its entrance (``pop`` moves it; ``grow``, ``spin`` and ``draw-on`` are drawn over
its frames); a progress bar's ``fill`` runs from its start to the end of the shot and is not an entrance.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from generator.core.geometry import Rect
from generator.planning.plan.effects import Motion

Color = Annotated[str, Field(pattern=r"^#[0-9A-Fa-f]{6}$")]
ShapeKind = Literal["line", "burst", "badge", "progress", "sticker"]
Animation = Literal["none", "draw-on", "grow", "spin", "pop", "fill"]


class _Shape(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ShapeLabel(_Shape):
    """A badge's or sticker's text: its ``TextLayout`` (lines wrapped at ``font_size``), centred in the shape's
    inner box, and how it is drawn."""

    lines: tuple[str, ...]
    font_size: int
    line_height: int
    fonts: tuple[str, ...]
    weight: Literal["regular", "bold"]
    lang: str
    color: Color


class ShapeLook(_Shape):
    """How a shape is drawn, apart from where: what its drawings are cached by (with their pixel size)."""

    shape: ShapeKind
    form: Literal["circle", "rounded", "starburst"]
    color: Color
    stroke: Color | None
    stroke_width: float
    corner: float
    points: int
    rotation: float
    label: ShapeLabel | None


class ShapePlacement(_Shape):
    """A shape drawn in ``box`` (canvas pixels) in screen space, animated by ``animation`` from ``motion.start``."""

    kind: Literal["shape"] = "shape"
    field: str
    look: ShapeLook
    box: Rect
    animation: Animation
    motion: Motion

    def scaled(self, factor: float) -> ShapePlacement:
        """This shape with every pixel quantity times ``factor`` (``render.scale``)."""
        look, label = self.look, self.look.label
        update: dict[str, object] = {"stroke_width": round(look.stroke_width * factor, 3)}
        if label is not None:
            update["label"] = label.model_copy(update={
                "font_size": max(1, round(label.font_size * factor)),
                "line_height": max(1, round(label.line_height * factor)),
            })  # fmt: skip
        box = tuple(round(v * factor, 3) for v in self.box)
        return self.model_copy(update={"look": look.model_copy(update=update), "box": box})

    def inner(self) -> Rect:
        """The part of ``box`` a label is fitted in."""
        return inner_box(self.look, self.box)


def inner_box(look: ShapeLook, box: Rect) -> Rect:
    """The part of ``box`` that a shape drawn as ``look`` fits its label in: inside a circle or star, or its padding."""
    x, y, w, h = box
    share = 0.62 if look.shape == "badge" and look.form != "rounded" else 0.84
    return (x + w * (1 - share) / 2, y + h * (1 - share) / 2, w * share, h * share)

"""The template language's shared parts: names, colours, boxes and the base of every spec model."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

Aspect = Literal["9:16", "1:1", "4:5", "16:9"]
Color = Annotated[
    str,
    Field(pattern=r"^#[0-9A-Fa-f]{6}$"),
    # A template may name a brand kit colour; it is replaced by the kit's #RRGGBB before validation (templates.brand).
    WithJsonSchema({"type": "string", "pattern": r"^(#[0-9A-Fa-f]{6}|[a-z][a-z0-9-]*)$"}),
]
Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=64)]
Entrance = Literal["none", "fade", "pop", "slide-left", "slide-right", "slide-up", "slide-down"]
Easing = Literal[
    "linear",
    "ease-in",
    "ease-out",
    "ease-in-out",
    "ease-in-cubic",
    "ease-out-cubic",
    "ease-in-out-cubic",
    "ease-out-back",
]
CameraMoveName = Literal[
    "none", "push-in", "pull-out", "pan-left", "pan-right", "pan-up", "pan-down", "parallax-left", "parallax-right"
]
Direction = Literal["left", "right", "up", "down"]
# What text too long for its box at the minimum size does: ``shrink`` shortens it with an ellipsis
# (recorded in the plan, warned about), ``error`` fails the row. Unset: ``shrink`` for text that
# reads a variable (a catalog value, an ``each`` item), ``error`` for literal text.
Overflow = Literal["shrink", "error"]
# What text that lacks contrast with what is behind it does: ``check`` makes it an error, ``auto``
# gives it a shadow, or if that is not enough a plate, and records the remedy in the plan.
Legibility = Literal["check", "auto"]
# A category of Google's product taxonomy: its path ("Apparel & Accessories > Shoes") or its id (187).
CategoryClaim = Annotated[
    str,
    BeforeValidator(lambda value: str(value) if isinstance(value, int) else value, json_schema_input_type=str | int),
    Field(min_length=1),
]
RelativeBox = tuple[float, float, float, float]
SingleBox = str | RelativeBox
# A box, or one per aspect: {"default": hero, "16:9": [0.05, 0.1, 0.45, 0.8]}.
BoxSpec = SingleBox | dict[Literal["default", "9:16", "1:1", "4:5", "16:9"], SingleBox]

# Named boxes, as fractions of the aspect's safe area (x, y, w, h); see generator.planning.plan.SAFE_INSETS.
NAMED_BOXES: Mapping[str, RelativeBox] = {
    "top": (0.04, 0.02, 0.92, 0.16),
    "upper": (0.04, 0.16, 0.92, 0.16),
    "center": (0.10, 0.24, 0.80, 0.44),
    "lower": (0.04, 0.66, 0.92, 0.15),
    "bottom": (0.08, 0.82, 0.84, 0.14),
    "lower-left": (0.04, 0.50, 0.44, 0.32),
    "lower-right": (0.52, 0.50, 0.44, 0.32),
    "hero": (0.08, 0.20, 0.84, 0.42),
}


class Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def check_box(value: BoxSpec) -> BoxSpec:
    if isinstance(value, dict):
        if "default" not in value:
            raise ValueError("a box per aspect needs a 'default' for the aspects it does not name")
        for box in value.values():
            check_box(box)
        return value
    if isinstance(value, str):
        if value not in NAMED_BOXES:
            raise ValueError(f"unknown box {value!r}; use one of {', '.join(NAMED_BOXES)} or [x, y, w, h]")
        return value
    x, y, w, h = value
    if not (x >= 0 and y >= 0 and w > 0 and h > 0 and x + w <= 1.0 + 1e-9 and y + h <= 1.0 + 1e-9):
        raise ValueError(f"box {list(value)} must lie within the canvas: 0 <= x, y and x + w, y + h <= 1")
    return value

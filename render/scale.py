"""Plans scaled as a whole: every pixel quantity (canvas, boxes, font sizes, safe area) times a factor.

Previews render a plan at a third of its size, and legibility checks measure at 270 px on the short
side; both scale the plan, not the frames, so text is laid out and drawn at the smaller size.
"""

from __future__ import annotations

from generator.planning.plan.shapes import ShapePlacement
from generator.planning.plan.types import BackgroundSpec, ImagePlacement, Layer, ShotPlan


def scale_plan(plan: ShotPlan, factor: float) -> ShotPlan:
    """``plan`` with every pixel quantity multiplied by ``factor``; sizes stay even for the encoder."""

    def scaled(values: tuple[float, ...]) -> tuple[float, ...]:
        return tuple(round(v * factor, 3) for v in values)

    def even(value: int) -> int:
        return max(2, round(value * factor / 2) * 2)

    def layer(item: Layer) -> Layer:
        if isinstance(item, ImagePlacement):
            return item.model_copy(update={"box": scaled(item.box)})
        if isinstance(item, ShapePlacement):
            return item.scaled(factor)
        return item.model_copy(update={
            "box": scaled(item.box), "font_size": max(1, round(item.font_size * factor)),
            "line_height": max(1, round(item.line_height * factor)), "stroke": round(item.stroke * factor),
        })  # fmt: skip

    def background(spec: BackgroundSpec) -> BackgroundSpec:
        return spec.model_copy(update={"scene_size": (even(spec.scene_size[0]), even(spec.scene_size[1]))})

    shots = tuple(
        shot.model_copy(
            update={"layers": tuple(layer(item) for item in shot.layers), "background": background(shot.background)}
        )
        for shot in plan.shots
    )
    size = (even(plan.size[0]), even(plan.size[1]))
    return plan.model_copy(update={"size": size, "safe_area": scaled(plan.safe_area), "shots": shots})

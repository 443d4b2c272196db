"""Rules a product's treatments (reflection, zoom, turn) must keep beyond their schema."""

from __future__ import annotations

from collections.abc import Iterator

from generator.core.errors import TemplateError
from generator.planning.templates.spec import ProductLayer
from generator.planning.templates.template import Template


def treatment_problems(
    template: Template, layer: ProductLayer, shot_seconds: float, path: tuple[str | int, ...]
) -> Iterator[TemplateError]:
    """A zoom with a turn or a reflection (one view cannot show both), and a zoom or turn with no time to play:
    they play while the product rests, between its entrance and its exit."""
    if layer.zoom is not None and layer.turn is not None:
        yield template.error("a product cannot zoom and turn in the same shot; keep one of them", (*path, "turn"))
    if layer.zoom is not None and layer.reflection is not None:
        yield template.error(
            "a product that zooms to a detail has no reflection; remove one of them", (*path, "reflection")
        )
    resting = shot_seconds - layer.delay - layer.enter_duration - (layer.exit_duration if layer.exit != "none" else 0)
    fps = template.spec.canvas.fps
    for name in ("zoom", "turn"):
        if getattr(layer, name) is not None and round(resting * fps) < 2:
            yield template.error(
                f"the product rests for {max(0.0, resting):g} s of this shot, too short for its {name}: it plays "
                "between the entrance and the exit; shorten them or lengthen the shot",
                (*path, name),
            )

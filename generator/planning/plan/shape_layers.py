"""A template's ``shapes`` resolved for one shot: boxes in pixels, colours from the palette, labels laid out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from generator.core.fonts import font_chain
from generator.core.geometry import Rect
from generator.core.shaping import TextFitError
from generator.planning.plan.effects import Appear, Easing, Motion, Pop
from generator.planning.plan.shapes import ShapeLabel, ShapeLook, ShapePlacement
from generator.planning.templates import Template, dotted
from generator.planning.templates.spec import ShapeLayer
from generator.planning.textfit import fit_text

STICKER_TILT = -8.0  # degrees a sticker leans when its rotation is not written
_DEFAULT_ANIMATION = {"line": "draw-on", "progress": "fill"}


def shape_layer(
    template: Template, layer: ShapeLayer, box: Rect, ratio: float, fps: int, shot_frames: int,
    path: tuple[str | int, ...], variables: Mapping[str, Any], lang: str,
) -> ShapePlacement:  # fmt: skip
    """``layer`` (the template's, at ``path``) in ``box``, sizes scaled by ``ratio`` (canvas width over 1080).

    Raises:
        TemplateError: its animation ends after the shot, it has a label but is no badge or sticker, or its
            label's style is unknown or the label does not fit the shape.
    """
    spec = template.spec
    animation = layer.animate or _DEFAULT_ANIMATION.get(layer.shape, "pop")
    start = round(layer.delay * fps)
    frames = 0 if animation in ("none", "fill") else max(1, round(layer.duration * fps))
    if start + max(1, frames) > shot_frames:
        raise template.error(
            f"delay + duration is {(start + frames) / fps:g} s, longer than the shot's {shot_frames / fps:g} s", path
        )
    if layer.text and layer.shape not in ("badge", "sticker"):
        raise template.error(f"only a badge or a sticker has a label, not a {layer.shape}", (*path, "text"))
    move = Pop() if animation == "pop" else Appear()
    motion = Motion(
        enter=move, start=start, frames=frames, ease=move.enter_ease, exit=Appear(), exit_start=shot_frames,
        exit_frames=0, exit_ease=Easing.LINEAR,
    )  # fmt: skip
    look = ShapeLook(
        shape=layer.shape, form=layer.form, color=layer.color or spec.palette.accent, stroke=layer.stroke,
        stroke_width=round(layer.stroke_width * ratio, 3), corner=layer.corner, points=layer.points,
        rotation=layer.rotation if layer.rotation is not None else STICKER_TILT if layer.shape == "sticker" else 0.0,
        label=None,
    )  # fmt: skip
    placed = ShapePlacement(field=dotted(path), look=look, box=box, animation=animation, motion=motion)
    text = template.render_text(layer.text, (*path, "text"), variables).strip() if layer.text else ""
    if not text:
        return placed
    if layer.style not in template.styles:
        raise template.error(
            f"unknown style {layer.style!r}; defined: {', '.join(sorted(template.styles))}", (*path, "style")
        )
    style = template.styles[layer.style]
    fonts = font_chain(style.font, style.weight, style.fallback, lang)
    _, _, w, h = placed.inner()
    try:
        layout = fit_text(
            text, fonts, style.weight, round(style.size * ratio), round(style.min_size * ratio), style.line_spacing,
            (w, h), lang,
        )  # fmt: skip
    except TextFitError as exc:
        raise template.error(f"the label does not fit its {layer.shape}: {exc}", (*path, "text")) from exc
    label = ShapeLabel(
        lines=layout.lines, fonts=fonts, lang=lang, weight=style.weight, font_size=layout.font_size,
        line_height=layout.line_height, color=style.color or spec.palette.text,
    )  # fmt: skip
    return placed.model_copy(update={"look": look.model_copy(update={"label": label})})

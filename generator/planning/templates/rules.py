"""Rules a template must keep beyond its schema: whole frames, timings inside shots, known styles, expression syntax,
categories that exist."""

from __future__ import annotations

import re
from collections.abc import Iterator

import jinja2

from generator.core.errors import TemplateError
from generator.planning.catalog.taxonomy import google_taxonomy, name_key, split_path, top_levels
from generator.planning.templates.schema import did_you_mean
from generator.planning.templates.spec import MascotLayer, ProductLayer, TextLayer
from generator.planning.templates.template import Template
from generator.planning.templates.treatment_rules import treatment_problems


def template_problems(template: Template) -> Iterator[TemplateError]:
    """Every rule a validated template breaks beyond its schema, in file order."""
    spec = template.spec
    fps = spec.canvas.fps
    styles = template.styles
    shot_ids: set[str] = set()
    for index, claim in enumerate(spec.categories):
        problem = category_problem(claim)
        if problem is not None:
            yield template.error(problem, ("categories", index))
    for name, style in spec.styles.items():
        if style.min_size > style.size:
            yield template.error(f"min_size {style.min_size} is above size {style.size}", ("styles", name, "min_size"))
    if spec.captions.text_style not in styles:
        yield template.error(
            f"unknown style {spec.captions.text_style!r}{did_you_mean(spec.captions.text_style, styles)}; "
            f"defined: {', '.join(sorted(styles))}",
            ("captions", "text_style"),
        )
    if spec.voice is not None and spec.voice.engine != "espeak-ng" and spec.voice.name is None:
        yield template.error(
            f"engine {spec.voice.engine} needs a voice name (a voice .onnx path or package)", ("voice",)
        )
    if spec.prefer is not None:
        yield from _syntax_problem(template, spec.prefer, ("prefer",), expression=True)
    for i, shot in enumerate(spec.shots):
        where = ("shots", i)
        if shot.id in shot_ids:
            yield template.error(f"duplicate shot id {shot.id!r}", (*where, "id"))
        shot_ids.add(shot.id)
        yield from _frames_problem(template, shot.duration, fps, (*where, "duration"))
        yield from _line_problems(template, i)
        for expr_field in ("when", "each"):
            expression = getattr(shot, expr_field)
            if expression is not None:
                yield from _syntax_problem(template, expression, (*where, expr_field), expression=True)
        if shot.each is not None and not re.match(r"^\s*[A-Za-z_]\w*\s+in\s+\S", shot.each):
            yield template.error("each must read 'NAME in EXPRESSION'", (*where, "each"))
        yield from _syntax_problem(template, shot.background.prompt, (*where, "background", "prompt"))
        yield from _syntax_problem(template, shot.background.negative, (*where, "background", "negative"))
        yield from _motion_problems(template, i)
        layers: list[tuple[tuple[str | int, ...], ProductLayer | MascotLayer | TextLayer]] = []
        if shot.product is not None:
            layers.append(((*where, "product"), shot.product))
        if shot.mascot is not None:
            if spec.mascot is None:
                yield template.error(
                    "shot has a mascot but the template declares none (mascot: {ref: ...})", (*where, "mascot")
                )
            layers.append(((*where, "mascot"), shot.mascot))
        for j, text in enumerate(shot.text):
            layers.append(((*where, "text", j), text))
            yield from _syntax_problem(template, text.text, (*where, "text", j, "text"))
            if text.style not in styles:
                yield template.error(
                    f"unknown style {text.style!r}{did_you_mean(text.style, styles)}; defined: {', '.join(sorted(styles))}",
                    (*where, "text", j, "style"),
                )
        for layer_path, layer in layers:
            yield from _layer_problems(template, layer, shot.duration, layer_path)
        transition = shot.transition or spec.transition
        yield from _frames_problem(template, transition.duration, fps, (*where, "transition", "duration"))
        if i > 0 and transition.type != "cut" and transition.duration >= min(shot.duration, spec.shots[i - 1].duration):
            yield template.error("transition is longer than a shot it joins", (*where, "transition", "duration"))
    if spec.poster is not None and spec.poster not in shot_ids:
        yield template.error(
            f"poster names unknown shot {spec.poster!r}{did_you_mean(spec.poster, shot_ids)}", ("poster",)
        )


def _line_problems(template: Template, index: int) -> Iterator[TemplateError]:
    shot, where = template.spec.shots[index], ("shots", index)
    if shot.max_duration is not None:
        yield from _frames_problem(template, shot.max_duration, template.spec.canvas.fps, (*where, "max_duration"))
        if shot.max_duration < shot.duration:
            yield template.error(
                f"max_duration {shot.max_duration:g} s is shorter than duration {shot.duration:g} s",
                (*where, "max_duration"),
            )
    if shot.line is not None:
        yield from _syntax_problem(template, shot.line, (*where, "line"))
        if template.spec.voice is None:
            yield template.error(
                "shot has a voice line but the template declares no voice (voice: {engine: espeak-ng})",
                (*where, "line"),
            )


def category_problem(claim: str) -> str | None:
    """Why a ``categories`` entry names no category, in words; None when it names one.

    An id must be one of Google's taxonomy; a path must start with a top-level category of Google's
    taxonomy or of Meta's (``data/verticals.yaml``). Below its top level a path may name categories
    Google's taxonomy lacks (Shopify's own, say): lint warns about those.
    """
    text = claim.strip()
    taxonomy = google_taxonomy()
    if text.isdigit():
        if int(text) in taxonomy.paths:
            return None
        return f"{text} is not the id of a category of Google's product taxonomy (version {taxonomy.version})"
    path = split_path(text)
    tops = top_levels()
    if path and (name_key(path[0]) in tops.google or name_key(path[0]) in tops.facebook):
        return None
    top = path[0] if path else text
    return (
        f"{top!r} is not a top-level category of Google's product taxonomy (nor of Meta's)"
        f"{did_you_mean(top, tops.names)}; write a path such as 'Apparel & Accessories > Shoes', or an id"
    )


def _layer_problems(
    template: Template, layer: ProductLayer | MascotLayer | TextLayer, shot_seconds: float, path: tuple[str | int, ...]
) -> Iterator[TemplateError]:
    fps = template.spec.canvas.fps
    yield from _frames_problem(template, layer.enter_duration, fps, (*path, "enter_duration"))
    yield from _frames_problem(template, layer.delay, fps, (*path, "delay"))
    if layer.delay >= shot_seconds:
        yield template.error(f"delay {layer.delay} s is not within the shot's {shot_seconds} s", (*path, "delay"))
    if layer.exit != "none":
        yield from _frames_problem(template, layer.exit_duration, fps, (*path, "exit_duration"))
        busy = layer.delay + layer.enter_duration + layer.exit_duration
        if busy > shot_seconds + 1e-9:
            yield template.error(
                f"delay + enter_duration + exit_duration is {busy:g} s, longer than the shot's {shot_seconds} s",
                (*path, "exit_duration"),
            )
    if isinstance(layer, ProductLayer):
        yield from treatment_problems(template, layer, shot_seconds, path)


def _frames_problem(
    template: Template, seconds: float, fps: int, path: tuple[str | int, ...]
) -> Iterator[TemplateError]:
    frames = seconds * fps
    if abs(frames - round(frames)) > 1e-6:
        yield template.error(
            f"{seconds} s is {frames:g} frames at {fps} fps; use a whole number of frames (a multiple of 1/{fps} s)",
            path,
        )


def _syntax_problem(
    template: Template, source: str, path: tuple[str | int, ...], expression: bool = False
) -> Iterator[TemplateError]:
    try:
        if expression:
            template.env.compile_expression(source)
        else:
            template.env.from_string(source)
    except jinja2.TemplateSyntaxError as exc:
        yield template.error(f"syntax error: {exc.message}", path)


def _motion_problems(template: Template, index: int) -> Iterator[TemplateError]:
    """A generated motion's prompt is a Jinja text; its ``to`` names another shot of the template."""
    motion = template.spec.shots[index].background.generated
    if motion is None:
        return
    where = ("shots", index, "background", "motion")
    yield from _syntax_problem(template, motion.prompt, (*where, "prompt"))
    others = [shot.id for shot in template.spec.shots if shot.id != template.spec.shots[index].id]
    if motion.to is not None and motion.to not in others:
        yield template.error(
            f"the motion ends on shot {motion.to!r}, which this template does not have"
            f"{did_you_mean(motion.to, others)}; its other shots: {', '.join(others) or 'none'}",
            (*where, "to"),
        )

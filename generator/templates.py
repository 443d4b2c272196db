"""Templates: YAML specs with Jinja2 expressions, validated with line numbers, evaluated in a sandbox.

YAML is parsed and validated *before* any expression runs, and expressions are evaluated one
field at a time, so catalog values can never change a template's structure; what an expression
returns is text, never evaluated again (a title ``{{ 7*7 }}`` stays literal).

Expression fields: ``shots[].when`` and ``shots[].each`` (Jinja expressions),
``shots[].background.prompt|negative`` and ``shots[].text[].text`` (Jinja templates).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

import jinja2
import yaml
from babel.numbers import format_currency, format_percent
from jinja2.sandbox import SandboxedEnvironment
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from generator.catalog import Money
from generator.errors import TemplateError

Aspect = Literal["9:16", "1:1", "4:5", "16:9"]
Color = Annotated[str, Field(pattern=r"^#[0-9A-Fa-f]{6}$")]
Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=64)]
Entrance = Literal["none", "fade", "pop", "slide-left", "slide-right", "slide-up", "slide-down"]
RelativeBox = tuple[float, float, float, float]
BoxSpec = str | RelativeBox

NAMED_BOXES: Mapping[str, RelativeBox] = {
    "top": (0.08, 0.08, 0.84, 0.16),
    "upper": (0.08, 0.20, 0.84, 0.16),
    "center": (0.12, 0.26, 0.76, 0.42),
    "lower": (0.08, 0.65, 0.84, 0.14),
    "bottom": (0.10, 0.74, 0.80, 0.12),
    "lower-left": (0.04, 0.50, 0.46, 0.30),
    "lower-right": (0.50, 0.50, 0.46, 0.30),
    "hero": (0.08, 0.23, 0.84, 0.37),
}


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_box(value: BoxSpec) -> BoxSpec:
    if isinstance(value, str):
        if value not in NAMED_BOXES:
            raise ValueError(f"unknown box {value!r}; use one of {', '.join(NAMED_BOXES)} or [x, y, w, h]")
        return value
    x, y, w, h = value
    if not (0 <= x and 0 <= y and w > 0 and h > 0 and x + w <= 1.0 + 1e-9 and y + h <= 1.0 + 1e-9):
        raise ValueError(f"box {list(value)} must lie within the canvas: 0 <= x, y and x + w, y + h <= 1")
    return value


class Canvas(_Spec):
    """Frame rate and the aspects a template renders (first one is the default)."""

    fps: int = Field(30, ge=12, le=60)
    aspects: tuple[Aspect, ...] = Field(("9:16",), min_length=1)


class Palette(_Spec):
    """Colours the draft renderer and text styles draw from."""

    background: tuple[Color, Color] = ("#F4EDE6", "#D9C7B8")
    accent: Color = "#E4572E"
    text: Color = "#FFFFFF"


class TextStyle(_Spec):
    """How a text layer looks; sizes are pixels on a 1080-pixel-wide canvas."""

    font: str = "DejaVu Sans"
    weight: Literal["regular", "bold"] = "regular"
    size: int = Field(72, ge=8, le=400)
    min_size: int = Field(40, ge=8, le=400)
    color: Color | None = None
    align: Literal["left", "center", "right"] = "center"
    line_spacing: float = Field(1.15, ge=0.8, le=3.0)
    stroke: int = Field(0, ge=0, le=20)
    shadow: bool = True
    plate: Color | None = None


DEFAULT_STYLES: Mapping[str, TextStyle] = {
    "headline": TextStyle(weight="bold", size=104, min_size=56),
    "body": TextStyle(size=72, min_size=40),
    "price": TextStyle(weight="bold", size=150, min_size=72),
    "was": TextStyle(size=72, min_size=40, color="#E8E8E8"),
    "badge": TextStyle(weight="bold", size=120, min_size=64, plate="#E4572E", shadow=False),
    "cta": TextStyle(weight="bold", size=80, min_size=48, plate="#111111", shadow=False),
}


class Background(_Spec):
    prompt: str = Field(min_length=1)
    negative: str = ""
    palette: tuple[Color, Color] | None = None


class Camera(_Spec):
    move: Literal["none", "push-in", "pull-out"] = "none"
    amount: float = Field(0.06, ge=0.0, le=0.5)


class _Layer(_Spec):
    box: BoxSpec
    enter: Entrance = "fade"
    enter_duration: float = Field(0.5, ge=0.0, le=5.0)
    delay: float = Field(0.0, ge=0.0)

    _box = field_validator("box")(_check_box)


class ProductLayer(_Layer):
    """The product's reference image, fitted inside ``box`` and scaled by ``scale``."""

    box: BoxSpec = "hero"
    scale: float = Field(1.0, gt=0.0, le=1.0)
    enter: Entrance = "pop"
    shadow: bool = True


class MascotLayer(_Layer):
    box: BoxSpec = "lower-left"
    scale: float = Field(1.0, gt=0.0, le=1.0)
    enter: Entrance = "slide-left"


class TextLayer(_Layer):
    text: str
    style: str = "body"
    box: BoxSpec = "bottom"


class Transition(_Spec):
    type: Literal["cut", "crossfade"] = "crossfade"
    duration: float = Field(0.3, ge=0.0, le=2.0)


class Shot(_Spec):
    id: Slug
    duration: float = Field(gt=0.0, le=30.0)
    when: str | None = None
    each: str | None = None
    background: Background
    camera: Camera = Camera()
    product: ProductLayer | None = None
    mascot: MascotLayer | None = None
    text: tuple[TextLayer, ...] = ()
    transition: Transition | None = None


class MediaRef(_Spec):
    ref: str


class Music(_Spec):
    ref: str
    volume: float = Field(0.8, ge=0.0, le=2.0)
    fade_out: float = Field(1.0, ge=0.0, le=10.0)


class TemplateSpec(_Spec):
    """The whole template language; every field's default is written here."""

    id: Slug
    version: int = Field(ge=1)
    vertical: Slug
    name: str = ""
    description: str = ""
    locale: str = "en_US"
    product_types: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()
    canvas: Canvas = Canvas()
    palette: Palette = Palette()
    styles: dict[str, TextStyle] = {}
    mascot: MediaRef | None = None
    music: Music | None = None
    transition: Transition = Transition()
    poster: str | None = None
    shots: tuple[Shot, ...] = Field(min_length=1)


def template_schema() -> dict[str, Any]:
    """The template language as a JSON Schema (draft 2020-12), for editors' completion and inline errors."""
    schema = TemplateSpec.model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "adgen template", **schema}


@dataclass(frozen=True)
class Template:
    """A validated template file with the source lines of its fields, for errors."""

    spec: TemplateSpec
    path: Path
    lines: Mapping[tuple[str | int, ...], int] = field(repr=False)
    env: SandboxedEnvironment = field(repr=False, compare=False)
    _compiled: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def styles(self) -> dict[str, TextStyle]:
        return {**DEFAULT_STYLES, **self.spec.styles}

    def line_of(self, path: tuple[str | int, ...]) -> int | None:
        """Line of the field at ``path``, or of its nearest ancestor present in the file."""
        return _nearest_line(self.lines, path)

    def error(self, message: str, path: tuple[str | int, ...], **context: object) -> TemplateError:
        return TemplateError(message, file=self.path, line=self.line_of(path), field=_dotted(path), **context)

    def render_text(self, source: str, path: tuple[str | int, ...], variables: Mapping[str, Any]) -> str:
        """Evaluate a template string field against ``variables``."""
        try:
            if source not in self._compiled:  # compiled once per template, not once per row
                self._compiled[source] = self.env.from_string(source)
            return str(self._compiled[source].render(variables))
        except jinja2.TemplateError as exc:
            raise self._expression_error(exc, path) from exc

    def evaluate(self, expression: str, path: tuple[str | int, ...], variables: Mapping[str, Any]) -> Any:
        """Evaluate a Jinja expression field (``when``, ``each``)."""
        try:
            key = f"\x00expression:{expression}"
            if key not in self._compiled:
                self._compiled[key] = self.env.compile_expression(expression, undefined_to_none=False)
            value = self._compiled[key](**variables)
            if isinstance(value, jinja2.Undefined):
                value._fail_with_undefined_error()
            return value
        except jinja2.TemplateError as exc:
            raise self._expression_error(exc, path) from exc

    def _expression_error(self, exc: jinja2.TemplateError, path: tuple[str | int, ...]) -> TemplateError:
        kind = "syntax error" if isinstance(exc, jinja2.TemplateSyntaxError) else "expression failed"
        return self.error(f"{kind}: {exc.message or exc}", path)


def _dotted(path: tuple[str | int, ...]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def make_environment(locale: str) -> SandboxedEnvironment:
    """A sandbox with StrictUndefined and adgen's filters bound to ``locale``."""
    env = SandboxedEnvironment(undefined=jinja2.StrictUndefined, autoescape=False)

    def money(value: Money) -> str:
        if not isinstance(value, Money):
            raise jinja2.TemplateRuntimeError(f"money expects a price, got {type(value).__name__}")
        return format_currency(value.amount, value.currency, locale=locale)

    def percent(value: Decimal | float | None, digits: int = 0) -> str:
        if value is None:
            raise jinja2.TemplateRuntimeError("percent got none (is there a sale?)")
        pattern = "#,##0%" if digits == 0 else "#,##0." + "0" * digits + "%"
        return format_percent(value, format=pattern, locale=locale)

    def truncate(value: str, length: int = 40, end: str = "…") -> str:
        text = str(value)
        if len(text) <= length:
            return text
        keep = max(0, length - len(end))
        cut = text[:keep]
        if not text[keep].isspace() and " " in cut:  # never end on half a word
            cut = cut[: cut.rfind(" ")]
        return cut.rstrip() + end

    env.filters.update(money=money, percent=percent, truncate=truncate)
    return env


def load_template(path: Path) -> Template:
    """Parse, validate and syntax-check one template file.

    Raises:
        TemplateError: naming the file, line and field of the first problem found.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TemplateError(f"cannot read template: {exc}", file=path) from exc
    data, lines = _parse_yaml(text, path)
    if not isinstance(data, dict):
        raise TemplateError("a template is a YAML mapping (id, version, shots, ...)", file=path, line=1)
    try:
        spec = TemplateSpec.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(first["loc"])
        line = _nearest_line(lines, loc)
        message = first["msg"]
        if first["type"] == "extra_forbidden":
            message = f"unknown field {loc[-1]!r}"
        raise TemplateError(message, file=path, line=line, field=_dotted(_strip_union_tags(loc))) from exc
    template = Template(spec=spec, path=path, lines=lines, env=make_environment(spec.locale))
    _check_template(template)
    return template


def discover_templates(root: Path) -> tuple[dict[str, Template], list[TemplateError]]:
    """Load every ``<root>/<vertical>/*.yaml``; broken files are returned as errors, not raised."""
    templates: dict[str, Template] = {}
    errors: list[TemplateError] = []
    for path in sorted(root.glob("*/*.yaml")):
        try:
            template = load_template(path)
        except TemplateError as exc:
            errors.append(exc)
            continue
        if template.id in templates:
            errors.append(TemplateError(f"duplicate template id {template.id!r} (also in {templates[template.id].path})", file=path))
            continue
        templates[template.id] = template
    return templates, errors


def _check_template(template: Template) -> None:
    spec = template.spec
    fps = spec.canvas.fps
    styles = template.styles
    shot_ids = set()
    for name, style in styles.items():
        if style.min_size > style.size:
            raise template.error(f"min_size {style.min_size} is above size {style.size}", ("styles", name, "min_size"))
    for i, shot in enumerate(spec.shots):
        where = ("shots", i)
        if shot.id in shot_ids:
            raise template.error(f"duplicate shot id {shot.id!r}", (*where, "id"))
        shot_ids.add(shot.id)
        _check_frames(template, shot.duration, fps, (*where, "duration"))
        for expr_field in ("when", "each"):
            expression = getattr(shot, expr_field)
            if expression is not None:
                _compile(template, expression, (*where, expr_field), expression=True)
        if shot.each is not None and not re.match(r"^\s*[A-Za-z_]\w*\s+in\s+\S", shot.each):
            raise template.error("each must read 'NAME in EXPRESSION'", (*where, "each"))
        _compile(template, shot.background.prompt, (*where, "background", "prompt"))
        _compile(template, shot.background.negative, (*where, "background", "negative"))
        layers: list[tuple[tuple[str | int, ...], ProductLayer | MascotLayer | TextLayer]] = []
        if shot.product is not None:
            layers.append(((*where, "product"), shot.product))
        if shot.mascot is not None:
            if spec.mascot is None:
                raise template.error("shot has a mascot but the template declares none (mascot: {ref: ...})", (*where, "mascot"))
            layers.append(((*where, "mascot"), shot.mascot))
        for j, text in enumerate(shot.text):
            layers.append(((*where, "text", j), text))
            _compile(template, text.text, (*where, "text", j, "text"))
            if text.style not in styles:
                raise template.error(f"unknown style {text.style!r}; defined: {', '.join(sorted(styles))}", (*where, "text", j, "style"))
        for layer_path, layer in layers:
            _check_frames(template, layer.enter_duration, fps, (*layer_path, "enter_duration"))
            _check_frames(template, layer.delay, fps, (*layer_path, "delay"))
            if layer.delay >= shot.duration:
                raise template.error(f"delay {layer.delay} s is not within the shot's {shot.duration} s", (*layer_path, "delay"))
        transition = shot.transition or spec.transition
        _check_frames(template, transition.duration, fps, (*where, "transition", "duration"))
        if i > 0 and transition.type != "cut" and transition.duration >= min(shot.duration, spec.shots[i - 1].duration):
            raise template.error("transition is longer than a shot it joins", (*where, "transition", "duration"))
    if spec.poster is not None and spec.poster not in shot_ids:
        raise template.error(f"poster names unknown shot {spec.poster!r}", ("poster",))


def _check_frames(template: Template, seconds: float, fps: int, path: tuple[str | int, ...]) -> None:
    frames = seconds * fps
    if abs(frames - round(frames)) > 1e-6:
        raise template.error(
            f"{seconds} s is {frames:g} frames at {fps} fps; use a whole number of frames (a multiple of 1/{fps} s)",
            path,
        )


def _compile(template: Template, source: str, path: tuple[str | int, ...], expression: bool = False) -> None:
    try:
        if expression:
            template.env.compile_expression(source)
        else:
            template.env.from_string(source)
    except jinja2.TemplateSyntaxError as exc:
        raise template.error(f"syntax error: {exc.message}", path) from exc


def _parse_yaml(text: str, path: Path) -> tuple[Any, dict[tuple[str | int, ...], int]]:
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise TemplateError("template file is empty", file=path, line=1)
        lines: dict[tuple[str | int, ...], int] = {}
        _collect_lines(node, (), lines, path)
        return loader.construct_document(node), lines
    except yaml.MarkedYAMLError as exc:
        # An unclosed bracket is reported where parsing gave up; the bracket's own line is the context.
        opened = (exc.context or "").startswith("while parsing a flow")
        mark = (exc.context_mark if opened else None) or exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        column = mark.column + 1 if mark else None
        raise TemplateError(f"invalid YAML: {exc.problem or exc.context}", file=path, line=line, column=column) from exc
    finally:
        loader.dispose()


def _collect_lines(node: yaml.Node, path: tuple[str | int, ...], lines: dict[tuple[str | int, ...], int], file: Path) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            name = str(key.value)
            if name in seen:
                raise TemplateError(f"duplicate key {name!r}", file=file, line=key.start_mark.line + 1, field=_dotted((*path, name)))
            seen.add(name)
            _collect_lines(value, (*path, name), lines, file)
            lines[(*path, name)] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _collect_lines(item, (*path, index), lines, file)


def _strip_union_tags(loc: tuple[Any, ...]) -> tuple[str | int, ...]:
    """Drop pydantic's union-member tags (``'str'``, ``'tuple[...]'``) from an error location."""
    return tuple(p for p in loc if isinstance(p, int) or not (("[" in p) or p in ("str",)))


def _nearest_line(lines: Mapping[tuple[str | int, ...], int], loc: tuple[Any, ...]) -> int | None:
    """Line of the field at ``loc``, or of its nearest ancestor present in the file."""
    path = _strip_union_tags(loc)
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return lines.get(())


def iter_templates_for(templates: Mapping[str, Template], vertical: str, product_type: str) -> Iterator[Template]:
    """Templates matching a product: by its ``vertical`` column, else by ``product_types`` keywords."""
    ordered = sorted(templates.values(), key=lambda t: t.id)
    if vertical:
        yield from (t for t in ordered if t.spec.vertical == vertical)
        return
    lowered = product_type.lower()
    for template in ordered:
        if any(keyword.lower() in lowered for keyword in template.spec.product_types):
            yield template

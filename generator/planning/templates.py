"""Templates: YAML specs with Jinja2 expressions, validated with line numbers, evaluated in a sandbox.

YAML is parsed and validated *before* any expression runs, and expressions are evaluated one
field at a time, so catalog values can never change a template's structure; what an expression
returns is text, never evaluated again (a title ``{{ 7*7 }}`` stays literal).

Expression fields: ``shots[].when`` and ``shots[].each`` (Jinja expressions),
``shots[].background.prompt|negative`` and ``shots[].text[].text`` (Jinja templates).
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar, get_args

import jinja2
import jinja2.meta
import yaml
from babel.numbers import format_currency, format_percent
from jinja2.sandbox import SandboxedEnvironment
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from generator.core.errors import TemplateError
from generator.planning.catalog import Money

Aspect = Literal["9:16", "1:1", "4:5", "16:9"]
Color = Annotated[str, Field(pattern=r"^#[0-9A-Fa-f]{6}$")]
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
RelativeBox = tuple[float, float, float, float]
Mark = tuple[int, int]  # (line, column) in a YAML file, both from 1
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


KITS_FOLDER = "kits"  # <templates>/kits/*.yaml are brand kits, not templates


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


_M = TypeVar("_M", bound=_Spec)


def _check_box(value: BoxSpec) -> BoxSpec:
    if isinstance(value, dict):
        if "default" not in value:
            raise ValueError("a box per aspect needs a 'default' for the aspects it does not name")
        for box in value.values():
            _check_box(box)
        return value
    if isinstance(value, str):
        if value not in NAMED_BOXES:
            raise ValueError(f"unknown box {value!r}; use one of {', '.join(NAMED_BOXES)} or [x, y, w, h]")
        return value
    x, y, w, h = value
    if not (x >= 0 and y >= 0 and w > 0 and h > 0 and x + w <= 1.0 + 1e-9 and y + h <= 1.0 + 1e-9):
        raise ValueError(f"box {list(value)} must lie within the canvas: 0 <= x, y and x + w, y + h <= 1")
    return value


class Canvas(_Spec):
    """Frame rate and the aspects a template renders (first one is the default)."""

    fps: int = Field(30, ge=12, le=60)
    aspects: tuple[Aspect, ...] = Field(("9:16",), min_length=1)


class Palette(_Spec):
    """Colours the draft renderer and text styles draw from."""

    background: tuple[Color, Color] = ("#2E2E38", "#1C1C22")  # dark, so the default white text reads on it
    accent: Color = "#E4572E"
    text: Color = "#FFFFFF"


class TextStyle(_Spec):
    """How a text layer looks; sizes are pixels on a 1080-pixel-wide canvas."""

    font: str = "DejaVu Sans"
    fallback: tuple[str, ...] = ()
    weight: Literal["regular", "bold"] = "regular"
    size: int = Field(72, ge=8, le=400)
    min_size: int = Field(40, ge=8, le=400)
    color: Color | None = None
    align: Literal["left", "center", "right", "start", "end"] = "center"
    line_spacing: float = Field(1.15, ge=0.8, le=3.0)
    stroke: int = Field(0, ge=0, le=20)
    shadow: bool = True
    plate: Color | None = None
    overflow: Overflow | None = None
    legibility: Legibility = "check"


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
    """A move over the whole shot. Pans and parallax travel across a view zoomed in by ``amount``;
    under parallax the product and mascot travel ``depth`` times as far as the background."""

    move: CameraMoveName = "none"
    amount: float = Field(0.06, ge=0.0, le=0.5)
    ease: Easing = "ease-in-out"
    depth: float = Field(1.6, ge=1.0, le=4.0)


class _Layer(_Spec):
    box: BoxSpec
    area: Literal["safe", "canvas"] = "safe"
    enter: Entrance = "fade"
    enter_duration: float = Field(0.5, ge=0.0, le=5.0)
    delay: float = Field(0.0, ge=0.0)
    ease: Easing | None = None
    exit: Entrance = "none"
    exit_duration: float = Field(0.4, ge=0.0, le=5.0)
    exit_ease: Easing | None = None

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
    overflow: Overflow | None = None  # None: the style's
    box: BoxSpec = "bottom"


class Transition(_Spec):
    """How a shot replaces the one before it; ``direction`` is where a slide or wipe travels."""

    type: Literal["cut", "crossfade", "slide", "wipe", "zoom"] = "crossfade"
    duration: float = Field(0.3, ge=0.0, le=2.0)
    direction: Direction = "left"
    ease: Easing = "ease-in-out"


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


class BrandKit(_Spec):
    """Shared look for several templates: a template's own fields win; a style it writes changes only
    the style fields it names."""

    name: str = ""
    locale: str | None = None
    palette: Palette | None = None
    styles: dict[str, TextStyle] = {}
    mascot: MediaRef | None = None
    music: Music | None = None


class TemplateSpec(_Spec):
    """The whole template language; every field's default is written here."""

    id: Slug
    version: int = Field(ge=1)
    vertical: Slug
    name: str = ""
    description: str = ""
    brand_kit: str | None = None
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
    lines: Mapping[tuple[str | int, ...], Mark] = field(repr=False)
    env: SandboxedEnvironment = field(repr=False, compare=False)
    _compiled: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def styles(self) -> dict[str, TextStyle]:
        return {**DEFAULT_STYLES, **self.spec.styles}

    def overflow(self, layer: TextLayer) -> Overflow:
        """``layer``'s overflow policy: its own, else its style's, else by whether its text reads a variable."""
        chosen = layer.overflow or self.styles[layer.style].overflow
        if chosen is not None:
            return chosen
        key = f"\x00variables:{layer.text}"
        if key not in self._compiled:
            self._compiled[key] = bool(jinja2.meta.find_undeclared_variables(self.env.parse(layer.text)))
        return "shrink" if self._compiled[key] else "error"

    def line_of(self, path: tuple[str | int, ...]) -> int | None:
        """Line of the field at ``path``, or of its nearest ancestor present in the file."""
        mark = _nearest_mark(self.lines, path)
        return mark[0] if mark else None

    def error(self, message: str, path: tuple[str | int, ...], **context: object) -> TemplateError:
        mark = _nearest_mark(self.lines, path)
        line, column = mark if mark else (None, None)
        return TemplateError(message, file=self.path, line=line, column=column, field=dotted(path), **context)

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


def dotted(path: tuple[str | int, ...]) -> str:
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
    data, lines = read_template_data(path)
    spec = _validate(TemplateSpec, data, path, lines)
    template = Template(spec=spec, path=path, lines=lines, env=make_environment(spec.locale))
    for problem in template_problems(template):
        raise problem
    return template


def read_template_data(path: Path) -> tuple[dict[str, Any], dict[tuple[str | int, ...], Mark]]:
    """A template file's mapping, its brand kit merged in, and the (line, column) of each field.

    Raises:
        TemplateError: unreadable file, invalid YAML, not a mapping, or a bad brand kit.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TemplateError(f"cannot read template: {exc}", file=path) from exc
    data, lines = _parse_yaml(text, path)
    if not isinstance(data, dict):
        raise TemplateError("a template is a YAML mapping (id, version, shots, ...)", file=path, line=1)
    kit_ref = data.get("brand_kit")
    if isinstance(kit_ref, str):
        data = _with_brand_kit(data, _load_brand_kit(kit_ref, path, lines))
    return data, lines


def _validate(model: type[_M], data: Any, path: Path, lines: Mapping[tuple[str | int, ...], Mark]) -> _M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise schema_errors(exc, model, path, lines)[0] from exc


def schema_errors(
    exc: ValidationError, model: type[BaseModel], path: Path, lines: Mapping[tuple[str | int, ...], Mark]
) -> list[TemplateError]:
    """One TemplateError per schema violation, at its line and column, with a "did you mean" where one helps."""
    problems = [(_strip_union_tags(tuple(p["loc"])), p) for p in exc.errors()]
    errors = []
    seen: set[tuple[str | int, ...]] = set()
    for loc, problem in problems:
        if loc in seen:  # a union reports each member; the first message is enough
            continue
        if problem["type"] == "too_short" and any(other[: len(loc)] == loc and other != loc for other, _ in problems):
            continue  # a list emptied by its own items' errors: those errors say what is wrong
        seen.add(loc)
        mark = _nearest_mark(lines, loc)
        line, column = mark if mark else (None, None)
        errors.append(
            TemplateError(_schema_message(problem, loc, model), file=path, line=line, column=column, field=dotted(loc))
        )
    return errors


# Unquoted, YAML 1.1 reads an aspect such as 9:16 as a base-60 number.
_SEXAGESIMAL_ASPECTS = {9 * 60 + 16: "9:16", 60 + 1: "1:1", 4 * 60 + 5: "4:5", 16 * 60 + 9: "16:9"}


def _schema_message(problem: Any, loc: tuple[str | int, ...], model: type[BaseModel]) -> str:
    kind, value = problem["type"], problem.get("input")
    name = next((str(part) for part in reversed(loc) if isinstance(part, str)), "value")
    if kind == "extra_forbidden":
        return f"unknown field {loc[-1]!r}" + _did_you_mean(str(loc[-1]), _field_names(model, loc[:-1]))
    if kind == "missing":
        return f"missing required field {loc[-1]!r}"
    if kind == "literal_error":
        options = re.findall(r"'([^']*)'", str(problem.get("ctx", {}).get("expected", "")))
        if isinstance(value, int) and value in _SEXAGESIMAL_ASPECTS:
            return f'write the aspect in quotes, "{_SEXAGESIMAL_ASPECTS[value]}": unquoted, YAML reads it as the number {value}'
        return f"{name}: {value!r} is not one of {', '.join(options)}" + _did_you_mean(str(value), options)
    message = str(problem["msg"]).removeprefix("Value error, ")
    if kind == "value_error" and name == "box" and isinstance(value, str):
        message += _did_you_mean(value, NAMED_BOXES)
    return f"{name}: {message[0].lower()}{message[1:]}"


def _did_you_mean(word: str, options: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _field_names(model: type[BaseModel], loc: tuple[str | int, ...]) -> list[str]:
    """The field names allowed at ``loc`` inside ``model`` (list indexes and dict keys walked through)."""
    current: Any = model
    for part in loc:
        current = (
            _model_in(current.model_fields[part].annotation)
            if isinstance(part, str) and part in current.model_fields
            else current
        )
        if current is None:
            return []
    return list(current.model_fields) if isinstance(current, type) and issubclass(current, BaseModel) else []


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model inside an annotation such as ``tuple[Shot, ...]``, ``X | None`` or ``dict[str, X]``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in get_args(annotation):
        found = _model_in(argument)
        if found is not None:
            return found
    return None


def _load_brand_kit(ref: str, template_path: Path, template_lines: Mapping[tuple[str | int, ...], Mark]) -> BrandKit:
    """The kit file ``ref`` names, relative to the template; it must lie inside the templates folder."""
    root = template_path.parent.parent.resolve()
    kit_path = (template_path.parent / ref).resolve()
    if not kit_path.is_relative_to(root) or not kit_path.is_file():
        problem = "is outside the templates folder" if not kit_path.is_relative_to(root) else "does not exist"
        line, column = template_lines.get(("brand_kit",), (None, None))
        raise TemplateError(
            f"brand kit {ref!r} {problem}", file=template_path, line=line, column=column, field="brand_kit"
        )
    data, lines = _parse_yaml(kit_path.read_text(encoding="utf-8"), kit_path)
    kit = _validate(BrandKit, data if data is not None else {}, kit_path, lines)
    rebased = {  # a kit's files are named relative to the kit; the template reads them relative to itself
        name: media.model_copy(
            update={"ref": os.path.relpath(kit_path.parent / media.ref, template_path.parent.resolve())}
        )
        for name in ("mascot", "music")
        if (media := getattr(kit, name)) is not None
    }
    kit = kit.model_copy(update=rebased)
    for name, style in kit.styles.items():
        if style.min_size > style.size:
            line, column = lines.get(("styles", name, "min_size"), (None, None))
            raise TemplateError(f"min_size {style.min_size} is above size {style.size}", file=kit_path,
                                line=line, column=column, field=f"styles.{name}.min_size")  # fmt: skip
    return kit


def _with_brand_kit(data: dict[str, Any], kit: BrandKit) -> dict[str, Any]:
    """Template ``data`` with the kit's fields where the template has none, and the kit's styles under its own."""
    merged = dict(data)
    for name in ("locale", "palette", "mascot", "music"):
        value = getattr(kit, name)
        if name not in merged and value is not None:
            merged[name] = value.model_dump() if isinstance(value, BaseModel) else value
    own_styles = data.get("styles") or {}
    if kit.styles and isinstance(own_styles, dict):
        styles: dict[str, Any] = {name: style.model_dump(exclude_defaults=True) for name, style in kit.styles.items()}
        for name, own in own_styles.items():  # a template's style changes only the fields it writes
            styles[name] = {**styles.get(name, {}), **own} if isinstance(own, dict) else own
        merged["styles"] = styles
    return merged


def discover_templates(root: Path) -> tuple[dict[str, Template], list[TemplateError]]:
    """Load every ``<root>/<vertical>/*.yaml``; broken files are returned as errors, not raised."""
    templates: dict[str, Template] = {}
    errors: list[TemplateError] = []
    for path in sorted(root.glob("*/*.yaml")):
        if path.parent.name == KITS_FOLDER:
            continue
        try:
            template = load_template(path)
        except TemplateError as exc:
            errors.append(exc)
            continue
        if template.id in templates:
            errors.append(
                TemplateError(
                    f"duplicate template id {template.id!r} (also in {templates[template.id].path})", file=path
                )
            )
            continue
        templates[template.id] = template
    return templates, errors


def template_problems(template: Template) -> Iterator[TemplateError]:
    """Every rule a validated template breaks beyond its schema, in file order."""
    spec = template.spec
    fps = spec.canvas.fps
    styles = template.styles
    shot_ids: set[str] = set()
    for name, style in spec.styles.items():
        if style.min_size > style.size:
            yield template.error(f"min_size {style.min_size} is above size {style.size}", ("styles", name, "min_size"))
    for i, shot in enumerate(spec.shots):
        where = ("shots", i)
        if shot.id in shot_ids:
            yield template.error(f"duplicate shot id {shot.id!r}", (*where, "id"))
        shot_ids.add(shot.id)
        yield from _frames_problem(template, shot.duration, fps, (*where, "duration"))
        for expr_field in ("when", "each"):
            expression = getattr(shot, expr_field)
            if expression is not None:
                yield from _syntax_problem(template, expression, (*where, expr_field), expression=True)
        if shot.each is not None and not re.match(r"^\s*[A-Za-z_]\w*\s+in\s+\S", shot.each):
            yield template.error("each must read 'NAME in EXPRESSION'", (*where, "each"))
        yield from _syntax_problem(template, shot.background.prompt, (*where, "background", "prompt"))
        yield from _syntax_problem(template, shot.background.negative, (*where, "background", "negative"))
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
                    f"unknown style {text.style!r}{_did_you_mean(text.style, styles)}; defined: {', '.join(sorted(styles))}",
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
            f"poster names unknown shot {spec.poster!r}{_did_you_mean(spec.poster, shot_ids)}", ("poster",)
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


def _parse_yaml(text: str, path: Path) -> tuple[Any, dict[tuple[str | int, ...], Mark]]:
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise TemplateError("template file is empty", file=path, line=1)
        lines: dict[tuple[str | int, ...], Mark] = {}
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


def _collect_lines(
    node: yaml.Node, path: tuple[str | int, ...], lines: dict[tuple[str | int, ...], Mark], file: Path
) -> None:
    lines[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            name = str(key.value)
            if name in seen:
                raise TemplateError(f"duplicate key {name!r}", file=file, line=key.start_mark.line + 1,
                                    column=key.start_mark.column + 1, field=dotted((*path, name)))  # fmt: skip
            seen.add(name)
            _collect_lines(value, (*path, name), lines, file)
            lines[(*path, name)] = (key.start_mark.line + 1, key.start_mark.column + 1)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _collect_lines(item, (*path, index), lines, file)


def _strip_union_tags(loc: tuple[Any, ...]) -> tuple[str | int, ...]:
    """Drop pydantic's union-member tags (``'str'``, ``'tuple[...]'``) from an error location."""
    return tuple(p for p in loc if isinstance(p, int) or not (("[" in p) or p in ("str",)))


def _nearest_mark(lines: Mapping[tuple[str | int, ...], Mark], loc: tuple[Any, ...]) -> Mark | None:
    """(line, column) of the field at ``loc``, or of its nearest ancestor present in the file."""
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

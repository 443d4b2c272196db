"""The template language's schema: exported as JSON Schema, and its violations told at their lines."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeVar, get_args

from pydantic import BaseModel, ValidationError

from generator.core.errors import TemplateError
from generator.planning.templates.source import Lines, dotted, nearest_mark, strip_union_tags
from generator.planning.templates.spec import NAMED_BOXES, TemplateSpec

_M = TypeVar("_M", bound=BaseModel)


def template_schema() -> dict[str, Any]:
    """The template language as a JSON Schema (draft 2020-12), for editors' completion and inline errors."""
    schema = TemplateSpec.model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "adgen template", **schema}


def validate(model: type[_M], data: Any, path: Path, lines: Lines) -> _M:
    """``data`` as a ``model``.

    Raises:
        TemplateError: the first schema violation, at its line and column.
    """
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise schema_errors(exc, model, path, lines)[0] from exc


def schema_errors(exc: ValidationError, model: type[BaseModel], path: Path, lines: Lines) -> list[TemplateError]:
    """One TemplateError per schema violation, at its line and column, with a "did you mean" where one helps."""
    problems = [(strip_union_tags(tuple(p["loc"])), p) for p in exc.errors()]
    errors = []
    seen: set[tuple[str | int, ...]] = set()
    for loc, problem in problems:
        if loc in seen:  # a union reports each member; the first message is enough
            continue
        if problem["type"] == "too_short" and any(other[: len(loc)] == loc and other != loc for other, _ in problems):
            continue  # a list emptied by its own items' errors: those errors say what is wrong
        seen.add(loc)
        mark = nearest_mark(lines, loc)
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
        return f"unknown field {loc[-1]!r}" + did_you_mean(str(loc[-1]), _field_names(model, loc[:-1]))
    if kind == "missing":
        return f"missing required field {loc[-1]!r}"
    if kind == "literal_error":
        options = re.findall(r"'([^']*)'", str(problem.get("ctx", {}).get("expected", "")))
        if isinstance(value, int) and value in _SEXAGESIMAL_ASPECTS:
            return f'write the aspect in quotes, "{_SEXAGESIMAL_ASPECTS[value]}": unquoted, YAML reads it as the number {value}'
        return f"{name}: {value!r} is not one of {', '.join(options)}" + did_you_mean(str(value), options)
    expected = _expected(kind, problem.get("ctx", {}), _model_at(model, loc))
    if expected is not None:
        return f"{name}: expected {expected}, not {value!r}"
    message = str(problem["msg"]).removeprefix("Value error, ")
    if kind == "value_error" and name == "box" and isinstance(value, str):
        message += did_you_mean(value, NAMED_BOXES)
    return f"{name}: {message[0].lower()}{message[1:]}"


def did_you_mean(word: str, options: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` naming the option closest to ``word``, or nothing when none is close."""
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _expected(kind: str, limits: dict[str, Any], block: type[BaseModel] | None) -> str | None:
    """What a value of the wrong kind should have been, in words (None: pydantic's message says it)."""
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        if block is None:
            return "a block of fields"
        return str(getattr(block, "expected", f"a block with the fields {', '.join(block.model_fields)}"))
    words = {
        "string_type": "text", "int_type": "a whole number", "int_parsing": "a whole number",
        "int_from_float": "a whole number", "float_type": "a number", "float_parsing": "a number",
        "bool_type": "true or false", "bool_parsing": "true or false", "list_type": "a list",
        "tuple_type": "a list", "greater_than_equal": f"a number of at least {limits.get('ge')}",
        "greater_than": f"a number above {limits.get('gt')}",
        "less_than_equal": f"a number of at most {limits.get('le')}",
    }  # fmt: skip
    return words.get(kind)


def _model_at(model: type[BaseModel], loc: tuple[str | int, ...]) -> type[BaseModel] | None:
    """The model a value at ``loc`` inside ``model`` is validated as (list indexes and dict keys walked through)."""
    current: Any = model
    for part in loc:
        current = (
            _model_in(current.model_fields[part].annotation)
            if isinstance(part, str) and part in current.model_fields
            else current
        )
        if current is None:
            return None
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _field_names(model: type[BaseModel], loc: tuple[str | int, ...]) -> list[str]:
    """The field names allowed at ``loc`` inside ``model``."""
    block = _model_at(model, loc)
    return list(block.model_fields) if block is not None else []


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model inside an annotation such as ``tuple[Shot, ...]``, ``X | None`` or ``dict[str, X]``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in get_args(annotation):
        found = _model_in(argument)
        if found is not None:
            return found
    return None

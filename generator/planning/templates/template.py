"""A loaded template: its validated spec, where each field is written, and its fields evaluated per product."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import jinja2.meta
from jinja2.sandbox import SandboxedEnvironment

from generator.core.errors import TemplateError
from generator.planning.templates.source import Lines, dotted, nearest_mark
from generator.planning.templates.spec import DEFAULT_STYLES, Overflow, TemplateSpec, TextLayer, TextStyle


@dataclass(frozen=True)
class Template:
    """A validated template file with the source lines of its fields, for errors."""

    spec: TemplateSpec
    path: Path
    lines: Lines = field(repr=False)
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
        mark = nearest_mark(self.lines, path)
        return mark[0] if mark else None

    def error(self, message: str, path: tuple[str | int, ...], **context: object) -> TemplateError:
        mark = nearest_mark(self.lines, path)
        line, column = mark if mark else (None, None)
        return TemplateError(message, file=self.path, line=line, column=column, field=dotted(path), **context)

    def render_text(self, source: str, path: tuple[str | int, ...], variables: Mapping[str, Any]) -> str:
        """Evaluate a template string field against ``variables``."""
        if "{" not in source and not source.endswith("\n"):
            return source  # no Jinja syntax: the text itself (Jinja would only drop a final newline)
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

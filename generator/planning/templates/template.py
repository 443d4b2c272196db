"""A loaded template: its validated spec, where each field is written, and its fields evaluated per product."""

from __future__ import annotations

import collections
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import jinja2.meta
from jinja2 import nodes
from jinja2.sandbox import SandboxedEnvironment

from generator.core.errors import TemplateError
from generator.planning.templates.brand import Kit
from generator.planning.templates.source import Lines, dotted, nearest_mark
from generator.planning.templates.spec import DEFAULT_STYLES, Overflow, TemplateSpec, TextLayer, TextStyle

_MEMO_KEPT = 2048  # values remembered per template
# What an expression can raise on a row's values ('{{ product.price + 1 }}', a price compared with a
# number): reported at the field's line like a Jinja error, instead of a traceback.
_EXPRESSION_FAILURES = (jinja2.TemplateError, TypeError, ValueError, ArithmeticError)


def keyed(value: object) -> object:
    """``value`` as a key for what it renders to: text as it is, anything else by its ``repr``
    (``Decimal("10.0")`` equals ``Decimal("10.00")`` but prints otherwise)."""
    return value if type(value) is str else repr(value)


@dataclass(frozen=True)
class Template:
    """A validated template file with the source lines of its fields, for errors."""

    spec: TemplateSpec
    path: Path
    lines: Lines = field(repr=False)
    env: SandboxedEnvironment = field(repr=False, compare=False)
    _compiled: dict[Hashable, Any] = field(default_factory=dict, init=False, repr=False, compare=False)
    memo: collections.OrderedDict[Hashable, Any] = field(
        default_factory=collections.OrderedDict, init=False, repr=False, compare=False
    )  # values computed from this template, by what they depend on, most recent last (``remember``)
    kit: Kit | None = field(default=None, repr=False, compare=False)  # its brand kit, if any

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

    def product_reads(self, shot: int) -> tuple[str, ...] | None:
        """The product fields that shot ``shot``'s texts, voice line and background prompts read, sorted; None
        when one of them uses ``product`` other than by a constant field name (``product.title``,
        ``product["title"]``), or does not parse: then the whole product counts."""
        key = ("reads", shot)
        if key in self._compiled:  # the hot path: sources are gathered once
            found: tuple[str, ...] | None = self._compiled[key]
            return found
        spec = self.spec.shots[shot]
        moving = spec.background.generated.prompt if spec.background.generated else ""
        sources = (*(layer.text for layer in spec.text), spec.background.prompt, spec.background.negative, moving)
        return self._reads(key, (*sources, spec.line or ""))

    def _reads(self, key: Hashable, sources: tuple[str, ...]) -> tuple[str, ...] | None:
        if key not in self._compiled:
            self._compiled[key] = _product_reads(self.env, sources)
        found: tuple[str, ...] | None = self._compiled[key]
        return found

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
        except _EXPRESSION_FAILURES as exc:
            raise self._expression_error(exc, path) from exc

    def evaluate(self, expression: str, path: tuple[str | int, ...], variables: Mapping[str, Any]) -> Any:
        """Evaluate a Jinja expression field (``when``, ``each``). An expression of the product (and the render
        date) alone that names its fields is evaluated once per template for the values of those fields."""
        key: tuple[object, ...] | None = None
        if variables.keys() <= {"product", "today"}:
            reads = self._reads(("reads", expression), (f"{{{{ {expression} }}}}",))
            if reads is not None:
                values = tuple(keyed(getattr(variables["product"], name, None)) for name in reads)
                key = ("value", expression, variables.get("today"), values)
                if key in self.memo:
                    self.memo.move_to_end(key)
                    return self.memo[key]
        try:
            compiled = f"\x00expression:{expression}"
            if compiled not in self._compiled:
                self._compiled[compiled] = self.env.compile_expression(expression, undefined_to_none=False)
            value = self._compiled[compiled](**variables)
            if isinstance(value, jinja2.Undefined):
                value._fail_with_undefined_error()
        except _EXPRESSION_FAILURES as exc:
            raise self._expression_error(exc, path) from exc
        if key is not None:
            self.remember(key, value)
        return value

    def recall(self, key: Hashable) -> Any:
        """What ``remember`` kept for ``key``, now the most recent; None when nothing."""
        value = self.memo.get(key)
        if value is not None:
            self.memo.move_to_end(key)
        return value

    def remember(self, key: Hashable, value: object) -> None:
        """Keep ``value``, computed from this template, for ``key``; the oldest go past ``_MEMO_KEPT``."""
        self.memo[key] = value
        while len(self.memo) > _MEMO_KEPT:
            self.memo.popitem(last=False)

    def _expression_error(self, exc: Exception, path: tuple[str | int, ...]) -> TemplateError:
        kind = "syntax error" if isinstance(exc, jinja2.TemplateSyntaxError) else "expression failed"
        message = (exc.message if isinstance(exc, jinja2.TemplateError) else None) or str(exc)
        return self.error(f"{kind}: {message}", path)


def _product_reads(env: SandboxedEnvironment, sources: tuple[str, ...]) -> tuple[str, ...] | None:
    fields: set[str] = set()
    for source in sources:
        if "{" not in source:
            continue
        try:
            tree = env.parse(source)
        except jinja2.TemplateSyntaxError:
            return None
        uses = sum(1 for name in tree.find_all(nodes.Name) if name.name == "product")
        named = 0
        for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
            assert isinstance(node, (nodes.Getattr, nodes.Getitem))
            if not (isinstance(node.node, nodes.Name) and node.node.name == "product"):
                continue
            if isinstance(node, nodes.Getattr):
                fields.add(node.attr)
            elif isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
                fields.add(node.arg.value)
            else:
                return None
            named += 1
        if named != uses:
            return None
    return tuple(sorted(fields))

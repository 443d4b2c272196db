"""YAML read with the (line, column) of every field, so errors point at the template line to fix."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from generator.core.errors import TemplateError

Mark = tuple[int, int]  # (line, column) in a YAML file, both from 1
Lines = Mapping[tuple[str | int, ...], Mark]  # field path -> where it is written
_FAST: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml, when PyYAML was built with it


def parse_yaml(text: str, path: Path) -> tuple[Any, dict[tuple[str | int, ...], Mark]]:
    """The document in ``text`` and the (line, column) of each of its fields.

    Parsed by libyaml when PyYAML has it (8 times faster); invalid YAML is parsed again by PyYAML's
    own parser, whose messages and marks the errors give.

    Raises:
        TemplateError: empty file, invalid YAML or a duplicate key, at its line and column.
    """
    if _FAST is not yaml.SafeLoader:
        try:
            return _parsed(text, path, _FAST)
        except (TemplateError, yaml.YAMLError) as exc:
            if not isinstance(exc, yaml.YAMLError) and not isinstance(exc.__cause__, yaml.YAMLError):
                raise  # an empty file or a duplicate key: the same error from either parser
    return _parsed(text, path, yaml.SafeLoader)


def _parsed(text: str, path: Path, parser: type[yaml.SafeLoader]) -> tuple[Any, dict[tuple[str | int, ...], Mark]]:
    loader = parser(text)
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


def strip_union_tags(loc: tuple[Any, ...]) -> tuple[str | int, ...]:
    """Drop pydantic's union-member tags (``'str'``, ``'tuple[...]'``) from an error location."""
    return tuple(p for p in loc if isinstance(p, int) or not (("[" in p) or p in ("str",)))


def nearest_mark(lines: Lines, loc: tuple[Any, ...]) -> Mark | None:
    """(line, column) of the field at ``loc``, or of its nearest ancestor present in the file."""
    path = strip_union_tags(loc)
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return lines.get(())


def dotted(path: tuple[str | int, ...]) -> str:
    """A field path as written in messages: ``("shots", 1, "text", 0)`` is ``shots[1].text[0]``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out

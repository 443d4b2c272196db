"""Form mode: a template's YAML as plain data for the page's form, and the form's edits written back.

Edits go through ruamel.yaml's round-trip loader and dumper, so the comments, key order, flow
mappings and quoting of everything the edit does not touch stay as the author wrote them.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, SingleQuotedScalarString

from generator.core.errors import ConfigError

PathPart = str | int


def _round_trip() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never fold a long line the author kept on one
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def _load(text: str) -> Any:
    try:
        return _round_trip().load(text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise ConfigError(f"the YAML does not parse: {getattr(exc, 'problem', exc)}", line=line) from None


def form_data(text: str) -> Any:
    """The document in ``text`` as JSON-ready data (mappings, lists, strings, numbers, booleans, null).

    Raises:
        ConfigError: the YAML does not parse, at its line.
    """
    return _plain(_load(text))


def _plain(node: Any) -> Any:
    if isinstance(node, dict):
        return {str(key): _plain(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_plain(item) for item in node]
    if isinstance(node, str | int | float | bool) or node is None:
        return node if not isinstance(node, str) else str(node)
    return str(node)


def _walk(document: Any, path: Sequence[PathPart]) -> Any:
    node = document
    for part in path:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            raise ConfigError("no such field in the template", field=".".join(map(str, path))) from None
    return node


def _styled(old: Any, value: Any) -> Any:
    """``value`` quoted as ``old`` was, when both are strings."""
    if isinstance(value, str) and isinstance(old, DoubleQuotedScalarString | SingleQuotedScalarString):
        return type(old)(value)
    return value


def apply_edit(text: str, edit: dict[str, Any]) -> str:
    """``text`` with one form edit made:

    - ``{"op": "set", "path": [...], "value": v}``: set a field (a missing last key is added);
    - ``{"op": "move", "path": [...list...], "from": i, "to": j}``: move a list item (shot order);
    - ``{"op": "delete", "path": [...]}``: remove a field or a list item.

    Raises:
        ConfigError: the YAML does not parse, or the edit names no field of it.
    """
    document = _load(text)
    path = list(edit.get("path") or [])
    op = edit.get("op")
    if op == "set" and path:
        parent = _walk(document, path[:-1])
        key = path[-1]
        try:
            old = parent[key] if (isinstance(parent, list) or key in parent) else None
            parent[key] = _styled(old, edit.get("value"))
        except (IndexError, TypeError):
            raise ConfigError("no such field in the template", field=".".join(map(str, path))) from None
    elif op == "move":
        items = _walk(document, path)
        source, target = edit.get("from"), edit.get("to")
        if not (isinstance(items, list) and isinstance(source, int) and isinstance(target, int)) or not all(
            0 <= i < len(items) for i in (source, target)
        ):
            raise ConfigError("a move needs a list and two of its positions", field=".".join(map(str, path)))
        items.insert(target, items.pop(source))
    elif op == "delete" and path:
        parent = _walk(document, path[:-1])
        try:
            del parent[path[-1]]
        except (KeyError, IndexError, TypeError):
            raise ConfigError("no such field in the template", field=".".join(map(str, path))) from None
    else:
        raise ConfigError(f"unknown form edit {op!r}", rule="set, move or delete, with a path")
    out = io.StringIO()
    _round_trip().dump(document, out)
    return out.getvalue()

"""Form mode: a template's YAML as plain data for the page's form, and the form's edits written back.

Edits go through ruamel.yaml's round-trip loader and dumper, so the comments, key order, flow
mappings and quoting of everything the edit does not touch stay as the author wrote them. A key the
edit adds goes where the template schema orders it (a shot's ``line`` after its ``duration``).

Some fields are offered even where the YAML leaves them out (``OFFERED``: the voice, each shot's line
and product image, a product's reflection and turn, a background's generated motion, the caption style,
the loudness, the optional feed fields, the end card), so the form can set them; setting one adds the
mappings it lies in.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Sequence
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, SingleQuotedScalarString

from generator.core.errors import ConfigError
from generator.planning.templates import template_schema

PathPart = str | int
EACH = "*"  # in an ``OFFERED`` path: every item of the list
# Fields the form shows (at their default) where the YAML leaves them out.
OFFERED: tuple[tuple[str, ...], ...] = (
    ("routing",),
    ("prefer",),
    *(("voice", name) for name in ("engine", "name", "rate", "overflow")),
    ("shots", EACH, "line"),
    ("shots", EACH, "max_duration"),
    ("shots", EACH, "product", "image"),
    *(("captions", name) for name in ("enabled", "style", "position", "words", "highlight")),
    ("loudness",),
    ("optional",),
    *(("end_card", name) for name in ("duration", "cta", "layout", "qr")),
    *(("shots", EACH, "product", "reflection", name) for name in ("opacity", "fade", "gap")),
    *(("shots", EACH, "product", "turn", name) for name in ("angle", "direction", "ease")),
    *(("shots", EACH, "background", "motion", name) for name in ("prompt", "strength", "to")),
)
WITHIN = 3  # a field offered under a shot's product only where the shot has one (``shots.N.product``)


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


def offered_fields(data: Any) -> list[dict[str, Any]]:
    """The ``OFFERED`` fields that ``data`` (``form_data``) leaves out, as ``{"path": [...], "default": v}``
    (the schema's default), in ``OFFERED`` order."""
    found = []
    for pattern in OFFERED:
        for path in _expanded(data, pattern):
            node, written = _deepest(data, path)
            if pattern[2:3] == ("product",) and not _deepest(data, path[:WITHIN])[1]:
                continue  # a product's treatment, in a shot without a product
            if not written and isinstance(node, dict):  # a mapping holds it, or is to be added to hold it
                found.append({"path": path, "default": _schema_at(path).get("default")})
    return found


def _deepest(data: Any, path: Sequence[PathPart]) -> tuple[Any, bool]:
    """The node at ``path`` in ``data`` and True, or the deepest one on the way there and False."""
    node = data
    for part in path:
        listed = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if not (listed or (isinstance(node, dict) and part in node)):
            return node, False
        node = node[part]
    return node, True


def _expanded(data: Any, pattern: Sequence[str]) -> list[list[PathPart]]:
    """``pattern``'s paths in ``data``: ``EACH`` (once at most) stands for every index of the list before it."""
    if EACH not in pattern:
        return [list(pattern)]
    at = pattern.index(EACH)
    try:
        items = _walk(data, pattern[:at])
    except ConfigError:
        return []
    count = len(items) if isinstance(items, list) else 0
    return [[*pattern[:at], index, *pattern[at + 1 :]] for index in range(count)]


@functools.cache
def _schema() -> dict[str, Any]:
    return template_schema()


def _resolved(node: dict[str, Any]) -> dict[str, Any]:
    """``node`` with its ``$ref`` followed; of an ``anyOf``, the branch holding fields or items."""
    for _ in range(20):
        if "$ref" in node:
            node = _schema()["$defs"][node["$ref"].rsplit("/", 1)[-1]]
        elif "anyOf" in node:
            branches = [_resolved(branch) for branch in node["anyOf"]]
            node = next((b for b in branches if "properties" in b or "items" in b), branches[0])
        else:
            break
    return node


def _schema_at(path: Sequence[PathPart]) -> dict[str, Any]:
    """The schema of the field at ``path`` (unresolved: its default and description are here); {} if none."""
    node: dict[str, Any] = _schema()
    for part in path:
        holder = _resolved(node)
        child = holder.get("items") if isinstance(part, int) else holder.get("properties", {}).get(part)
        if not isinstance(child, dict):
            return {}
        node = child
    return node


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

    - ``{"op": "set", "path": [...], "value": v}``: set a field (a missing key is added, and so are missing
      mappings above it that the schema knows, as ``voice`` above ``voice.rate``);
    - ``{"op": "move", "path": [...list...], "from": i, "to": j}``: move a list item (shot order);
    - ``{"op": "delete", "path": [...]}``: remove a field or a list item.

    Raises:
        ConfigError: the YAML does not parse, or the edit names no field of it.
    """
    document = _load(text)
    path = list(edit.get("path") or [])
    op = edit.get("op")
    if op == "set" and path:
        _set(document, path, edit.get("value"))
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


def _set(document: Any, path: Sequence[PathPart], value: Any) -> None:
    """Set the field at ``path`` to ``value``, adding it, and the mappings above it the schema knows, when missing."""
    node = document
    for depth, part in enumerate(path[:-1]):
        if isinstance(node, dict) and isinstance(part, str) and part not in node and _schema_at(path[: depth + 1]):
            _add(node, path[:depth], part, CommentedMap())
        node = _walk(document, path[: depth + 1])
    key = path[-1]
    try:
        if isinstance(node, dict) and key not in node:
            _add(node, path[:-1], key, value)
        else:
            node[key] = _styled(node[key], value)
    except (IndexError, TypeError):
        raise ConfigError("no such field in the template", field=".".join(map(str, path))) from None


def _add(mapping: Any, where: Sequence[PathPart], key: PathPart, value: Any) -> None:
    """Add ``key`` to ``mapping`` (the one at ``where``) after the keys the schema orders before it."""
    order = list(_resolved(_schema_at(where)).get("properties", {}))
    if key not in order or not isinstance(mapping, CommentedMap):
        mapping[key] = value
        return
    earlier = set(order[: order.index(key)])
    mapping.insert(max((i + 1 for i, k in enumerate(mapping) if k in earlier), default=0), key, value)

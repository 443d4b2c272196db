"""Loading a batch spec: YAML with the line of every field, validated, its errors at their lines."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from generator.core.errors import AdgenError, ConfigError
from generator.core.urls import is_url
from generator.planning.batches.spec import BatchSpec
from generator.planning.templates.schema import schema_errors
from generator.planning.templates.source import Lines, Mark, dotted, nearest_mark, parse_yaml

FieldPath = tuple[str | int, ...]


@dataclass(frozen=True)
class Batch:
    """A loaded batch spec: the validated spec, its file, and the (line, column) of each of its fields."""

    spec: BatchSpec
    path: Path
    lines: Mapping[FieldPath, Mark]

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def catalog_source(self) -> str | Path:
        """The catalog's URL, or its path resolved against the spec file's folder."""
        return _located(self.spec.catalog.source, self.path)

    @property
    def out(self) -> str | Path:
        """``s3://bucket/prefix``, or the output folder resolved against the spec file's folder."""
        return _located(self.spec.out, self.path)

    def error(self, message: str, at: FieldPath, **context: object) -> ConfigError:
        """An error at the line of the field ``at`` (or of its nearest ancestor written in the file)."""
        line, column = nearest_mark(self.lines, at) or (None, None)
        return ConfigError(message, file=self.path, line=line, column=column, field=dotted(at) or None, **context)


def _located(value: str, spec_file: Path) -> str | Path:
    return value if is_url(value) else Path(os.path.normpath(spec_file.parent / value))


def load_batch(path: Path) -> Batch:
    """Read and validate one batch spec file.

    Raises:
        ConfigError: unreadable or empty file, invalid YAML, or the first schema violation, naming the
            file, line and field (with a "did you mean" for a misspelt field).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read batch spec: {exc}", file=path) from exc
    if not any(line.strip() and not line.lstrip().startswith("#") for line in text.splitlines()):
        raise ConfigError("batch spec is empty", file=path, line=1)
    try:
        data, lines = parse_yaml(text, path)
    except AdgenError as exc:
        raise _as_config_error(exc) from exc
    if not isinstance(data, dict):
        raise ConfigError("a batch spec is a YAML mapping (id, catalog, out, ...)", file=path, line=1)
    return Batch(spec=_validate(data, path, lines), path=path, lines=lines)


def _validate(data: dict[str, Any], path: Path, lines: Lines) -> BatchSpec:
    try:
        return BatchSpec.model_validate(data)
    except ValidationError as exc:
        raise _as_config_error(schema_errors(exc, BatchSpec, path, lines)[0]) from exc


def _as_config_error(error: AdgenError) -> ConfigError:
    """The shared YAML and schema helpers speak of templates; a batch spec's problem is a ConfigError."""
    return ConfigError(error.message, **error.context)


def batch_schema() -> dict[str, Any]:
    """The batch spec language as a JSON Schema (draft 2020-12), for editors' completion and inline errors."""
    schema = BatchSpec.model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "adgen batch spec", **schema}

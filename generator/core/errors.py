"""One exception tree for adgen; every error carries the context that locates it.

::

    AdgenError                      exit 2 unless a row-level failure (then the batch exits 1)
    ├── ConfigError                 bad option, setting or missing file
    ├── CatalogError                catalog file or one of its rows (file, row, column)
    ├── AssetError                  reference image or audio (path, rule)
    ├── TemplateError               template file (file, line, field)
    ├── PlanError                   a template applied to a product (shot)
    ├── RenderError                 compositing or a renderer backend (shot, frame)
    │   └── EncodeError             ffmpeg failed (argv, stderr tail)
    └── StoreError                  output storage (key)

``str()`` of any error reads ``<location>: <message> (<other context>)``, for example
``catalog.csv:8, row 7, column price: price must be positive (rule: a number above 0)``; callers pass
context as keyword arguments and never paste it into the message.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from typing import Any

LOCATION_KEYS = ("row", "sku", "column", "field", "shot", "frame", "key")
"""Context printed, in this order, after ``file:line`` in front of the message."""


def _text(value: object) -> str:
    """A context value as it reads in a message: sequences (an argv, a list of aspects) joined by spaces."""
    if isinstance(value, (list, tuple)):
        return shlex.join(str(item) for item in value)
    return str(value)


class AdgenError(Exception):
    """Root of adgen's errors.

    Attributes:
        message: what went wrong and which rule was broken.
        context: ordered ``name -> value`` pairs; the location (file, line, row, column, ...) and anything
            else that explains the error (path, url, rule, ...). ``None`` values are dropped.
    """

    exit_code = 2

    def __init__(self, message: str, **context: object) -> None:
        self.message = message
        self.context = {k: v for k, v in context.items() if v is not None}
        super().__init__(str(self))

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuild from message and context, so an error crossing a process boundary keeps both.
        return _rebuild, (type(self), self.__dict__)

    def location(self) -> str:
        """The locating context as a compact prefix such as ``catalog.csv:8, row 7, column price``."""
        parts: list[str] = []
        file, line = self.context.get("file"), self.context.get("line")
        if file is not None:
            parts.append(f"{file}:{line}" if line is not None else str(file))
        elif line is not None:
            parts.append(f"line {line}")
        parts.extend(f"{key} {_text(self.context[key])}" for key in LOCATION_KEYS if key in self.context)
        return ", ".join(parts)

    def details(self) -> str:
        """The rest of the context, in the order given, such as ``path: a.png, rule: PNG, JPEG or WebP``.

        A value spanning several lines is left out here and printed on lines of its own by ``str()``.
        """
        located = {"file", "line", *LOCATION_KEYS}
        return ", ".join(
            f"{key}: {_text(value)}"
            for key, value in self.context.items()
            if key not in located and "\n" not in _text(value)
        )

    def __str__(self) -> str:
        where, details = self.location(), self.details()
        text = f"{where}: {self.message}" if where else self.message
        if details:
            text = f"{text} ({details})"
        for key, value in self.context.items():
            if "\n" in _text(value):
                text = f"{text}\n{key}:\n{_text(value)}"
        return text


def _rebuild(cls: type[AdgenError], state: dict[str, Any]) -> AdgenError:
    error = cls.__new__(cls)
    error.__dict__.update(state)
    Exception.__init__(error, str(error))
    return error


class ConfigError(AdgenError):
    """A command-line option, setting or input file is unusable."""


class CatalogError(AdgenError):
    """A catalog file, or one of its rows, breaks a rule."""


class AssetError(AdgenError):
    """A reference image or audio file is missing, unsafe or unreadable."""


class TemplateError(AdgenError):
    """A template is invalid, or one of its expressions failed."""


class PlanError(AdgenError):
    """A template could not be applied to a product."""


class RenderError(AdgenError):
    """Compositing or a renderer backend failed."""


class EncodeError(RenderError):
    """ffmpeg failed; carries the command line and the tail of its stderr."""

    def __init__(self, message: str, *, argv: Sequence[str], stderr: str, **context: object) -> None:
        self.argv = list(argv)
        self.stderr_tail = "\n".join(stderr.strip().splitlines()[-15:])
        super().__init__(message, **context)

    def __str__(self) -> str:
        return f"{super().__str__()}\ncommand: {' '.join(self.argv)}\nffmpeg said:\n{self.stderr_tail}"


class StoreError(AdgenError):
    """Reading or writing outputs failed."""

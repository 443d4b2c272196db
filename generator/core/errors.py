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
"""

from __future__ import annotations

from collections.abc import Sequence


class AdgenError(Exception):
    """Root of adgen's errors.

    Attributes:
        message: what went wrong and which rule was broken.
        context: ordered ``name -> value`` pairs that locate the error (file, row, column, ...).
    """

    exit_code = 2

    def __init__(self, message: str, **context: object) -> None:
        self.message = message
        self.context = {k: v for k, v in context.items() if v is not None}
        super().__init__(str(self))

    def location(self) -> str:
        """The context as a compact prefix such as ``catalog.csv row 7, column price``."""
        parts: list[str] = []
        where = self.context.get("file")
        if where is not None:
            line = self.context.get("line")
            where = f"{where}:{line}" if line is not None else str(where)
            parts.append(str(where))
        for key in ("row", "sku", "column", "field", "shot", "frame", "key"):
            if key in self.context:
                parts.append(f"{key} {self.context[key]}")
        return ", ".join(parts)

    def __str__(self) -> str:
        where = self.location()
        return f"{where}: {self.message}" if where else self.message


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

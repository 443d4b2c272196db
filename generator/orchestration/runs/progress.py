"""Progress of a run: a tqdm bar on a terminal (log lines print above it), one log line per row otherwise."""

from __future__ import annotations

import contextlib
import logging
import sys
import time
from collections.abc import Callable
from typing import Any, Protocol

log = logging.getLogger(__name__)


class Row(Protocol):
    """What progress reads of a finished row (a manifest line)."""

    @property
    def row(self) -> int: ...
    @property
    def sku(self) -> str: ...
    @property
    def aspect(self) -> str | None: ...
    @property
    def status(self) -> str: ...


class Progress:
    """A tqdm bar on a terminal (log lines print above it); one log line per item otherwise.

    Both show rows done and failed, videos per minute and the time left at that pace.
    """

    def __init__(self, total: int) -> None:
        self.total = total
        self.bar: Any = None
        self.done = self.failed = self.rendered = 0
        self.started = time.monotonic()
        self._stack = contextlib.ExitStack()

    def __enter__(self) -> Callable[[Row], None]:
        if sys.stderr.isatty():
            from tqdm import tqdm
            from tqdm.contrib.logging import logging_redirect_tqdm

            self.bar = self._stack.enter_context(tqdm(total=self.total, unit="video", smoothing=0.05))
            self._stack.enter_context(logging_redirect_tqdm())
        return self._advance

    def _advance(self, result: Row) -> None:
        self.done += 1
        self.failed += result.status == "failed"
        self.rendered += result.status == "rendered"
        minutes = (time.monotonic() - self.started) / 60
        pace = self.rendered / minutes if minutes > 0 else 0.0
        if self.bar is not None:
            self.bar.set_postfix_str(f"{self.failed} failed, {pace:.1f} videos/min")
            self.bar.update()
        else:
            left = f", about {(self.total - self.done) / pace:.0f} min left" if pace > 0 else ""
            log.info(
                "[%d/%d] row %d %s %s %s (%d failed, %.1f videos/min%s)",
                self.done, self.total, result.row, result.sku, result.aspect or "-", result.status, self.failed, pace, left,
            )  # fmt: skip

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

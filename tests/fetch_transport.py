"""A fetch transport serving bytes from memory: no server, no network, and failures on demand."""

from __future__ import annotations

import collections
import threading
from collections.abc import Iterator
from dataclasses import dataclass

from generator.orchestration.stores.fetch import Download, FetchRefused


@dataclass(frozen=True)
class Served:
    """What a URL answers: ``body`` in two chunks; ``failure`` raised on opening (``at_open``) or
    after the first chunk; with ``length`` False no length is declared."""

    body: bytes
    content_type: str = "image/png"
    length: bool = True
    failure: Exception | None = None
    at_open: bool = False


class MemoryTransport:
    """Serves ``files`` (URL -> ``Served``); any other URL is a 404.

    With a ``gate``, each download stops after its first chunk, sets ``halfway`` and waits for the
    gate, so a test can look at a download in flight. ``opened`` counts requests by URL and
    ``closed`` how many downloads were closed.
    """

    def __init__(self, files: dict[str, Served], gate: threading.Event | None = None) -> None:
        self.files = files
        self.gate = gate
        self.halfway = threading.Event()
        self.opened: collections.Counter[str] = collections.Counter()
        self.closed = 0

    def open(self, url: str) -> Download:
        self.opened[url] += 1
        served = self.files.get(url)
        if served is None:
            raise FetchRefused("HTTP 404 Not Found")
        if served.failure is not None and served.at_open:
            raise served.failure
        return Download(
            content_type=served.content_type,
            length=len(served.body) if served.length else None,
            chunks=self._chunks(served),
            close=self._close,
        )

    def _chunks(self, served: Served) -> Iterator[bytes]:
        middle = len(served.body) // 2
        yield served.body[:middle]
        self.halfway.set()
        if served.failure is not None:
            raise served.failure
        if self.gate is not None:
            assert self.gate.wait(timeout=60), "the test never opened the gate"
        yield served.body[middle:]

    def _close(self) -> None:
        self.closed += 1

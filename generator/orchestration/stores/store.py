"""Output storage: the ``Store`` swap point, ``LocalStore`` (a folder, the embedded default) and ``S3Store``.

Keys are ``/``-separated relative names. Every write is atomic, so a reader never sees half a
file and a failed write never replaces a good one: ``LocalStore`` writes a temporary name beside
the target and renames it (``generator.core.files``); S3 makes an object visible only once its
upload completed, and ``S3Store`` checks the stored size and checksum before it reports success.
``create`` writes only where nothing is yet, atomically on both, so processes racing for a key
(a lease, say) learn which of them won.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Protocol

from generator.core.errors import StoreError
from generator.core.files import PART_SUFFIX, atomic_write, create_atomically

_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(text: str) -> str:
    """A key segment made only of letters, digits, ``.``, ``_`` and ``-``; never empty, never dots only."""
    cleaned = _SAFE.sub("_", text).strip("._") or "_"
    return cleaned[:120]


Metadata = Mapping[str, str]
MANIFEST_KEY = "manifest.jsonl"
SUMMARY_KEY = "run-summary.json"
MUTABLE_KEYS = frozenset({MANIFEST_KEY, SUMMARY_KEY})  # every other key names content that never changes


class Store(Protocol):
    """Where videos, posters, plans and the manifest go.

    ``metadata`` travels with an object where the store keeps metadata (S3); ``url`` is a link
    to give out: presigned for ``expires`` seconds where the store supports it.
    """

    def exists(self, key: str) -> bool: ...

    def put_file(self, key: str, source: Path, content_type: str, metadata: Metadata | None = None) -> str:
        """Store ``source`` under ``key``, replacing what was there; returns the object's URI."""
        ...

    def put_bytes(self, key: str, data: bytes, content_type: str, metadata: Metadata | None = None) -> str:
        """Store ``data`` under ``key``, replacing what was there; returns the object's URI."""
        ...

    def create(
        self, key: str, data: bytes, content_type: str = "application/octet-stream", metadata: Metadata | None = None
    ) -> bool:
        """Store ``data`` under ``key`` only if nothing is stored there; False if something was (left as it was)."""
        ...

    def get_bytes(self, key: str) -> bytes: ...

    def list(self, prefix: str = "") -> Iterator[str]: ...

    def delete(self, key: str) -> None:
        """Remove ``key``; nothing happens if it is not stored."""
        ...

    def uri(self, key: str) -> str: ...

    def url(self, key: str, expires: int) -> str: ...


class LocalStore:
    """A folder on this machine; ``uri`` is the file's path."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not key or key.startswith("/") or not path.is_relative_to(self.root) or path == self.root:
            raise StoreError("key escapes the store root", key=key)
        return path

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def put_file(self, key: str, source: Path, content_type: str, metadata: Metadata | None = None) -> str:
        target = self._path(key)
        try:
            with atomic_write(target, fsync=True) as stream, source.open("rb") as data:
                shutil.copyfileobj(data, stream, 1 << 20)
        except OSError as exc:
            raise StoreError(f"cannot write: {exc}", key=key) from exc
        return self.uri(key)

    def put_bytes(self, key: str, data: bytes, content_type: str, metadata: Metadata | None = None) -> str:
        target = self._path(key)
        try:
            with atomic_write(target, fsync=True) as stream:
                stream.write(data)
        except OSError as exc:
            raise StoreError(f"cannot write: {exc}", key=key) from exc
        return self.uri(key)

    def create(
        self, key: str, data: bytes, content_type: str = "application/octet-stream", metadata: Metadata | None = None
    ) -> bool:
        target = self._path(key)
        try:
            return create_atomically(target, data, fsync=True)
        except OSError as exc:
            raise StoreError(f"cannot write: {exc}", key=key) from exc

    def get_bytes(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except OSError as exc:
            raise StoreError(f"cannot read: {exc}", key=key) from exc

    def list(self, prefix: str = "") -> Iterator[str]:
        base = self._path(prefix) if prefix else self.root
        if base.is_file():
            yield prefix
            return
        for path in sorted(base.rglob("*")):
            if path.is_file() and not path.name.endswith(PART_SUFFIX):
                yield path.relative_to(self.root).as_posix()

    def delete(self, key: str) -> None:
        """Remove the file, then each folder above it that is left empty, up to the root."""
        path = self._path(key)
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot delete: {exc}", key=key) from exc
        for folder in path.parents:
            if folder == self.root:
                break
            try:
                folder.rmdir()
            except OSError:  # not empty (or already gone): the folders above are in use too
                break

    def uri(self, key: str) -> str:
        return str(self._path(key))

    def url(self, key: str, expires: int) -> str:
        return self._path(key).as_uri()

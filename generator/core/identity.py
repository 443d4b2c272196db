"""Stable identities: content hashes of files and bytes, and seeds derived from them."""

from __future__ import annotations

import hashlib
from pathlib import Path


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def stable_seed(*parts: str | int) -> int:
    """A 31-bit seed from a stable hash of ``parts``: the same on every machine and run.

    A shot's seed hashes (template id, version, shot id, sku). A background's hashes the template
    shot and the resolved scene description instead of the sku, so a scene that reads the same for
    several products is the same scene, rendered once and shared.
    """
    key = "\x1f".join(str(part) for part in parts).encode("utf-8")
    return int.from_bytes(hashlib.sha256(key).digest()[:4], "big") & 0x7FFFFFFF

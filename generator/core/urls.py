"""URL references in catalogs and templates: telling them from local paths, joining them, and the
swap points that download them (implemented by ``generator.orchestration.stores.fetch.Fetcher``)."""

from __future__ import annotations

import urllib.parse
from pathlib import Path
from typing import Literal, Protocol

SCHEMES = ("https", "http", "s3")
FetchKind = Literal["image", "catalog"]  # what a download is used as: it decides the content types accepted


def is_url(ref: str) -> bool:
    """Whether ``ref`` is a URL adgen fetches (``https``, ``http`` or ``s3``), not a local path."""
    return "://" in ref and urllib.parse.urlsplit(ref.strip()).scheme.lower() in SCHEMES


def join_url(base: str, ref: str) -> str:
    """``ref`` relative to the URL ``base``; for ``s3://`` the join is done on the key path."""
    ref = ref.strip()
    if is_url(ref):
        return ref
    parts = urllib.parse.urlsplit(base)
    if parts.scheme.lower() == "s3":
        return f"s3://{parts.netloc}{urllib.parse.urljoin(parts.path or '/', ref)}"
    return urllib.parse.urljoin(base, ref)


class UrlCache(Protocol):
    """Finds the file a plan's URL source names again, by its content hash."""

    def cached(self, url: str, sha256: str) -> Path:
        """The local file with content hash ``sha256`` that ``url`` served.

        Raises:
            AssetError: it cannot be had, or ``url`` now serves different bytes.
        """
        ...


class UrlFetcher(UrlCache, Protocol):
    """Downloads a URL named in a catalog (an ``image`` link, or a ``catalog`` feed) to a local file, and
    finds it again by content hash when the plan is rendered."""

    def fetch(self, url: str, kind: FetchKind) -> Path:
        """A local file holding what ``url`` serves, accepted as a ``kind``.

        Raises:
            AssetError (``kind`` image) or CatalogError (``kind`` catalog): naming the URL and why.
        """
        ...

"""URL references in catalogs and templates: telling them from local paths, and joining them."""

from __future__ import annotations

import urllib.parse

SCHEMES = ("https", "http", "s3")


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

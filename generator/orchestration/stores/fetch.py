"""Remote catalogs and images: ``https://``, ``http://`` and ``s3://`` URLs downloaded into a local cache.

The cache is content-addressed: ``objects/<sha256[:2]>/<sha256>`` holds the bytes and
``urls/<sha256 of the URL>.json`` (``{"sha256": ..., "content_type": ...}``) remembers what a URL
served, so an image is downloaded once across runs. Catalogs are downloaded again on every
fetch (a feed changes under the same URL); their bytes are cached all the same. Every write is
atomic (``generator.core.files``) and a cached object is hashed again whenever it is read.

Bytes travel through a ``Transport`` chosen by the URL's scheme: ``HttpTransport`` for
``https://`` and ``http://``, ``S3Transport`` for ``s3://`` (the client from
``generator.orchestration.stores.aws``); a ``Fetcher`` takes others in their place (tests serve bytes
from memory). The rules on size, time and content type are the fetcher's, whatever the transport.

Downloads are limited in size (checked against ``Content-Length`` and again while streaming)
and time, and must have the content type of what they are used as. http(s) hosts that resolve
to a private, loopback, link-local, multicast, reserved or unspecified address are refused, the
first URL and every redirect target alike, unless ``allow_private`` is set. Checking the address
before urllib connects leaves a DNS-rebinding window open; a host that answers differently
between the two lookups is not caught.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from http.client import HTTPException
from pathlib import Path
from typing import IO, Any, Protocol

from generator.core.errors import AssetError, CatalogError
from generator.core.files import AtomicFile, write_atomically
from generator.core.identity import file_sha256
from generator.core.urls import FetchKind
from generator.orchestration.stores.aws import s3_client

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
DEFAULT_TIMEOUT = 30.0
CATALOG_TYPES = frozenset({
    "application/csv", "application/octet-stream", "binary/octet-stream", "application/vnd.ms-excel",
    "application/xml", "application/rss+xml", "application/atom+xml",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
})  # fmt: skip
_CHUNK = 64 * 1024
_MB = 1024 * 1024


@dataclass(frozen=True)
class FetchSettings:
    """How remote files are fetched; picklable, so worker processes build their own ``Fetcher``.

    Attributes:
        cache: folder of the content-addressed cache.
        max_bytes: largest download accepted, in bytes.
        timeout: seconds a whole download may take (and each connection or read within it).
        allow_private: fetch from hosts with private, loopback or other non-public addresses.
        endpoint_url: S3-compatible endpoint for ``s3://``; None uses ``AWS_ENDPOINT_URL`` or AWS itself.
    """

    cache: Path
    max_bytes: int = DEFAULT_MAX_BYTES
    timeout: float = DEFAULT_TIMEOUT
    allow_private: bool = False
    endpoint_url: str | None = None


class FetchRefused(Exception):
    """A rule or a transport refused the download; the message is the rule broken or what failed."""


@dataclass(frozen=True)
class Download:
    """An open response: its content type, declared length (None: unknown), byte chunks and how to close it.

    Reading ``chunks`` raises ``FetchRefused`` when the transfer fails or times out.
    """

    content_type: str
    length: int | None
    chunks: Iterator[bytes]
    close: Callable[[], None]


class Transport(Protocol):
    """Opens downloads for the URL schemes it is registered under."""

    def open(self, url: str) -> Download:
        """Start downloading ``url``.

        Raises:
            FetchRefused: the URL is refused, unreachable or answered with an error.
        """
        ...


def default_transports(settings: FetchSettings) -> dict[str, Transport]:
    """``https``, ``http`` and ``s3`` transports with the limits of ``settings``."""
    web = HttpTransport(settings.timeout, settings.allow_private)
    return {"https": web, "http": web, "s3": S3Transport(settings.timeout, settings.endpoint_url)}


class Fetcher:
    """Downloads URLs into the cache of ``settings`` and returns local paths; see the module docstring.

    Args:
        settings: the cache and the limits.
        transports: scheme -> transport; None uses ``default_transports(settings)``.
    """

    def __init__(self, settings: FetchSettings, transports: Mapping[str, Transport] | None = None) -> None:
        self.settings = settings
        self.transports = dict(transports) if transports is not None else default_transports(settings)

    def fetch(self, url: str, kind: FetchKind) -> Path:
        """The cached file holding what ``url`` serves; an image the index knows is not downloaded again, a catalog always is.

        Raises:
            AssetError (``kind`` image) or CatalogError (``kind`` catalog): the URL breaks a rule or
            the download failed; the message names the URL and why.
        """
        url = url.strip()
        if kind == "image":
            cached = self._from_index(url, kind)
            if cached is not None:
                return cached
        try:
            return self._download(url, kind)
        except FetchRefused as exc:
            raise self._error(kind, url, str(exc)) from exc.__cause__

    def cached(self, url: str, sha256: str) -> Path:
        """The cached image with content hash ``sha256`` first fetched from ``url``; fetched again if the cache lost it.

        Raises:
            AssetError: the download failed, or ``url`` now serves different bytes.
        """
        path = self._object(sha256)
        if path.is_file() and file_sha256(path) == sha256:
            return path
        path = self.fetch(url, "image")
        if path.name != sha256:
            raise AssetError("content changed since the plan was made (sha256 differs)", path=url)
        return path

    @staticmethod
    def _error(kind: FetchKind, url: str, reason: str) -> AssetError | CatalogError:
        if kind == "catalog":
            return CatalogError(reason, file=url)
        return AssetError(reason, path=url)

    # --- cache -----------------------------------------------------------------------------------

    def _object(self, sha256: str) -> Path:
        return self.settings.cache / "objects" / sha256[:2] / sha256

    def _index(self, url: str) -> Path:
        return self.settings.cache / "urls" / f"{hashlib.sha256(url.encode('utf-8')).hexdigest()}.json"

    def _from_index(self, url: str, kind: FetchKind) -> Path | None:
        """The object the index names for ``url``, if it is still there, intact and of the right type."""
        try:
            entry = json.loads(self._index(url).read_text(encoding="utf-8"))
            sha256, content_type = str(entry["sha256"]), str(entry["content_type"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        path = self._object(sha256)
        if not _accepts(kind, content_type) or not path.is_file() or file_sha256(path) != sha256:
            return None
        return path

    def _store(self, url: str, download: Download) -> Path:
        """Stream ``download`` into the cache under its content hash and index it under ``url``."""
        limit = self.settings.max_bytes
        deadline = time.monotonic() + self.settings.timeout
        digest, size = hashlib.sha256(), 0
        try:
            with AtomicFile(self.settings.cache / "objects", "download") as file:
                for chunk in download.chunks:
                    size += len(chunk)
                    if size > limit:
                        raise FetchRefused(f"is larger than {_size(limit)}")
                    if time.monotonic() > deadline:
                        raise FetchRefused(f"timed out after {self.settings.timeout:g} s")
                    digest.update(chunk)
                    file.stream.write(chunk)
                target = self._object(digest.hexdigest())
                file.commit(target)
            entry = {"sha256": digest.hexdigest(), "content_type": download.content_type}
            write_atomically(self._index(url), json.dumps(entry).encode("utf-8"))
        except OSError as exc:
            raise FetchRefused(f"cannot write the fetch cache {self.settings.cache}: {exc}") from exc
        finally:
            download.close()
        return target

    # --- downloads -------------------------------------------------------------------------------

    def _download(self, url: str, kind: FetchKind) -> Path:
        scheme = urllib.parse.urlsplit(url).scheme.lower()
        transport = self.transports.get(scheme)
        if transport is None:
            raise FetchRefused(f"unsupported scheme {scheme or 'none'!r}; use {_schemes(self.transports)}")
        download = transport.open(url)
        try:
            if not _accepts(kind, download.content_type):
                wanted = "an image" if kind == "image" else "a catalog (CSV, TSV, XML feed or workbook)"
                raise FetchRefused(f"is {download.content_type or 'of no content type'}, not {wanted}")
            if download.length is not None and download.length > self.settings.max_bytes:
                raise FetchRefused(f"is larger than {_size(self.settings.max_bytes)} ({download.length} bytes)")
        except FetchRefused:
            download.close()
            raise
        return self._store(url, download)


class HttpTransport:
    """``https://`` and ``http://`` through urllib, refusing non-public hosts (redirect targets too)
    unless ``allow_private``; ``timeout`` seconds per connection or read."""

    def __init__(self, timeout: float = DEFAULT_TIMEOUT, allow_private: bool = False) -> None:
        self.timeout = timeout
        self.allow_private = allow_private

    def refusal(self, url: str) -> str | None:
        """Why ``url`` must not be fetched, or None."""
        parts = urllib.parse.urlsplit(url)
        if parts.scheme.lower() not in ("http", "https"):
            return f"unsupported scheme {parts.scheme or 'none'!r}; use https:// or http://"
        if not parts.hostname:
            return "the URL has no host"
        if self.allow_private:
            return None
        try:
            port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
            addresses = {str(info[4][0]) for info in socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)}
        except (OSError, ValueError) as exc:
            return f"cannot resolve host {parts.hostname!r}: {exc}"
        for address in sorted(addresses):
            kind = _non_public(ipaddress.ip_address(address.split("%")[0]))
            if kind is not None:
                return f"refused: {address} is a {kind} address (pass --allow-private-urls to allow it)"
        return None

    def open(self, url: str) -> Download:
        reason = self.refusal(url)
        if reason is not None:
            raise FetchRefused(reason)
        opener = urllib.request.build_opener(_CheckedRedirects(self))
        request = urllib.request.Request(url, headers={"User-Agent": "adgen", "Accept-Encoding": "identity"})
        timeout = self.timeout
        try:
            response = opener.open(request, timeout=timeout)
        except urllib.error.HTTPError as exc:
            exc.close()
            raise FetchRefused(f"HTTP {exc.code} {exc.reason}".rstrip()) from exc
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise FetchRefused(f"timed out after {timeout:g} s") from exc
            raise FetchRefused(f"cannot connect: {exc.reason}") from exc
        except TimeoutError as exc:
            raise FetchRefused(f"timed out after {timeout:g} s") from exc
        except (OSError, HTTPException) as exc:
            raise FetchRefused(f"download failed: {exc}") from exc
        length = response.headers.get("Content-Length")
        return Download(
            content_type=_media_type(response.headers.get("Content-Type", "")),
            length=int(length) if length and length.isdigit() else None,
            chunks=_read_http(response, timeout),
            close=response.close,
        )


class S3Transport:
    """``s3://bucket/key`` objects, through a client made on first use (``endpoint_url``: None uses
    ``AWS_ENDPOINT_URL`` or AWS); ``timeout`` seconds per connection or read."""

    def __init__(self, timeout: float = DEFAULT_TIMEOUT, endpoint_url: str | None = None) -> None:
        self.timeout = timeout
        self.endpoint_url = endpoint_url
        self._client: Any = None

    def open(self, url: str) -> Download:
        import botocore.exceptions

        parts = urllib.parse.urlsplit(url)
        bucket, key = parts.netloc, parts.path.lstrip("/")
        if not bucket or not key:
            raise FetchRefused("not an S3 object; write it like s3://bucket/key")
        timeout = self.timeout
        try:
            if self._client is None:
                self._client = s3_client(self.endpoint_url, attempts=4, connect_timeout=timeout, read_timeout=timeout)
            answer = self._client.get_object(Bucket=bucket, Key=key)
        except botocore.exceptions.ClientError as exc:
            error = exc.response.get("Error", {})
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", "")
            raise FetchRefused(f"HTTP {status} {error.get('Code', '')}".strip()) from exc
        except botocore.exceptions.NoCredentialsError as exc:
            raise FetchRefused("no AWS credentials found (environment, config files or instance role)") from exc
        except (botocore.exceptions.ConnectTimeoutError, botocore.exceptions.ReadTimeoutError) as exc:
            raise FetchRefused(f"timed out after {timeout:g} s") from exc
        except botocore.exceptions.BotoCoreError as exc:
            raise FetchRefused(f"cannot reach S3: {exc}") from exc
        body = answer["Body"]
        return Download(
            content_type=_media_type(str(answer.get("ContentType", ""))),
            length=answer.get("ContentLength"),
            chunks=_read_s3(body, timeout),
            close=body.close,
        )


class _CheckedRedirects(urllib.request.HTTPRedirectHandler):
    """Follows a redirect only to a URL the transport would fetch itself."""

    def __init__(self, transport: HttpTransport) -> None:
        self.transport = transport

    def redirect_request(
        self, req: urllib.request.Request, fp: IO[bytes], code: int, msg: str, headers: Any, newurl: str
    ) -> urllib.request.Request | None:
        reason = self.transport.refusal(newurl)
        if reason is not None:
            raise FetchRefused(f"redirect to {newurl}: {reason}")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _read_http(response: Any, timeout: float) -> Iterator[bytes]:
    try:
        while chunk := response.read(_CHUNK):
            yield chunk
    except TimeoutError as exc:
        raise FetchRefused(f"timed out after {timeout:g} s") from exc
    except (OSError, HTTPException) as exc:
        raise FetchRefused(f"download failed: {exc}") from exc


def _read_s3(body: Any, timeout: float) -> Iterator[bytes]:
    import botocore.exceptions

    try:
        while chunk := body.read(_CHUNK):
            yield chunk
    except botocore.exceptions.ReadTimeoutError as exc:
        raise FetchRefused(f"timed out after {timeout:g} s") from exc
    except (botocore.exceptions.BotoCoreError, OSError) as exc:
        raise FetchRefused(f"download failed: {exc}") from exc


def _non_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """The kind of non-public address ``address`` is, or None for a public one."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    checks = (
        ("unspecified", address.is_unspecified), ("loopback", address.is_loopback),
        ("link-local", address.is_link_local), ("multicast", address.is_multicast),
        ("private", address.is_private), ("reserved", address.is_reserved),
    )  # fmt: skip
    return next((name for name, matches in checks if matches), None)


def _accepts(kind: FetchKind, content_type: str) -> bool:
    if kind == "image":
        return content_type.startswith("image/")
    return content_type.startswith("text/") or content_type in CATALOG_TYPES


def _media_type(header: str) -> str:
    """``text/csv; charset=utf-8`` → ``text/csv``."""
    return header.split(";", 1)[0].strip().lower()


def _schemes(transports: Mapping[str, Transport]) -> str:
    """``https://, http:// or s3://``."""
    names = [f"{scheme}://" for scheme in transports]
    return " or ".join([", ".join(names[:-1]), names[-1]]) if len(names) > 1 else "".join(names)


def _size(count: int) -> str:
    return f"{count / _MB:g} MB" if count >= _MB else f"{count} bytes"

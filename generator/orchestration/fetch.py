"""Remote catalogs and images: ``https://``, ``http://`` and ``s3://`` URLs downloaded into a local cache.

The cache is content-addressed: ``objects/<sha256[:2]>/<sha256>`` holds the bytes and
``urls/<sha256 of the URL>.json`` (``{"sha256": ..., "content_type": ...}``) remembers what a URL
served, so an image is downloaded once across runs. Catalogs are downloaded again on every
fetch (a feed changes under the same URL); their bytes are cached all the same. Every write is
atomic (a temporary file, then ``os.replace``) and a cached object is hashed again whenever it
is read.

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
import os
import socket
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.client import HTTPException
from pathlib import Path
from typing import IO, Any, Literal

from generator.core.errors import AssetError, CatalogError
from generator.core.identity import file_sha256
from generator.core.urls import SCHEMES

Kind = Literal["image", "catalog"]

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


class _Refused(Exception):
    """A rule refused the download; the message is the rule broken."""


@dataclass
class _Download:
    """An open response: its content type, declared length (None: unknown) and byte chunks."""

    content_type: str
    length: int | None
    chunks: Iterator[bytes]
    close: Callable[[], None]


class Fetcher:
    """Downloads URLs into the cache of ``settings`` and returns local paths; see the module docstring."""

    def __init__(self, settings: FetchSettings) -> None:
        self.settings = settings
        self._s3: Any = None

    def fetch(self, url: str, kind: Kind) -> Path:
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
        except _Refused as exc:
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
            raise AssetError(f"{url}: content changed since the plan was made (sha256 differs)", path=url)
        return path

    @staticmethod
    def _error(kind: Kind, url: str, reason: str) -> AssetError | CatalogError:
        if kind == "catalog":
            return CatalogError(f"{url}: {reason}", file=url)
        return AssetError(f"{url}: {reason}", path=url)

    # --- cache -----------------------------------------------------------------------------------

    def _object(self, sha256: str) -> Path:
        return self.settings.cache / "objects" / sha256[:2] / sha256

    def _index(self, url: str) -> Path:
        return self.settings.cache / "urls" / f"{hashlib.sha256(url.encode('utf-8')).hexdigest()}.json"

    def _from_index(self, url: str, kind: Kind) -> Path | None:
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

    def _store(self, url: str, kind: Kind, download: _Download) -> Path:
        """Stream ``download`` into the cache under its content hash and index it under ``url``."""
        limit = self.settings.max_bytes
        deadline = time.monotonic() + self.settings.timeout
        objects = self.settings.cache / "objects"
        try:
            objects.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=objects, prefix=".part-")
        except OSError as exc:
            raise _Refused(f"cannot write the fetch cache {self.settings.cache}: {exc}") from exc
        digest, size = hashlib.sha256(), 0
        try:
            with os.fdopen(handle, "wb") as out:
                for chunk in download.chunks:
                    size += len(chunk)
                    if size > limit:
                        raise _Refused(f"is larger than {_size(limit)}")
                    if time.monotonic() > deadline:
                        raise _Refused(f"timed out after {self.settings.timeout:g} s")
                    digest.update(chunk)
                    out.write(chunk)
            sha256 = digest.hexdigest()
            target = self._object(sha256)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(temporary, target)
            _write_atomically(self._index(url), json.dumps({"sha256": sha256, "content_type": download.content_type}))
        except OSError as exc:
            raise _Refused(f"cannot write the fetch cache {self.settings.cache}: {exc}") from exc
        finally:
            download.close()
            if os.path.exists(temporary):
                os.unlink(temporary)
        return target

    # --- downloads -------------------------------------------------------------------------------

    def _download(self, url: str, kind: Kind) -> Path:
        scheme = urllib.parse.urlsplit(url).scheme.lower()
        if scheme not in SCHEMES:
            raise _Refused(f"unsupported scheme {scheme or 'none'!r}; use https://, http:// or s3://")
        download = self._open_s3(url) if scheme == "s3" else self._open_http(url)
        try:
            if not _accepts(kind, download.content_type):
                wanted = "an image" if kind == "image" else "a catalog (CSV, TSV, XML feed or workbook)"
                raise _Refused(f"is {download.content_type or 'of no content type'}, not {wanted}")
            if download.length is not None and download.length > self.settings.max_bytes:
                raise _Refused(f"is larger than {_size(self.settings.max_bytes)} ({download.length} bytes)")
        except _Refused:
            download.close()
            raise
        return self._store(url, kind, download)

    def _refusal(self, url: str) -> str | None:
        """Why an http(s) ``url`` must not be fetched, or None."""
        parts = urllib.parse.urlsplit(url)
        if parts.scheme.lower() not in ("http", "https"):
            return f"unsupported scheme {parts.scheme or 'none'!r}; use https://, http:// or s3://"
        if not parts.hostname:
            return "the URL has no host"
        if self.settings.allow_private:
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

    def _open_http(self, url: str) -> _Download:
        reason = self._refusal(url)
        if reason is not None:
            raise _Refused(reason)
        opener = urllib.request.build_opener(_CheckedRedirects(self))
        request = urllib.request.Request(url, headers={"User-Agent": "adgen", "Accept-Encoding": "identity"})
        timeout = self.settings.timeout
        try:
            response = opener.open(request, timeout=timeout)
        except urllib.error.HTTPError as exc:
            exc.close()
            raise _Refused(f"HTTP {exc.code} {exc.reason}".rstrip()) from exc
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise _Refused(f"timed out after {timeout:g} s") from exc
            raise _Refused(f"cannot connect: {exc.reason}") from exc
        except TimeoutError as exc:
            raise _Refused(f"timed out after {timeout:g} s") from exc
        except (OSError, HTTPException) as exc:
            raise _Refused(f"download failed: {exc}") from exc
        length = response.headers.get("Content-Length")
        return _Download(
            content_type=_media_type(response.headers.get("Content-Type", "")),
            length=int(length) if length and length.isdigit() else None,
            chunks=_read_http(response, timeout),
            close=response.close,
        )

    def _open_s3(self, url: str) -> _Download:
        import botocore.exceptions

        parts = urllib.parse.urlsplit(url)
        bucket, key = parts.netloc, parts.path.lstrip("/")
        if not bucket or not key:
            raise _Refused("not an S3 object; write it like s3://bucket/key")
        timeout = self.settings.timeout
        try:
            answer = self._s3_client().get_object(Bucket=bucket, Key=key)
        except botocore.exceptions.ClientError as exc:
            error = exc.response.get("Error", {})
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", "")
            raise _Refused(f"HTTP {status} {error.get('Code', '')}".strip()) from exc
        except botocore.exceptions.NoCredentialsError as exc:
            raise _Refused("no AWS credentials found (environment, config files or instance role)") from exc
        except (botocore.exceptions.ConnectTimeoutError, botocore.exceptions.ReadTimeoutError) as exc:
            raise _Refused(f"timed out after {timeout:g} s") from exc
        except botocore.exceptions.BotoCoreError as exc:
            raise _Refused(f"cannot reach S3: {exc}") from exc
        body = answer["Body"]
        return _Download(
            content_type=_media_type(str(answer.get("ContentType", ""))),
            length=answer.get("ContentLength"),
            chunks=_read_s3(body, timeout),
            close=body.close,
        )

    def _s3_client(self) -> Any:
        if self._s3 is None:
            import boto3
            from botocore.config import Config

            endpoint = self.settings.endpoint_url or os.environ.get("AWS_ENDPOINT_URL")
            config = Config(
                retries={"mode": "adaptive", "max_attempts": 4}, connect_timeout=self.settings.timeout,
                read_timeout=self.settings.timeout, signature_version="s3v4",
                s3={"addressing_style": "path"} if endpoint else None,
            )  # fmt: skip
            self._s3 = boto3.session.Session().client("s3", endpoint_url=endpoint, config=config)
        return self._s3


class _CheckedRedirects(urllib.request.HTTPRedirectHandler):
    """Follows a redirect only to a URL the fetcher would fetch itself."""

    def __init__(self, fetcher: Fetcher) -> None:
        self.fetcher = fetcher

    def redirect_request(
        self, req: urllib.request.Request, fp: IO[bytes], code: int, msg: str, headers: Any, newurl: str
    ) -> urllib.request.Request | None:
        reason = self.fetcher._refusal(newurl)
        if reason is not None:
            raise _Refused(f"redirect to {newurl}: {reason}")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _read_http(response: Any, timeout: float) -> Iterator[bytes]:
    try:
        while chunk := response.read(_CHUNK):
            yield chunk
    except TimeoutError as exc:
        raise _Refused(f"timed out after {timeout:g} s") from exc
    except (OSError, HTTPException) as exc:
        raise _Refused(f"download failed: {exc}") from exc


def _read_s3(body: Any, timeout: float) -> Iterator[bytes]:
    import botocore.exceptions

    try:
        while chunk := body.read(_CHUNK):
            yield chunk
    except botocore.exceptions.ReadTimeoutError as exc:
        raise _Refused(f"timed out after {timeout:g} s") from exc
    except (botocore.exceptions.BotoCoreError, OSError) as exc:
        raise _Refused(f"download failed: {exc}") from exc


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


def _accepts(kind: Kind, content_type: str) -> bool:
    if kind == "image":
        return content_type.startswith("image/")
    return content_type.startswith("text/") or content_type in CATALOG_TYPES


def _media_type(header: str) -> str:
    """``text/csv; charset=utf-8`` → ``text/csv``."""
    return header.split(";", 1)[0].strip().lower()


def _size(count: int) -> str:
    return f"{count / _MB:g} MB" if count >= _MB else f"{count} bytes"


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".part-")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)

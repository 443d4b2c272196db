"""``S3Store``: outputs in an S3 bucket (AWS, MinIO, Cloudflare R2 or any S3-protocol server).

The client comes from ``generator.orchestration.stores.aws`` (credentials, region and endpoint from the
AWS chain or the settings). Large files go up in parts through boto3's transfer manager. Requests
are retried by botocore (adaptive mode: backoff with jitter on throttling and 5xx), and each
whole object operation is retried again on top (tenacity, exponential backoff with jitter), so a
flaky network costs time, not videos. An object becomes visible under its key only when its
upload completed, and every upload is checked (size, and SHA-256 where the server reports it)
before it counts as stored. ``create`` is a conditional write (``If-None-Match: *``).
Constructing an ``S3Store`` sends nothing; ``S3Store.connect`` also checks the bucket.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import logging
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import botocore.exceptions
from boto3.s3.transfer import TransferConfig
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_random_exponential

from generator.core.errors import ConfigError, StoreError
from generator.core.identity import file_sha256
from generator.orchestration.stores.aws import endpoint, s3_client
from generator.orchestration.stores.store import MUTABLE_KEYS, Metadata

log = logging.getLogger(__name__)

T = TypeVar("T")

IMMUTABLE = "public, max-age=31536000, immutable"  # keys of videos, posters and plans contain the plan hash
NO_CACHE = "no-cache"  # for MUTABLE_KEYS, rewritten by every run
_TRANSIENT_CODES = {
    "500", "502", "503", "504", "InternalError", "ServiceUnavailable", "SlowDown", "Throttling",
    "ThrottlingException", "RequestTimeout", "RequestTimeTooSkewed", "BadDigest", "IncompleteBody",
}  # fmt: skip
_MISSING = {"404", "NoSuchKey", "NotFound"}
_TAKEN = {"412", "PreconditionFailed", "409", "ConditionalRequestConflict"}  # a create lost to an existing object


@dataclass(frozen=True)
class S3Settings:
    """How to reach and write the bucket.

    Attributes:
        endpoint_url: an S3-compatible endpoint; None uses ``AWS_ENDPOINT_URL`` or AWS itself.
        region: None uses the AWS chain (``AWS_REGION``, config files).
        profile: a named profile of the AWS config files; None uses the chain (``AWS_PROFILE``).
        public: objects are readable by anyone (``public-read`` ACL).
        sse: server-side encryption, ``AES256`` or ``aws:kms``; None leaves the bucket's default.
        attempts: tries per request (botocore) and per whole object (ours).
        multipart_threshold: files from this size up are uploaded in parts of this size.
    """

    endpoint_url: str | None = None
    region: str | None = None
    profile: str | None = None
    public: bool = False
    sse: str | None = None
    attempts: int = 6
    multipart_threshold: int = 16 * 1024 * 1024


def parse_s3_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/some/prefix`` → (``bucket``, ``some/prefix``).

    Raises:
        ConfigError: not an ``s3://`` URI with a bucket.
    """
    parsed = urllib.parse.urlparse(uri)
    if parsed.scheme != "s3" or not parsed.netloc:
        raise ConfigError(f"not an S3 location: {uri!r}; write it like s3://bucket/prefix")
    return parsed.netloc, parsed.path.strip("/")


def _code(exc: BaseException) -> str:
    if isinstance(exc, botocore.exceptions.ClientError):
        return str(exc.response.get("Error", {}).get("Code", ""))
    return ""


def _transient(exc: BaseException) -> bool:
    """Worth another try: throttling, a 5xx, a dropped or timed-out connection, a failed verification."""
    if isinstance(exc, _UploadMismatch):
        return True
    if isinstance(exc, botocore.exceptions.ClientError):
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return _code(exc) in _TRANSIENT_CODES or status >= 500
    return isinstance(
        exc,
        (
            botocore.exceptions.ConnectionError,
            botocore.exceptions.HTTPClientError,
            botocore.exceptions.ResponseStreamingError,
        ),
    )


class _UploadMismatch(Exception):
    """The stored object is not what was sent."""


class S3Store:
    """Keys under ``prefix`` in ``bucket``; see the module docstring.

    Raises (from the constructor):
        ConfigError: the settings name an AWS profile that does not exist.
    """

    def __init__(self, bucket: str, prefix: str = "", settings: S3Settings = S3Settings()) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.settings = settings
        self.endpoint = endpoint(settings.endpoint_url) or "AWS S3"
        try:
            self.client: Any = s3_client(
                settings.endpoint_url, settings.region, profile=settings.profile, attempts=settings.attempts
            )
        except botocore.exceptions.ProfileNotFound as exc:
            raise ConfigError(f"{self._where()}: {exc}") from exc
        self.transfer = TransferConfig(
            multipart_threshold=settings.multipart_threshold,
            multipart_chunksize=settings.multipart_threshold,
            max_concurrency=4,
        )

    @classmethod
    def connect(cls, bucket: str, prefix: str = "", settings: S3Settings = S3Settings()) -> S3Store:
        """The store, once the bucket is known to exist and to accept the credentials.

        Raises:
            ConfigError: the bucket does not exist, the credentials are refused or the endpoint is unreachable.
        """
        store = cls(bucket, prefix, settings)
        store.check_bucket()
        return store

    def _where(self) -> str:
        return f"bucket {self.bucket!r} at {self.endpoint}"

    def check_bucket(self) -> None:
        """Raises ConfigError unless the bucket exists and the credentials are accepted; see ``connect``."""
        try:
            self._retry(lambda: self.client.head_bucket(Bucket=self.bucket))
        except botocore.exceptions.ClientError as exc:
            code = _code(exc)
            if code in {"404", "NoSuchBucket", "NotFound"}:
                raise ConfigError(f"{self._where()} does not exist") from exc
            if code in {"403", "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "Forbidden"}:
                raise ConfigError(f"{self._where()}: access denied; check the credentials ({code})") from exc
            raise ConfigError(f"{self._where()}: {exc}") from exc
        except botocore.exceptions.NoCredentialsError as exc:
            raise ConfigError(
                f"{self._where()}: no AWS credentials found (environment, config files or instance role)"
            ) from exc
        except (botocore.exceptions.BotoCoreError, OSError) as exc:
            raise ConfigError(f"{self._where()}: cannot reach the endpoint: {exc}") from exc

    def _key(self, key: str) -> str:
        if not key or key.startswith("/") or ".." in key.split("/"):
            raise StoreError("key escapes the store prefix", key=key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def _retry(self, operation: Callable[[], T]) -> T:
        retrying = Retrying(
            retry=retry_if_exception(_transient), stop=stop_after_attempt(self.settings.attempts),
            wait=wait_random_exponential(multiplier=0.2, max=10), reraise=True,
        )  # fmt: skip
        return retrying(operation)

    def _failed(self, action: str, key: str, exc: Exception) -> StoreError:
        return StoreError(f"cannot {action} in {self._where()}: {exc}", key=key)

    def exists(self, key: str) -> bool:
        name = self._key(key)
        try:
            self._retry(lambda: self.client.head_object(Bucket=self.bucket, Key=name))
        except botocore.exceptions.ClientError as exc:
            if _code(exc) in _MISSING:
                return False
            raise self._failed("check", key, exc) from exc
        except botocore.exceptions.BotoCoreError as exc:
            raise self._failed("check", key, exc) from exc
        return True

    def _extra(self, key: str, content_type: str, metadata: Metadata | None, digest: str) -> dict[str, Any]:
        extra: dict[str, Any] = {
            "ContentType": content_type,
            "CacheControl": NO_CACHE if key in MUTABLE_KEYS else IMMUTABLE,
            # S3 metadata is ASCII: values are percent-encoded UTF-8.
            "Metadata": {
                k: urllib.parse.quote(v, safe=" -_.:/") for k, v in {**(metadata or {}), "sha256": digest}.items()
            },
        }
        if self.settings.public:
            extra["ACL"] = "public-read"
        if self.settings.sse:
            extra["ServerSideEncryption"] = self.settings.sse
        return extra

    def _verify(self, name: str, size: int, digest: str) -> None:
        head = self.client.head_object(Bucket=self.bucket, Key=name, ChecksumMode="ENABLED")
        if head["ContentLength"] != size:
            raise _UploadMismatch(f"stored {head['ContentLength']} bytes of {size}")
        reported = head.get("ChecksumSHA256")
        whole = size < self.settings.multipart_threshold  # a multipart object's checksum hashes its parts' checksums
        if whole and reported and reported != base64.b64encode(bytes.fromhex(digest)).decode():
            raise _UploadMismatch("stored SHA-256 differs from the file's")

    def put_file(self, key: str, source: Path, content_type: str, metadata: Metadata | None = None) -> str:
        name = self._key(key)
        size, digest = source.stat().st_size, file_sha256(source)
        extra = {**self._extra(key, content_type, metadata, digest), "ChecksumAlgorithm": "SHA256"}

        def upload() -> None:
            self.client.upload_file(str(source), self.bucket, name, ExtraArgs=extra, Config=self.transfer)
            self._verify(name, size, digest)

        self._write("upload", key, upload)
        return self.uri(key)

    def put_bytes(self, key: str, data: bytes, content_type: str, metadata: Metadata | None = None) -> str:
        name = self._key(key)
        digest = hashlib.sha256(data).hexdigest()
        extra = self._extra(key, content_type, metadata, digest)
        checksum = base64.b64encode(bytes.fromhex(digest)).decode()

        def upload() -> None:
            self.client.put_object(Bucket=self.bucket, Key=name, Body=data, ChecksumSHA256=checksum, **extra)
            self._verify(name, len(data), digest)

        self._write("upload", key, upload)
        return self.uri(key)

    def create(
        self, key: str, data: bytes, content_type: str = "application/octet-stream", metadata: Metadata | None = None
    ) -> bool:
        """Upload ``data`` only if ``key`` holds nothing (``If-None-Match: *``); False if it held something.

        An existing object with the same SHA-256 counts as this create's own (a retried request
        whose first answer was lost), so ``data`` should name its writer, as a lease does.
        """
        name = self._key(key)
        digest = hashlib.sha256(data).hexdigest()
        extra = self._extra(key, content_type, metadata, digest)
        checksum = base64.b64encode(bytes.fromhex(digest)).decode()
        created = True

        def upload() -> None:
            nonlocal created
            try:
                self.client.put_object(
                    Bucket=self.bucket, Key=name, Body=data, ChecksumSHA256=checksum, IfNoneMatch="*", **extra
                )
            except botocore.exceptions.ClientError as exc:
                if _code(exc) not in _TAKEN:
                    raise
                head = self.client.head_object(Bucket=self.bucket, Key=name)
                created = urllib.parse.unquote(head.get("Metadata", {}).get("sha256", "")) == digest
                return
            self._verify(name, len(data), digest)

        self._write("create", key, upload)
        return created

    def _write(self, action: str, key: str, operation: Callable[[], None]) -> None:
        try:
            self._retry(operation)
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError, _UploadMismatch, OSError) as exc:
            raise self._failed(action, key, exc) from exc
        except Exception as exc:  # boto3's transfer manager wraps part failures in its own errors
            if exc.__class__.__module__.startswith(("boto3", "s3transfer")):
                raise self._failed(action, key, exc) from exc
            raise

    def get_bytes(self, key: str) -> bytes:
        name = self._key(key)

        def read() -> bytes:
            return bytes(self.client.get_object(Bucket=self.bucket, Key=name)["Body"].read())

        try:
            return self._retry(read)
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
            raise self._failed("read", key, exc) from exc

    def list(self, prefix: str = "") -> Iterator[str]:
        start = self._key(prefix) if prefix else (f"{self.prefix}/" if self.prefix else "")
        strip = len(f"{self.prefix}/") if self.prefix else 0
        token: str | None = None
        while True:
            arguments = {"Bucket": self.bucket, "Prefix": start, **({"ContinuationToken": token} if token else {})}
            try:
                page = self._retry(functools.partial(self.client.list_objects_v2, **arguments))
            except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
                raise self._failed("list", prefix, exc) from exc
            for item in page.get("Contents", []):
                yield item["Key"][strip:]
            if not page.get("IsTruncated"):
                return
            token = page["NextContinuationToken"]

    def delete(self, key: str) -> None:
        name = self._key(key)
        try:
            self._retry(lambda: self.client.delete_object(Bucket=self.bucket, Key=name))
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
            raise self._failed("delete", key, exc) from exc

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{self._key(key)}"

    def url(self, key: str, expires: int) -> str:
        """A presigned GET link valid for ``expires`` seconds."""
        params = {"Bucket": self.bucket, "Key": self._key(key)}
        return str(self.client.generate_presigned_url("get_object", Params=params, ExpiresIn=expires))

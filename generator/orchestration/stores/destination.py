"""Opening the store an ``out`` names: a folder, or ``s3://bucket/prefix``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from generator.core.errors import ConfigError
from generator.orchestration.stores.store import LocalStore, Store


def open_store(out: str, endpoint_url: str | None, region: str | None, public: bool, sse: str | None) -> Store:
    """A LocalStore for a folder, an S3Store for ``s3://bucket/prefix`` (S3 options need the latter).

    Raises:
        ConfigError: S3 options given for a folder.
    """
    if out.startswith("s3://"):
        from generator.orchestration.stores.s3 import S3Settings, S3Store, parse_s3_uri  # boto3 only when needed

        bucket, prefix = parse_s3_uri(out)
        settings = S3Settings(endpoint_url=endpoint_url, region=region, public=public, sse=sse)
        return S3Store.connect(bucket, prefix, settings)
    if public or sse:
        raise ConfigError("--public and --sse apply to s3:// outputs only")
    return LocalStore(Path(out))


@dataclass(frozen=True)
class StoreLocation:
    """How any node opens the run's store: the ``--out`` folder (shared by every node) or ``s3://`` prefix."""

    out: str
    endpoint_url: str | None = None
    region: str | None = None
    public: bool = False
    sse: str | None = None

    def open(self) -> Store:
        return open_store(self.out, self.endpoint_url, self.region, self.public, self.sse)

"""The one place boto3 clients are made, for the output store and for fetching ``s3://`` URLs alike.

Credentials and region come from the standard AWS chain (environment, config files, instance
role) unless a profile or region is named. The endpoint is ``endpoint_url``, else
``AWS_ENDPOINT_URL``, else AWS itself; a custom endpoint (MinIO, R2, a test server) is addressed
path-style. botocore retries each request in its adaptive mode (backoff with jitter on
throttling and 5xx). Making a client sends nothing over the network.
"""

from __future__ import annotations

import os
from typing import Any


def endpoint(endpoint_url: str | None) -> str | None:
    """The S3 endpoint clients talk to: ``endpoint_url``, else ``AWS_ENDPOINT_URL``; None means AWS itself."""
    return endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or None


def s3_client(
    endpoint_url: str | None = None,
    region: str | None = None,
    *,
    profile: str | None = None,
    attempts: int = 6,
    connect_timeout: float = 10,
    read_timeout: float = 60,
) -> Any:
    """A boto3 S3 client; see the module docstring.

    Args:
        endpoint_url: an S3-compatible endpoint; None uses ``AWS_ENDPOINT_URL`` or AWS.
        region: None uses the AWS chain (``AWS_REGION``, config files).
        profile: a named profile of the AWS config files; None uses the chain (``AWS_PROFILE``).
        attempts: tries per request, the first included.
        connect_timeout, read_timeout: seconds.
    """
    import boto3
    from botocore.config import Config

    url = endpoint(endpoint_url)
    config = Config(
        retries={"mode": "adaptive", "max_attempts": attempts}, connect_timeout=connect_timeout,
        read_timeout=read_timeout, signature_version="s3v4", s3={"addressing_style": "path"} if url else None,
    )  # fmt: skip
    session = boto3.session.Session(profile_name=profile)
    return session.client("s3", endpoint_url=url, region_name=region, config=config)

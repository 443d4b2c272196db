"""``adgen run --out s3://...`` against a real S3-protocol server (moto) on 127.0.0.1, through a fault proxy."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from click.testing import CliRunner
from moto.server import ThreadedMotoServer

from generator.core.errors import ConfigError, StoreError
from generator.orchestration.cli import main
from generator.orchestration.stores.s3 import IMMUTABLE, NO_CACHE, S3Settings, S3Store
from generator.orchestration.stores.store import safe_name
from tests.conftest import REPO, product_row
from tests.media import decode_hashes
from tests.s3_proxy import FaultProxy

WriteCatalog = Callable[..., Path]


@pytest.fixture(scope="module")
def moto_server() -> Iterator[tuple[str, int]]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    yield server.get_host_and_port()
    server.stop()


@dataclass
class S3:
    proxy: FaultProxy
    bucket: str
    client: Any  # talks to the server directly, not through the proxy

    def objects(self, prefix: str = "") -> dict[str, dict[str, Any]]:
        """Every object under ``prefix``: key → head_object answer."""
        listing = self.client.list_objects_v2(Bucket=self.bucket, Prefix=prefix).get("Contents", [])
        return {item["Key"]: self.client.head_object(Bucket=self.bucket, Key=item["Key"]) for item in listing}

    def get(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()  # type: ignore[no-any-return]


@pytest.fixture
def s3(moto_server: tuple[str, int], monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Iterator[S3]:
    for name, value in {"AWS_ACCESS_KEY_ID": "adgen-test", "AWS_SECRET_ACCESS_KEY": "adgen-secret",
                        "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": "/nonexistent",
                        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent"}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    bucket = re.sub(r"[^a-z0-9-]", "-", request.node.name.lower())[:50].strip("-")
    client = boto3.client("s3", endpoint_url=f"http://{moto_server[0]}:{moto_server[1]}", region_name="us-east-1")
    client.create_bucket(Bucket=bucket)
    with FaultProxy(moto_server) as proxy:
        yield S3(proxy, bucket, client)


def _run(s3: S3, catalog: Path, templates_root: Path, *extra: str) -> Any:
    args = ["run", str(catalog), "--out", f"s3://{s3.bucket}/ads", "--s3-endpoint-url", s3.proxy.url,
            "--templates", str(templates_root), "--template", "quick", "--preset", "ultrafast", "--workers", "1", *extra]  # fmt: skip
    return CliRunner().invoke(main, args)


def test_a_run_uploads_every_output_with_its_type_metadata_and_size_and_a_second_uploads_none(
    s3: S3, write_catalog: WriteCatalog, templates_root: Path, tmp_path: Path
) -> None:
    catalog = write_catalog(
        [product_row("SKU-1"), product_row("SKU 2/ü", color="blue"), product_row("BAD", price="free")]
    )
    result = _run(s3, catalog, templates_root, "--presign", "600")
    assert result.exit_code == 1, result.output  # the bad row fails, alone
    objects = s3.objects("ads/")
    manifest = [json.loads(line) for line in s3.get("ads/manifest.jsonl").decode().splitlines()]
    rendered = [m for m in manifest if m["status"] == "rendered"]
    assert len(rendered) == 2 and [m["sku"] for m in manifest if m["status"] == "failed"] == ["BAD"]
    types = {".mp4": "video/mp4", ".jpg": "image/jpeg", ".json": "application/json"}
    for line in rendered:
        prefix = f"ads/quick/{safe_name(line['sku'])}/9x16-{line['output_key'][:12]}"
        assert line["video"] == f"s3://{s3.bucket}/{prefix}.mp4"
        for suffix, content_type in types.items():
            head = objects[prefix + suffix]
            assert head["ContentType"] == content_type and head["CacheControl"] == IMMUTABLE
            assert head["Metadata"]["plan-hash"] == line["plan_hash"] and head["Metadata"]["template"] == "quick"
            assert urllib.parse.unquote(head["Metadata"]["sku"]) == line["sku"]  # UTF-8, percent-encoded
        assert objects[prefix + ".mp4"]["ContentLength"] > 50_000
        video = tmp_path / "check.mp4"
        video.write_bytes(s3.get(prefix + ".mp4"))
        assert len(decode_hashes(video).hashes) == line["frames"]  # intact: every frame decodes
        assert "X-Amz-Signature=" in line["video_url"] and line["video_url"].startswith(s3.proxy.url)
    assert objects["ads/manifest.jsonl"]["CacheControl"] == NO_CACHE
    summary = json.loads(s3.get("ads/run-summary.json"))
    assert summary["videos"] == {"rendered": 2, "skipped": 0, "failed": 1} and summary["failures"][0]["count"] == 1
    # The second run finds every video by its plan hash and uploads no output again.
    before = len(s3.proxy.requests)
    assert _run(s3, catalog, templates_root).exit_code == 1
    again = s3.proxy.requests[before:]
    uploads = [r for r in again if r.method in ("PUT", "POST")]
    assert {r.path.split("?")[0].rsplit("/", 1)[-1] for r in uploads} == {"manifest.jsonl", "run-summary.json"}
    manifest = [json.loads(line) for line in s3.get("ads/manifest.jsonl").decode().splitlines()]
    assert [m["status"] for m in manifest] == ["skipped", "skipped", "failed"]


def test_force_renders_stored_rows_again(s3: S3, write_catalog: WriteCatalog, templates_root: Path) -> None:
    catalog = write_catalog([product_row("A")])
    assert _run(s3, catalog, templates_root).exit_code == 0
    before = len(s3.proxy.requests)
    assert _run(s3, catalog, templates_root, "--force").exit_code == 0
    assert sum(1 for r in s3.proxy.requests[before:] if r.method == "PUT" and ".mp4" in r.path) >= 1


def test_throttling_and_server_errors_cost_retries_not_videos(
    s3: S3, write_catalog: WriteCatalog, templates_root: Path, tmp_path: Path
) -> None:
    faults = ["SlowDown", "503", "500"]
    # Every third request is answered with an error: writes, reads and listings alike.
    s3.proxy.fault = lambda method, path, count: faults[count // 3 % 3] if count % 3 == 1 else None
    catalog = write_catalog([product_row("A"), product_row("B", color="blue")])
    result = _run(s3, catalog, templates_root)
    assert result.exit_code == 0, result.output
    assert sum(s3.proxy.count(m, answer=f) for m in ("PUT", "HEAD", "GET") for f in faults) >= 5
    manifest = [json.loads(line) for line in s3.get("ads/manifest.jsonl").decode().splitlines()]
    for line in manifest:
        key = line["video"].removeprefix(f"s3://{s3.bucket}/")
        video = tmp_path / f"{line['sku']}.mp4"
        video.write_bytes(s3.get(key))
        assert len(decode_hashes(video).hashes) == line["frames"]


def test_a_connection_dropped_mid_upload_is_retried_and_never_leaves_a_partial_object(
    s3: S3, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = os.urandom(12 * 1024 * 1024 + 321)  # multipart at a 5 MiB threshold: three parts
    source = tmp_path / "big.bin"
    source.write_bytes(data)
    dropped: list[str] = []

    def drop_first_upload_of_each_part(method: str, path: str, count: int) -> str | None:
        if method == "PUT" and path not in dropped:
            dropped.append(path)
            return "drop"
        return None

    s3.proxy.fault = drop_first_upload_of_each_part
    store = S3Store(s3.bucket, "p", S3Settings(endpoint_url=s3.proxy.url, multipart_threshold=5 * 1024 * 1024))
    store.put_file("big.bin", source, "application/octet-stream", {"sku": "X"})
    assert s3.proxy.count("PUT", answer="drop") == 3 and s3.get("p/big.bin") == data
    # A write that never gets through leaves nothing under its key.
    s3.proxy.fault = lambda method, path, count: "drop" if method == "PUT" else None
    with pytest.raises(StoreError, match=f"cannot upload in bucket '{s3.bucket}'"):
        store.put_bytes("never.json", b"{}", "application/json")
    assert "p/never.json" not in s3.objects("p/")
    assert not s3.client.list_multipart_uploads(Bucket=s3.bucket).get("Uploads")


def test_a_store_is_made_without_a_request_and_connect_checks_the_bucket(s3: S3) -> None:
    settings = S3Settings(endpoint_url=s3.proxy.url)
    S3Store("no-such-bucket", "p", settings)
    assert s3.proxy.requests == []
    with pytest.raises(ConfigError, match=r"bucket 'no-such-bucket' at http://127.0.0.1:\d+ does not exist"):
        S3Store.connect("no-such-bucket", "p", settings)
    assert S3Store.connect(s3.bucket, "p", settings).bucket == s3.bucket
    assert [r.method for r in s3.proxy.requests] == ["HEAD", "HEAD"]


def test_create_writes_only_where_nothing_is_and_delete_removes_the_object(s3: S3) -> None:
    store = S3Store(s3.bucket, "p", S3Settings(endpoint_url=s3.proxy.url))
    assert store.create("leases/a.json", b'{"holder": 1}', "application/json")
    assert not store.create("leases/a.json", b'{"holder": 2}', "application/json")
    assert s3.get("p/leases/a.json") == b'{"holder": 1}'
    assert s3.proxy.count("PUT", "leases/a.json") == 2  # the second was refused by the server, not skipped here
    store.delete("leases/a.json")
    assert not store.exists("leases/a.json") and "p/leases/a.json" not in s3.objects("p/")
    store.delete("leases/a.json")  # deleting what is not there is no error
    assert store.create("leases/a.json", b'{"holder": 2}', "application/json")
    assert s3.get("p/leases/a.json") == b'{"holder": 2}'


@pytest.mark.parametrize(
    ("case", "message"),
    [("missing-bucket", "bucket 'no-such-bucket' at http://127.0.0.1:\\d+ does not exist"),
     ("wrong-credentials", "access denied; check the credentials")],
)  # fmt: skip
def test_a_missing_bucket_or_refused_credentials_stop_the_run_before_anything_is_written(
    s3: S3, write_catalog: WriteCatalog, templates_root: Path, tmp_path: Path, case: str, message: str
) -> None:
    catalog = write_catalog([product_row("A")])
    out = f"s3://{s3.bucket}/ads"
    if case == "missing-bucket":
        out = "s3://no-such-bucket/ads"
    else:
        s3.proxy.fault = lambda method, path, count: "denied"
    args = ["run", str(catalog), "--out", out, "--s3-endpoint-url", s3.proxy.url, "--templates", str(templates_root),
            "--template", "quick"]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2 and re.search(message, result.output), result.output
    assert s3.proxy.count("PUT") == 0 and s3.proxy.count("PUT", answer="denied") == 0 and s3.objects() == {}


def test_a_killed_run_is_completed_by_the_next_without_duplicates(
    s3: S3, write_catalog: WriteCatalog, templates_root: Path, tmp_path: Path
) -> None:
    skus = [f"K{i}" for i in range(4)]
    catalog = write_catalog([product_row(sku, color=f"tone {sku}") for sku in skus])
    argv = [sys.executable, "-m", "generator", "run", str(catalog), "--out", f"s3://{s3.bucket}/ads", "--s3-endpoint-url",
            s3.proxy.url, "--templates", str(templates_root), "--template", "quick", "--preset", "ultrafast"]  # fmt: skip
    stored = threading.Event()  # set once the server has answered the upload of a first video
    s3.proxy.observe = lambda r: stored.set() if r.method == "PUT" and r.path.split("?")[0].endswith(".mp4") else None
    process = subprocess.Popen(argv, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert stored.wait(timeout=300), "no video was uploaded"
    process.send_signal(signal.SIGKILL)
    process.wait()
    first = {key for key in s3.objects("ads/") if key.endswith(".mp4")}
    assert 1 <= len(first) < len(skus)
    assert subprocess.run(argv, check=False, cwd=REPO, capture_output=True).returncode == 0
    videos = sorted(key for key in s3.objects("ads/") if key.endswith(".mp4"))
    assert [key.split("/")[2] for key in videos] == skus  # one video per row, none twice
    manifest = [json.loads(line) for line in s3.get("ads/manifest.jsonl").decode().splitlines()]
    assert sorted(m["status"] for m in manifest) == sorted(
        ["skipped"] * len(first) + ["rendered"] * (len(skus) - len(first))
    )
    for key in videos:
        video = tmp_path / "v.mp4"
        video.write_bytes(s3.get(key))
        assert len(decode_hashes(video).hashes) == 60


def test_a_voiced_video_has_its_webvtt_and_srt_beside_it_with_their_content_types(
    s3: S3, write_catalog: WriteCatalog, templates_root: Path
) -> None:
    catalog = write_catalog([product_row("VOX-1", title="Velvet Lipstick")])
    args = ["run", str(catalog), "--out", f"s3://{s3.bucket}/ads", "--s3-endpoint-url", s3.proxy.url,
            "--templates", str(templates_root), "--template", "voiced", "--preset", "ultrafast", "--workers", "1"]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    (line,) = [json.loads(text) for text in s3.get("ads/manifest.jsonl").decode().splitlines()]
    prefix = f"ads/voiced/VOX-1/9x16-{line['output_key'][:12]}"
    objects = s3.objects("ads/")
    assert objects[prefix + ".vtt"]["ContentType"] == "text/vtt"
    assert objects[prefix + ".srt"]["ContentType"] == "application/x-subrip"
    assert line["captions"] == [f"s3://{s3.bucket}/{prefix}.vtt", f"s3://{s3.bucket}/{prefix}.srt"]
    vtt, srt = s3.get(prefix + ".vtt").decode(), s3.get(prefix + ".srt").decode()
    assert vtt.startswith("WEBVTT\n") and "Velvet" in vtt and "-->" in srt and "," in srt.split("-->")[0]

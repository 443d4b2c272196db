"""Catalogs and images from URLs: a real HTTP server and a real S3-protocol server (moto) on 127.0.0.1."""

from __future__ import annotations

import collections
import contextlib
import csv
import io
import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import pytest
from click.testing import CliRunner
from moto.server import ThreadedMotoServer

from generator.core.errors import AssetError, CatalogError
from generator.core.identity import file_sha256
from generator.core.images import AssetResolver, Cutout
from generator.core.urls import join_url
from generator.orchestration.cli import main
from generator.orchestration.stores.fetch import Fetcher, FetchRefused, FetchSettings
from generator.planning.catalog import CatalogOptions, load_catalog
from generator.planning.plan.types import ShotPlan
from tests.conftest import HEADER, REPO, product_row, stored_plan
from tests.fetch_transport import MemoryTransport, Served

IMAGES = REPO / "catalogs" / "images"


@dataclass
class Route:
    status: int = 200
    content_type: str = "image/png"
    body: bytes = b""
    length: bool = True  # send Content-Length (without it the body ends when the connection closes)
    hold: threading.Event | None = None  # answer only once this is set
    location: str | None = None


@dataclass
class Web:
    """An HTTP server on 127.0.0.1: ``routes`` by path, ``requests`` counted by path."""

    url: str
    routes: dict[str, Route]
    requests: collections.Counter[str] = field(default_factory=collections.Counter)


@pytest.fixture(scope="module")
def web() -> Iterator[Web]:
    routes = {f"/images/{p.name}": Route(content_type="image/jpeg" if p.suffix == ".jpg" else "image/png", body=p.read_bytes())
              for p in IMAGES.iterdir()}  # fmt: skip
    web = Web("", routes)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            web.requests[self.path] += 1
            route = web.routes.get(self.path, Route(404, "text/plain", b"not found"))
            if route.hold is not None:
                route.hold.wait(timeout=60)
            self.send_response(route.status)
            self.send_header("Content-Type", route.content_type)
            if route.location is not None:
                self.send_header("Location", route.location)
            if route.length:
                self.send_header("Content-Length", str(len(route.body)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # a client refusing the body hangs up
                self.wfile.write(route.body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    web.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield web
    server.shutdown()
    server.server_close()


def catalog_csv(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=HEADER)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def fetcher(tmp_path: Path, **settings: Any) -> Fetcher:
    return Fetcher(FetchSettings(cache=tmp_path / "fetch", **{"allow_private": True, **settings}))


@pytest.fixture
def feed(web: Web) -> str:
    """A catalog on the server: a relative link, an absolute URL, an HTML page, a 404; returns its URL."""
    web.routes["/page.html"] = Route(content_type="text/html; charset=utf-8", body=b"<html>hello</html>")
    rows = [
        product_row("REL", image_link="../images/lipstick-ruby.png"),
        product_row("ABS", image_link=f"{web.url}/images/cream-rose.png", color="rose"),
        product_row("HTML", image_link="/page.html"),
        product_row("GONE", image_link="/images/none.png"),
    ]
    web.routes["/feeds/catalog.csv"] = Route(content_type="text/csv; charset=utf-8", body=catalog_csv(rows))
    return f"{web.url}/feeds/catalog.csv"


@pytest.mark.parametrize("workers", ["1", "2"])  # 2: worker processes resolve the URL images themselves
def test_a_url_catalog_renders_its_rows_and_a_bad_image_link_fails_its_row_alone(
    web: Web, feed: str, templates_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: str
) -> None:
    monkeypatch.setenv("ADGEN_FETCH_CACHE", str(tmp_path / "fetch"))
    out = tmp_path / "out"
    args = ["run", feed, "--allow-private-urls", "--template", "quick", "--templates", str(templates_root),
            "--preset", "ultrafast", "--workers", workers, "--out", str(out)]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1, result.output
    manifest = {line["sku"]: line for line in map(json.loads, (out / "manifest.jsonl").read_text().splitlines())}
    assert {sku: line["status"] for sku, line in manifest.items()} == {
        "REL": "rendered", "ABS": "rendered", "HTML": "failed", "GONE": "failed",
    }  # fmt: skip
    assert (
        f"{feed}, row 4, sku HTML, column image_link: is text/html, not an image (path: {web.url}/page.html)"
        in manifest["HTML"]["error"]
    )
    assert manifest["GONE"]["reason"] == "HTTP 404 Not Found"
    assert f"path: {web.url}/images/none.png" in manifest["GONE"]["error"]
    plan = stored_plan(Path(manifest["REL"]["job"]))
    product = next(layer.ref for shot in plan.shots for layer in shot.layers if getattr(layer, "kind", "") == "product")
    assert product.source == f"{web.url}/images/lipstick-ruby.png"  # joined against the catalog's URL
    assert product.sha256 == file_sha256(IMAGES / "lipstick-ruby.png")


def test_without_the_flag_a_loopback_catalog_is_refused_before_anything_runs(
    feed: str, templates_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ADGEN_FETCH_CACHE", str(tmp_path / "fetch"))
    args = ["run", feed, "--template", "quick", "--templates", str(templates_root), "--out", str(tmp_path / "out")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert f"{feed}: refused: 127.0.0.1 is a loopback address (pass --allow-private-urls to allow it)" in result.output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("url", "settings", "message"),
    [
        ("/images/lipstick-ruby.png", {"allow_private": False}, "refused: 127.0.0.1 is a loopback address"),
        ("/images/lipstick-ruby.png", {"max_bytes": 1000}, r"is larger than 1000 bytes \(\d+ bytes\)"),
        ("/stream/lipstick-ruby.png", {"max_bytes": 1000}, "is larger than 1000 bytes$"),
        ("/slow.png", {"timeout": 0.3}, "timed out after 0.3 s"),
        ("/page.html", {}, "is text/html, not an image"),
        ("/images/none.png", {}, "HTTP 404 Not Found"),
        ("/to-ftp", {}, "redirect to ftp://example.com/a.png: unsupported scheme 'ftp'"),
        ("file:///etc/passwd", {}, "unsupported scheme 'file'"),
    ],
)  # fmt: skip
def test_a_download_that_breaks_a_rule_is_an_asset_error_naming_the_url_and_the_rule(
    web: Web, tmp_path: Path, url: str, settings: dict[str, Any], message: str
) -> None:
    body = (IMAGES / "lipstick-ruby.png").read_bytes()
    held = threading.Event()  # /slow.png answers only after the client has given up
    web.routes.update({
        "/stream/lipstick-ruby.png": Route(body=body, length=False),
        "/slow.png": Route(body=body, hold=held),
        "/page.html": Route(content_type="text/html", body=b"<html></html>"),
        "/to-ftp": Route(302, "text/plain", location="ftp://example.com/a.png"),
    })  # fmt: skip
    url = url if "://" in url else web.url + url
    try:
        with pytest.raises(AssetError) as caught:
            fetcher(tmp_path, **settings).fetch(url, "image")
    finally:
        held.set()
    assert caught.value.context["path"] == url and re.search(message, caught.value.message), caught.value.message
    leftovers = [p for p in (tmp_path / "fetch").rglob("*") if p.is_file()]
    assert leftovers == []  # nothing half-written stays in the cache


def test_a_second_fetch_is_served_from_the_cache_and_the_resolver_fetches_again_what_the_cache_lost(
    web: Web, tmp_path: Path
) -> None:
    url = f"{web.url}/images/watch-lime.png"
    digest = file_sha256(IMAGES / "watch-lime.png")
    before = web.requests["/images/watch-lime.png"]
    first = fetcher(tmp_path).fetch(url, "image")
    assert fetcher(tmp_path).fetch(url, "image") == first  # a new fetcher: the index is on disk
    assert web.requests["/images/watch-lime.png"] == before + 1
    assert first == tmp_path / "fetch" / "objects" / digest[:2] / digest
    assert json.loads(next((tmp_path / "fetch" / "urls").glob("*.json")).read_text()) == {
        "sha256": digest,
        "content_type": "image/png",
    }
    resolver = AssetResolver({}, fetcher(tmp_path))
    first.write_bytes(b"corrupted")  # a cached object is hashed again when read
    assert file_sha256(resolver.path(url, digest)) == digest
    assert web.requests["/images/watch-lime.png"] == before + 2
    first.unlink()
    assert resolver.image(url, digest, Cutout("alpha")).mode == "RGBA"
    with pytest.raises(AssetError, match="content changed since the plan was made"):
        resolver.path(url, "0" * 64)
    with pytest.raises(AssetError, match="URL sources need a fetcher"):
        AssetResolver({}).path(url, digest)


def test_catalog_urls_are_downloaded_again_and_their_failures_are_catalog_errors(web: Web, tmp_path: Path) -> None:
    web.routes["/again.csv"] = Route(content_type="text/csv", body=catalog_csv([product_row("A")]))
    web.routes["/catalog.png"] = Route(body=(IMAGES / "serum-aqua.png").read_bytes())
    before = web.requests["/again.csv"]
    assert fetcher(tmp_path).fetch(f"{web.url}/again.csv", "catalog") == fetcher(tmp_path).fetch(
        f"{web.url}/again.csv", "catalog"
    )
    assert web.requests["/again.csv"] == before + 2  # a feed changes under the same URL
    with pytest.raises(
        CatalogError, match=r"catalog.png: is image/png, not a catalog \(CSV, TSV, XML feed or workbook\)"
    ):
        fetcher(tmp_path).fetch(f"{web.url}/catalog.png", "catalog")


def test_image_urls_in_a_local_catalog_need_a_fetcher(write_catalog: Any, web: Web, tmp_path: Path) -> None:
    path = write_catalog([product_row("A", image_link=f"{web.url}/images/serum-aqua.png"), product_row("B")])
    plain = load_catalog(path)
    assert [p.sku for p in plain.products] == ["B"] and "no fetcher" in plain.errors[0].message
    assert plain.errors[0].context["path"] == f"{web.url}/images/serum-aqua.png"
    fetched = load_catalog(path, CatalogOptions(fetcher=fetcher(tmp_path)))
    assert [p.image.source for p in fetched.products] == [
        f"{web.url}/images/serum-aqua.png",
        "catalog:images/lipstick-ruby.png",
    ]


def test_urls_go_through_the_transport_of_their_scheme_and_a_failed_download_leaves_nothing_behind(
    tmp_path: Path,
) -> None:
    body = (IMAGES / "serum-aqua.png").read_bytes()
    memory = MemoryTransport({
        "https://shop.test/a.png": Served(body),
        "https://shop.test/refused.png": Served(body, failure=FetchRefused("HTTP 403 Forbidden"), at_open=True),
        "https://shop.test/cut.png": Served(body, failure=FetchRefused("download failed: connection reset")),
    })  # fmt: skip
    fetch = Fetcher(FetchSettings(cache=tmp_path / "fetch"), {"https": memory})
    path = fetch.fetch("https://shop.test/a.png", "image")
    assert path.read_bytes() == body and path.name == file_sha256(path)
    assert fetch.fetch("https://shop.test/a.png", "image") == path and memory.opened["https://shop.test/a.png"] == 1
    for url, reason in [
        ("https://shop.test/refused.png", "HTTP 403 Forbidden"),
        ("https://shop.test/cut.png", "download failed: connection reset"),
        ("https://shop.test/none.png", "HTTP 404 Not Found"),
        ("s3://bucket/a.png", "unsupported scheme 's3'; use https://"),
    ]:
        with pytest.raises(AssetError) as caught:
            fetch.fetch(url, "image")
        assert caught.value.message == reason and caught.value.context["path"] == url
    assert memory.closed == 2  # the download served and the one cut halfway: each closed
    cached = [p for p in (tmp_path / "fetch").rglob("*") if p.is_file()]
    assert sorted(p.parent.name for p in cached) == [path.name[:2], "urls"]  # the object and its index entry alone


def test_a_download_in_flight_is_not_in_the_cache_until_it_is_complete(tmp_path: Path) -> None:
    body = (IMAGES / "watch-lime.png").read_bytes()
    gate = threading.Event()
    memory = MemoryTransport({"https://shop.test/w.png": Served(body)}, gate=gate)
    fetch = Fetcher(FetchSettings(cache=tmp_path / "fetch"), {"https": memory})
    done: list[Path] = []
    thread = threading.Thread(target=lambda: done.append(fetch.fetch("https://shop.test/w.png", "image")))
    thread.start()
    try:
        assert memory.halfway.wait(timeout=60)
        files = [p for p in (tmp_path / "fetch").rglob("*") if p.is_file()]
        assert len(files) == 1 and files[0].name.endswith(".part")  # half the bytes, under a temporary name
    finally:
        gate.set()
        thread.join(timeout=60)
    assert done and done[0].read_bytes() == body
    assert not [p for p in (tmp_path / "fetch").rglob("*") if p.name.endswith(".part")]


@pytest.mark.parametrize(
    ("base", "ref", "joined"),
    [
        ("https://x.test/feeds/a.csv", "img/b.png", "https://x.test/feeds/img/b.png"),
        ("https://x.test/feeds/a.csv", "/b.png", "https://x.test/b.png"),
        ("https://x.test/feeds/a.csv", "s3://bucket/b.png", "s3://bucket/b.png"),
        ("s3://bucket/feeds/a.csv", "../images/b.png", "s3://bucket/images/b.png"),
        ("s3://bucket/feeds/a.csv", "b.png", "s3://bucket/feeds/b.png"),
    ],
)  # fmt: skip
def test_relative_links_are_joined_against_the_catalog_url(base: str, ref: str, joined: str) -> None:
    assert join_url(base, ref) == joined


# --- S3 ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def moto_server() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A bucket holding ``feeds/catalog.csv`` and ``images/*``; ``AWS_ENDPOINT_URL`` points at it."""
    for name, value in {"AWS_ACCESS_KEY_ID": "adgen-test", "AWS_SECRET_ACCESS_KEY": "adgen-secret",
                        "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": "/nonexistent",
                        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent", "AWS_ENDPOINT_URL": moto_server}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    client = boto3.client("s3", endpoint_url=moto_server, region_name="us-east-1")
    client.create_bucket(Bucket="feeds")
    for image in IMAGES.glob("*.png"):
        client.put_object(Bucket="feeds", Key=f"images/{image.name}", Body=image.read_bytes(), ContentType="image/png")
    client.put_object(Bucket="feeds", Key="images/untyped.png", Body=(IMAGES / "serum-aqua.png").read_bytes())
    rows = [
        product_row("REL", image_link="../images/lipstick-ruby.png"),
        product_row("ABS", image_link="s3://feeds/images/cream-rose.png"),
        product_row("GONE", image_link="s3://feeds/images/none.png"),
        product_row("UNTYPED", image_link="/images/untyped.png"),
    ]
    client.put_object(Bucket="feeds", Key="feeds/catalog.csv", Body=catalog_csv(rows), ContentType="text/csv")
    return "feeds"


def test_an_s3_catalog_plans_rows_whose_images_are_s3_objects(
    bucket: str, templates_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ADGEN_FETCH_CACHE", str(tmp_path / "fetch"))
    url = f"s3://{bucket}/feeds/catalog.csv"
    result = CliRunner().invoke(main, ["plan", url, "--template", "quick", "--templates", str(templates_root)])
    assert result.exit_code == 1, result.output
    plans = [ShotPlan.from_json(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [p.product["sku"] for p in plans] == ["REL", "ABS"]
    sources = {
        layer.ref.source
        for p in plans
        for shot in p.shots
        for layer in shot.layers
        if getattr(layer, "kind", "") == "product"
    }
    assert sources == {f"s3://{bucket}/images/lipstick-ruby.png", f"s3://{bucket}/images/cream-rose.png"}
    assert (
        f"{url}, row 4, sku GONE, column image_link: HTTP 404 NoSuchKey (path: s3://{bucket}/images/none.png)"
        in result.stderr
    )
    assert f"is binary/octet-stream, not an image (path: s3://{bucket}/images/untyped.png)" in result.stderr


def test_s3_images_resolve_by_hash_in_a_fresh_cache(bucket: str, tmp_path: Path) -> None:
    url = f"s3://{bucket}/images/perfume-amber.png"
    digest = file_sha256(IMAGES / "perfume-amber.png")
    catalog_dir = tmp_path / "local"
    catalog_dir.mkdir()
    (catalog_dir / "c.csv").write_bytes(catalog_csv([product_row("S3", image_link=url)]))
    catalog = load_catalog(
        catalog_dir / "c.csv", CatalogOptions(fetcher=Fetcher(FetchSettings(cache=tmp_path / "one")))
    )
    assert catalog.products[0].image.sha256 == digest
    resolver = AssetResolver({}, Fetcher(FetchSettings(cache=tmp_path / "two")))  # e.g. a worker on another machine
    assert file_sha256(resolver.path(url, digest)) == digest
    with pytest.raises(AssetError, match=r"is larger than 1000 bytes"):
        Fetcher(FetchSettings(cache=tmp_path / "three", max_bytes=1000)).fetch(url, "image")

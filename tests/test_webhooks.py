"""Signed webhooks, sent to a real receiver on 127.0.0.1 that checks each signature as the spec describes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from generator.core.errors import ConfigError
from generator.orchestration.batches.webhooks import RunCounts, WebhookTarget, batch_event, deliver, load_target, sign

SECRET = "whsec_" + base64.b64encode(bytes(range(32))).decode()
OTHER_SECRET = "whsec_" + base64.b64encode(bytes(range(100, 132))).decode()
EVENT = {"type": "batch.finished", "batch": "spring", "run": "r1"}


def spec_verify(secret: str, msg_id: str, timestamp: str, body: bytes, signatures: str) -> bool:
    """Standard Webhooks verification, written from the spec: strip ``whsec_``, base64-decode the key, HMAC-SHA256
    ``id.timestamp.body`` and compare in constant time with each space-separated ``v1,<base64>`` entry."""
    key = base64.b64decode(secret.split("_", 1)[1])
    expected = base64.b64encode(hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest())
    return any(
        version == "v1" and hmac.compare_digest(value.encode(), expected)
        for version, _, value in (entry.partition(",") for entry in signatures.split())
    )


@dataclass(frozen=True)
class Received:
    webhook_id: str
    timestamp: str
    content_type: str
    body: bytes
    verified: bool


class Receiver:
    """A webhook endpoint: verifies every request with ``secret``, answers 401 when it fails, else the next
    scripted status (204 once the script is used up); ``hang`` keeps every request waiting until the test ends."""

    def __init__(self, secret: str, answers: list[int], *, hang: bool = False) -> None:
        self.secret, self.answers, self.hang = secret, list(answers), hang
        self.received: list[Received] = []
        self.arrived = threading.Condition()
        self.release = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/adgen"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                msg_id, timestamp = self.headers.get("webhook-id", ""), self.headers.get("webhook-timestamp", "")
                signatures = self.headers.get("webhook-signature", "")
                verified = spec_verify(receiver.secret, msg_id, timestamp, body, signatures)
                with receiver.arrived:
                    receiver.received.append(Received(msg_id, timestamp, self.headers["content-type"], body, verified))
                    status = (receiver.answers.pop(0) if receiver.answers else 204) if verified else 401
                    receiver.arrived.notify_all()
                if receiver.hang:
                    receiver.release.wait()
                    return
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("location", "/elsewhere")
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler

    def wait_for(self, count: int) -> list[Received]:
        with self.arrived:
            assert self.arrived.wait_for(lambda: len(self.received) >= count, timeout=10)
            return list(self.received)


Serve = Callable[..., Receiver]


@pytest.fixture
def serve() -> Iterator[Serve]:
    """Starts receivers and stops them (releasing hung requests) when the test ends."""
    started: list[Receiver] = []

    def start(secret: str, answers: list[int], *, hang: bool = False) -> Receiver:
        receiver = Receiver(secret, answers, hang=hang)
        threading.Thread(target=receiver.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        started.append(receiver)
        return receiver

    yield start
    for receiver in started:
        receiver.release.set()
        receiver.server.shutdown()
        receiver.server.server_close()


class Clock:
    """Unix time that moves 7 s per reading, remembering what it said."""

    def __init__(self) -> None:
        self.readings: list[float] = []

    def __call__(self) -> float:
        self.readings.append(1_700_000_000.5 + 7 * len(self.readings))
        return self.readings[-1]


class Sleeps(list[float]):
    """Records the waits between attempts instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def target(receiver: Receiver, secret: str = SECRET) -> WebhookTarget:
    return load_target(receiver.url, "ADGEN_HOOK_SECRET", {"ADGEN_HOOK_SECRET": secret})


def test_sign_matches_the_spec_test_vector() -> None:
    key = base64.b64decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    signature = sign(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, b'{"test": 2432232314}')
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_500_then_204_is_two_signed_deliveries_with_one_webhook_id(serve: Serve) -> None:
    receiver, clock, sleeps = serve(SECRET, [500, 204]), Clock(), Sleeps()
    delivery = deliver(target(receiver), EVENT, clock=clock, sleep=sleeps, first_wait_s=3.0)
    received = receiver.wait_for(2)
    assert (delivery.delivered, delivery.attempts, delivery.status, delivery.error) == (True, 2, 204, None)
    assert len(received) == 2 and all(request.verified for request in received)
    assert {request.webhook_id for request in received} == {delivery.webhook_id}
    assert [request.timestamp for request in received] == [str(int(reading)) for reading in clock.readings]
    assert {request.content_type for request in received} == {"application/json"}
    assert sleeps == [3.0]


def test_a_wrong_secret_fails_verification_and_is_not_retried(serve: Serve) -> None:
    receiver = serve(SECRET, [])
    delivery = deliver(target(receiver, OTHER_SECRET), EVENT, clock=Clock(), sleep=Sleeps())
    assert [request.verified for request in receiver.wait_for(1)] == [False]
    assert (delivery.delivered, delivery.attempts, delivery.status) == (False, 1, 401)


@pytest.mark.parametrize("status", [400, 404, 410, 302])
def test_client_errors_and_redirects_are_final(serve: Serve, status: int) -> None:
    receiver, sleeps = serve(SECRET, [status]), Sleeps()
    delivery = deliver(target(receiver), EVENT, clock=Clock(), sleep=sleeps)
    assert (delivery.delivered, delivery.attempts, delivery.status) == (False, 1, status)
    assert str(status) in str(delivery.error)
    assert len(receiver.received) == 1 and sleeps == []


@pytest.mark.parametrize("status", [408, 429, 502, 503])
def test_try_again_answers_are_retried(serve: Serve, status: int) -> None:
    receiver = serve(SECRET, [status])
    delivery = deliver(target(receiver), EVENT, clock=Clock(), sleep=Sleeps())
    assert (delivery.delivered, delivery.attempts, delivery.status) == (True, 2, 204)


def test_a_receiver_that_never_answers_fails_after_every_attempt_without_waiting(serve: Serve) -> None:
    receiver, sleeps = serve(SECRET, [], hang=True), Sleeps()
    started = time.monotonic()
    delivery = deliver(
        target(receiver), EVENT, clock=Clock(), sleep=sleeps, attempts=3, timeout_s=0.3, first_wait_s=60, max_wait_s=600
    )
    assert time.monotonic() - started < 60  # the backoff went to the injected sleep
    assert (delivery.delivered, delivery.attempts, delivery.status) == (False, 3, None)
    assert "timed out" in str(delivery.error)
    assert {request.webhook_id for request in receiver.wait_for(3)} == {delivery.webhook_id}
    assert len(sleeps) == 2 and sleeps[1] == 2 * sleeps[0] == 120


def test_a_refused_connection_is_retried_then_reported() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}/hook"  # bound, never listening: connections are refused
        sleeps = Sleeps()
        hook = load_target(url, "HOOK", {"HOOK": SECRET})
        delivery = deliver(hook, EVENT, clock=Clock(), sleep=sleeps, attempts=4, max_wait_s=2.5)
    assert (delivery.delivered, delivery.attempts, delivery.status) == (False, 4, None)
    assert delivery.error and sleeps == [1.0, 2.0, 2.5]


def test_the_body_carries_the_runs_counts_and_grouped_failures(serve: Serve) -> None:
    receiver = serve(SECRET, [])
    counts = RunCounts(new=1, changed=3, unchanged=15, removed=2, failed=3)
    reasons = ["font missing", "image timed out", "font missing"]
    event = batch_event(
        "batch.aborted",
        batch="spring",
        run="20250317T050000Z",
        counts=counts,
        failure_reasons=reasons,
        manifest_uri="s3://ads/spring/runs/20250317T050000Z/manifest.jsonl",
        index_uri="s3://ads/spring/index.json",
        duration_s=81.25,
    )
    assert deliver(target(receiver), event, clock=Clock(), sleep=Sleeps()).delivered
    (request,) = receiver.wait_for(1)
    assert request.verified
    assert request.body == json.dumps(json.loads(request.body), sort_keys=True, separators=(",", ":")).encode()
    body = json.loads(request.body)
    assert body["counts"] == asdict(counts)
    assert body["failures"] == [{"reason": "font missing", "count": 2}, {"reason": "image timed out", "count": 1}]
    assert {key: body[key] for key in ("type", "batch", "run", "manifest_uri", "index_uri", "duration_s")} == {
        key: event[key] for key in ("type", "batch", "run", "manifest_uri", "index_uri", "duration_s")
    }


@pytest.mark.parametrize(
    "environ",
    [
        {},
        {"SPRING_HOOK": base64.b64encode(bytes(32)).decode()},  # no whsec_ prefix
        {"SPRING_HOOK": "whsec_not*base64!"},
        {"SPRING_HOOK": "whsec_" + base64.b64encode(b"short").decode()},
    ],
    ids=["missing", "no-prefix", "not-base64", "too-short"],
)
def test_a_missing_or_malformed_secret_names_its_variable(environ: dict[str, str]) -> None:
    with pytest.raises(ConfigError) as caught:
        load_target("https://hooks.example.com/adgen", "SPRING_HOOK", environ)
    assert "SPRING_HOOK" in str(caught.value)
    assert environ.get("SPRING_HOOK", "@") not in str(caught.value)  # the secret itself is never printed


def test_a_target_keeps_its_key_out_of_sight() -> None:
    hook = load_target("https://hooks.example.com/adgen", "HOOK", {"HOOK": SECRET})
    assert hook.secret == bytes(range(32))
    assert SECRET.removeprefix("whsec_") not in repr(hook) and "secret" not in repr(hook)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/x", "hooks.example.com"])
def test_only_http_urls_are_targets(url: str) -> None:
    with pytest.raises(ConfigError, match="https://"):
        load_target(url, "HOOK", {"HOOK": SECRET})

"""Signed webhooks: a batch run's ``batch.finished`` / ``batch.aborted`` event, POSTed per Standard Webhooks.

Each request carries ``webhook-id``, ``webhook-timestamp`` (unix seconds of the attempt) and
``webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">``, keyed with the ``whsec_``
secret named by a batch's ``notify[].secret_env``. The id is derived from the body, so every attempt
of one event (and a re-send of it) has the same id and a receiver can drop duplicates; the timestamp
and signature are those of each attempt.

Timeouts, connection errors, 408, 429 and 5xx are retried with exponential backoff (tenacity); other
answers are final. Redirects are not followed, as the body would not travel with them. ``deliver``
never raises for a failed delivery: it returns a ``Delivery`` saying what happened, which the run
reports in its summary, so a webhook never fails a run.
"""

from __future__ import annotations

import base64
import binascii
import collections
import hashlib
import hmac
import json
import logging
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from http.client import HTTPException
from typing import Literal

from tenacity import RetryCallState, Retrying, retry_if_result, stop_after_attempt, wait_exponential

from generator.core.errors import ConfigError

log = logging.getLogger(__name__)

SECRET_PREFIX = "whsec_"
SECRET_BYTES = (24, 64)
"""Smallest and largest HMAC key, in bytes, that Standard Webhooks allows."""
RETRIED_STATUSES = frozenset({408, 429})
"""4xx answers that mean "try again later"; every 5xx is retried too."""

EventType = Literal["batch.finished", "batch.aborted"]


@dataclass(frozen=True)
class WebhookTarget:
    """Where a batch's events go.

    Attributes:
        url: an ``https://`` or ``http://`` endpoint.
        secret: the HMAC key, decoded from the ``whsec_<base64>`` secret.
    """

    url: str
    secret: bytes = field(repr=False)


@dataclass(frozen=True)
class RunCounts:
    """How a run classified its rows × aspects × templates."""

    new: int
    changed: int
    unchanged: int
    removed: int
    failed: int


@dataclass(frozen=True)
class Delivery:
    """What became of one event sent to one target.

    Attributes:
        url: the target's endpoint.
        webhook_id: the ``webhook-id`` every attempt carried.
        delivered: the receiver answered 2xx.
        attempts: requests sent, at least 1.
        status: the last HTTP status; None when the last attempt got no answer.
        error: why the last attempt failed (``HTTP 500``, ``timed out``, ...); None when delivered.
    """

    url: str
    webhook_id: str
    delivered: bool
    attempts: int
    status: int | None
    error: str | None


@dataclass(frozen=True)
class _Answer:
    """One attempt's outcome."""

    status: int | None
    error: str | None

    @property
    def retryable(self) -> bool:
        if self.status is None:  # timed out, could not connect, or the connection broke
            return True
        return self.status >= 500 or self.status in RETRIED_STATUSES


def load_target(url: str, secret_env: str, environ: Mapping[str, str] | None = None) -> WebhookTarget:
    """The target of a batch's ``notify`` entry, its secret read from the variable ``secret_env``.

    Args:
        url: the endpoint.
        secret_env: name of the environment variable holding ``whsec_<base64>``.
        environ: where variables are read; ``os.environ`` when None.

    Raises:
        ConfigError: the URL is not http(s), or the variable is unset or not a Standard Webhooks secret.
    """
    parsed = urllib.parse.urlparse(url)
    if parsed.scheme not in ("https", "http") or not parsed.netloc:
        raise ConfigError("a webhook URL must be https:// or http://", url=url)
    value = (os.environ if environ is None else environ).get(secret_env)
    if value is None:
        raise ConfigError("the webhook secret variable is not set", variable=secret_env, url=url)
    rule = f"{SECRET_PREFIX} followed by the base64 of {SECRET_BYTES[0]} to {SECRET_BYTES[1]} bytes"
    if not value.startswith(SECRET_PREFIX):
        raise ConfigError(
            f"the webhook secret does not start with {SECRET_PREFIX}", variable=secret_env, url=url, rule=rule
        )
    try:
        secret = base64.b64decode(value.removeprefix(SECRET_PREFIX), validate=True)
    except binascii.Error:
        raise ConfigError("the webhook secret is not base64", variable=secret_env, url=url, rule=rule) from None
    if not SECRET_BYTES[0] <= len(secret) <= SECRET_BYTES[1]:
        raise ConfigError(f"the webhook secret is {len(secret)} bytes long", variable=secret_env, url=url, rule=rule)
    return WebhookTarget(url, secret)


def sign(secret: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header: ``v1,`` and the base64 HMAC-SHA256 of ``id.timestamp.body``."""
    digest = hmac.new(secret, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return f"v1,{base64.b64encode(digest).decode('ascii')}"


def batch_event(
    kind: EventType,
    *,
    batch: str,
    run: str,
    counts: RunCounts,
    failure_reasons: Iterable[str],
    manifest_uri: str,
    index_uri: str,
    duration_s: float,
) -> dict[str, object]:
    """The body of a run's event.

    Args:
        kind: ``batch.finished``, or ``batch.aborted`` when the run stopped early (``max_failures``).
        batch: the batch's id.
        run: the run's id.
        counts: the run's classification.
        failure_reasons: the reason of each failed output, one per failure; the body groups them as
            ``[{"reason", "count"}]``, most frequent first, then by reason.
        manifest_uri: where the run's ``manifest.jsonl`` is stored.
        index_uri: where the batch's index is stored.
        duration_s: the run's wall time in seconds.
    """
    grouped = collections.Counter(failure_reasons)
    return {
        "type": kind,
        "batch": batch,
        "run": run,
        "counts": asdict(counts),
        "failures": [
            {"reason": reason, "count": count}
            for reason, count in sorted(grouped.items(), key=lambda item: (-item[1], item[0]))
        ],
        "manifest_uri": manifest_uri,
        "index_uri": index_uri,
        "duration_s": duration_s,
    }


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Turns a redirect into its own 3xx answer instead of a GET without the body."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def _post(target: WebhookTarget, headers: Mapping[str, str], body: bytes, timeout: float) -> _Answer:
    request = urllib.request.Request(target.url, data=body, headers=dict(headers), method="POST")
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            response.read()
            status: int = response.status
    except urllib.error.HTTPError as exc:
        exc.close()
        return _Answer(exc.code, f"HTTP {exc.code}")
    except urllib.error.URLError as exc:  # no connection: refused, unresolvable, timed out while connecting
        return _Answer(None, str(exc.reason))
    except (OSError, HTTPException) as exc:  # the connection broke or timed out while waiting for the answer
        return _Answer(None, str(exc) or type(exc).__name__)
    return _Answer(status, None if 200 <= status < 300 else f"HTTP {status}")


def _last_answer(state: RetryCallState) -> _Answer:
    """What ``Retrying`` returns once attempts run out: the last answer, instead of raising ``RetryError``."""
    assert state.outcome is not None  # set by every attempt
    answer: _Answer = state.outcome.result()
    return answer


def deliver(
    target: WebhookTarget,
    event: Mapping[str, object],
    *,
    clock: Callable[[], float],
    sleep: Callable[[float], None] = time.sleep,
    attempts: int = 5,
    timeout_s: float = 10.0,
    first_wait_s: float = 1.0,
    max_wait_s: float = 60.0,
) -> Delivery:
    """POST ``event`` to ``target``, signed, retrying while the failure may pass.

    Args:
        target: the endpoint and its key.
        event: the body, sent as JSON with sorted keys (see ``batch_event``).
        clock: unix time in seconds; each attempt is stamped and signed with its own time.
        sleep: waits between attempts (seconds); tests pass one that records instead of waiting.
        attempts: requests sent at most.
        timeout_s: limit on connecting and on each read of the answer.
        first_wait_s: wait after the first failure; each next one doubles, up to ``max_wait_s``.

    Returns:
        The delivery, delivered or not; a failure is logged and returned, never raised.
    """
    body = json.dumps(event, sort_keys=True, separators=(",", ":")).encode()
    webhook_id = f"msg_{hashlib.sha256(body).hexdigest()[:32]}"

    def attempt() -> _Answer:
        timestamp = int(clock())
        headers = {
            "content-type": "application/json",
            "user-agent": "adgen",
            "webhook-id": webhook_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(target.secret, webhook_id, timestamp, body),
        }
        answer = _post(target, headers, body, timeout_s)
        if answer.error is not None:
            log.warning("webhook %s to %s failed: %s", webhook_id, target.url, answer.error)
        return answer

    retrying = Retrying(
        stop=stop_after_attempt(attempts),
        wait=wait_exponential(multiplier=first_wait_s, max=max_wait_s),
        retry=retry_if_result(lambda answer: answer.retryable),
        retry_error_callback=_last_answer,
        sleep=sleep,
    )
    answer: _Answer = retrying(attempt)
    delivery = Delivery(
        target.url, webhook_id, answer.error is None, retrying.statistics["attempt_number"], answer.status, answer.error
    )
    if delivery.delivered:
        log.info("webhook %s delivered to %s (attempts: %d)", webhook_id, target.url, delivery.attempts)
    return delivery

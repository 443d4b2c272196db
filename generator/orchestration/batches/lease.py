"""Batch leases: at most one scheduler runs a batch at a time, and a crashed one's batch is taken over.

A lease lives in a ``Store`` as numbered generations, ``leases/<batch>/<generation:012d>.json``, each
holding ``{owner, token, acquired, expires, released}`` (ISO 8601 UTC times from an injected clock). The
highest generation is the lease's state. Every change (acquire, renew, release) writes the *next*
generation with ``Store.create``, which succeeds for one writer only, so racing schedulers learn the
winner from the store and nothing ever needs a compare-and-delete. After a successful create the writer
checks that no higher generation exists: older generations are pruned, so a very slow writer can still
create a pruned number, and this check tells it that it lost.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from generator.core.errors import ConfigError, StoreError
from generator.orchestration.stores.store import Store, safe_name

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
"""Returns the current time as a timezone-aware datetime."""

_GENERATION = re.compile(r"(\d{12})\.json")


@dataclass(frozen=True)
class LeaseRecord:
    """One generation of a batch's lease, as stored.

    Attributes:
        owner: the scheduler that wrote it.
        token: random per write, so two writers never store the same bytes (S3 ``create`` treats an
            identical object as its own retried write).
        acquired: when the holder first took the lease; kept across renewals.
        expires: from this instant on, anyone may take the lease over.
        released: the holder gave the lease up; anyone may take it at once.
    """

    owner: str
    token: str
    acquired: datetime
    expires: datetime
    released: bool = False

    def to_json(self) -> bytes:
        return json.dumps(
            {
                "owner": self.owner,
                "token": self.token,
                "acquired": self.acquired.isoformat(),
                "expires": self.expires.isoformat(),
                "released": self.released,
            },
            sort_keys=True,
        ).encode()

    @classmethod
    def from_json(cls, data: bytes, key: str) -> LeaseRecord:
        """Parse a stored generation.

        Raises:
            StoreError: the object is not a lease record.
        """
        try:
            raw = json.loads(data)
            return cls(
                owner=str(raw["owner"]),
                token=str(raw["token"]),
                acquired=datetime.fromisoformat(raw["acquired"]),
                expires=datetime.fromisoformat(raw["expires"]),
                released=bool(raw["released"]),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise StoreError(f"unreadable lease record: {exc}", key=key) from exc

    def free(self, now: datetime) -> bool:
        """Whether anyone may take the lease at ``now``."""
        return self.released or now >= self.expires


def lease_prefix(batch: str) -> str:
    """The store prefix holding ``batch``'s lease generations."""
    return f"leases/{batch}/"


def lease_key(batch: str, generation: int) -> str:
    """The store key of one generation of ``batch``'s lease."""
    return f"{lease_prefix(batch)}{generation:012d}.json"


def _generations(store: Store, batch: str) -> list[int]:
    prefix = lease_prefix(batch)
    found = (_GENERATION.fullmatch(key[len(prefix) :]) for key in store.list(prefix))
    return sorted(int(match.group(1)) for match in found if match)


def _latest(store: Store, batch: str) -> tuple[int, LeaseRecord | None]:
    """The highest generation and its record; ``(0, None)`` if the batch was never leased.

    A generation pruned between listing and reading (by a newer holder) sends us round again.
    """
    while True:
        generations = _generations(store, batch)
        if not generations:
            return 0, None
        key = lease_key(batch, generations[-1])
        try:
            return generations[-1], LeaseRecord.from_json(store.get_bytes(key), key)
        except StoreError:
            if store.exists(key):
                raise


def _claim(store: Store, batch: str, generation: int, record: LeaseRecord) -> bool:
    """Write ``generation`` if nobody has, and confirm that no newer generation exists."""
    if not store.create(lease_key(batch, generation), record.to_json(), "application/json"):
        return False
    return _generations(store, batch)[-1] == generation


def _prune(store: Store, batch: str, below: int) -> None:
    """Delete generations under ``below``, best effort: a failed delete is logged and left for the next holder."""
    for old in _generations(store, batch):
        if old < below:
            try:
                store.delete(lease_key(batch, old))
            except StoreError as exc:
                log.warning("could not prune an old lease generation: %s", exc)


def current_lease(store: Store, batch: str) -> LeaseRecord | None:
    """The record of ``batch``'s highest lease generation (check ``free`` or ``released``); None if never leased."""
    return _latest(store, batch)[1]


@dataclass(frozen=True)
class Lease:
    """A held lease on one batch; ``renew`` before ``expires`` to keep it, ``release`` when done.

    Attributes:
        store: where the lease lives.
        batch: the batch id.
        record: the generation this holder wrote last.
        generation: that generation's number.
        ttl: how long each acquire or renewal lasts.
        clock: the time source, the same one acquire used.
    """

    store: Store
    batch: str
    record: LeaseRecord
    generation: int
    ttl: timedelta
    clock: Clock

    @property
    def owner(self) -> str:
        return self.record.owner

    @property
    def expires(self) -> datetime:
        return self.record.expires

    def renew(self) -> Lease | None:
        """The lease extended by ``ttl`` from now, or None if it expired or someone else holds it now."""
        now = self.clock()
        if self.record.free(now):
            return None
        record = LeaseRecord(self.owner, secrets.token_hex(8), self.record.acquired, now + self.ttl)
        if not _claim(self.store, self.batch, self.generation + 1, record):
            return None
        _prune(self.store, self.batch, self.generation + 1)
        return Lease(self.store, self.batch, record, self.generation + 1, self.ttl, self.clock)

    def release(self) -> bool:
        """Give the lease up so the next scheduler may take it at once; False if it was no longer ours.

        A holder whose lease expired and was taken over finds the next generation written and changes nothing.
        """
        now = self.clock()
        record = LeaseRecord(self.owner, secrets.token_hex(8), self.record.acquired, now, released=True)
        return _claim(self.store, self.batch, self.generation + 1, record)


def acquire(store: Store, batch: str, owner: str, ttl: timedelta, clock: Clock) -> Lease | None:
    """Take ``batch``'s lease for ``ttl`` if it is free (never taken, released or expired); None if held.

    Of schedulers racing for a free lease exactly one gets it. The winner, and each renewal, prunes
    older generations (best effort).

    Raises:
        ConfigError: ``batch`` is not a plain name (it becomes a key segment), or ``ttl`` is not positive.
        StoreError: the store could not be read or written.
    """
    if safe_name(batch) != batch:
        raise ConfigError("batch id is not a plain name", batch=batch, rule="letters, digits, '.', '_' and '-'")
    if ttl <= timedelta(0):
        raise ConfigError("lease duration must be positive", field="ttl")
    generation, current = _latest(store, batch)
    now = clock()
    if current is not None and not current.free(now):
        return None
    record = LeaseRecord(owner, secrets.token_hex(8), now, now + ttl)
    if not _claim(store, batch, generation + 1, record):
        return None
    _prune(store, batch, generation + 1)
    return Lease(store, batch, record, generation + 1, ttl, clock)

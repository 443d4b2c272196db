"""Batch leases on a real folder and on a real S3-protocol server (moto) through the fault proxy."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from generator.core.errors import ConfigError, StoreError
from generator.orchestration.batches.lease import Lease, acquire, current_lease, lease_key, lease_prefix
from generator.orchestration.stores.s3 import S3Settings, S3Store
from generator.orchestration.stores.store import LocalStore, Store
from tests.test_s3 import S3, moto_server, s3  # noqa: F401  (fixtures)

TTL = timedelta(seconds=30)
BATCH = "nightly-feed"
MakeStore = Callable[[], Store]


class Clock:
    """A clock that moves only when told."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@pytest.fixture(params=["local", "s3"])
def make_store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> MakeStore:
    """Opens the same place anew each call, as each racing scheduler would."""
    if request.param == "local":
        root = tmp_path_factory.mktemp("store")
        return lambda: LocalStore(root)
    server: S3 = request.getfixturevalue("s3")
    return lambda: S3Store(server.bucket, "p", S3Settings(endpoint_url=server.proxy.url))


def take(store: Store, owner: str, clock: Clock) -> Lease:
    lease = acquire(store, BATCH, owner, TTL, clock)
    assert lease is not None and lease.owner == owner
    return lease


def test_one_scheduler_wins_among_many_racing_for_a_free_lease(make_store: MakeStore) -> None:
    clock, racers = Clock(), 12
    barrier = threading.Barrier(racers)
    won: dict[str, Lease | None] = {}

    def race(owner: str) -> None:
        store = make_store()
        barrier.wait()
        won[owner] = acquire(store, BATCH, owner, TTL, clock)

    threads = [threading.Thread(target=race, args=(f"scheduler-{n}",)) for n in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [owner for owner, lease in won.items() if lease is not None]
    assert len(won) == racers and len(winners) == 1
    record = current_lease(make_store(), BATCH)
    assert record is not None and record.owner == winners[0] and not record.free(clock())


def test_a_fresh_lease_blocks_another_owner_until_it_expires(make_store: MakeStore) -> None:
    store, clock = make_store(), Clock()
    lease = take(store, "a", clock)
    assert acquire(store, BATCH, "b", TTL, clock) is None
    clock.advance(lease.expires - clock() - timedelta(microseconds=1))
    assert acquire(store, BATCH, "b", TTL, clock) is None
    assert acquire(store, BATCH, "a", TTL, clock) is None  # a holder renews; it does not acquire twice


def test_an_expired_lease_is_taken_over_and_old_generations_are_pruned(make_store: MakeStore) -> None:
    store, clock = make_store(), Clock()
    first = take(store, "a", clock)
    clock.advance(first.expires - clock())
    second = take(store, "b", clock)
    assert second.generation == first.generation + 1
    assert list(store.list(lease_prefix(BATCH))) == [lease_key(BATCH, second.generation)]
    assert first.renew() is None  # the old holder learns it lost the lease


def test_release_lets_the_next_owner_in_at_once(make_store: MakeStore) -> None:
    store, clock = make_store(), Clock()
    assert take(store, "a", clock).release()
    record = current_lease(store, BATCH)
    assert record is not None and record.released and record.free(clock())
    assert take(store, "b", clock).expires == clock() + TTL


def test_renew_keeps_the_lease_past_its_first_expiry(make_store: MakeStore) -> None:
    store, clock = make_store(), Clock()
    lease = take(store, "a", clock)
    clock.advance(TTL - timedelta(seconds=1))
    renewed = lease.renew()
    assert renewed is not None and renewed.expires == clock() + TTL and renewed.generation == lease.generation + 1
    assert renewed.record.acquired == lease.record.acquired
    assert list(store.list(lease_prefix(BATCH))) == [lease_key(BATCH, renewed.generation)]
    clock.advance(timedelta(seconds=2))
    assert clock() >= lease.expires and acquire(store, BATCH, "b", TTL, clock) is None
    clock.advance(renewed.expires - clock())
    assert renewed.renew() is None and take(store, "b", clock).owner == "b"


def test_a_lease_held_by_one_owner_is_not_released_by_another(make_store: MakeStore) -> None:
    store, clock = make_store(), Clock()
    stale = take(store, "b", clock)
    clock.advance(TTL)
    held = take(store, "a", clock)
    assert not stale.release()
    record = current_lease(store, BATCH)
    assert record is not None and record.owner == "a" and not record.released
    assert acquire(store, BATCH, "c", TTL, clock) is None
    assert held.release() and take(store, "c", clock).owner == "c"


def test_a_batch_id_that_is_not_a_key_segment_and_an_unreadable_record_are_refused(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    with pytest.raises(ConfigError) as refused:
        acquire(store, "../other", "a", TTL, Clock())
    assert "batch: ../other" in str(refused.value)
    store.put_bytes(lease_key(BATCH, 1), b"{}", "application/json")
    with pytest.raises(StoreError) as unreadable:
        acquire(store, BATCH, "a", TTL, Clock())
    assert unreadable.value.context["key"] == lease_key(BATCH, 1)

"""``adgen batch serve``: fire times in the spec's time zone, missed runs coalesced, leases between schedulers.

The clock is time-machine's: tests move it to a fire time and wake the scheduler, then wait for the
fire's report (an event), never for real time. Every run is a real batch run into a real store.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import pickle
import queue
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

import pytest
import time_machine
from click.testing import CliRunner

from generator.orchestration.batches.job import BatchSettings
from generator.orchestration.batches.lease import acquire, current_lease
from generator.orchestration.batches.records import recent_runs, run_ids
from generator.orchestration.batches.scheduler import BatchScheduler, Firing, ServeSettings
from generator.orchestration.cli import main
from generator.orchestration.stores.fetch import FetchSettings
from generator.orchestration.stores.store import LocalStore
from render.encode import EncodeSettings
from tests.conftest import REPO, product_row
from tests.test_batch_runs import write_catalog

PARIS = "Europe/Paris"
WAIT = 300  # seconds: a safety net for a report that never comes, never a pace the test relies on


def spec_text(batch: str = "weekly", cron: str = "0 6 * * *", extra: str = "") -> str:
    return (
        f"id: {batch}\ncatalog: {{source: ../catalog.csv}}\ntemplates: [quick]\nout: ../out/{batch}\n"
        f"schedule: {{cron: '{cron}', timezone: {PARIS}}}\n{extra}"
    )


@dataclass
class Setup:
    """A folder with a catalog, a ``specs/`` folder of batch specs and the settings to serve them."""

    root: Path
    templates_root: Path

    @property
    def specs(self) -> Path:
        return self.root / "specs"

    def store(self, batch: str = "weekly") -> LocalStore:
        return LocalStore(self.root / "out" / batch)

    def write(self, name: str, text: str) -> Path:
        path = self.specs / name
        path.write_text(text, encoding="utf-8")
        return path

    def settings(self, state: str = "state", owner: str = "scheduler-a") -> ServeSettings:
        batch = BatchSettings(self.templates_root, EncodeSettings(preset="ultrafast"), 1, None,
                              FetchSettings(cache=self.root / "fetch"))  # fmt: skip
        return ServeSettings(self.specs, self.root / state, batch, owner, timedelta(minutes=20))


@pytest.fixture
def setup(tmp_path: Path, templates_root: Path) -> Setup:
    write_catalog(tmp_path, [product_row("A1"), product_row("A2")])
    (tmp_path / "specs").mkdir()
    made = Setup(tmp_path, templates_root)
    made.write("weekly.yaml", spec_text())
    return made


class Served:
    """A started scheduler whose fires are reported to a queue."""

    def __init__(self, settings: ServeSettings, traveller: Any) -> None:
        self.fires: queue.Queue[Firing] = queue.Queue()
        self.scheduler = BatchScheduler(settings, on_fire=self.fires.put)
        self.traveller = traveller
        self.scheduler.start()

    def at(self, when: datetime) -> Firing:
        """Move the clock to ``when``, wake the scheduler and return the fire it reports."""
        self.traveller.move_to(when)
        self.scheduler.wakeup()
        return self.fires.get(timeout=WAIT)

    def next_fire(self, batch: str = "weekly") -> datetime:
        when = self.scheduler.next_fire(batch)
        assert when is not None
        return when


@pytest.fixture
def clock() -> Iterator[Any]:
    with time_machine.travel(datetime(2027, 3, 26, 12, 0, tzinfo=UTC), tick=False) as traveller:
        yield traveller


def summaries(store: LocalStore) -> list[dict[str, Any]]:
    """Every run's summary, oldest first."""
    return [dict(record.summary or {}) for record in reversed(recent_runs(store, 100))]


def test_fires_at_six_paris_time_on_both_sides_of_each_dst_change(setup: Setup, clock: Any) -> None:
    fired = []
    for start in (datetime(2027, 3, 26, 12, tzinfo=UTC), datetime(2027, 10, 29, 12, tzinfo=UTC)):
        clock.move_to(start)
        served = Served(setup.settings(state=f"state-{start:%m}"), clock)
        try:
            for _ in range(2):
                when = served.next_fire()
                firing = served.at(when)
                assert firing.outcome == "ran" and firing.exit_code == 0 and firing.scheduled == when
                fired.append(when)
        finally:
            served.scheduler.shutdown()

    assert [f"{when:%Y-%m-%d %H:%M %Z}" for when in fired] == [
        "2027-03-27 06:00 CET", "2027-03-28 06:00 CEST", "2027-10-30 06:00 CEST", "2027-10-31 06:00 CET",
    ]  # fmt: skip
    runs = summaries(setup.store())
    started = [datetime.fromisoformat(run["started"]).astimezone(UTC) for run in runs]
    assert [f"{when:%m-%d %H:%M}" for when in started] == ["03-27 05:00", "03-28 04:00", "10-30 04:00", "10-31 05:00"]
    assert [run["trigger"] for run in runs] == [
        {"by": "scheduler", "owner": "scheduler-a", "scheduled": when.isoformat()} for when in fired
    ]
    assert [run["counts"]["new"] for run in runs] == [2, 0, 0, 0]  # later runs found nothing changed


def test_fire_times_missed_while_down_run_once_on_restart(setup: Setup, clock: Any) -> None:
    setup.write("weekly.yaml", spec_text(cron="0 * * * *", extra="  # hourly\n"))
    clock.move_to(datetime(2027, 3, 26, 8, 30, tzinfo=UTC))  # 09:30 in Paris
    first = Served(setup.settings(), clock)
    assert f"{first.next_fire():%H:%M %Z}" == "10:00 CET"
    first.scheduler.shutdown()

    clock.move_to(datetime(2027, 3, 26, 12, 30, tzinfo=UTC))  # down through 10:00, 11:00, 12:00 and 13:00
    again = Served(setup.settings(), clock)
    firing = again.fires.get(timeout=WAIT)
    again.scheduler.shutdown()  # waits for anything still firing

    assert firing.outcome == "ran" and f"{firing.scheduled:%H:%M %Z}" == "13:00 CET"
    assert again.fires.empty()  # one fire for the four missed
    assert len(run_ids(setup.store())) == 1


def test_a_stale_lease_is_taken_over_when_it_expires_and_a_live_one_never(setup: Setup, clock: Any) -> None:
    clock.move_to(datetime(2027, 3, 26, 4, 50, tzinfo=UTC))
    crashed = acquire(setup.store(), "weekly", "crashed-scheduler", timedelta(minutes=20), lambda: datetime.now(UTC))
    assert crashed is not None  # a scheduler took it at 05:50 Paris time, then died without releasing it
    served = Served(setup.settings(), clock)
    try:
        held = served.at(served.next_fire())
        assert held.outcome == "lease-held" and held.holder == "crashed-scheduler"
        assert held.retry_at == crashed.expires + timedelta(seconds=1)
        assert run_ids(setup.store()) == []  # nothing ran under a live lease

        assert held.retry_at is not None
        taken = served.at(held.retry_at)
    finally:
        served.scheduler.shutdown()
    assert taken.outcome == "ran" and taken.holder == "crashed-scheduler" and taken.scheduled == held.scheduled
    (run,) = summaries(setup.store())
    assert run["trigger"]["owner"] == "scheduler-a" and run["run"] == taken.run
    lease = current_lease(setup.store(), "weekly")
    assert lease is not None and lease.owner == "scheduler-a" and lease.released


def test_edited_added_broken_and_deleted_specs_are_picked_up(setup: Setup, clock: Any) -> None:
    served = Served(setup.settings(), clock)
    try:
        assert f"{served.next_fire():%Y-%m-%d %H:%M}" == "2027-03-27 06:00"
        setup.write("weekly.yaml", spec_text(cron="30 7 * * *"))
        assert served.scheduler.sync() == []
        assert f"{served.next_fire():%H:%M}" == "07:30"
        setup.write("weekly.yaml", spec_text(cron="30 7 * * *", extra="on_removed: delete\n"))
        assert served.scheduler.sync() == [] and f"{served.next_fire():%d %H:%M}" == "27 07:30"

        setup.write("daily.yaml", spec_text("daily", cron="0 9 * * *"))
        setup.write("copy.yaml", spec_text("daily", cron="0 9 * * *"))
        setup.write("weekly.yaml", spec_text(cron="30 7 * * *", extra="on_remove: delete\n"))
        problems = [str(problem) for problem in served.scheduler.sync()]
        assert len(problems) == 2
        assert re.search(r"daily\.yaml:1.*batch id 'daily' is also used by .*copy\.yaml", problems[0])
        assert re.search(r"weekly\.yaml:6.*on_remove.*did you mean 'on_removed'", problems[1])
        assert served.scheduler.next_fire("weekly") is None  # unscheduled until fixed
        assert f"{served.next_fire('daily'):%H:%M}" == "09:00"

        (setup.specs / "daily.yaml").unlink()
        setup.write("weekly.yaml", spec_text(cron="30 7 * * *"))
        assert served.scheduler.sync() == []
        assert served.scheduler.next_fire("daily") is not None  # copy.yaml still says batch daily
        (setup.specs / "copy.yaml").unlink()
        assert served.scheduler.sync() == [] and served.scheduler.next_fire("daily") is None
        assert served.scheduler.next_fire("weekly") is not None
    finally:
        served.scheduler.shutdown()


def test_one_state_folder_serves_one_scheduler(setup: Setup, clock: Any) -> None:
    served = Served(setup.settings(), clock)
    try:
        args = ["batch", "serve", str(setup.specs), "--state", str(setup.root / "state")]
        result = CliRunner().invoke(main, args)
    finally:
        served.scheduler.shutdown()
    assert result.exit_code == 2
    assert "another adgen batch serve uses this state folder" in result.output


def test_list_and_status_show_next_fire_times_runs_and_the_lease(setup: Setup, clock: Any) -> None:
    served = Served(setup.settings(), clock)
    try:
        firing = served.at(served.next_fire())
        common = ["--state", str(setup.root / "state"), "--templates", str(setup.templates_root), "--json"]
        listed = CliRunner().invoke(main, ["batch", "list", str(setup.specs), *common])
        status = CliRunner().invoke(main, ["batch", "status", "weekly", "--dir", str(setup.specs), *common])
    finally:
        served.scheduler.shutdown()
    assert listed.exit_code == 0, listed.output
    shown = json.loads(listed.output)
    assert shown["scheduler_running"] is True
    (batch,) = shown["batches"]
    assert batch["batch"] == "weekly" and batch["next_fire"] == "2027-03-28T06:00:00+02:00"
    assert batch["last_run"]["run"] == firing.run and batch["last_run"]["status"] == "finished"
    assert status.exit_code == 0, status.output
    told = json.loads(status.output)
    assert [run["run"] for run in told["runs"]] == [firing.run] and told["lease"] is None
    assert told["runs"][0]["summary"]["counts"] == {"new": 2, "changed": 0, "unchanged": 0, "removed": 0, "failed": 0}

    unknown = CliRunner().invoke(main, ["batch", "status", "weekyl", "--dir", str(setup.specs), *common])
    assert unknown.exit_code == 2 and "did you mean 'weekly'" in unknown.output


def _lines(stream: IO[str], into: queue.Queue[str]) -> None:
    for line in stream:
        into.put(line)


def test_two_serve_processes_on_one_spec_never_run_it_at_once(setup: Setup) -> None:
    fire = datetime(2027, 3, 27, 5, 0, tzinfo=UTC)  # 06:00 in Paris
    start = fire - timedelta(seconds=5)  # each process is serving well before the fire time
    processes, reports = [], []
    for name in ("a", "b"):
        args = ["-m", "tests.serve_clock", start.isoformat(), "--", "batch", "serve", str(setup.specs),
                "--state", str(setup.root / f"state-{name}"), "--owner", f"scheduler-{name}", "--templates",
                str(setup.templates_root), "--workers", "1", "--preset", "ultrafast",
                "--fetch-cache", str(setup.root / "fetch")]  # fmt: skip
        process = subprocess.Popen([sys.executable, *args], cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)  # fmt: skip
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=_lines, args=(process.stderr, lines), daemon=True).start()
        processes.append(process)
        reports.append(lines)
    try:
        for process in processes:
            assert process.stdout is not None and process.stdout.readline().strip() == "ready"
        anchor = f"{time.time()}\n"
        for process in processes:
            assert process.stdin is not None
            process.stdin.write(anchor)
            process.stdin.flush()
        fired = []
        for lines in reports:
            while not re.search(r"batch weekly, fire time", line := lines.get(timeout=WAIT)):
                pass
            fired.append(line)
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        codes = [process.wait(timeout=WAIT) for process in processes]
    assert codes == [0, 0]

    outcomes = [re.search(r"fire time \S+: (\S+)", line).group(1) for line in fired]  # type: ignore[union-attr]
    runs = summaries(setup.store())
    assert outcomes.count("ran") == len(runs) >= 1 and set(outcomes) <= {"ran", "lease-held", "already-run"}
    spans = sorted((datetime.fromisoformat(run["started"]), datetime.fromisoformat(run["finished"])) for run in runs)
    assert all(earlier[1] < later[0] for earlier, later in itertools.pairwise(spans))
    assert {run["trigger"]["scheduled"] for run in runs} == {"2027-03-27T06:00:00+01:00"}


def test_a_fire_that_cannot_run_is_reported_and_the_next_one_runs(setup: Setup, clock: Any) -> None:
    catalog = setup.root / "catalog.csv"
    saved = catalog.read_bytes()
    served = Served(setup.settings(), clock)
    try:
        catalog.unlink()
        assert served.scheduler.sync() == []  # a reload keeps it: the catalog is checked when it fires
        broken = served.at(served.next_fire())
        catalog.write_bytes(saved)
        fixed = served.at(served.next_fire())
    finally:
        served.scheduler.shutdown()
    assert broken.outcome == "invalid" and "weekly.yaml:2" in broken.detail and "catalog" in broken.detail
    assert fixed.outcome == "ran" and fixed.exit_code == 0
    assert [run.run for run in recent_runs(setup.store(), 10)] == [fixed.run]


def test_jobs_stored_before_orchestration_was_grouped_keep_their_missed_fire(setup: Setup, clock: Any) -> None:
    setup.write("weekly.yaml", spec_text(cron="0 * * * *", extra="  # hourly\n"))
    clock.move_to(datetime(2027, 3, 26, 8, 30, tzinfo=UTC))
    first = Served(setup.settings(), clock)
    first.scheduler.shutdown()
    with contextlib.closing(sqlite3.connect(setup.root / "state" / "jobs.sqlite")) as database, database:
        ((job_id, blob),) = database.execute("SELECT id, job_state FROM apscheduler_jobs").fetchall()
        state = pickle.loads(blob)
        state["func"] = "generator.orchestration.scheduler:fire"  # where an older adgen stored it
        database.execute("UPDATE apscheduler_jobs SET job_state = ? WHERE id = ?", (pickle.dumps(state), job_id))

    clock.move_to(datetime(2027, 3, 26, 12, 30, tzinfo=UTC))  # down through four fire times
    again = Served(setup.settings(), clock)
    firing = again.fires.get(timeout=WAIT)
    again.scheduler.shutdown()
    assert firing.outcome == "ran" and f"{firing.scheduled:%H:%M %Z}" == "13:00 CET"

"""``adgen batch serve``: run every batch spec of a folder on its cron, in its time zone, never twice at once.

Built on APScheduler 3.x. Each spec with a ``schedule`` is one job in a persistent SQLite job store
(``<state>/jobs.sqlite``), so a restarted scheduler knows which fire times it missed; with
``coalesce`` those run once, if the latest is within the spec's ``misfire_grace``, and
``max_instances=1`` keeps one fire of a batch at a time in a scheduler. The folder is read again
every ``reload_every`` seconds: a new, edited or deleted spec adds, reschedules or removes its job
(an edit that keeps the schedule keeps the job's next fire time); a spec that no longer checks is
logged with its file and line and unscheduled until it is fixed.

A fire of a batch:

1. loads its spec afresh and opens its store;
2. does nothing when a run of the batch started at or after this fire time (another scheduler ran it);
3. takes the batch's lease in the store (``generator.orchestration.batches.lease``), so schedulers on other
   machines sharing the store never run it at once. A lease held elsewhere is tried again when it
   expires, if that is within ``misfire_grace``, so a crashed scheduler's stale lease is taken over;
4. runs the batch as ``adgen batch run`` would, renewing the lease every third of its duration, and
   records who ran it and for which fire time in the run's summary; then releases the lease.

One scheduler uses a state folder at a time (a lock file there says which process).
"""

from __future__ import annotations

import fcntl
import logging
import os
import pickle
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Literal
from zoneinfo import ZoneInfo

from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger

from generator.core.errors import AdgenError, ConfigError
from generator.orchestration.batches.job import BatchSettings, batch_store, check_spec, open_batch
from generator.orchestration.batches.lease import Lease, LeaseRecord, acquire, current_lease
from generator.orchestration.batches.records import run_ids, run_started
from generator.orchestration.batches.run import run_batch_spec
from generator.planning.batches import Batch, Schedule

log = logging.getLogger(__name__)

JOBS_FILE = "jobs.sqlite"
LOCK_FILE = "serve.lock"
Outcome = Literal["ran", "already-run", "lease-held", "invalid", "error"]


def spec_files(folder: Path) -> list[Path]:
    """The batch specs of ``folder``: its ``*.yaml`` and ``*.yml`` files, by name."""
    return sorted(path for path in folder.iterdir() if path.suffix in (".yaml", ".yml") and path.is_file())


def cron_trigger(schedule: Schedule) -> CronTrigger:
    return CronTrigger.from_crontab(schedule.cron, timezone=ZoneInfo(schedule.timezone))


def last_fire(schedule: Schedule, now: datetime) -> datetime | None:
    """The latest fire time of ``schedule`` at or before ``now`` and within its ``misfire_grace``."""
    trigger, latest = cron_trigger(schedule), None
    fire = trigger.get_next_fire_time(None, now - timedelta(seconds=schedule.misfire_grace))
    while fire is not None and fire <= now:
        latest, fire = fire, trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
    return latest


@dataclass(frozen=True)
class ServeSettings:
    """How ``adgen batch serve`` runs.

    Attributes:
        specs: the folder of batch specs.
        state: this scheduler's own folder (job store, lock file).
        batch: how batches run on this machine.
        owner: this scheduler's name in leases and run records.
        lease_ttl: how long a lease lasts unrenewed; a crashed scheduler's batch waits this long.
        reload_every: seconds between two readings of the spec folder.
    """

    specs: Path
    state: Path
    batch: BatchSettings
    owner: str
    lease_ttl: timedelta = timedelta(minutes=15)
    reload_every: float = 30.0


@dataclass(frozen=True)
class Firing:
    """What one fire of a batch did.

    Attributes:
        batch: the batch id.
        scheduled: the fire time it served (the latest one, for missed fire times run together).
        outcome: ``ran``; ``already-run`` (a run started after ``scheduled``); ``lease-held`` (by
            ``holder``; tried again at ``retry_at`` if that is set); ``invalid`` spec; ``error``.
        run: the run's id, when it ran.
        exit_code: as ``adgen batch run``'s, when it ran.
        holder: the lease's holder, when held; the expired holder taken over, when it ran.
        retry_at: when a held lease is tried again.
        detail: the error, for ``invalid`` and ``error``.
    """

    batch: str
    scheduled: datetime
    outcome: Outcome
    run: str | None = None
    exit_code: int | None = None
    holder: str | None = None
    retry_at: datetime | None = None
    detail: str = ""


_RUNNING: dict[str, BatchScheduler] = {}
"""The schedulers of this process, by state folder: what a stored job calls back into."""


def fire(state: str, batch: str) -> None:
    """The function each stored job names: fire ``batch`` in the scheduler serving ``state``."""
    scheduler = _RUNNING.get(state)
    if scheduler is None:
        log.warning("batch %s fired after its scheduler stopped; skipped", batch)
        return
    scheduler.fire(batch)


def _clock() -> datetime:
    return datetime.now(UTC)


@contextmanager
def _kept(lease: Lease) -> Iterator[None]:
    """Renew ``lease`` every third of its duration while the block runs, then release it."""
    stop, held = threading.Event(), [lease]

    def renew() -> None:
        while not stop.wait(lease.ttl.total_seconds() / 3):
            renewed = held[0].renew()
            if renewed is None:
                log.error("batch %s: lost its lease while running; another scheduler may start it", lease.batch)
                return
            held[0] = renewed

    keeper = threading.Thread(target=renew, name=f"lease-{lease.batch}", daemon=True)
    keeper.start()
    try:
        yield
    finally:
        stop.set()
        keeper.join()
        held[0].release()


def _lock(state: Path) -> IO[str]:
    """Hold ``state``'s lock file for the life of this process, or say which process holds it.

    Raises:
        ConfigError: another scheduler uses ``state``.
    """
    handle = (state / LOCK_FILE).open("a+", encoding="utf-8")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.seek(0)
        holder = handle.read().strip() or "unknown"
        handle.close()
        raise ConfigError(
            "another adgen batch serve uses this state folder", path=state, pid=holder, rule="one scheduler per --state"
        ) from None
    handle.truncate(0)
    handle.write(str(os.getpid()))
    handle.flush()
    return handle


def scheduler_running(state: Path) -> bool:
    """Whether a scheduler holds ``state``'s lock now."""
    path = state / LOCK_FILE
    if not path.exists():
        return False
    with path.open("r", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


_MOVED = {"generator.orchestration.scheduler:fire": f"{__name__}:fire"}  # where ``fire`` lived before


def _carry_over(jobs: Path) -> None:
    """Point jobs stored by an older adgen at where ``fire`` lives now, so a scheduler upgraded in place
    keeps its jobs and still runs the fire times it missed while it was down (APScheduler drops a job
    whose function it cannot import)."""
    if not jobs.is_file():
        return
    with closing(sqlite3.connect(jobs)) as database, database:
        try:
            rows = database.execute("SELECT id, job_state FROM apscheduler_jobs").fetchall()
        except sqlite3.OperationalError:  # no job stored yet
            return
        for job_id, blob in rows:
            state = pickle.loads(blob)  # the scheduler's own file, as APScheduler reads it
            if state.get("func") in _MOVED:
                state["func"] = _MOVED[state["func"]]
                database.execute("UPDATE apscheduler_jobs SET job_state = ? WHERE id = ?",
                                 (pickle.dumps(state, pickle.HIGHEST_PROTOCOL), job_id))  # fmt: skip


class BatchScheduler:
    """The scheduler of one spec folder (see the module docstring); ``start``, then ``shutdown``.

    ``on_fire`` is told what each fire did, after it is logged.
    """

    def __init__(self, settings: ServeSettings, on_fire: Callable[[Firing], None] | None = None) -> None:
        if not settings.specs.is_dir():
            raise ConfigError("batch spec folder not found", path=settings.specs)
        settings.state.mkdir(parents=True, exist_ok=True)
        self.settings, self._on_fire = settings, on_fire
        self._key = str(settings.state.resolve())
        self._specs: dict[str, Path] = {}
        self._told: set[str] = set()
        self._lock_handle: IO[str] | None = None
        self._scheduler = BackgroundScheduler(
            jobstores={
                "default": SQLAlchemyJobStore(url=f"sqlite:///{settings.state.resolve() / JOBS_FILE}"),
                "internal": MemoryJobStore(),
            },
            job_defaults={"coalesce": True, "max_instances": 1},
            timezone=UTC,
        )

    def start(self) -> None:
        """Lock the state folder, schedule the folder's specs and start firing.

        Raises:
            ConfigError: another scheduler uses the state folder.
        """
        self._lock_handle = _lock(self.settings.state)
        _carry_over(self.settings.state / JOBS_FILE)
        _RUNNING[self._key] = self
        self._scheduler.start(paused=True)  # the job store opens, so jobs stored by the last run are seen
        self.sync()
        self._scheduler.add_job(self.sync, "interval", seconds=self.settings.reload_every, id="reload",
                                jobstore="internal", misfire_grace_time=None)  # fmt: skip
        self._scheduler.resume()

    def shutdown(self, wait: bool = True) -> None:
        """Stop firing; with ``wait``, let running batches finish (and release their leases) first."""
        self._scheduler.shutdown(wait=wait)
        _RUNNING.pop(self._key, None)
        if self._lock_handle is not None:
            self._lock_handle.close()
            self._lock_handle = None

    def wakeup(self) -> None:
        """Look at the job store now rather than at the next planned wake-up (after the clock jumped)."""
        self._scheduler.wakeup()

    def next_fire(self, batch: str) -> datetime | None:
        """When ``batch`` fires next; None when it is not scheduled."""
        job = self._scheduler.get_job(batch, jobstore="default")
        return job.next_run_time if job is not None else None

    def sync(self) -> list[ConfigError]:
        """Read the spec folder again: schedule new specs, reschedule edited ones, unschedule the rest.

        Returns every problem found: specs that do not check, ids used twice. Each is logged when
        first found, not again at every reading while it lasts.
        """
        found, problems = self._read_specs()
        for job in self._scheduler.get_jobs(jobstore="default"):
            if job.id not in found:
                job.remove()
                log.info("batch %s: unscheduled (its spec is gone, unscheduled or broken)", job.id)
        for batch in found.values():
            assert batch.spec.schedule is not None
            self._schedule(batch, batch.spec.schedule)
        self._specs = {batch_id: batch.path for batch_id, batch in found.items()}
        return problems

    def _read_specs(self) -> tuple[dict[str, Batch], list[ConfigError]]:
        found: dict[str, Batch] = {}
        problems: list[ConfigError] = []
        for path in spec_files(self.settings.specs):
            batch, errors = check_spec(path, self.settings.batch.templates_root, catalog=False)  # checked when it fires
            problems.extend(errors)
            if batch is None or errors or batch.spec.schedule is None:
                continue
            if batch.id in found:
                problems.append(batch.error(f"batch id {batch.id!r} is also used by {found[batch.id].path}", ("id",)))
                continue
            found[batch.id] = batch
        for problem in problems:
            if str(problem) not in self._told:
                log.error("%s", problem)
        self._told = {str(problem) for problem in problems}
        return found, problems

    def _schedule(self, batch: Batch, schedule: Schedule) -> None:
        trigger, job = cron_trigger(schedule), self._scheduler.get_job(batch.id, jobstore="default")
        if job is None:
            job = self._scheduler.add_job(
                fire, trigger, id=batch.id, name=str(batch.path), kwargs={"state": self._key, "batch": batch.id},
                misfire_grace_time=schedule.misfire_grace, jobstore="default",
            )  # fmt: skip
            log.info("batch %s: scheduled from %s (%s %s), next fire %s", batch.id, batch.path, schedule.cron,
                     schedule.timezone, _when(job.next_run_time))  # fmt: skip
        elif repr(job.trigger) != repr(trigger):
            job = job.reschedule(trigger)
            log.info("batch %s: rescheduled (%s %s), next fire %s", batch.id, schedule.cron, schedule.timezone,
                     _when(job.next_run_time))  # fmt: skip
        if job.misfire_grace_time != schedule.misfire_grace or job.name != str(batch.path):
            job.modify(misfire_grace_time=schedule.misfire_grace, name=str(batch.path))

    def fire(self, batch_id: str, scheduled: datetime | None = None) -> Firing:
        """Run ``batch_id`` for its latest fire time (or ``scheduled``, when a held lease is tried again)."""
        firing = self._fire(batch_id, scheduled)
        level = logging.ERROR if firing.outcome in ("invalid", "error") else logging.INFO
        log.log(level, "batch %s, fire time %s: %s%s", firing.batch, firing.scheduled.isoformat(), firing.outcome,
                _described(firing))  # fmt: skip
        if self._on_fire is not None:
            self._on_fire(firing)
        return firing

    def _fire(self, batch_id: str, scheduled: datetime | None) -> Firing:
        now = _clock()
        path = self._specs.get(batch_id)
        batch, problems = check_spec(path, self.settings.batch.templates_root) if path else (None, [])
        if batch is None or problems or batch.spec.schedule is None:
            detail = str(problems[0]) if problems else f"no scheduled spec of batch {batch_id} in {self.settings.specs}"
            return Firing(batch_id, scheduled or now, "invalid", detail=detail)
        schedule = batch.spec.schedule
        when = scheduled or last_fire(schedule, now) or now
        try:
            store = batch_store(batch, self.settings.batch)
            runs = run_ids(store)
            if runs and (started := run_started(runs[0])) is not None and started >= when:
                return Firing(batch_id, when, "already-run", run=runs[0])
            before = current_lease(store, batch_id)
            lease = acquire(store, batch_id, self.settings.owner, self.settings.lease_ttl, _clock)
            if lease is None:
                return self._held(batch_id, when, schedule, current_lease(store, batch_id))
            taken_over = before.owner if before is not None and not before.released else None
            trigger = {"by": "scheduler", "owner": self.settings.owner, "scheduled": when.isoformat()}
            with _kept(lease):
                opened = open_batch(batch, self.settings.batch, store, when.date())  # fetched under the lease
                report = run_batch_spec(batch, opened.catalog, opened.store, opened.options,
                                        executor=self.settings.batch.executor_for(batch), trigger=trigger)  # fmt: skip
        except AdgenError as exc:
            return Firing(batch_id, when, "error", detail=str(exc))
        except Exception as exc:  # a scheduler outlives any one batch's failure
            log.exception("batch %s failed", batch_id)
            return Firing(batch_id, when, "error", detail=f"{type(exc).__name__}: {exc}")
        return Firing(batch_id, when, "ran", run=report.plan.run, exit_code=report.exit_code, holder=taken_over)

    def _held(self, batch_id: str, when: datetime, schedule: Schedule, record: LeaseRecord | None) -> Firing:
        """The batch's lease is held by ``record``'s owner: try again when it expires, if that is not too late."""
        holder = record.owner if record is not None else None
        if record is None or record.expires - when > timedelta(seconds=schedule.misfire_grace):
            return Firing(batch_id, when, "lease-held", holder=holder)
        retry_at = record.expires + timedelta(seconds=1)
        self._scheduler.add_job(
            self.fire, DateTrigger(retry_at), args=(batch_id, when), id=f"retry-{batch_id}", jobstore="internal",
            replace_existing=True, misfire_grace_time=schedule.misfire_grace,
        )  # fmt: skip
        return Firing(batch_id, when, "lease-held", holder=holder, retry_at=retry_at)


def _when(moment: datetime | None) -> str:
    return moment.isoformat() if moment is not None else "none (paused)"


def _described(firing: Firing) -> str:
    if firing.outcome == "ran":
        over = f", taking over the expired lease of {firing.holder}" if firing.holder else ""
        return f" run {firing.run}, exit code {firing.exit_code}{over}"
    if firing.outcome == "lease-held":
        retry = f"; trying again at {firing.retry_at.isoformat()}" if firing.retry_at else ""
        return f" by {firing.holder}{retry}"
    if firing.outcome == "already-run":
        return f" by run {firing.run}"
    return f" ({firing.detail})"

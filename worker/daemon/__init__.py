"""The daemon (`briefings run`): every source on its schedule, plus the recheck job.

    run_daemon
      ├── hold_archive_lock            one daemon per archive (`archive.db.lock`)
      ├── --once: each source in turn, then the recheck job, then exit
      └── BlockingScheduler (UTC)      jobs rebuilt from the config at every start, nothing persisted
            ├── a job per source       IntervalTrigger or CronTrigger, with the source's jitter
            └── the recheck job        every `recheck.interval`

All jobs first run at start, then on their triggers: `coalesce` folds runs missed while the
machine slept into one, `max_instances=1` never overlaps a job with itself, and a misfire grace
of one period lets a late run still happen (APScheduler's default of 1 s would drop it).

Jobs run at once, each on a thread of its own (a pool of one per source plus one for the recheck
job) in a `Context` of its own (its own SQLite connection), all sharing one HTTP client and one
`Fetcher`, so robots.txt is read once per host and every request to a host takes that host's
turn in one pacer, whichever job asks (a source and the recheck job, both on mid.ru, are paced
as one). Within a run, pages on different hosts go at once too (`worker.pipeline.runs`): a slow or
stalled host delays only its own pages. `--once` runs every source at once, then the recheck job.

A failing source (the run failed, or every page it tried failed) is backed off exponentially
through the archive's source state (`record_source_failure`), so a site that is down is not
hammered and `briefings status` can show it; its failure is logged once at warning level, and its
recovery once at info level. Every run logs one line with its counts. A job that raises a
`BriefingsError`, `sqlite3.Error` or `OSError` (the archive's disk, say) is a failed run too: one
error line naming the job, and the source is backed off; anything else is a bug and propagates.

After every job (and before the first) the `Notifier` (`worker.notify`) collects what happened
into the archive's outbox and sends it to the `[[notify]]` targets; a failed send is retried
after the next job and never fails one.

`--once` exits 1 when any job failed, so a cron job or CI notices; 0 otherwise.

Stop: the first SIGTERM or SIGINT sets the stop event, which the pipeline checks between pages
and the fetcher at every wait (pacing, retry backoff, `Retry-After`: a page in retry gives up at
once), and shuts the scheduler down without starting new jobs; the daemon waits for the current
page, releases the lock and exits 0. A run cut short by the stop is not counted as a failure. A
second signal exits at once with status 1; the archive stays consistent because every page is
stored in one transaction.
"""

from __future__ import annotations

import logging
import os
import signal
import sqlite3
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

import httpx
from apscheduler.events import EVENT_SCHEDULER_STARTED
from apscheduler.executors.pool import ThreadPoolExecutor as SchedulerPool
from apscheduler.schedulers import SchedulerNotRunningError
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from worker.archive import (
    Archive,
    mark_failure_reported,
    record_source_failure,
    record_source_success,
    source_state,
)
from worker.config import Schedule, Source, WorkerConfig
from worker.daemon.lockfile import hold_archive_lock
from worker.errors import BriefingsError
from worker.fetch import Fetcher, make_client
from worker.notify import Notifier
from worker.pipeline import Context, RunReport, open_context, recheck_due, run_source

log = logging.getLogger(__name__)

# What fails a job without being a bug: ours, the archive's database, the disk. Not `Exception`.
JOB_ERRORS = (BriefingsError, sqlite3.Error, OSError)


def run_daemon(config: WorkerConfig, *, db_path: Path | None, once: bool) -> int:
    """Run the sources until stopped (or one cycle with `once`); the exit code.

    With `once`: 1 when a job failed, else 0. Raises `ArchiveLocked` when another daemon holds
    the archive.
    """
    db = db_path or config.archive
    with hold_archive_lock(db) as lock, closing(Jobs(config, db)) as jobs:
        _bring_archive_up_to_date(db, config)
        if once:
            with _stop_on_signals(jobs.stop):
                return 0 if jobs.run_all_once() else 1
        scheduler = build_scheduler(jobs)
        with _stop_on_signals(jobs.stop, then=lambda: _shutdown_soon(scheduler)):
            log.info("daemon started: %d sources, archive %s, lock %s (PID %d)",
                     len(config.sources), db, lock, os.getpid())  # fmt: skip
            scheduler.start()  # returns once a signal has shut the scheduler down
            jobs.wait_idle()
        log.info("daemon stopped")
    return 0


def _bring_archive_up_to_date(db: Path, config: WorkerConfig) -> None:
    """Create or upgrade the archive once, here, before the jobs open it at the same moment in
    several threads: two first opens of a new file racing to create its schema can deadlock in
    SQLite, which reports it as "database is locked" at once, failing a job.

    An archive that cannot be opened is left to the jobs: each fails with the reason, logged,
    counted and backed off, as before.
    """
    try:
        Archive.open(db, config.recheck).close()
    except BriefingsError:
        return


@dataclass
class Jobs:
    """What the scheduler runs: one call per source run or recheck, each in its own Context.

    Every job shares `fetcher` (and its robots.txt cache and pacing); `close()` closes its
    client. A job returns whether it succeeded (a skipped job did).
    """

    config: WorkerConfig
    db_path: Path
    stop: threading.Event = field(default_factory=threading.Event)
    fetcher: Fetcher = field(init=False)
    _client: httpx.Client = field(init=False)
    _running: int = 0  # jobs running now, under `_idle`
    _idle: threading.Condition = field(default_factory=threading.Condition)
    notifier: Notifier = field(init=False)

    def __post_init__(self) -> None:
        self._client = make_client(self.config.politeness)
        self.fetcher = Fetcher(self._client, self.config.politeness, stop=self.stop)
        self.notifier = Notifier(self.config.notify)

    def close(self) -> None:
        self._client.close()

    def source(self, name: str, *, honour_backoff: bool = True) -> bool:
        return self._guarded(f"source {name}", lambda: self._source(name, honour_backoff))

    def recheck(self) -> bool:
        return self._guarded("recheck", self._recheck)

    def run_all_once(self) -> bool:
        """Every source at once (backed off or not), then the recheck job; whether all succeeded."""
        names = [source.name for source in self.config.sources]
        with ThreadPoolExecutor(max_workers=max(1, len(names)), thread_name_prefix="job") as pool:
            results = list(pool.map(lambda name: self.source(name, honour_backoff=False), names))
        return all([*results, self.recheck()])

    def wait_idle(self) -> None:
        """Return once no job is running (jobs that start after `stop` return at once)."""
        with self._idle:
            self._idle.wait_for(lambda: self._running == 0)

    @contextmanager
    def _job(self) -> Iterator[Context | None]:
        """A Context for this job's thread, or None once stopping; `wait_idle` waits for it."""
        with self._idle:
            stopping = self.stop.is_set()
            if not stopping:
                self._running += 1
        if stopping:
            yield None
            return
        try:
            with open_context(self.config, self.db_path, fetcher=self.fetcher) as ctx:
                # Notifications: targets start before the first run, and hear after every run
                # (even one that failed: a failing source is an event); never while stopping.
                self.notifier.start(ctx.archive)
                try:
                    yield ctx
                finally:
                    if not self.stop.is_set():
                        self.notifier.deliver(ctx.archive)
        finally:
            with self._idle:
                self._running -= 1
                self._idle.notify_all()

    def _source(self, name: str, honour_backoff: bool) -> bool:
        source = self.config.source(name)
        with self._job() as ctx:
            if ctx is None:
                return True
            state = source_state(ctx.archive, name)
            if honour_backoff and state.backed_off(datetime.now(UTC)):
                log.debug("%s: backed off until %s", name, state.backed_off_until)
                return True
            try:
                report = run_source(ctx, source, stop=self.stop)
            except JOB_ERRORS as error:  # the archive, a profile or the disk, not one page
                self._finish(ctx, source, _describe(error))
                raise
            _log_run(report)
            return self._finish(ctx, source, _failure(report))

    def _recheck(self) -> bool:
        with self._job() as ctx:
            if ctx is None:
                return True
            report = recheck_due(ctx, stop=self.stop)
            _log_run(report)
            error = _failure(report)
            return error is None or self._cut_short("recheck", error)

    def _guarded(self, job: str, run: Callable[[], bool]) -> bool:
        """`run()`, or False after one error line naming the job for `JOB_ERRORS`."""
        try:
            return run()
        except JOB_ERRORS as error:
            log.error("%s: job failed: %s", job, _describe(error))
            return False

    def _finish(self, ctx: Context, source: Source, error: str | None) -> bool:
        """Settle the run in the source's state; whether it succeeded."""
        if error is not None and self._cut_short(source.name, error):
            return True
        _settle(ctx, source, error)
        return error is None

    def _cut_short(self, job: str, error: str) -> bool:
        """Whether the stop explains a failed run (it ends fetches that wait): then not counted."""
        if not self.stop.is_set():
            return False
        log.info("%s: run cut short by the stop: %s", job, error)
        return True


def build_scheduler(jobs: Jobs) -> BlockingScheduler:
    """A scheduler with a job per source and the recheck job, all due now."""
    # A thread per job: each source and the recheck job can run at once (never one with itself).
    workers = len(jobs.config.sources) + 1
    scheduler = BlockingScheduler(
        timezone=UTC, executors={"default": SchedulerPool(max_workers=workers)}
    )
    now = datetime.now(UTC)
    for source in jobs.config.sources:
        grace = int(period(source.schedule)) + 1
        scheduler.add_job(jobs.source, source_trigger(source.schedule), args=(source.name,),
                          id=f"source:{source.name}", name=source.name, next_run_time=now,
                          coalesce=True, max_instances=1, misfire_grace_time=grace)  # fmt: skip
    interval = jobs.config.recheck.interval
    scheduler.add_job(jobs.recheck, IntervalTrigger(seconds=interval, timezone=UTC),
                      id="recheck", name="recheck", next_run_time=now,
                      coalesce=True, max_instances=1, misfire_grace_time=int(interval) + 1)  # fmt: skip
    # A signal that came before the scheduler was running could not shut it down: do it now.
    scheduler.add_listener(lambda _: _stop_if_set(scheduler, jobs.stop), EVENT_SCHEDULER_STARTED)
    return scheduler


def source_trigger(schedule: Schedule, *, jitter: bool = True) -> BaseTrigger:
    spread = (int(schedule.jitter) or None) if jitter else None
    if schedule.cron:
        minute, hour, day, month, day_of_week = schedule.cron.split()
        return CronTrigger(minute=minute, hour=hour, day=day, month=month,
                           day_of_week=day_of_week, timezone=UTC, jitter=spread)  # fmt: skip
    return IntervalTrigger(seconds=schedule.interval or 3600.0, timezone=UTC, jitter=spread)


def period(schedule: Schedule) -> float:
    """Seconds between two runs: the interval, or the gap between a cron's next two times."""
    if schedule.interval:
        return schedule.interval
    trigger = source_trigger(schedule, jitter=False)
    first = trigger.get_next_fire_time(None, datetime.now(UTC))
    return float((trigger.get_next_fire_time(first, first) - first).total_seconds())


def _describe(error: BaseException) -> str:
    """One line: a `BriefingsError` says what is wrong itself; others need their type."""
    text = " ".join(str(error).split())
    return text if isinstance(error, BriefingsError) else f"{type(error).__name__}: {text}"


def _failure(report: RunReport) -> str | None:
    if report.error:
        return report.error
    counts = report.counts
    if counts.seen and counts.failed == counts.seen:
        return f"all {counts.seen} pages failed"
    return None


def _settle(ctx: Context, source: Source, error: str | None) -> None:
    """Record the run in the source's state; report a failure streak once, and its end once."""
    before = source_state(ctx.archive, source.name)
    if error is None:
        record_source_success(ctx.archive, source.name)
        if before.reported_failure:
            log.info("%s: working again after %d failed runs", source.name,
                     before.failure_streak, extra={"source": source.name})  # fmt: skip
        return
    # Half a period per failure, doubling: the next run still comes, later ones are skipped.
    base = period(source.schedule) / 2
    state = record_source_failure(ctx.archive, source.name, error, backoff_base=base)
    if not before.reported_failure:
        log.warning("%s: run failed: %s; backing off until %s", source.name, error,
                    state.backed_off_until, extra={"source": source.name})  # fmt: skip
        mark_failure_reported(ctx.archive, source.name)


def _log_run(report: RunReport) -> None:
    error = f"; error: {report.error}" if report.error else ""
    c = report.counts
    log.info(
        "%s %s: seen %d, new %d, changed %d, unchanged %d, not modified %d, failed %d%s",
        report.kind, report.source, c.seen, c.new, c.changed, c.unchanged, c.not_modified,
        c.failed, error, extra={"source": report.source},
    )  # fmt: skip


@contextmanager
def _stop_on_signals(
    stop: threading.Event, *, then: Callable[[], None] = lambda: None
) -> Iterator[None]:
    """First SIGTERM/SIGINT: set `stop`, call `then`. Second: exit now. Restored on exit."""

    def handle(signum: int, frame: FrameType | None) -> None:
        if stop.is_set():
            os.write(2, b"second signal: stopping now\n")
            os._exit(1)
        stop.set()
        then()

    signums = (signal.SIGTERM, signal.SIGINT)
    previous = [signal.signal(signum, handle) for signum in signums]
    try:
        yield
    finally:
        for signum, old in zip(signums, previous, strict=True):
            signal.signal(signum, old)


def _shutdown_soon(scheduler: BlockingScheduler) -> None:
    # From another thread: the signal may have interrupted the scheduler holding its own locks.
    threading.Thread(target=_stop_scheduler, args=(scheduler,), name="shutdown").start()


def _stop_if_set(scheduler: BlockingScheduler, stop: threading.Event) -> None:
    if stop.is_set():
        _stop_scheduler(scheduler)


def _stop_scheduler(scheduler: BlockingScheduler) -> None:
    log.info("stopping: the current page finishes, no new job starts")
    # Not running yet (the start listener stops it then) or already stopped: nothing to do.
    with suppress(SchedulerNotRunningError):
        scheduler.shutdown(wait=False)

"""`briefings status`: the configured sources with their last and next runs, and the archive.

The archive knows what happened (runs, failures, counts); the config knows what is scheduled.
This module joins the two into one value for the command line and for scripts (`--json`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from worker.archive.db import Archive
from worker.archive.models import ArchiveStatus, RunInfo
from worker.archive.status import status_summary
from worker.config import Schedule, Source, WorkerConfig
from worker.daemon import period, source_trigger
from worker.daemon.lockfile import DaemonInfo, daemon_info
from worker.errors import shown

# A run is overdue once it is later than this past its time (or one period, if longer): runs
# queue behind each other's pages, so a few minutes late is normal.
OVERDUE_GRACE = 600.0


@dataclass(frozen=True)
class SourceReport:
    name: str
    site: str | None
    schedule: str
    last_run: RunInfo | None
    last_outcome: str | None  # the last run's outcome; for a failing source its error
    next_run: str | None  # when the daemon will run it next (if it is running)
    failure_streak: int
    backed_off_until: str | None
    overdue: bool = False  # its next run is well past (is the daemon running?)

    @property
    def last_error(self) -> str | None:
        """A failing source's last error, without the `error: ` its outcome starts with."""
        if not self.failure_streak or not self.last_outcome:
            return None
        return self.last_outcome.removeprefix("error: ")


@dataclass(frozen=True)
class WorkerStatus:
    archive: ArchiveStatus
    sources: tuple[SourceReport, ...]
    daemon: DaemonInfo

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self.archive)
        data.pop("sources")
        data["sources"] = [asdict(source) for source in self.sources]
        data["daemon"] = asdict(self.daemon)
        data["problems"] = list(self.problems())
        return data

    def problems(self) -> tuple[str, ...]:
        """What needs a person, one line each (`status --check` fails when there is any)."""
        found = []
        for source in self.sources:
            if source.failure_streak:
                found.append(
                    f"source {source.name} failing {source.failure_streak}x:"
                    f" {shown(source.last_error or 'unknown error')}"
                )
            if source.overdue:
                running = "running" if self.daemon.running else "not running"
                found.append(
                    f"source {source.name} overdue: due {source.next_run}, daemon {running}"
                )
        return tuple(found)


def worker_status(
    config: WorkerConfig, archive: Archive, now: datetime | None = None
) -> WorkerStatus:
    """The status of every source and of the archive, and whether a daemon holds its lock."""
    now = now or datetime.now(UTC)
    summary = status_summary(archive)
    known = {status.state.name: status for status in summary.sources}
    reports = []
    configured = {source.name for source in config.sources} | {"recheck"}
    # Sources the archive remembers but this config no longer names (or another config did).
    others = [_job(name, None) for name in known if name not in configured]
    for source in (*config.sources, _job("recheck", config.recheck.interval), *others):
        status = known.get(source.name)
        state = status.state if status else None
        last = status.last_run if status else None
        upcoming = _next_run(source, last, state.backed_off_until if state else None, now)
        reports.append(
            SourceReport(
                name=source.name,
                site=source.site,
                schedule=_describe(source),
                last_run=last,
                last_outcome=state.last_outcome if state else None,
                next_run=upcoming,
                failure_streak=state.failure_streak if state else 0,
                backed_off_until=state.backed_off_until if state else None,
                overdue=_overdue(source, last, upcoming, now),
            )
        )
    return WorkerStatus(summary, tuple(reports), daemon_info(archive.path))


def _overdue(source: Source, last: RunInfo | None, upcoming: str | None, now: datetime) -> bool:
    """Whether a source that has run before is well past its next run."""
    if last is None or upcoming is None:
        return False
    grace = max(OVERDUE_GRACE, period(source.schedule))
    return (now - datetime.fromisoformat(upcoming)).total_seconds() > grace


def _job(name: str, interval: float | None) -> Source:
    """A job shown as a source (the recheck job, or a source this config no longer names), so
    its runs appear beside the others; `interval` None means no schedule here."""
    return Source(
        name=name,
        site=None,
        listing_urls=(),
        link_pattern="",
        allowed_hosts=(),
        schedule=Schedule(interval=interval, cron=None),
    )


def _describe(source: Source) -> str:
    schedule = source.schedule
    if not schedule.cron and not schedule.interval:
        return "not in this config"
    every = (
        f"cron {schedule.cron}" if schedule.cron else f"every {_duration(schedule.interval or 0)}"
    )
    return every + (f" + up to {_duration(schedule.jitter)}" if schedule.jitter else "")


def _duration(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


def _next_run(
    source: Source, last: RunInfo | None, backed_off_until: str | None, now: datetime
) -> str | None:
    if not source.schedule.cron and not source.schedule.interval:
        return None
    if source.schedule.cron:
        trigger = source_trigger(source.schedule, jitter=False)
        upcoming = trigger.get_next_fire_time(None, now)
    elif last is None:
        upcoming = now
    else:
        upcoming = datetime.fromisoformat(last.started_at) + timedelta(
            seconds=source.schedule.interval or 0
        )
    if backed_off_until is not None:
        upcoming = max(upcoming, datetime.fromisoformat(backed_off_until)) if upcoming else None
    return upcoming.isoformat(timespec="seconds") if upcoming else None

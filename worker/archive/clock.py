"""Timestamps as the archive stores them: UTC ISO 8601 strings to the second.

Every time column holds `YYYY-MM-DDTHH:MM:SS+00:00`, so SQL can compare and sort them as text
(`next_check_at <= :now`, `seen_at >= :since`). Callers may pass any ISO 8601 time; it is
normalised here, and a naive time is taken as UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from worker.errors import ArchiveError


def utc_now() -> datetime:
    return datetime.now(UTC)


def to_text(moment: datetime) -> str:
    """`moment` in the archive's text form (UTC, seconds)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def parse(text: str) -> datetime:
    """An ISO 8601 time as an aware datetime; raises ArchiveError on anything else."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ArchiveError(f"not an ISO 8601 time: {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def stamp(now: str | None) -> str:
    """The caller's `now` normalised, or the current time."""
    return to_text(utc_now() if now is None else parse(now))


def later(text: str, seconds: float) -> str:
    return to_text(parse(text) + timedelta(seconds=seconds))

"""The values the archive hands to its callers: frozen dataclasses, one per kind of answer.

Everything that leaves `worker.archive` is one of these (or a `worker.record.Record`), so the
pipeline, daemon and CLI never index rows by column name.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal, get_args

from worker.archive import clock
from worker.record import Record

# ---- the outcomes of a fetch: the one definition every module and the schema's check use ----

# What one fetch of one address came to, as `fetches.outcome` holds it; a failure is
# `error: <reason>` (`error_outcome`). `moved`: the address redirects elsewhere.
Outcome = Literal["new", "changed", "unchanged", "not-modified", "gone", "moved"]
OUTCOMES: tuple[Outcome, ...] = get_args(Outcome)
StoreOutcome = Literal["new", "changed", "unchanged"]  # what storing a parsed page can come to
SUCCESSES: tuple[Outcome, ...] = ("new", "changed", "unchanged", "not-modified")
GONE: tuple[Outcome, ...] = ("gone", "moved")  # seen, but neither a success nor a failure
ERROR = "error: "
RunKind = Literal["discover", "recheck", "backfill", "manual"]
VersionCause = Literal["fetch", "reparse"]


def error_outcome(reason: str) -> str:
    """`error: <reason>` on one line, however the reason was written."""
    return ERROR + (" ".join(reason.split()) or "unknown")


def outcome_check(column: str) -> str:
    """The SQL condition a stored outcome meets (the `fetches.outcome` CHECK)."""
    return f"{column} IN ({_sql_list(OUTCOMES)}) OR {column} LIKE '{ERROR}%'"


def succeeded(column: str) -> str:
    """The SQL condition of an outcome that is a success (the page answered, parsed or 304)."""
    return f"{column} IN ({_sql_list(SUCCESSES)})"


def _sql_list(words: tuple[str, ...]) -> str:
    return ", ".join(f"'{word}'" for word in words)


_COUNTED = {
    "new": "new",
    "changed": "changed",
    "unchanged": "unchanged",
    "not-modified": "not_modified",
}


@dataclass(frozen=True)
class StoreResult:
    """What storing one parsed page did: the `outcome` logged in `fetches`, and where it went."""

    outcome: StoreOutcome
    document_id: int
    version: int
    url: str


@dataclass(frozen=True)
class Validators:
    """The conditional-GET validators of a document's last response."""

    etag: str | None
    last_modified: str | None


@dataclass(frozen=True)
class ReparseCandidate:
    """A stored capture to run through today's parser.

    `latest` captures are compared with the document's latest version and may make a new one;
    an older capture (only with `all_versions`) is compared with the version it made,
    `made_version`, and never makes one. `latest` is as listed: `store_reparse` checks it again
    when it writes. `document_id` is None for the bytes of a page that failed to parse at an
    address that has no document yet.
    """

    capture_id: int
    document_id: int | None
    url: str
    headers: dict[str, str]
    status: int
    fetched_at: str
    body: bytes
    made_version: int | None
    latest: bool


@dataclass(frozen=True)
class RunCounts:
    """The tallies of one run, by fetch outcome."""

    seen: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    not_modified: int = 0
    failed: int = 0

    def plus(self, outcome: str) -> RunCounts:
        """These counts with one more page of `outcome` (a `fetches.outcome` value).

        `gone` and `moved` are seen but neither a success nor a failure; any `error: ...` is a
        failure.
        """
        bumped = replace(self, seen=self.seen + 1)
        if outcome in GONE:
            return bumped
        field = _COUNTED.get(outcome, "failed")
        return replace(bumped, **{field: getattr(bumped, field) + 1})


@dataclass(frozen=True)
class RunInfo:
    id: int
    source: str | None
    kind: RunKind
    started_at: str
    finished_at: str | None
    counts: RunCounts
    error: str | None
    # The links the run's listings gave, and how many of them the archive knew already (the rest
    # were new); None for a run that read no listing. Found 0 is how a broken listing shows.
    links_found: int | None = None
    links_known: int | None = None


@dataclass(frozen=True)
class SourceState:
    """What the daemon remembers about a source between runs."""

    name: str
    last_run_at: str | None = None
    last_outcome: str | None = None
    failure_streak: int = 0
    backed_off_until: str | None = None
    reported_failure: bool = False

    def backed_off(self, now: datetime) -> bool:
        return self.backed_off_until is not None and clock.parse(self.backed_off_until) > now


@dataclass(frozen=True)
class BackfillState:
    """How far `backfill` has walked a source's listing pages into the past."""

    source: str
    next_url: str | None
    pages_done: int
    updated_at: str
    done: bool


@dataclass(frozen=True)
class DocumentInfo:
    id: int
    url: str
    site: str | None
    document_number: str | None
    title: str | None
    published: str | None
    first_seen: str
    last_seen: str | None
    last_checked: str | None
    next_check_at: str | None
    checks: int
    gone_at: str | None
    versions: int


@dataclass(frozen=True)
class StoredVersion:
    document_id: int
    number: int
    seen_at: str
    cause: VersionCause
    identity: str
    parser_version: str
    capture_id: int | None
    record: Record


@dataclass(frozen=True)
class ChangeSummary:
    """How a version differs from the one before it, counted by section and by turn."""

    fields: tuple[str, ...] = ()
    sections_added: int = 0
    sections_removed: int = 0
    sections_changed: int = 0
    turns_added: int = 0
    turns_removed: int = 0
    turns_changed: int = 0

    def describe(self) -> str:
        """One short line, e.g. `title; 1 section changed, 2 turns added`."""
        counts = [
            (self.sections_added, "section", "added"),
            (self.sections_removed, "section", "removed"),
            (self.sections_changed, "section", "changed"),
            (self.turns_added, "turn", "added"),
            (self.turns_removed, "turn", "removed"),
            (self.turns_changed, "turn", "changed"),
        ]
        words = [f"{n} {noun}{'' if n == 1 else 's'} {verb}" for n, noun, verb in counts if n]
        parts = [", ".join(self.fields)] if self.fields else []
        if words:
            parts.append(", ".join(words))
        return "; ".join(parts) or "no change in content"


@dataclass(frozen=True)
class VersionInfo:
    number: int
    seen_at: str
    cause: VersionCause
    identity: str
    parser_version: str
    capture_id: int | None
    changes: ChangeSummary | None  # None for the first version

    @property
    def summary(self) -> str:
        return "first version" if self.changes is None else self.changes.describe()

    def to_dict(self) -> dict[str, object]:
        """The stable shape of `briefings versions --json`."""
        return {
            "version": self.number,
            "seen_at": self.seen_at,
            "cause": self.cause,
            "identity": self.identity,
            "changes": self.summary,
        }


@dataclass(frozen=True)
class SearchHit:
    url: str
    title: str | None
    published: str | None
    speaker: str | None
    heading: str | None
    snippet: str
    version: int
    document_id: int

    def to_dict(self) -> dict[str, object]:
        """The stable shape of `briefings search --json`."""
        return {
            "url": self.url,
            "title": self.title,
            "published": self.published,
            "speaker": self.speaker,
            "heading": self.heading,
            "snippet": self.snippet,
            "version": self.version,
        }


@dataclass(frozen=True)
class RecentError:
    url: str
    fetched_at: str
    source: str | None
    outcome: str


@dataclass(frozen=True)
class SourceStatus:
    state: SourceState
    last_run: RunInfo | None


@dataclass(frozen=True)
class ArchiveStatus:
    path: str
    size_bytes: int
    schema_version: int
    documents: int
    versions: int
    passages: int
    captures: int
    fetches: int
    gone: int
    recent_errors: tuple[RecentError, ...]
    sources: tuple[SourceStatus, ...]


@dataclass(frozen=True)
class ExportedVersion:
    """A document's latest version as `briefings export` writes it: one JSON line."""

    document_id: int
    url: str  # the document's canonical URL
    version: int
    seen_at: str
    cause: str
    record: Record

    def to_dict(self) -> dict[str, object]:
        """The stable shape of a line of `briefings export`: the record stays exactly the
        `RECORD.md` contract, beside the version's facts."""
        return {
            "document_id": self.document_id,
            "version": self.version,
            "seen_at": self.seen_at,
            "cause": self.cause,
            "record": self.record.to_dict(),
        }


@dataclass(frozen=True)
class ExportedPassage:
    """A paragraph or turn of a latest version as `briefings export --format csv` writes it:
    one row, its fields the CSV's columns in this order."""

    document_id: int
    url: str
    title: str | None
    published: str | None
    version: int
    seen_at: str
    section_index: int
    seq: int
    part: str
    heading: str | None
    role: str
    speaker: str | None
    text: str

    def to_dict(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in PASSAGE_COLUMNS}


PASSAGE_COLUMNS = tuple(ExportedPassage.__dataclass_fields__)

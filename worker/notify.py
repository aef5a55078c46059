"""Notifications: after each daemon run, every `[[notify]]` target is told what happened.

    Notifier.start(archive)     once per daemon, before its first job: collect what happened
                                while it was down, and give targets seen for the first time a
                                cursor after it (a new target does not get the archive's past)
    Notifier.deliver(archive)   after every job: collect the run's events into the outbox
                                (`worker.archive.outbox`), then for each target send what it has
                                not had: one message per event, or one digest when there are more
                                than its `digest_after`

The events are `new`, `changed` (with the turn-level diff, as `briefings diff` shows it),
`gone`, `source-failing` and `source-recovered`. Messages go through Apprise, so a target's
`urls` may name any service it knows (`mailto://`, `ntfy://`, `json://`, …).

A send that fails is logged (warning), recorded on the target (`notify_targets.last_error`) and
tried again at the next run: the target's cursor only moves past an event once the message that
carries it was sent, and nothing here ever fails the run. Delivery is at least once: a message is
sent again only if the process dies between a successful send and the commit that follows it,
or when one of a target's several URLs failed (the message goes again to all of them).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from worker.archive import clock, outbox
from worker.archive.db import Archive
from worker.archive.follow import change_of
from worker.config import Notify
from worker.errors import ArchiveError, BriefingsError
from worker.feeds import change_text, change_title

log = logging.getLogger(__name__)

MAX_BODY_CHARS = 30000  # a digest stops listing here; services split or refuse longer ones
# What may stop a delivery without being a bug: the archive, its disk. Never `Exception`.
_DELIVERY_ERRORS = (BriefingsError, sqlite3.Error, OSError)


@dataclass(frozen=True)
class Message:
    title: str
    body: str


# Sends one message to a target: None when it was delivered, else what went wrong (one line).
Sender = Callable[[Notify, Message], str | None]


def send_apprise(target: Notify, message: Message) -> str | None:
    import apprise  # here: it takes most of a second to import, and only senders need it

    sender = apprise.Apprise()
    for url in target.urls:
        sender.add(url)
    # Apprise's own warning becomes the error we log and record: keep it out of the log here.
    apprise_log = logging.getLogger("apprise")
    propagate, apprise_log.propagate = apprise_log.propagate, False
    try:
        with apprise.LogCapture(level=logging.WARNING, fmt="%(message)s") as captured:  # type: ignore[no-untyped-call]
            sent = sender.notify(
                body=message.body, title=message.title, body_format=apprise.NotifyFormat.TEXT
            )
    finally:
        apprise_log.propagate = propagate
    if sent:
        return None
    lines = [line.strip() for line in captured.getvalue().splitlines() if line.strip()]
    return lines[-1] if lines else "not delivered"


def trial_message(target: Notify) -> Message:
    return Message(
        "briefings-worker: test message",
        f"A test from briefings-worker for [[notify]] {target.name!r}, sent {clock.stamp(None)}."
        f" It will be told of: {', '.join(target.events)}.",
    )


class Notifier:
    """The daemon's side of notifications; thread-safe (jobs may end at the same time)."""

    def __init__(self, targets: Sequence[Notify], send: Sender = send_apprise) -> None:
        self.targets = tuple(targets)
        self._send = send
        self._lock = threading.Lock()
        self._started = False

    def start(self, archive: Archive) -> None:
        """Collect what happened before this daemon, then register new targets after it."""
        if not self.targets:
            return
        with self._lock:
            if self._started:
                return
            try:
                with archive.write() as conn:
                    outbox.collect(conn)
                    outbox.register(conn, tuple(t.name for t in self.targets))
            except _DELIVERY_ERRORS as error:
                log.error("notify: cannot read the archive's events: %s", error)
                return
            self._started = True

    def deliver(self, archive: Archive) -> None:
        """Collect the run's events and send each target what it has not had yet."""
        if not self.targets:
            return
        self.start(archive)
        with self._lock:
            if not self._started:
                return
            try:
                with archive.write() as conn:
                    outbox.collect(conn)
                for target in self.targets:
                    self._deliver_to(archive, target)
            except _DELIVERY_ERRORS as error:
                log.error("notify: delivery stopped, tried again next run: %s", error)

    def _deliver_to(self, archive: Archive, target: Notify) -> None:
        events = outbox.pending(archive.conn, target.name)
        if not events:
            return
        wanted = [event for event in events if event.kind in target.events]
        if len(wanted) > target.digest_after:
            batches = [(events[-1].id, digest(archive, wanted))]
        else:
            batches = [(event.id, message_for(archive, event)) for event in wanted]
        for upto, message in batches:
            error = self._send(target, message)
            with archive.write() as conn:
                if error is not None:
                    outbox.mark_failed(conn, target.name, error)
                    log.warning("notify %s: not sent, tried again next run: %s: %s",
                                target.name, message.title, error)  # fmt: skip
                    return
                outbox.mark_sent(conn, target.name, upto)
            log.info("notify %s: sent %s", target.name, message.title)
        with archive.write() as conn:  # past the events it does not want, too
            outbox.mark_sent(conn, target.name, events[-1].id)


def message_for(archive: Archive, event: outbox.Event) -> Message:
    if event.kind == "source-failing":
        return Message(
            f"Source failing: {event.source}", f"Since {event.at}: {event.detail or 'failed'}"
        )
    if event.kind == "source-recovered":
        return Message(f"Source working again: {event.source}", f"Since {event.at}.")
    if event.document_id is None:
        raise BriefingsError(f"notify event {event.id} ({event.kind}) names no document")
    try:
        change = change_of(archive, event.document_id, event.version, event.at)
        return Message(change_title(change), change_text(archive, change))
    except ArchiveError as error:
        # Told as it is rather than never: a record the archive cannot read must not hold
        # every later event of this target back for ever.
        return Message(
            f"{event.kind}: document {event.document_id}",
            f"{event.at}: version {event.version or '-'}; it cannot be read: {error}",
        )


def digest(archive: Archive, events: Sequence[outbox.Event]) -> Message:
    """One message for many events: each one's title and body, in order, up to a size."""
    counts = Counter(event.kind for event in events)
    title = f"{len(events)} briefing events: " + ", ".join(f"{n} {k}" for k, n in counts.items())
    parts: list[str] = []
    size = 0
    for index, event in enumerate(events):
        message = message_for(archive, event)
        part = f"{index + 1}. {message.title}\n{message.body}"
        if size + len(part) > MAX_BODY_CHARS:
            parts.append(f"… and {len(events) - index} more: see `briefings changes`")
            break
        parts.append(part)
        size += len(part)
    return Message(title, "\n\n".join(parts))


@dataclass(frozen=True)
class TargetStatus:
    """What `briefings notify` shows of a target, as of the daemon's last run."""

    name: str
    pending: int | None  # events it wants and was not sent; None: the daemon never ran for it
    failures: int
    last_error: str | None
    last_attempt: str | None

    def describe(self) -> str:
        if self.pending is None:
            return f"{self.name}: not started yet (the daemon starts it at its next run)"
        line = f"{self.name}: {self.pending} event{'' if self.pending == 1 else 's'} waiting"
        if self.last_attempt:
            line += f"; last sent or tried {self.last_attempt}"
        if self.failures:
            sends = f"{self.failures} failed send{'' if self.failures == 1 else 's'}"
            line += f"; {sends} in a row, last: {self.last_error}"
        return line


def target_status(archive: Archive, targets: Sequence[Notify]) -> list[TargetStatus]:
    states = outbox.target_states(archive.conn)
    found = []
    for target in targets:
        state = states.get(target.name)
        if state is None:
            found.append(TargetStatus(target.name, None, 0, None, None))
            continue
        waiting = [e for e in outbox.pending(archive.conn, target.name) if e.kind in target.events]
        found.append(TargetStatus(target.name, len(waiting), state.failures, state.last_error,
                                  state.last_attempt))  # fmt: skip
    return found

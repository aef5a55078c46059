"""One daemon per archive: an exclusive `flock` on a lock file beside the archive.

The lock is `fcntl.flock` on `<archive>.lock` (for `archive.db`: `archive.db.lock`), not the
file's existence: the kernel drops the lock when its holder exits, however it exits, so the lock
of a daemon that was killed (`kill -9`, a crash, a reboot) is taken over by the next one without
anyone deleting files. The file holds the holder's PID so the refusal can name it. Manual commands
(`briefings fetch`) do not take the lock: SQLite's own locking lets them write beside the daemon.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from worker.errors import ArchiveLocked

_LOCK_TRIES = 5


def lock_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".lock")


@contextmanager
def hold_archive_lock(db_path: Path) -> Iterator[Path]:
    """Hold the archive's lock for the `with` block; raise `ArchiveLocked` if another has it.

    Yields the lock file's path. Locks are per open file, so a second `with` in the same process
    is refused too.
    """
    path = lock_path(db_path)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        if not _lock_soon(fd):
            holder = _read_pid(fd)
            who = f"PID {holder}" if holder else "another process"
            raise ArchiveLocked(
                f"{path}: the archive is in use by another daemon ({who}); stop it first"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        try:
            yield path
        finally:
            # Emptied, not removed: unlinking a lock file races with the next taker opening it.
            os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # closing the descriptor releases the flock


def _lock_soon(fd: int) -> bool:
    """Take the exclusive lock, trying for half a second: `briefings status` holds a shared
    lock for an instant to see whether a daemon runs, and must not stop one from starting."""
    for attempt in range(_LOCK_TRIES):
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if attempt + 1 < _LOCK_TRIES:
                time.sleep(0.1)
    return False


@dataclass(frozen=True)
class DaemonInfo:
    """Whether a daemon holds the archive's lock now, and the PID its lock file names."""

    running: bool
    pid: int | None
    lock: str


def daemon_info(db_path: Path) -> DaemonInfo:
    """Ask the lock itself, not the PID alone (a PID may have been reused): a shared lock is
    refused while a daemon holds the exclusive one. Read-only: creates no file."""
    path = lock_path(db_path)
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return DaemonInfo(running=False, pid=None, lock=str(path))
    try:
        pid = _read_pid(fd)
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return DaemonInfo(running=True, pid=pid, lock=str(path))
        fcntl.flock(fd, fcntl.LOCK_UN)
        return DaemonInfo(running=False, pid=pid, lock=str(path))
    finally:
        os.close(fd)


def _read_pid(fd: int) -> int | None:
    text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    return int(text) if text.isdigit() else None

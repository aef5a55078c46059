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
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from worker.errors import ArchiveLocked


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
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
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


def _read_pid(fd: int) -> int | None:
    text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    return int(text) if text.isdigit() else None

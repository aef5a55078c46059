"""The connection to one archive file: PRAGMAs, migrations and write transactions.

An `Archive` owns one SQLite connection and belongs to the thread that opened it; each thread
or process opens its own, with its own cache of capture dictionaries. Every connection gets WAL
(readers never block the writer), a 30 s busy timeout and foreign keys; a new file gets 8 KiB
pages and full auto-vacuum. Writes go through `write()`, which opens the transaction with
`BEGIN IMMEDIATE`: a deferred transaction that later needs the write lock fails at once with
"database is locked" when another process writes, whatever the busy timeout.

The recheck policy (when a document is fetched again) is given once, when the archive is opened:
every store call reschedules with it.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from urllib.parse import quote

import sqlite_utils

from worker.archive import migrations
from worker.archive.captures import Dictionaries
from worker.config import RecheckPolicy
from worker.errors import ArchiveError

BUSY_TIMEOUT = 30.0  # seconds a writer waits for another writer before giving up
PAGE_SIZE = 8192  # rows of 1-4 KB (captures, index blocks) pack into 4 KB pages poorly


def _writable(path: Path) -> bool:
    """Whether this process may write the archive and, beside it, its WAL files."""
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)


class Archive:
    """An open archive. Use `Archive.open(path)`, as a context manager or with `close()`."""

    def __init__(
        self, path: Path, conn: sqlite3.Connection, policy: RecheckPolicy | None = None
    ) -> None:
        self.path = path
        self.conn = conn
        self.db = sqlite_utils.Database(conn)
        self.dictionaries = Dictionaries()  # prepared bases for captures (captures.py)
        self.policy = policy or RecheckPolicy()  # when stored documents are checked again

    @classmethod
    def open(cls, path: Path, policy: RecheckPolicy | None = None) -> Archive:
        """Open (creating if needed) the archive at `path` and bring its schema up to date;
        `policy` schedules the rechecks of what is stored through it (default: the built-in).

        A file this process cannot write (read-only permissions, a read-only disk or snapshot) is
        opened read-only instead, so that it can still be read; a write then fails in one line.
        """
        if path.is_file() and not _writable(path):
            return cls._open_read_only(path, policy)
        try:
            conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT, isolation_level=None)
        except sqlite3.Error as error:
            raise ArchiveError(f"{path}: cannot open archive: {error}") from None
        archive = cls(path, conn, policy)
        try:
            archive._configure()
            if migrations.schema_version(conn) != migrations.SCHEMA_VERSION:
                archive._upgrade()
        except sqlite3.DatabaseError as error:
            conn.close()
            if "locked" in str(error):  # past the busy timeout: a long upgrade, say
                raise ArchiveError(
                    f"{path}: another process has held the archive for over"
                    f" {BUSY_TIMEOUT:.0f} s (upgrading it?); try again when it is done"
                ) from None
            raise ArchiveError(f"{path}: not a usable archive: {error}") from None
        except ArchiveError:
            conn.close()
            raise
        return archive

    @classmethod
    def _open_read_only(cls, path: Path, policy: RecheckPolicy | None) -> Archive:
        # WAL needs its -shm file beside the archive: where the folder is read-only too, the
        # file is opened as immutable (nothing can be writing to it there).
        folder_writable = os.access(path.parent, os.W_OK)
        mode = "mode=ro" if folder_writable else "immutable=1"
        uri = f"file:{quote(str(path.resolve()))}?{mode}"
        try:
            conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT, isolation_level=None)
            conn.execute("PRAGMA foreign_keys = ON")
            version = migrations.schema_version(conn)
        except sqlite3.DatabaseError as error:
            raise ArchiveError(f"{path}: not a usable archive (read-only): {error}") from None
        if version != migrations.SCHEMA_VERSION:
            conn.close()
            raise ArchiveError(
                f"{path}: read-only archive at schema {version}, this worker reads schema"
                f" {migrations.SCHEMA_VERSION}: upgrade a writable copy first (any command does)"
            )
        return cls(path, conn, policy)

    def _configure(self) -> None:
        # busy_timeout first: switching to WAL itself may wait for another opener.
        self.conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT * 1000)}")
        # Only a new, empty file takes a page size and auto-vacuum, and only before WAL mode.
        self.conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")
        # FTS5 merges its segments as it grows and frees the old ones' pages: give them back
        # to the file at each commit rather than leave them free (~8% of a fresh archive).
        self.conn.execute("PRAGMA auto_vacuum = FULL")
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute("PRAGMA synchronous = NORMAL")
        self.conn.execute("PRAGMA foreign_keys = ON")

    def _upgrade(self) -> None:
        """Run the missing migrations in one write transaction, foreign keys off and legacy
        renames on: a migration may rebuild a table, as SQLite's procedure for it does
        (`upgrade` checks the foreign keys before committing)."""
        self.conn.execute("PRAGMA foreign_keys = OFF")  # a no-op inside a transaction
        # A rebuilt table is renamed into place: leave the views that name it as they are.
        self.conn.execute("PRAGMA legacy_alter_table = ON")
        try:
            with self.write():
                migrations.upgrade(self.conn, str(self.path))
        finally:
            self.conn.execute("PRAGMA legacy_alter_table = OFF")
            self.conn.execute("PRAGMA foreign_keys = ON")

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: BEGIN IMMEDIATE … COMMIT, ROLLBACK if the block raises.

        A `write()` inside another joins the outer transaction.
        """
        if self.conn.in_transaction:
            yield self.conn
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

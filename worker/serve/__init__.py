"""The web view (`briefings serve`): Datasette over the live archive, read-only.

Datasette opens the file itself, with read-only connections (`mode=ro`), so the daemon may go on
writing while people read and nothing served can write. The worker adds its metadata (titles,
descriptions, facets, canned queries: `metadata.py`) and a page per briefing version and its diff
through Datasette's plugin hooks and templates (`plugin.py`, `templates/`). Datasette is the
`serve` extra; `check_archive` runs before it is needed, so a bad file is one line either way.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from worker.archive.migrations import SCHEMA_VERSION
from worker.errors import ArchiveError, BriefingsError

TEMPLATES = Path(__file__).parent / "templates"
INSTALL = "pip install -e '.[serve]'  (or: pip install 'datasette>=0.65')"
_TABLES = {"documents", "versions", "passages", "passages_fts", "texts"}


class DatasetteMissing(BriefingsError):
    """The `serve` extra is not installed."""


def check_archive(path: Path) -> None:
    """Refuse, in one line, a file that is not an archive at this worker's schema; opened
    read-only, so even a refused file is left as it was."""
    if not path.is_file():
        raise ArchiveError(f"{path}: no such archive (make one with `briefings run` or `briefings demo`)")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        finally:
            conn.close()
    except sqlite3.Error as error:
        raise ArchiveError(f"{path}: not an archive: {error}") from None
    if version < SCHEMA_VERSION and names:
        raise ArchiveError(
            f"{path}: archive schema {version} is older than this worker's ({SCHEMA_VERSION});"
            " upgrade it once with `briefings status`"
        )
    if version > SCHEMA_VERSION:
        raise ArchiveError(
            f"{path}: archive schema {version} is newer than this worker's ({SCHEMA_VERSION});"
            " upgrade the worker"
        )
    if not names >= _TABLES:
        raise ArchiveError(f"{path}: not an archive (it has no briefings tables)")


def make_datasette(path: Path) -> Any:
    """A Datasette instance over the archive at `path`, with the worker's metadata and pages."""
    try:
        from datasette.app import Datasette
        from datasette.plugins import pm
    except ImportError:
        raise DatasetteMissing(f"`briefings serve` needs Datasette: {INSTALL}") from None
    from worker.serve import metadata, plugin

    if not pm.is_registered(plugin):  # Datasette's plugin manager is one per process
        pm.register(plugin, name="briefings")
    datasette = Datasette(
        files=[str(path)],
        metadata=metadata.metadata(path.stem),
        template_dir=str(TEMPLATES),
        settings={"suggest_facets": False},
    )
    return datasette


def serve(path: Path, host: str, port: int, say: Any = print) -> None:
    """Serve the archive at http://host:port until interrupted (Ctrl-C)."""
    check_archive(path)
    datasette = make_datasette(path)
    import uvicorn

    say(f"Serving {path} (read-only) at http://{host}:{port}/ ; Ctrl-C stops.")
    uvicorn.run(datasette.app(), host=host, port=port, log_level="warning")


class Running:
    """A web view served from a background thread (`briefings demo --serve`)."""

    def __init__(self, path: Path, host: str, port: int) -> None:
        import threading

        import uvicorn

        check_archive(path)
        config = uvicorn.Config(make_datasette(path).app(), host=host, port=port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.url = f"http://{host}:{port}/"
        self.thread = threading.Thread(target=self.server.run, name="web-view", daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=5)

"""The `briefings` command line: each command parses options, makes one library call, prints.

    group.py       the `briefings` group: global options, errors → one line and an exit code, logging
    reading.py     search, show, versions, list, changes, diff, export: reading the archive
    archiving.py   parse, fetch, backfill, reparse, forget, run, status: filling it
    serving.py     serve, notify, demo: handing it on
    progress.py    the progress bar of a long command on a terminal

Importing this package stays light (no daemon, APScheduler, Datasette or NumPy): each command
imports what it needs when it runs.
"""

from worker.cli import archiving, reading, serving  # noqa: F401  (each registers its commands)
from worker.cli.group import main

__all__ = ["main"]

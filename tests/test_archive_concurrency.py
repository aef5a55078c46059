"""Two processes writing into one archive at once (a manual `fetch` beside the daemon): no
"database is locked", no duplicate documents or versions, and an intact file afterwards."""

from __future__ import annotations

import itertools
import json
import multiprocessing
import multiprocessing.synchronize
from dataclasses import replace
from pathlib import Path

from worker.archive import Archive, store_page
from worker.page import Page
from worker.record import Record

SEED = Path(__file__).parent / "fixtures" / "pages" / "globalsecurity-2020-11-05.json"
SAME = "https://mid.ru/en/same/"  # both processes store one identical record here
FLIP = "https://mid.ru/en/flip/"  # both alternate between two records here
CALLS = 50


def writer(path: str, name: str, start: multiprocessing.synchronize.Event) -> None:
    with open(SEED, encoding="utf-8") as file:
        seed = Record.from_dict(json.load(file))
    variants = (seed, replace(seed, title=seed.title + " (corrected)"))
    start.wait()
    with Archive.open(Path(path)) as archive:
        for i in range(CALLS):
            if i % 3 == 0:
                url, record = SAME, seed
            elif i % 3 == 1:
                url, record = FLIP, variants[(i // 3) % 2]
            else:
                url, record = f"https://mid.ru/en/{name}/{i}/", seed
            page = Page.from_bytes(f"<html>{url} {i}</html>".encode(), url=url)
            store_page(
                archive, page, record.with_url(url), source=name, parser_version="p1", duration=0.01
            )


def test_two_processes_write_at_once(tmp_path: Path) -> None:
    path = tmp_path / "archive.db"  # created by the racing writers themselves
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    writers = [context.Process(target=writer, args=(str(path), name, start)) for name in ("a", "b")]
    for process in writers:
        process.start()
    start.set()
    for process in writers:
        process.join(timeout=120)
    assert [p.exitcode for p in writers] == [0, 0]

    with Archive.open(path) as archive:
        query = archive.conn.execute
        assert query("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert query("PRAGMA foreign_key_check").fetchall() == []
        assert query("SELECT count(*) FROM fetches").fetchone() == (2 * CALLS,)
        distinct_urls = 2 * len([i for i in range(CALLS) if i % 3 == 2])
        assert query("SELECT count(*) FROM documents").fetchone() == (distinct_urls + 2,)
        assert query("SELECT count(DISTINCT canonical_url) FROM documents").fetchone() == (
            distinct_urls + 2,
        )
        same = query(
            "SELECT number FROM versions JOIN documents ON documents.id = document_id"
            " WHERE canonical_url = ?",
            (SAME,),
        ).fetchall()
        assert same == [(1,)]
        flips = query(
            "SELECT number, identity FROM versions JOIN documents"
            " ON documents.id = document_id WHERE canonical_url = ? ORDER BY number",
            (FLIP,),
        ).fetchall()
        assert [n for n, _ in flips] == list(range(1, len(flips) + 1))
        assert all(a[1] != b[1] for a, b in itertools.pairwise(flips))
        outcomes = dict(query("SELECT outcome, count(*) FROM fetches GROUP BY outcome").fetchall())
        assert outcomes["new"] == distinct_urls + 2
        assert outcomes["changed"] == len(flips) - 1

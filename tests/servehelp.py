"""`briefings serve` as a real subprocess on 127.0.0.1, over an archive built from the fixtures:
the schema-2 archive in tests/data (every imitation page, one briefing edited twice), upgraded,
plus the real pages' golden records (tests/fixtures/real) stored as versions of their own."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from conftest import store_record

from worker.archive import Archive
from worker.record import Record

TESTS = Path(__file__).parent
REAL = TESTS / "fixtures" / "real"


def fixture_archive(folder: Path) -> Path:
    path = folder / "archive.db"
    path.write_bytes((TESTS / "data" / "schema2.db").read_bytes())
    with Archive.open(path) as archive:
        for golden in sorted(REAL.glob("*.json")) if REAL.is_dir() else []:
            html = REAL / "pages" / f"{golden.stem}.html"
            data = json.loads(golden.read_text(encoding="utf-8"))
            if "sections" not in data or not html.is_file():
                continue
            record = Record.from_dict(data)
            url = record.url or f"https://real.example/{golden.stem}"
            store_record(archive, record, url=url, body=html.read_bytes(), source=None,
                         parser_version="golden", duration=0.0)  # fmt: skip
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(path: Path, *args: str) -> Iterator[str]:
    """`briefings --db PATH serve` until the block ends; yields its base URL once it answers."""
    port = free_port()
    command = [sys.executable, "-m", "worker", "--db", str(path), "serve", "--port", str(port)]
    # Its output goes to a file: a pipe nobody reads would fill and stall the server.
    log = path.with_name(f"serve-{port}.log")
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [*command, *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(base + "/-/versions.json", timeout=2)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    output = log.read_text(errors="replace")
                    raise RuntimeError(f"serve did not start: {output}") from None
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)

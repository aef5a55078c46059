"""What the tests share: fixture loaders, an archive writer, the local site's markup, config writers.

Test modules import the helpers (`from conftest import write_config, ...`); `archive` and
`local_server` are pytest fixtures.

Hypothesis profiles: `ci` (the default) draws the same examples on every run, so the suite
never fails by the luck of a draw; `explore` draws new ones, many more, to look for bugs:
`HYPOTHESIS_PROFILE=explore .venv/bin/python -m pytest tests/test_archive_queries.py`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from httpserver import LocalServer
from hypothesis import settings

from worker.archive import Archive, store_page
from worker.archive.models import StoreResult
from worker.page import Page
from worker.record import Record

settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("explore", max_examples=2000, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
PAGES = FIXTURES / "pages"
HTML = {"Content-Type": "text/html; charset=utf-8"}

# ---- fixture loaders ------------------------------------------------------------------------------


def fixture_html(name: str) -> bytes:
    """The imitation page `tests/fixtures/pages/<name>.html`."""
    return (PAGES / f"{name}.html").read_bytes()


def fixture_record(name: str) -> Record:
    """The expected record of the imitation page `name` (`tests/fixtures/pages/<name>.json`)."""
    return Record.from_dict(json.loads((PAGES / f"{name}.json").read_text(encoding="utf-8")))


# ---- an archive writer ----------------------------------------------------------------------------


@pytest.fixture
def archive(tmp_path: Path) -> Iterator[Archive]:
    """A new, empty archive in the test's folder."""
    with Archive.open(tmp_path / "archive.db") as opened:
        yield opened


def store_record(
    archive: Archive,
    record: Record,
    *,
    url: str | None = None,
    body: bytes | None = None,
    now: str | None = None,
    source: str | None = "test",
    headers: dict[str, str] | None = None,
    parser_version: str = "p1",
    duration: float = 0.1,
) -> StoreResult:
    """Store `record` as if fetched from `url` (default: the record's own) at `now`; its capture is
    `body` (default: the record's JSON, enough where the capture's bytes do not matter)."""
    page = Page.from_bytes(
        record.to_json().encode() if body is None else body,
        url=url or record.url,
        headers=headers,
        fetched_at=now,
    )
    return store_page(
        archive,
        page,
        record,
        source=source,
        parser_version=parser_version,
        duration=duration,
        now=now,
    )


# ---- the local site -------------------------------------------------------------------------------

LISTING = "/en/press_service/spokesman/briefings/"  # a mid.ru-style listing's path


def midru_listing(*paths: str) -> bytes:
    """A listing page in mid.ru's markup linking to `paths` (the mid.ru profile reads it)."""
    items = "".join(
        f'<li class="announce__item"><a class="announce__link" href="{p}">Briefing</a></li>'
        for p in paths
    )
    return f'<html><body><ul class="announce announce_articles">{items}</ul></body></html>'.encode()


@pytest.fixture
def local_server() -> Iterator[LocalServer]:
    """A real HTTP server on 127.0.0.1 that answers 404 until the test routes its paths."""
    with LocalServer() as server:
        yield server


# ---- config writers -------------------------------------------------------------------------------

# No pacing and no retries: a test that checks either sets its own.
FAST = {"min_interval": 0, "retries": 0, "timeout": "5s", "deadline": "10s"}


def toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        # A literal string keeps a pattern's backslashes as they are.
        return f"'{value}'" if "'" not in value and "\n" not in value else json.dumps(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    if isinstance(value, Mapping):  # an inline table: `schedule = { interval = "1s" }`
        return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"no TOML for {value!r}")


def toml_table(header: str, values: Mapping[str, object]) -> str:
    lines = "".join(f"{key} = {toml_value(value)}\n" for key, value in values.items())
    return f"{header}\n{lines}"


def write_config(
    folder: Path,
    listing_url: str | None = None,
    *,
    name: str = "sample",
    site: str = "mid.ru",
    link_pattern: str = r"/briefings/\d+/$",
    politeness: Mapping[str, object] | None = None,
    source: Mapping[str, object] | None = None,
    extra: str = "",
) -> Path:
    """`folder/worker.toml`: the archive `folder/archive.db`, the `FAST` politeness (updated by
    `politeness`), one source reading `listing_url` on 127.0.0.1 (with `source`'s further keys;
    none without a listing URL), then `extra` (TOML text: `[recheck]`, `[[notify]]`, ...)."""
    text = f"archive = {toml_value(str(folder / 'archive.db'))}\n\n"
    text += toml_table("[politeness]", {**FAST, **(politeness or {})})
    if listing_url is not None:
        keys: dict[str, object] = {
            "name": name,
            "site": site,
            "listing_urls": [listing_url],
            "link_pattern": link_pattern,
            "allowed_hosts": ["127.0.0.1"],
            **(source or {}),
        }
        text += "\n" + toml_table("[[sources]]", keys)
    path = folder / "worker.toml"
    path.write_text(text + extra, encoding="utf-8")
    return path

"""`briefings export --format warc` and `show --raw`: the captures come back byte for byte.

The export is read back with warcio's own tools, `warcio check` (digests) and `ArchiveIterator`
(every record parsed), and each record's payload is compared with the stored capture.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import PAGES
from warcio.archiveiterator import ArchiveIterator
from warcio.cli import main as warcio_main

from worker.archive import Archive, store_page
from worker.cli import main
from worker.page import Page
from worker.record import Record

NAMES = ("midru-2024-05-29", "globalsecurity-2020-11-05", "midru-ru-2020-11-05-cp1251")


@pytest.fixture
def archive_path(tmp_path: Path) -> Path:
    """Three briefings, one fetched twice with an edit: four captures."""
    path = tmp_path / "archive.db"
    with Archive.open(path) as archive:
        for day, name in enumerate(NAMES, start=1):
            record = Record.from_dict(json.loads((PAGES / f"{name}.json").read_text("utf-8")))
            body = (PAGES / f"{name}.html").read_bytes()
            headers = {"Content-Type": "text/html", "Content-Encoding": "gzip", "ETag": '"x"'}
            page = Page.from_bytes(body, url=f"https://example.org/{name}", headers=headers,
                                   fetched_at=f"2024-06-0{day}T10:00:00+00:00")  # fmt: skip
            store_page(archive, page, record, source=None, parser_version="p1", duration=0.1)
        name = NAMES[0]
        record = Record.from_dict(json.loads((PAGES / f"{name}.json").read_text("utf-8")))
        edited = Record.from_dict({**record.to_dict(), "title": record.title + " (edited)"})
        body = (PAGES / f"{name}.html").read_bytes().replace(b"</body>", b"<p>x</p></body>")
        page = Page.from_bytes(body, url=f"https://example.org/{name}", status=200,
                               fetched_at="2024-06-09T10:00:00+00:00")  # fmt: skip
        store_page(archive, page, edited, source=None, parser_version="p1", duration=0.1)
    return path


def captures(path: Path) -> dict[str, list[bytes]]:
    from worker.archive.follow import iter_captures

    found: dict[str, list[bytes]] = {}
    with Archive.open(path) as archive:
        for capture in iter_captures(archive):
            found.setdefault(capture.url, []).append(capture.body)
    return found


def test_export_warc_passes_warcio_check_and_gives_every_capture_back(
    archive_path: Path, tmp_path: Path
) -> None:
    out = tmp_path / "export.warc.gz"
    result = CliRunner().invoke(
        main, ["--db", str(archive_path), "export", "--format", "warc", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "4 captures written" in result.stderr
    with pytest.raises(SystemExit) as checked:
        warcio_main(["check", "-v", str(out)])
    assert checked.value.code == 0

    payloads: dict[str, list[bytes]] = {}
    with out.open("rb") as stream:
        records = list(_read(stream))
    assert records[0][0] == "warcinfo"
    for kind, uri, date, status, headers, payload in records[1:]:
        assert kind == "response"
        assert date.startswith("2024-06-0") and date.endswith("Z")
        assert status == "200"
        assert headers.get_header("Content-Length") == str(len(payload))
        payloads.setdefault(uri, []).append(payload)
    assert payloads == captures(archive_path)
    assert len(records) == 5


def _read(stream: object) -> list[tuple[str, str, str, str, object, bytes]]:
    read = []
    for record in ArchiveIterator(stream):
        assert record.rec_headers.protocol == "WARC/1.1"
        uri = record.rec_headers.get_header("WARC-Target-URI") or ""
        date = record.rec_headers.get_header("WARC-Date") or ""
        status = record.http_headers.get_statuscode() if record.http_headers else ""
        if record.rec_type == "response":
            assert record.rec_headers.get_header("WARC-Payload-Digest", "").startswith("sha1:")
        read.append((record.rec_type, uri, date, status, record.http_headers,
                     record.content_stream().read()))  # fmt: skip
    return read


def test_decoded_bodies_do_not_claim_their_transfer_encoding(
    archive_path: Path, tmp_path: Path
) -> None:
    out = tmp_path / "export.warc"
    args = ["--db", str(archive_path), "export", "--format", "warc", "--out", str(out)]
    assert CliRunner().invoke(main, args).exit_code == 0
    with out.open("rb") as stream:
        first = next(r for r in _read(stream) if r[0] == "response")
    headers = first[4]
    assert headers.get_header("Content-Encoding") is None  # the kept bytes are not gzipped
    assert headers.get_header("X-Archive-Orig-Content-Encoding") == "gzip"
    assert headers.get_header("Etag") == '"x"'


def test_export_warc_since_and_site(archive_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "since.warc.gz"
    args = ["--db", str(archive_path), "export", "--format", "warc", "--since", "2024-06-03",
            "--site", "mid.ru", "--out", str(out)]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    with out.open("rb") as stream:
        uris = [r[1] for r in _read(stream) if r[0] == "response"]
    assert uris == ["https://example.org/midru-ru-2020-11-05-cp1251",
                    "https://example.org/midru-2024-05-29"]  # fmt: skip


def test_site_without_warc_is_a_usage_error(archive_path: Path) -> None:
    result = CliRunner().invoke(main, ["--db", str(archive_path), "export", "--site", "mid.ru"])
    assert result.exit_code == 2
    assert "--site works with --format warc only" in result.stderr


def test_show_raw_prints_the_bytes_of_each_version(archive_path: Path) -> None:
    url = "https://example.org/midru-2024-05-29"
    first = (PAGES / "midru-2024-05-29.html").read_bytes()
    for args, expected in (
        (["--version", "1"], first),
        ([], first.replace(b"</body>", b"<p>x</p></body>")),
    ):
        result = CliRunner().invoke(main, ["--db", str(archive_path), "show", url, "--raw", *args])
        assert result.exit_code == 0, result.output
        assert result.stdout_bytes == expected

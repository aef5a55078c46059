"""Commands that only read the archive get an offline context: no HTTP client of the network's
(loading the CA certificates costs about 0.2 s, most of a search), and one that never fetches."""

from __future__ import annotations

from pathlib import Path

import pytest

from worker.config import WorkerConfig
from worker.pipeline import open_context


def test_an_offline_context_never_fetches(tmp_path: Path) -> None:
    config = WorkerConfig(path=None, archive=tmp_path / "archive.db")
    with open_context(config, offline=True) as ctx, pytest.raises(RuntimeError, match="never"):
        ctx.fetcher.fetch("http://127.0.0.1:9/page")

"""Hypothesis profiles: `ci` (the default) draws the same examples on every run, so the suite
never fails by the luck of a draw; `explore` draws new ones, many more, to look for bugs:
`HYPOTHESIS_PROFILE=explore .venv/bin/python -m pytest tests/test_archive_queries.py`."""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("explore", max_examples=2000, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

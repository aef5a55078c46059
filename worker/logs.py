"""Logging to stderr: readable text for people, JSON lines for log collectors.

`setup_logging(level, "text")` prints `2025-07-17 09:30:02 INFO  worker.daemon: message key=value`;
`"json"` (`--log-format json`) prints one object a line with `ts`, `level`, `logger`, `msg` and
any fields the call passed with `extra=` (`url`, `outcome`, `source`, ...), so a daemon's runs and
failures can be filtered by field rather than by parsing sentences. Standard output stays free
for the commands' own results.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Literal

LogFormat = Literal["text", "json"]

# Attributes every LogRecord has; anything else on a record came from `extra=`.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
}


def setup_logging(level: int | str, fmt: LogFormat = "text") -> None:
    """Send the worker's log records to stderr in `fmt`, replacing any earlier setup."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    for old in root.handlers[:]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # httpx logs every request and APScheduler every job start at INFO; the fetch stage and the
    # daemon log what matters about them, so these speak only when asked for debugging.
    quiet = logging.NOTSET if root.level <= logging.DEBUG else logging.WARNING
    for name in ("httpx", "httpcore", "apscheduler"):
        logging.getLogger(name).setLevel(quiet)


def extra_fields(record: logging.LogRecord) -> dict[str, object]:
    return {k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")}


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-5s %(name)s: %(message)s", "%Y-%m-%d %H:%M:%S")

    def formatMessage(self, record: logging.LogRecord) -> str:
        line = super().formatMessage(record)
        # Fields the message already says (the URL, the outcome) would only repeat it.
        message = record.getMessage()
        fields = {
            k: v for k, v in extra_fields(record).items() if v is not None and str(v) not in message
        }
        if fields:
            line += " " + " ".join(f"{k}={_quoted(v)}" for k, v in fields.items())
        return line


def _quoted(value: object) -> str:
    text = str(value)
    return (
        json.dumps(text, ensure_ascii=False) if not text or any(c.isspace() for c in text) else text
    )


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        entry.update(extra_fields(record))
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)

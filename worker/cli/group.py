"""The `briefings` group: global options, the errors every command may raise, logging.

`Options` resolves `--config` and `--db` lazily, so `parse` works without any config file.
`BriefingsGroup` turns every error into one line naming what is at fault and an exit code:
0 ok, 1 operational failure (network, archive, daemon), 2 usage or input error (bad file, bad
config, refused page, unknown document). Never a traceback.

Logging goes to stderr, as readable text for people or JSON lines for log collectors:
`setup_logging(level, "text")` prints `2025-07-17 09:30:02 INFO  worker.daemon: message key=value`;
`"json"` (`--log-format json`) prints one object a line with `ts`, `level`, `logger`, `msg` and
any fields the call passed with `extra=` (`url`, `outcome`, `source`, ...), so a daemon's runs and
failures can be filtered by field rather than by parsing sentences. Standard output stays free
for the commands' own results.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import sys
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NoReturn

import click

from worker.config import DEFAULT_CONFIG_PATH, WorkerConfig, bundled_config_path, load_config
from worker.errors import (
    BadURL,
    BriefingsError,
    ConfigError,
    DocumentNotFound,
    ExtractError,
    SearchQueryError,
    VersionNotFound,
    shown,
)
from worker.profiles import Profiles, load_profiles

if TYPE_CHECKING:
    from worker.pipeline import Context

# The largest id or number SQLite stores: a larger one is a usage error, not an OverflowError.
MAX_NUMBER = 2**63 - 1
NUMBER = click.IntRange(min=1, max=MAX_NUMBER)
# Input errors are the user's to fix (exit 2); the rest are operational (exit 1).
_INPUT_ERRORS: tuple[type[BriefingsError], ...] = (
    BadURL,
    ConfigError,
    ExtractError,
    DocumentNotFound,
    VersionNotFound,
    SearchQueryError,
)


@dataclass
class Options:
    """The global options, resolved lazily so `parse` works without any config file."""

    config_path: Path
    config_explicit: bool
    db: Path | None
    verbosity: int
    _config: WorkerConfig | None = None
    _profiles: Profiles | None = None

    @property
    def config(self) -> WorkerConfig:
        if self._config is None:
            if not self.config_explicit and not self.config_path.exists():
                # Installed outside a checkout (pipx, a wheel): the bundled config, said so.
                self.config_path = bundled_config_path()
                logging.getLogger("worker.cli").warning(
                    "no %s here: using the bundled config %s", DEFAULT_CONFIG_PATH, self.config_path
                )
            if self.config_path.exists() or self.config_explicit:
                # Read twice: the first read says where the site profiles are, the second checks
                # every source's `site` against them, so a typo stops the start with its key.
                first = load_config(self.config_path)
                self._profiles = load_profiles(first.sites_dir)
                self._config = load_config(self.config_path, known_sites=self._profiles.names)
                _check_listing_rules(self._config, self._profiles)
            else:
                self._config = WorkerConfig(path=None)
        return self._config

    @property
    def profiles(self) -> Profiles:
        if self._profiles is None:
            self._profiles = load_profiles(self.config.sites_dir)
        return self._profiles

    @property
    def archive_path(self) -> Path:
        return self.db or self.config.archive

    def existing_archive(self) -> Path:
        """The archive for a command that only reads: a mistyped `--db` must not make a new one."""
        path = self.archive_path
        if not path.is_file():
            raise ConfigError(
                str(path), "--db", "no such archive (fetch or run first, or check the path)"
            )
        return path


def _check_listing_rules(config: WorkerConfig, profiles: Profiles) -> None:
    """Every source's profile must say how to read its listings, or its runs could only fail."""
    for index, source in enumerate(config.sources):
        first = source.listing_urls[0] if source.listing_urls else None
        profile = profiles.choose(first, source.site)
        if profile.listing is None:
            key = f"sources[{index}].site"
            raise ConfigError(
                str(config.path), key, f"profile {profile.name!r} has no [listing] rules"
            )


def fail(error: BriefingsError) -> NoReturn:
    click.echo(f"error: {shown(str(error), 1000)}", err=True)
    sys.exit(2 if isinstance(error, _INPUT_ERRORS) else 1)


class BriefingsGroup(click.Group):
    """Turns errors into one line naming what is at fault, and an exit code; never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BriefingsError as error:
            fail(error)
        except click.UsageError as error:
            # One line like every other error (click's own form adds a usage block).
            hint = f" (see `briefings {error.ctx.info_name} --help`)" if error.ctx else ""
            click.echo(f"error: {shown(error.format_message(), 1000)}{hint}", err=True)
            sys.exit(2)
        except BrokenPipeError:
            # The reader of the output went away (`briefings export | head`): stop quietly, as
            # the Python docs advise: no message, and no second error when stdout is flushed.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            sys.exit(1)
        except OSError as error:
            # A path the user gave (--out, --db, --config) that cannot be opened or written; with
            # no file named (a full disk under SQLite), the archive is what failed.
            archive = ctx.obj.archive_path if isinstance(ctx.obj, Options) else "archive"
            where = error.filename or archive
            click.echo(f"error: {shown(str(where))}: {error.strerror or error}", err=True)
            sys.exit(2 if error.filename else 1)
        except sqlite3.DatabaseError as error:
            archive = ctx.obj.archive_path if isinstance(ctx.obj, Options) else "archive"
            click.echo(f"error: {archive}: {shown(str(error))}", err=True)
            sys.exit(1)


@click.group(cls=BriefingsGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    default=None,
    help=f"Worker config (default: {DEFAULT_CONFIG_PATH}).",
)
@click.option(
    "--db",
    type=click.Path(path_type=Path),
    default=None,
    help="Archive file (default: the config's `archive`, archive.db).",
)
@click.option("-v", "--verbose", count=True, help="More log output (repeatable).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors.")
@click.version_option(package_name="briefings-worker")
@click.pass_context
def main(
    ctx: click.Context, config_path: Path | None, db: Path | None, verbose: int, quiet: bool
) -> None:
    """Archive government briefings: discover, fetch, parse and version them in SQLite."""
    ctx.obj = Options(
        config_path=config_path or DEFAULT_CONFIG_PATH,
        config_explicit=config_path is not None,
        db=db,
        verbosity=-1 if quiet else verbose,
    )
    # Commands print their own results; the pipeline's log lines show only with -v (`run` sets
    # its own level), so a failure is not printed twice.
    setup_logging({0: logging.ERROR, 1: logging.INFO}.get(max(ctx.obj.verbosity, 0), logging.DEBUG))


def archive_context(options: Options, *, reading: bool = False) -> AbstractContextManager[Context]:
    """The pipeline's context; `reading` commands refuse an archive that does not exist."""
    from worker.pipeline import open_context

    path = options.existing_archive() if reading else options.archive_path
    return open_context(options.config, path, profiles=options.profiles, offline=reading)


def echo_json(data: object) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def log_level(options: Options) -> int:
    return {-1: logging.ERROR, 0: logging.INFO}.get(options.verbosity, logging.DEBUG)


# ---- logging ------------------------------------------------------------------------------------

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

"""Reading the worker's TOML files (the config, the site profiles): errors name file and key.

`read_toml` turns a missing, unreadable, non-UTF-8 or malformed file into one `ConfigError`;
`Table` hands out a table's values typed and checked, refusing unknown keys, so every reader
reports a bad value the same way: the file, the dotted key, what was expected.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from worker.errors import ConfigError, shown

_DURATION = re.compile(r"^\s*(\d{1,15}(?:\.\d{1,9})?)\s*(ms|s|m|h|d)?\s*$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, None: 1.0}
# Ten years: no wait, interval or age the worker deals in is longer, and every longer value
# (`"99999999999999d"`) would overflow a date or a timer somewhere down the line.
MAX_DURATION = 10 * 365 * 86400.0
# No count (retries, pages, bytes) the worker uses comes near this; larger ones overflow SQLite.
MAX_COUNT = 10**12
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def read_toml(path: Path) -> dict[str, Any]:
    """The file's TOML document; any reason it cannot be read is a `ConfigError` naming it."""
    where = str(path)
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(where, "(file)", "no such file") from None
    except OSError as error:
        raise ConfigError(where, "(file)", error.strerror or str(error)) from None
    except UnicodeDecodeError:
        raise ConfigError(where, "(file)", "not UTF-8 text") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(where, "(syntax)", str(error)) from None


def parse_duration(value: Any, where: str, key: str) -> float:
    """`90`, `1.5`, `"30s"`, `"5m"`, `"1h"`, `"7d"` → seconds."""
    if isinstance(value, bool):
        raise ConfigError(where, key, f"expected a duration such as '1h', got {value!r}")
    if isinstance(value, int | float):
        if value != value:  # NaN: TOML allows `nan`
            raise ConfigError(where, key, f"expected a duration such as '1h', got {value!r}")
        seconds = float(value)
    else:
        match = _DURATION.match(str(value))
        if not match:
            raise ConfigError(
                where, key, f"expected a duration such as '30s', '5m', '1h' or '7d', got {value!r}"
            )
        seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    if seconds < 0:
        raise ConfigError(where, key, "must not be negative")
    if seconds > MAX_DURATION:
        raise ConfigError(where, key, "longer than ten years (3650d); no duration here needs that")
    return seconds


class Table:
    """One TOML table being read: hands out typed values and refuses unknown keys."""

    def __init__(self, data: Any, where: str, prefix: str) -> None:
        if not isinstance(data, dict):
            raise ConfigError(where, prefix or "(top level)", "expected a table")
        self.data: dict[str, Any] = data
        self.where = where
        self.prefix = prefix

    def key(self, name: str) -> str:
        return f"{self.prefix}.{name}" if self.prefix else name

    def check_known(self, known: set[str]) -> None:
        for name in self.data:
            if name not in known:
                hint = ", ".join(sorted(known))
                raise ConfigError(self.where, self.key(name), f"unknown key (known: {hint})")

    def get(self, name: str, kind: type | tuple[type, ...], default: Any) -> Any:
        if name not in self.data:
            return default
        value = self.data[name]
        if isinstance(value, bool) and kind is not bool and kind != (bool,):
            raise ConfigError(
                self.where, self.key(name), f"expected {_kind_name(kind)}, got {value!r}"
            )
        if not isinstance(value, kind):
            raise ConfigError(
                self.where, self.key(name), f"expected {_kind_name(kind)}, got {shown(repr(value))}"
            )
        if isinstance(value, str):
            _check_text(value, self.where, self.key(name))
        return value

    def count(self, name: str, default: int, minimum: int = 1) -> int:
        value = int(self.get(name, int, default))
        if value < minimum:
            raise ConfigError(self.where, self.key(name), f"must be at least {minimum}")
        if value > MAX_COUNT:
            raise ConfigError(self.where, self.key(name), f"must be at most {MAX_COUNT}")
        return value

    def duration(self, name: str, default: float) -> float:
        return (
            parse_duration(self.data[name], self.where, self.key(name))
            if name in self.data
            else default
        )

    def strings(self, name: str, default: tuple[str, ...] | None = None) -> tuple[str, ...]:
        """A list of strings; without a default the key is required and must not be empty."""
        if name not in self.data:
            if default is None:
                raise ConfigError(self.where, self.key(name), "missing")
            return default
        value = self.data[name]
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise ConfigError(self.where, self.key(name), "expected a list of non-empty strings")
        for index, item in enumerate(value):
            _check_text(item, self.where, f"{self.key(name)}[{index}]")
        if not value and default is None:
            raise ConfigError(self.where, self.key(name), "must not be empty")
        return tuple(value)

    def required_str(self, name: str) -> str:
        value = self.get(name, str, None)
        if not value:
            raise ConfigError(self.where, self.key(name), "missing")
        return str(value)


def _check_text(value: str, where: str, key: str) -> None:
    """No control characters (a newline in a header value breaks every request); tabs pass."""
    found = _CONTROL.search(value)
    if found:
        raise ConfigError(
            where, key, f"contains a control character ({shown(found.group())}): {shown(value)}"
        )


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {bool: "true or false", int: "a number", float: "a number", str: "a string"}
    return " or ".join(dict.fromkeys(names.get(k, k.__name__) for k in kinds))

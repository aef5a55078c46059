"""Every benchmark in turn, with its default options, then the key figures against their targets.

Run: `python benchmarks/all.py`. Each benchmark runs in its own process (so each one's peak RSS
is its own) and prints its full report as it goes; the summary at the end repeats each one's
closing lines. Every figure is a ratio against a reference measured in the same run, or an
absolute figure next to the issue's target, so the numbers compare across machines.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


@dataclass(frozen=True)
class Outcome:
    name: str
    code: int
    seconds: float
    summary: tuple[str, ...]


def _summary(lines: list[str]) -> tuple[str, ...]:
    """The lines after `summary:`, else after the last blank line."""
    stripped = [line.rstrip() for line in lines]
    if "summary:" in stripped:
        start = len(stripped) - stripped[::-1].index("summary:")
    else:
        blanks = [i for i, line in enumerate(stripped) if not line.strip()]
        start = blanks[-1] + 1 if blanks else 0
    return tuple(line.strip() for line in stripped[start:] if line.strip())


def run(name: str, args: list[str]) -> Outcome:
    command = [sys.executable, str(HERE / f"{name}.py"), *args]
    print(f"==== {name}: {' '.join(command[1:])}", flush=True)
    started = time.perf_counter()
    lines: list[str] = []
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True) as process:
        assert process.stdout is not None
        for line in process.stdout:
            print(line, end="", flush=True)
            lines.append(line)
    seconds = time.perf_counter() - started
    print(f"==== {name}: exit {process.returncode} after {seconds:.1f} s\n", flush=True)
    return Outcome(name, process.returncode, seconds, _summary(lines))


def main() -> int:
    extract_args: list[str] = []
    if importlib.util.find_spec("trafilatura") is None:
        print("trafilatura is not installed (the `bench` extra): extract runs without it\n")
        extract_args.append("--no-trafilatura")
    outcomes = [
        run("extract", extract_args),
        run("archive", []),
        run("daemon", []),
    ]
    print("==== summary")
    for outcome in outcomes:
        status = "" if outcome.code == 0 else f" FAILED (exit {outcome.code})"
        print(f"{outcome.name} ({outcome.seconds:.0f} s){status}:")
        for line in outcome.summary:
            print(f"  {line}")
    return 0 if all(o.code == 0 for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())

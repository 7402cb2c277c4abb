"""How fast the ``sfsync`` command answers ``--help`` and ``--version`` (a fresh process each
time, as a person or a shell completion starts it), and ``import sfsync.cli``.

    python benchmarks/bench_cli_startup.py [--runs 15]

The ``sfsync …`` cases run the installed console script (``.venv/bin/sfsync``, what a user
types); the ``main([...])`` cases call the entry point from ``python -c``, without the script's
own start-up. Prints the median and the best wall-clock time of each, in milliseconds, with the
median CPU time (user + system, which other processes on a busy machine disturb less) and the
load average before and after. The goal: ``--help`` and ``--version`` at most 150 ms (median, on a
quiet machine), every case well under 300 ms.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path


def console_script() -> str:
    """The installed ``sfsync`` script beside this interpreter (else the one on PATH)."""
    beside = Path(sys.executable).with_name("sfsync")
    found = str(beside) if beside.exists() else shutil.which("sfsync")
    if found is None:
        sys.exit("no `sfsync` console script: install the core (uv sync) first")
    return found


def cases() -> dict[str, list[str]]:
    """Each case's name and command line."""
    script = console_script()
    python = sys.executable

    def entry(*args: str) -> list[str]:
        return [python, "-c", f"from sfsync.cli import main; main({list(args)!r})"]

    return {
        "python itself": [python, "-c", "pass"],
        "import click": [python, "-c", "import click"],
        "import sfsync.cli": [python, "-c", "import sfsync.cli"],
        "main(['--version'])": entry("--version"),
        "main(['--help'])": entry("--help"),
        "sfsync --version": [script, "--version"],
        "sfsync --help": [script, "--help"],
        "sfsync sync --help": [script, "sync", "--help"],
        "sfsync connect --help": [script, "connect", "--help"],
        "sfsync dossier --help": [script, "dossier", "--help"],
        "complete `sfsync s`": [script],
    }


COMPLETION = {"_SFSYNC_COMPLETE": "zsh_complete", "COMP_WORDS": "sfsync s", "COMP_CWORD": "1"}
"""The environment of a zsh completion of the first word (names and summaries)."""


def measure(name: str, command: list[str], runs: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU milliseconds of ``runs`` fresh runs of ``command``."""
    env = {**os.environ, **COMPLETION} if name.startswith("complete") else None
    walls, cpus = [], []
    for _ in range(runs):
        before = os.times()
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        walls.append((time.perf_counter() - start) * 1000)
        after = os.times()
        cpus.append((after.children_user - before.children_user + after.children_system
                     - before.children_system) * 1000)
    return walls, cpus


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    load_before = os.getloadavg()
    print(f"{'case':<24} {'median ms':>10} {'best ms':>9} {'cpu ms':>8}   ({runs} runs each)")
    for name, command in cases().items():
        walls, cpus = measure(name, command, runs)
        print(f"{name:<24} {statistics.median(walls):>10.0f} {min(walls):>9.0f} {statistics.median(cpus):>8.0f}")
    load_after = os.getloadavg()
    print(f"load average (1, 5, 15 min): before {' '.join(f'{x:.2f}' for x in load_before)}, "
          f"after {' '.join(f'{x:.2f}' for x in load_after)}; {os.cpu_count()} cores")


if __name__ == "__main__":
    main()

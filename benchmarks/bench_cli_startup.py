"""How fast the ``sfsync`` command answers ``--help`` and ``--version`` (a fresh process each
time, as a person or a shell completion starts it), and ``import sfsync.cli``.

    python benchmarks/bench_cli_startup.py [--runs 15] [--as-installed]

The ``sfsync …`` cases run the installed console script (``.venv/bin/sfsync``, what a user
types); the ``main([...])`` cases call the entry point from ``python -c``, without the script's
own start-up. Prints the median and the best wall-clock time of each, in milliseconds, with the
median CPU time (user + system, which other processes on a busy machine disturb less) and the
load average before and after.

Python's bytecode matters more than anything sfsync does: ``pip install`` writes it at install
time, but ``uv sync`` does not (unless ``--compile-bytecode``) and ``PYTHONDONTWRITEBYTECODE``
stops Python caching it, so then every run compiles click and sfsync from source again. By default
the cases run with bytecode cached in a temporary ``PYTHONPYCACHEPREFIX`` (warmed once), as after a
pip install; ``--as-installed`` runs them in the environment as it is. The goal: ``--help`` and ``--version`` at most 150 ms (median, on a
quiet machine), every case well under 300 ms.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
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


def children_cpu_seconds() -> float:
    """User + system CPU seconds of every finished child process so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(command: list[str], runs: int, env: dict[str, str]) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU milliseconds of ``runs`` fresh runs of ``command``."""
    walls, cpus = [], []
    for _ in range(runs):
        cpu = children_cpu_seconds()
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        walls.append((time.perf_counter() - start) * 1000)
        cpus.append((children_cpu_seconds() - cpu) * 1000)
    return walls, cpus


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--as-installed", action="store_true",
                        help="Run in the environment as it is (bytecode cached or not), not with bytecode cached.")
    options = parser.parse_args()
    runs = options.runs
    env = dict(os.environ)
    if not options.as_installed:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = tempfile.mkdtemp(prefix="sfsync-bench-pyc-")
    print("bytecode: " + ("as installed" + (" (PYTHONDONTWRITEBYTECODE is set)"
                                            if env.get("PYTHONDONTWRITEBYTECODE") else "")
                          if options.as_installed else "cached (as after a pip install)"))
    load_before = os.getloadavg()
    print(f"{'case':<24} {'median ms':>10} {'best ms':>9} {'cpu ms':>8}   ({runs} runs each)")
    for name, command in cases().items():
        case_env = {**env, **COMPLETION} if name.startswith("complete") else env
        measure(command, 1, case_env)  # warm: the bytecode cache, the disk cache
        walls, cpus = measure(command, runs, case_env)
        print(f"{name:<24} {statistics.median(walls):>10.0f} {min(walls):>9.0f} {statistics.median(cpus):>8.0f}")
    load_after = os.getloadavg()
    print(f"load average (1, 5, 15 min): before {' '.join(f'{x:.2f}' for x in load_before)}, "
          f"after {' '.join(f'{x:.2f}' for x in load_after)}; {os.cpu_count()} cores")


if __name__ == "__main__":
    main()

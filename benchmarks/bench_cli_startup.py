"""How fast the ``sfsync`` command answers ``--help`` and ``--version`` (a fresh process each
time, as a person or a shell completion starts it), and ``import sfsync.cli``.

    python benchmarks/bench_cli_startup.py [--runs 15]

Prints the median and the best of each, in milliseconds; the goal is well under 300 ms.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

CASES = {
    "python itself": [sys.executable, "-c", "pass"],
    "import sfsync.cli": [sys.executable, "-c", "import sfsync.cli"],
    "sfsync --version": [sys.executable, "-c", "from sfsync.cli import main; main(['--version'])"],
    "sfsync --help": [sys.executable, "-c", "from sfsync.cli import main; main(['--help'])"],
    "sfsync sync --help": [sys.executable, "-c", "from sfsync.cli import main; main(['sync', '--help'])"],
}


def measure(command: list[str], runs: int) -> list[float]:
    """Wall-clock milliseconds of ``runs`` fresh runs of ``command``."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    print(f"{'case':<22} {'median ms':>10} {'best ms':>9}   ({runs} runs each)")
    for name, command in CASES.items():
        times = measure(command, runs)
        print(f"{name:<22} {statistics.median(times):>10.0f} {min(times):>9.0f}")


if __name__ == "__main__":
    main()

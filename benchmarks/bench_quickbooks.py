"""Benchmark of the QuickBooks connector on its sandbox (in-process, no network), through the
core's runner and store as a host runs it.

Prints the lines per second of a first sync of the richest company (transactions: GeneralLedger
lines; trial_balance: TrialBalance lines per month) and the requests of a nightly sync of the
unchanged company. Time runs on a FakeClock: QuickBooks' 10-calls-a-second limit is enforced (the
limiter waits, the sandbox counts) without costing wall time.

    .venv/bin/python benchmarks/bench_quickbooks.py [--volume 5]
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sandbox_first_sync import first_synced, run_granularities
from sfsync.clock import FakeClock
from sfsync.models import Granularity
from sfsync_quickbooks.sandbox import QuickbooksSandbox

START = dt.datetime(2026, 1, 15, 2, 0, tzinfo=dt.UTC)


def bench(granularity: Granularity, volume: float, folder: Path) -> None:
    clock = FakeClock(START)
    sandbox = QuickbooksSandbox(clock=clock, volume=volume)
    with first_synced("quickbooks", sandbox, granularity, folder) as (harness, dossier):
        clock.advance(86_400)
        sandbox.requests.clear()
        night = harness.sync(dossier)
        paths = sorted({path.rsplit("/", 1)[-1] for _method, path, _query in sandbox.requests})
        print(f"{granularity.value:13} unchanged night: {night.requests} requests ({', '.join(paths)})")


def main() -> None:
    run_granularities(__doc__, bench, volume_help="documents per month, as a factor")


if __name__ == "__main__":
    main()

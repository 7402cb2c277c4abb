"""Benchmark of the QuickBooks connector on its sandbox (in-process, no network), through the
core's runner and store as a host runs it.

Prints the lines per second of a first sync of the richest company (transactions: GeneralLedger
lines; trial_balance: TrialBalance lines per month) and the requests of a nightly sync of the
unchanged company. Time runs on a FakeClock: QuickBooks' 10-calls-a-second limit is enforced (the
limiter waits, the sandbox counts) without costing wall time.

    .venv/bin/python benchmarks/bench_quickbooks.py [--volume 5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

from sfsync.clock import FakeClock
from sfsync.models import Granularity
from sfsync.testing.harness import ContractHarness
from sfsync_quickbooks.sandbox import QuickbooksSandbox

START = dt.datetime(2026, 1, 15, 2, 0, tzinfo=dt.UTC)


def bench(granularity: Granularity, volume: float, folder: Path) -> None:
    clock = FakeClock(START)
    sandbox = QuickbooksSandbox(clock=clock, volume=volume)
    harness = ContractHarness.create("quickbooks", folder / granularity.value, sandbox=sandbox)
    harness.granularity_override = granularity
    try:
        dossier = harness.new_dossier()
        wall = time.perf_counter()
        first = harness.sync(dossier)
        wall = time.perf_counter() - wall
        if granularity is Granularity.TRANSACTIONS:
            lines = harness.app.store.count_ledger_lines(dossier.id)
        else:
            lines = len(harness.app.store.trial_balance(dossier.id))
        print(f"{granularity.value:13} first sync : {lines} lines in {wall:.2f} s wall = {lines / wall:,.0f} lines/s; "
              f"{first.requests} requests ({first.status})")
        clock.advance(86_400)
        sandbox.requests.clear()
        night = harness.sync(dossier)
        paths = sorted({path.rsplit("/", 1)[-1] for _method, path, _query in sandbox.requests})
        print(f"{granularity.value:13} unchanged night: {night.requests} requests ({', '.join(paths)})")
    finally:
        harness.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--volume", type=float, default=5.0, help="documents per month, as a factor")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        for granularity in (Granularity.TRANSACTIONS, Granularity.TRIAL_BALANCE):
            bench(granularity, args.volume, Path(folder))


if __name__ == "__main__":
    main()

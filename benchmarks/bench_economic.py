"""Benchmark of the e-conomic connector on its sandbox (in-process, no network), through the
core's runner and store as a host runs it.

Prints the lines per second of a first sync of the richest agreement (transactions: entries;
trial_balance: period totals), the requests and lines of an unchanged night, and of a night
after an edit and a deletion in a closed period of the earliest year. Time runs on a FakeClock:
e-conomic's token bucket is enforced (the limiter waits, the sandbox counts) without wall time.

    .venv/bin/python benchmarks/bench_economic.py [--volume 5]
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
from sfsync_economic.sandbox import EconomicSandbox

START = dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC)


def bench(granularity: Granularity, volume: float, folder: Path) -> None:
    clock = FakeClock(START)
    sandbox = EconomicSandbox(clock=clock, volume=volume)
    harness = ContractHarness.create("economic", folder / granularity.value, sandbox=sandbox)
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
        years = len(sandbox.companies[0].years)
        for what in ("unchanged night", "edit + deletion in a closed period"):
            clock.advance(86_400)
            if what.startswith("edit"):
                ref = sandbox.company_refs()[0]
                sandbox.edit_line(ref)
                sandbox.delete_entry(ref)
            sandbox.requests.clear()
            night = harness.sync(dossier)
            fetched = night.counts.get("lines_fetched", night.counts.get("trial_balance_lines", 0))
            print(f"{granularity.value:13} {what}: {night.requests} requests for {years} accounting years, "
                  f"{fetched} lines read ({night.status})")
    finally:
        harness.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--volume", type=float, default=5.0, help="vouchers per month, as a factor")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        for granularity in (Granularity.TRANSACTIONS, Granularity.TRIAL_BALANCE):
            bench(granularity, args.volume, Path(folder))


if __name__ == "__main__":
    main()

"""Benchmark of the e-conomic connector on its sandbox (in-process, no network), through the
core's runner and store as a host runs it.

Prints the lines per second of a first sync of the richest agreement (transactions: entries;
trial_balance: period totals), the requests and lines of an unchanged night, and of a night
after an edit and a deletion in a closed period of the earliest year. Time runs on a FakeClock:
e-conomic's token bucket is enforced (the limiter waits, the sandbox counts) without wall time.

    .venv/bin/python benchmarks/bench_economic.py [--volume 5]
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sandbox_first_sync import first_synced, run_granularities
from sfsync.clock import FakeClock
from sfsync.models import Granularity
from sfsync_economic.sandbox import EconomicSandbox

START = dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC)


def bench(granularity: Granularity, volume: float, folder: Path) -> None:
    clock = FakeClock(START)
    sandbox = EconomicSandbox(clock=clock, volume=volume)
    with first_synced("economic", sandbox, granularity, folder) as (harness, dossier):
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


def main() -> None:
    run_granularities(__doc__, bench, volume_help="vouchers per month, as a factor")


if __name__ == "__main__":
    main()

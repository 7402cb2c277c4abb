"""Benchmark of the Octopus connector against its sandbox, in-process.

Prints the lines per second of a first sync of one large dossier through the whole stack (the
runner and its SQLite store, the login and dossier tokens, the per-endpoint limiter, the
sandbox's Starlette app and JSON), and the requests a nightly sync of the unchanged dossier makes
per endpoint, for both granularities.

Time runs on a FakeClock. Wall-clock and CPU time are both printed: on a shared machine the CPU
figure is the stable one.

    .venv/bin/python benchmarks/bench_octopus.py [--lines 50000]
"""

from __future__ import annotations

import argparse
import re
import tempfile
import time
from collections import Counter
from pathlib import Path

from sfsync.clock import FakeClock
from sfsync.models import Granularity, SyncMode
from sfsync.testing.harness import ContractHarness
from sfsync_octopus.sandbox import OctopusSandbox

LINES_A_MONTH = 6  # a sale and a purchase of three lines each, per "per_month"


def main(lines: int) -> None:
    started = time.perf_counter()
    clock = FakeClock()
    months = 24 + clock.now().month  # the first dossier books calendar years, from two years back
    sandbox = OctopusSandbox(clock=clock, per_month=max(1, round(lines / months / LINES_A_MONTH)), daily_calls=100_000)
    ref = sandbox.company_refs()[0]
    seeded = sum(len(b.lines) for b in sandbox.dossiers[int(ref)].live())
    print(f"seeded dossier {sandbox.dossiers[int(ref)].description}: {seeded} ledger lines in "
          f"{time.perf_counter() - started:.1f} s")
    calls: list[str] = []
    sandbox.observers.append(lambda method, path, _s, _b: calls.append(f"{method} {re.sub(r'/[0-9]+', '/N', path.split('/v1')[-1])}"))
    with tempfile.TemporaryDirectory() as folder:
        harness = ContractHarness.create("octopus", Path(folder), sandbox=sandbox)
        harness.connect()
        for granularity in (Granularity.TRANSACTIONS, Granularity.TRIAL_BALANCE):
            dossier = harness.new_dossier(mode=SyncMode.REPLACE, company_ref=ref, granularity=granularity)
            began, cpu = time.perf_counter(), time.process_time()
            first = harness.sync(dossier)
            elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu
            assert first.status == "ok", first.error
            if granularity is Granularity.TRANSACTIONS:
                stored = harness.app.store.count_ledger_lines(dossier.id)
                assert stored == seeded, (stored, seeded)
                print(f"first sync (transactions): {stored} lines in {elapsed:.2f} s = {stored / elapsed:,.0f} lines/s "
                      f"(CPU {cpu:.2f} s = {stored / cpu:,.0f} lines per CPU-second; client, store and sandbox share it) "
                      f"({first.requests} requests)")
            else:
                totals = len(harness.app.store.trial_balance(dossier.id))
                print(f"first sync (trial balance): {totals} account-period totals in {elapsed:.2f} s "
                      f"({first.requests} requests)")
            mark = len(calls)
            second = harness.sync(dossier)
            assert second.status == "ok", second.error
            streams = Counter(calls[mark:])
            print(f"nightly sync of the unchanged dossier ({granularity.value}): {second.requests} requests, "
                  f"{second.counts.get('lines_fetched', 0)} lines read "
                  f"({', '.join(f'{p}: {n}' for p, n in streams.items())})")
        harness.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=50_000)
    main(parser.parse_args().lines)

"""Benchmark of the Business Central connector (and BoCount, its twin) against the sandbox,
in-process.

Prints the lines per second of a first sync of one large company through the whole stack (the
runner and its SQLite store, Entra tokens, the per-user limiter and queue, the sandbox's OData
module and JSON), and the requests a nightly sync of the unchanged company makes per stream, for
both granularities, plus a night after a deleted document (the entry count, then the trial
balances that find the period to read again).

Time in the sandbox runs on a FakeClock. Wall-clock and CPU time are both printed: on a shared
machine the CPU figure is the stable one.

    .venv/bin/python benchmarks/bench_businesscentral.py [--lines 50000] [--connector bocount]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import Counter
from pathlib import Path

from sfsync.clock import FakeClock
from sfsync.models import Granularity, SyncMode
from sfsync.testing.harness import ContractHarness
from sfsync_businesscentral.sandbox import BoCountSandbox, BusinessCentralSandbox

# Lines a month the first company books per "document a month" (invoice, 70 % paid), and its
# fixed purchases and payments.
LINES_PER_DOCUMENT, FIXED_LINES_A_MONTH = 4.4, 15


def _streams(sandbox: BusinessCentralSandbox, mark: int) -> str:
    counted = Counter(path.rsplit("/", 1)[-1] for path, _q in sandbox.requests[mark:])
    return ", ".join(f"{p}: {n}" for p, n in counted.items())


def main(lines: int, connector: str) -> None:
    started = time.perf_counter()
    clock = FakeClock()
    months = 24 + clock.now().month
    per_month = max(1, round((lines / months - FIXED_LINES_A_MONTH) / LINES_PER_DOCUMENT))
    kind = BoCountSandbox if connector == "bocount" else BusinessCentralSandbox
    sandbox = kind(clock=clock, main_documents=per_month)
    ref = sandbox.company_refs()[0]
    seeded = len(sandbox.company(ref).entries)
    print(f"seeded company {sandbox.company(ref).name}: {seeded} G/L entries in {time.perf_counter() - started:.1f} s")
    with tempfile.TemporaryDirectory() as folder:
        harness = ContractHarness.create(connector, Path(folder), sandbox=sandbox)
        harness.connect()
        for granularity in (Granularity.TRANSACTIONS, Granularity.TRIAL_BALANCE):
            dossier = harness.new_dossier(mode=SyncMode.REPLACE, granularity=granularity)
            began, cpu = time.perf_counter(), time.process_time()
            first = harness.sync(dossier)
            elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu
            assert first.status == "ok", first.error
            if granularity is Granularity.TRANSACTIONS:
                stored = harness.app.store.count_ledger_lines(dossier.id)
                assert stored == seeded, (stored, seeded)
                print(f"first sync (transactions): {stored} lines in {elapsed:.2f} s = {stored / elapsed:,.0f} lines/s "
                      f"(CPU {cpu:.2f} s = {stored / cpu:,.0f} lines per CPU-second; client, store and sandbox share it) "
                      f"({first.requests} requests, peak {sandbox.queue.peak_in_flight} in flight)")
            else:
                totals = len(harness.app.store.trial_balance(dossier.id))
                print(f"first sync (trial balance): {totals} account-period totals in {elapsed:.2f} s "
                      f"({first.requests} requests)")
            mark = len(sandbox.requests)
            second = harness.sync(dossier)
            assert second.status == "ok", second.error
            print(f"nightly sync of the unchanged company ({granularity.value}): {second.requests} requests "
                  f"({_streams(sandbox, mark)}), {second.counts.get('lines', 0)} lines read")
            if granularity is Granularity.TRANSACTIONS:
                sandbox.delete_entry(ref)
                mark = len(sandbox.requests)
                began = time.perf_counter()
                third = harness.sync(dossier)
                assert third.status == "ok", third.error
                print(f"night after a deleted document: {third.requests} requests in {time.perf_counter() - began:.2f} s "
                      f"({_streams(sandbox, mark)})")
        harness.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=50_000)
    parser.add_argument("--connector", choices=("businesscentral", "bocount"), default="businesscentral")
    arguments = parser.parse_args()
    main(arguments.lines, arguments.connector)

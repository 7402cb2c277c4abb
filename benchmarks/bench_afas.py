"""Benchmark of the AFAS Profit connector against its sandbox, in-process.

Prints the lines per second of a first sync of one large administration through the whole stack
(the runner and its SQLite store, the five-at-once client, the sandbox's Starlette app with its
filters, order and skip/take), then what a night costs: the requests of an unchanged night per
GetConnector for both granularities (target: one gate request besides the fiscal years and the
chart the runner reads every run), and of a night after a deletion in an earlier period (one
period read again).

The sandbox runs on a FakeClock moved on an hour between syncs, so the gate's mark is old, as it
is at night. Wall-clock and CPU time are both printed: on a shared machine the CPU figure is the
stable one.

    .venv/bin/python benchmarks/bench_afas.py [--lines 50000]
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
from sfsync_afas.sandbox import AfasSandbox

# Lines a month per "entry a month" (a sale of three lines, 70 % paid: two more) and the fixed
# purchases and payments (three suppliers, 5 lines each).
LINES_PER_ENTRY, FIXED_LINES_A_MONTH = 4.4, 15


def main(lines: int) -> None:
    started = time.perf_counter()
    clock = FakeClock()
    months = 24 + clock.now().month
    per_month = max(1, round((lines / months - FIXED_LINES_A_MONTH) / LINES_PER_ENTRY))
    sandbox = AfasSandbox(clock=clock, entries_per_month=per_month)
    served: Counter[str] = Counter()
    sandbox.observers.append(lambda path, query, status, body: served.update([path.rsplit("/", 1)[-1]]))
    ref = sandbox.company_refs()[0]
    seeded = len(sandbox.by_ref[ref].lines)
    print(f"seeded administration {sandbox.by_ref[ref].name}: {seeded} ledger lines in {time.perf_counter() - started:.1f} s")
    with tempfile.TemporaryDirectory() as folder:
        harness = ContractHarness.create("afas", Path(folder), sandbox=sandbox)
        harness.connect()
        for granularity in (Granularity.TRANSACTIONS, Granularity.TRIAL_BALANCE):
            dossier = harness.new_dossier(mode=SyncMode.REPLACE, granularity=granularity, company_ref=ref)
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
                print(f"first sync (trial balance): {totals} account-period totals in {elapsed:.2f} s ({first.requests} requests)")
            clock.advance(3600)
            served.clear()
            second = harness.sync(dossier)
            assert second.status == "ok", second.error
            print(f"nightly sync of the unchanged administration ({granularity.value}): {second.requests} requests "
                  f"({', '.join(f'{p}: {n}' for p, n in served.items())}), "
                  f"{second.counts.get('lines_fetched', 0)} lines read")
            if granularity is Granularity.TRANSACTIONS:
                sandbox.delete_entry(ref, year=sandbox.by_ref[ref].years[0].number)
                clock.advance(3600)
                served.clear()
                third = harness.sync(dossier)
                assert third.status == "ok", third.error
                print(f"night after a deletion in an earlier period: {third.requests} requests "
                      f"({', '.join(f'{p}: {n}' for p, n in served.items())}), "
                      f"{third.counts.get('lines_fetched', 0)} lines read again")
        harness.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=50_000)
    main(parser.parse_args().lines)

"""Benchmark of the Sage Business Cloud Accounting connector against its sandbox, in-process.

Prints the lines per second of a first sync of one large business through the whole stack (the
runner and its SQLite store, OAuth with 5-minute tokens, the per-business limiter, the sandbox's
Starlette app and JSON), and the requests a nightly sync of the unchanged business makes per
stream, for both granularities (target: one per stream).

Time in the sandbox and the limiter runs on a FakeClock, so Sage's 100 calls a minute are
honoured without really waiting (and the tokens expire as the simulated time goes by). Wall-clock
and CPU time are both printed: on a shared machine the CPU figure is the stable one.

    .venv/bin/python benchmarks/bench_sage.py [--lines 50000]
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
from sfsync_sage.sandbox import SageSandbox

# Lines a month the seeded first business books per "entry a month", and its fixed purchases.
LINES_PER_ENTRY, FIXED_LINES_A_MONTH = 4.4, 15


def main(lines: int) -> None:
    started = time.perf_counter()
    clock = FakeClock()
    months = 24 + clock.now().month  # the first business books calendar years, from two years back
    per_month = max(1, round((lines / months - FIXED_LINES_A_MONTH) / LINES_PER_ENTRY))
    sandbox = SageSandbox(clock=clock, main_entries=per_month)
    ref = sandbox.company_refs()[0]
    seeded = len(sandbox.business(ref).live_entries())
    print(f"seeded business {sandbox.business(ref).name}: {seeded} live ledger entries in "
          f"{time.perf_counter() - started:.1f} s")
    with tempfile.TemporaryDirectory() as folder:
        harness = ContractHarness.create("sage-accounting", Path(folder), sandbox=sandbox)
        harness.connect()
        for granularity in (Granularity.TRANSACTIONS, Granularity.TRIAL_BALANCE):
            dossier = harness.new_dossier(mode=SyncMode.REPLACE)
            harness.run(harness.app.link(harness.admin, dossier.id, harness.connection.id, ref,
                                         mode=SyncMode.REPLACE, granularity=granularity))
            began, cpu = time.perf_counter(), time.process_time()
            first = harness.sync(dossier)
            elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu
            assert first.status == "ok", first.error
            if granularity is Granularity.TRANSACTIONS:
                stored = harness.app.store.count_ledger_lines(dossier.id)
                assert stored == seeded, (stored, seeded)
                print(f"first sync (transactions): {stored} lines in {elapsed:.2f} s = {stored / elapsed:,.0f} lines/s "
                      f"(CPU {cpu:.2f} s = {stored / cpu:,.0f} lines per CPU-second; client, store and sandbox share it) "
                      f"({first.requests} requests, {first.rate_limit_waits} rate-limit waits, "
                      f"{sandbox.limits.refusals} 429s, {sandbox.oauth_server.refreshes} token refreshes)")
            else:
                totals = len(harness.app.store.trial_balance(dossier.id))
                print(f"first sync (trial balance): {totals} account-period totals in {elapsed:.2f} s "
                      f"({first.requests} requests)")
            mark = len(sandbox.requests)
            second = harness.sync(dossier)
            assert second.status == "ok", second.error
            streams = Counter(path.removeprefix("/v3.1/") for path, _q, _b in sandbox.requests[mark:])
            print(f"nightly sync of the unchanged business ({granularity.value}): {second.requests} requests "
                  f"({', '.join(f'{p}: {n}' for p, n in streams.items())})")
        harness.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=50_000)
    main(parser.parse_args().lines)

"""Benchmark of the WinBooks on Web connector against its sandbox, in-process.

Prints the lines per second of a first sync of one large folder through the whole stack (the
runner and its SQLite store, the OAuth tokens, criteria pages of 100 bookings, the sandbox's
Starlette app and JSON), and the requests a nightly sync of the unchanged folder makes per
endpoint (transactions: WinBooks on Web has no trial-balance resource).

    .venv/bin/python benchmarks/bench_winbooks_online.py [--lines 50000]
"""

from __future__ import annotations

import argparse
import re
import tempfile
import time
from collections import Counter
from pathlib import Path

from sfsync.clock import FakeClock
from sfsync.models import SyncMode
from sfsync.testing.harness import ContractHarness
from sfsync_winbooks_online.sandbox import WinbooksSandbox

LINES_A_MONTH = 6  # a sale and a purchase of three lines each, per "per_month"


def main(lines: int) -> None:
    started = time.perf_counter()
    clock = FakeClock()
    months = 24 + clock.now().month  # the first folder books calendar years, from two years back
    sandbox = WinbooksSandbox(clock=clock, per_month=max(1, round(lines / months / LINES_A_MONTH)))
    ref = sandbox.company_refs()[1]  # DEKORENAAR: calendar years
    folder = sandbox.folders[ref]
    seeded = sum(len(h.lines) for h in folder.headers.values() if h.period)
    print(f"seeded folder {folder.name}: {seeded} ledger lines in {time.perf_counter() - started:.1f} s")
    calls: list[str] = []
    sandbox.observers.append(lambda method, path, _s, _b: calls.append(f"{method} {re.sub(r'/Folder/[^/]+', '/Folder/F', path)}"))
    with tempfile.TemporaryDirectory() as tmp:
        harness = ContractHarness.create("winbooks-online", Path(tmp), sandbox=sandbox)
        harness.connect()
        dossier = harness.new_dossier(mode=SyncMode.REPLACE, company_ref=ref)
        began, cpu = time.perf_counter(), time.process_time()
        first = harness.sync(dossier)
        elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu
        assert first.status == "ok", first.error
        stored = harness.app.store.count_ledger_lines(dossier.id)
        assert stored == seeded, (stored, seeded)
        print(f"first sync: {stored} lines in {elapsed:.2f} s = {stored / elapsed:,.0f} lines/s "
              f"(CPU {cpu:.2f} s = {stored / cpu:,.0f} lines per CPU-second) ({first.requests} requests)")
        clock.advance(86400)  # the next night: the access token has long expired
        mark = len(calls)
        second = harness.sync(dossier)
        assert second.status == "ok", second.error
        streams = Counter(calls[mark:])
        print(f"nightly sync of the unchanged folder: {second.requests} requests, "
              f"{second.counts.get('lines_fetched', 0)} lines read ({', '.join(f'{p}: {n}' for p, n in streams.items())})")
        harness.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=50_000)
    main(parser.parse_args().lines)

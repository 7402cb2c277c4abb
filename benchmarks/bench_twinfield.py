"""Benchmark of the Twinfield connector against its sandbox, in-process, through the whole stack.

Prints the lines per second of a first sync of office 001 (OAuth2, cluster discovery, the
managed transport, SOAP envelopes, gzip'd browse ``030_3`` one book year at a time, lxml parsing,
and the runner writing batches to SQLite), and the requests a nightly sync of the unchanged
office makes (period tables, accounts by ``modifiedsince``, one browse by modified stamp, one
deleted-transactions query).

The figures include the sandbox's own work (building and gzipping the browse answers); the CPU
time is printed too, as the wall-clock rate depends on what else the machine is doing.

    .venv/bin/python benchmarks/bench_twinfield.py [--scale 300]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from sfsync.plugins import get_registry
from sfsync.testing.harness import ContractHarness
from sfsync_twinfield.sandbox import TwinfieldSandbox


def main(scale: int) -> None:
    started = time.perf_counter()
    sandbox = TwinfieldSandbox(scale=scale)
    office = sandbox.books.offices["001"]
    seeded = sum(len(t.lines) for t in office.transactions.values())
    print(f"seeded office 001: {seeded:,} lines in {time.perf_counter() - started:.1f} s")
    in_sandbox = [0.0]
    handle = sandbox.handle

    def timed(*args):  # type: ignore[no-untyped-def]
        begin = time.perf_counter()
        try:
            return handle(*args)
        finally:
            in_sandbox[0] += time.perf_counter() - begin

    sandbox.handle = timed  # type: ignore[method-assign]
    with tempfile.TemporaryDirectory() as folder:
        harness = ContractHarness.create(
            "twinfield", Path(folder), sandbox=sandbox, registry=get_registry()
        )
        try:
            dossier = harness.new_dossier(company_ref="001")
            in_sandbox[0] = 0.0
            started, cpu = time.perf_counter(), time.process_time()
            first = harness.sync(dossier)
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
            stored = harness.app.store.count_ledger_lines(dossier.id)
            assert first.status in ("ok", "warning"), first.error
            assert stored == seeded, (stored, seeded)
            print(
                f"first sync: {stored:,} lines in {elapsed:.2f} s = {stored / elapsed:,.0f} lines/s "
                f"({cpu:.2f} s of CPU = {stored / cpu:,.0f} lines per CPU-second; "
                f"{first.requests} requests, {first.counts.get('batches')} batches)\n"
                f"  of which {in_sandbox[0]:.2f} s in the sandbox (building the answers); "
                f"sfsync's side alone: {stored / (elapsed - in_sandbox[0]):,.0f} lines/s"
            )
            sandbox.log.clear()
            started = time.perf_counter()
            nightly = harness.sync(dossier)
            elapsed = time.perf_counter() - started
            assert nightly.status in ("ok", "warning"), nightly.error
            kinds: dict[str, int] = {}
            for call in sandbox.log:
                name = f"{call.get('request')} {call.get('type')}"
                kinds[name] = kinds.get(name, 0) + 1
            detail = ", ".join(f"{n} x{c}" for n, c in sorted(kinds.items()))
            print(
                f"nightly sync of the unchanged office: {nightly.requests} requests in "
                f"{elapsed:.2f} s, {nightly.counts.get('lines_fetched', 0)} lines ({detail})"
            )
        finally:
            harness.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scale", type=int, default=300, help="sales invoices a month in office 001"
    )
    main(parser.parse_args().scale)

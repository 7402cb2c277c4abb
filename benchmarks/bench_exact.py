"""Benchmark of the Exact Online connector against its sandbox, in-process.

Prints the lines per second of a first sync of a 100,000-line division (ledger only, through the
full stack: OAuth, rate limiter, the sandbox's OData engine and JSON), and the number of requests
a nightly sync of the unchanged division makes per stream (target: at most one per stream).

Time in the sandbox and the limiter runs on a FakeClock, so Exact's 60-calls-a-minute limit is
honoured without really waiting. Both wall-clock and CPU time are printed: on a shared machine
the CPU figure is the stable one (the sandbox's work is included in it).

    .venv/bin/python benchmarks/bench_exact.py [--lines 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import time

from sfsync.clock import FakeClock
from sfsync_exact.sandbox import ExactSandbox
from sfsync_exact.sandbox.harness import MiniStore, connect, connector_for


async def main(lines: int) -> None:
    started = time.perf_counter()
    sandbox = ExactSandbox("be", clock=FakeClock(), main_entries=max(1, round(lines / 2.7)))
    ref = sandbox.company_refs()[0]
    seeded = len(sandbox.division(ref).lines)
    print(f"seeded division {ref}: {seeded} lines in {time.perf_counter() - started:.1f} s")
    ctx = await connect(sandbox)
    connector = connector_for("be")
    company = next(c for c in await connector.sfsync_list_companies(ctx=ctx) if c.ref == ref)

    store = MiniStore()
    before = ctx.stats.requests
    started, cpu = time.perf_counter(), time.process_time()
    await store.sync(
        connector.sfsync_fetch_ledger(ctx=ctx, company=company, since=None, cursor=None)
    )
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    assert len(store.lines) == seeded, (len(store.lines), seeded)
    print(
        f"first sync: {len(store.lines)} lines in {elapsed:.2f} s = {len(store.lines) / elapsed:,.0f} lines/s "
        f"(CPU {cpu:.2f} s = {len(store.lines) / cpu:,.0f} lines per CPU-second; client and sandbox share it) "
        f"({ctx.stats.requests - before} requests, {ctx.stats.rate_limit_waits} rate-limit waits, "
        f"{sandbox.limiter.refusals} 429s)"
    )

    streams = {
        "fiscal years (FinancialPeriods)": connector.sfsync_fetch_fiscal_years(
            ctx=ctx, company=company
        ),
        "accounts (bulk GLAccounts)": connector.sfsync_fetch_accounts(ctx=ctx, company=company),
    }
    total = 0
    for name, call in streams.items():
        before = ctx.stats.requests
        await call
        print(f"nightly {name}: {ctx.stats.requests - before} request(s)")
        total += ctx.stats.requests - before
    before = ctx.stats.requests
    mark = len(sandbox.requests)
    await store.sync(
        connector.sfsync_fetch_ledger(ctx=ctx, company=company, since=None, cursor=store.cursor)
    )
    ledger = ctx.stats.requests - before
    total += ledger
    paths = [r.split("?")[0].split(f"/{ref}/")[-1] for r in sandbox.requests[mark:]]
    print(f"nightly ledger: {ledger} requests for 3 streams ({', '.join(paths)})")
    print(f"nightly sync of the unchanged division: {total} requests for 5 streams")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100_000)
    asyncio.run(main(parser.parse_args().lines))

"""Benchmark of the Xero connectors on their sandbox (in-process, no network).

Prints the lines per second of a first sync of the richest organisation (``xero``: journal lines;
``xerotb``: trial-balance lines), and the requests of a nightly sync of the unchanged organisation.
Time runs on a FakeClock, so Xero's 60-calls-a-minute limit is enforced (the limiter waits, the
sandbox counts) without costing wall time: the simulated wait is printed beside the wall time.

    .venv/bin/python benchmarks/bench_xero.py [--volume 5]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import time

from sfsync.clock import FakeClock
from sfsync_xero.connector import xero, xerotb
from sfsync_xero.sandbox import XeroSandbox
from sfsync_xero.sandbox.harness import connect, next_run

START = dt.datetime(2026, 1, 15, 2, 0, tzinfo=dt.UTC)


async def _run(plugin, ctx, company, cursor):
    years = await plugin.sfsync_fetch_fiscal_years(ctx=ctx, company=company)
    await plugin.sfsync_fetch_accounts(ctx=ctx, company=company)
    lines, last = 0, cursor
    if plugin is xero:
        stream = plugin.sfsync_fetch_ledger(ctx=ctx, company=company, since=None, cursor=cursor, fiscal_years=years)
    else:
        stream = plugin.sfsync_fetch_trial_balance(ctx=ctx, company=company, fiscal_years=years, cursor=cursor)
    async for batch in stream:
        lines += len(batch.lines)
        last = batch.cursor or last
    return lines, last


async def bench(name: str, volume: float) -> None:
    plugin = xero if name == "xero" else xerotb
    clock = FakeClock(START)
    sandbox = XeroSandbox(name, clock=clock, volume=volume)
    ctx = await connect(sandbox, name, clock=clock)
    company = (await plugin.sfsync_list_companies(ctx=ctx))[0]
    await ctx.aclose()
    ctx = next_run(ctx)
    wall = time.perf_counter()
    lines, cursor = await _run(plugin, ctx, company, None)
    wall = time.perf_counter() - wall
    first = ctx.stats
    await ctx.aclose()
    print(f"{name:7} first sync : {lines} lines in {wall:.2f} s wall = {lines / wall:,.0f} lines/s; "
          f"{first.requests} requests, {first.rate_limit_waits} rate-limit waits "
          f"({first.waited_seconds:.0f} s simulated at 60 calls/min)")
    clock.advance(86_400)
    ctx = next_run(ctx)
    sandbox.requests.clear()
    lines, _ = await _run(plugin, ctx, company, cursor)
    paths = [path.rsplit("/", 1)[-1] for _method, path, _query, _headers in sandbox.requests]
    breakdown = ", ".join(f"{paths.count(p)} {p}" for p in dict.fromkeys(paths))
    note = "; open periods after the lock date are re-read" if name == "xerotb" else ""
    print(f"{name:7} nightly    : {ctx.stats.requests} requests ({breakdown}), {lines} lines "
          f"(unchanged organisation{note})")
    await ctx.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--volume", type=float, default=5.0, help="documents per month, as a factor")
    args = parser.parse_args()
    for name in ("xero", "xerotb"):
        asyncio.run(bench(name, args.volume))


if __name__ == "__main__":
    main()

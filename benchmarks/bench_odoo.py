"""Benchmark of the Odoo connector against its sandbox, in-process, per transport.

Prints the lines per second of a first ledger sync of the seeded company 1 (through the whole
stack: the core's managed transport, XML-RPC / JSON-RPC / JSON-2 marshalling, the sandbox's ORM
with its domain evaluator), and the calls a nightly sync of the unchanged company makes per stage
(fiscal years, accounts, ledger). The sandbox evaluates every domain over its whole table in
Python, so the figures bound the connector's own cost from above.

    .venv/bin/python benchmarks/bench_odoo.py [--scale 10] [--profiles 17:xmlrpc,17:jsonrpc,19:json2]
"""

from __future__ import annotations

import argparse
import asyncio
import time

from sfsync.models import Company
from sfsync_odoo.connector import odoo
from sfsync_odoo.sandbox import OdooSandbox
from sfsync_odoo.sandbox.testing import LedgerMirror, make_context


async def bench(version: int, transport: str, scale: int) -> None:
    started = time.perf_counter()
    sandbox = OdooSandbox(version, transport, scale=scale)
    company = Company(ref="1")
    posted = sum(
        1 for line in sandbox.db.tables["account.move.line"].values()
        if sandbox.db.tables["account.move"][line["move_id"]]["company_id"] == 1
        and sandbox.db.tables["account.move"][line["move_id"]]["state"] == "posted"
    )
    print(f"Odoo {version} over {transport}: seeded company 1 with {posted} posted lines "
          f"in {time.perf_counter() - started:.1f} s")

    ctx = make_context(sandbox)
    await odoo.sfsync_check_connection(ctx=ctx)
    years = await odoo.sfsync_fetch_fiscal_years(ctx=ctx, company=company)
    mirror = LedgerMirror()
    before = ctx.stats.requests
    started, cpu = time.perf_counter(), time.process_time()
    await mirror.sync(ctx, "1", years=years)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    assert len(mirror.lines) == posted, (len(mirror.lines), posted)
    print(f"  first sync: {len(mirror.lines)} lines in {elapsed:.2f} s = {len(mirror.lines) / elapsed:,.0f} lines/s "
          f"wall-clock, {len(mirror.lines) / cpu:,.0f} lines/s of CPU (connector and sandbox in one process; "
          f"{ctx.stats.requests - before} requests)")

    nightly = make_context(sandbox, state=ctx.state)  # a new run: version and uid come from state
    counts = {}
    mark = len(sandbox.calls)
    await odoo.sfsync_fetch_fiscal_years(ctx=nightly, company=company)
    counts["fiscal years"] = len(sandbox.calls) - mark
    mark = len(sandbox.calls)
    await odoo.sfsync_fetch_accounts(ctx=nightly, company=company)
    counts["accounts"] = len(sandbox.calls) - mark
    mark = len(sandbox.calls)
    batches = await mirror.sync(nightly, "1", years=years)
    counts["ledger"] = len(sandbox.calls) - mark
    changed = sum(len(b.lines) + len(b.deleted) for b in batches)
    assert changed == 0, changed
    detail = ", ".join(f"{stage} {n}" for stage, n in counts.items())
    print(f"  nightly sync of the unchanged company: {sum(counts.values())} calls ({detail}); "
          f"{nightly.stats.requests} HTTP requests; 0 lines changed")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=10, help="entries per month multiplier (10: ~15,000 lines)")
    parser.add_argument("--profiles", default="17:xmlrpc,17:jsonrpc,19:json2",
                        help="comma-separated version:transport pairs")
    args = parser.parse_args()
    for item in args.profiles.split(","):
        version, transport = item.split(":")
        asyncio.run(bench(int(version), transport, args.scale))


if __name__ == "__main__":
    main()

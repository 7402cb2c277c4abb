"""Benchmark of the Yuki connector against its sandbox, through the real runner (SQLite store).

For each seeded administration (two Dutch, two Belgian) it prints the Yuki calls and the time of
a first sync and of a nightly sync of the unchanged administration a day later (a handful of
calls: a new session, the chart, one balance, and one GetFinancialYearModifiedDate per fiscal
year), then the same for the trial-balance granularity. ``--latency`` adds seconds per SOAP call
in the sandbox to see what the network would cost.

Time in the sandbox and the connector runs on a FakeClock (the nightly run is a day later without
waiting); the figures are wall-clock time of this process.

    .venv/bin/python benchmarks/bench_yuki.py [--latency 0.0]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import tempfile
import time
from collections import Counter
from pathlib import Path

from sfsync.api import Sfsync
from sfsync.clock import FakeClock
from sfsync.http.transport import RetryPolicy
from sfsync.secrets import SecretBox, generate_key
from sfsync.store.sqlite import SQLiteStore
from sfsync_yuki.sandbox import YukiSandbox


async def main(latency: float) -> None:
    clock = FakeClock(dt.datetime(2026, 1, 15, 2, 0, tzinfo=dt.UTC))
    sandbox = YukiSandbox(clock, latency=latency)
    with tempfile.TemporaryDirectory() as folder:
        app = Sfsync(SQLiteStore(Path(folder) / "bench.sqlite3"), SecretBox(generate_key()), clock=clock,
                     transports=sandbox.transports(), retry=RetryPolicy(attempts=3, wait_initial=0.01, wait_max=0.02))
        firm = app.create_firm("Bench")
        admin = app.add_user(firm.id, "bench@example.test", "admin")
        connection = await app.connect_form(admin, "yuki", {**sandbox.connection_config(), **sandbox.connection_secrets()})
        print(f"connect: {len(sandbox.log)} calls ({', '.join(op for op, _ in sandbox.log)})")
        dossiers = []
        for granularity in ("transactions", "trial_balance"):
            for ref in sandbox.company_refs():
                dossier = app.create_dossier(admin, f"{granularity}-{ref[:8]}")
                await app.link(admin, dossier.id, connection.id, ref, mode="replace", granularity=granularity)
                dossiers.append((granularity, ref, dossier))

        print(f"{'granularity':<14} {'administration':<36} {'sync':<8} {'calls':>5} {'seconds':>8} {'rows':>6}  calls by operation")
        for label, advance in (("first", 0), ("nightly", 24 * 3600)):
            clock.advance(advance)
            for granularity, ref, dossier in dossiers:
                mark = len(sandbox.log)
                started = time.perf_counter()
                run = await app.sync(dossier.id)
                elapsed = time.perf_counter() - started
                assert run.status == "ok", run.error
                ops = Counter(op for op, _ in sandbox.log[mark:])
                assert run.requests == sum(ops.values()), (run.requests, ops)
                rows = run.counts.get("lines_fetched", run.counts.get("trial_balance_lines", 0))
                name = sandbox.admins[ref].name[:36]
                detail = ", ".join(f"{op} {n}" for op, n in sorted(ops.items()))
                print(f"{granularity:<14} {name:<36} {label:<8} {run.requests:>5} {elapsed:>8.2f} {rows:>6}  {detail}")
        app.store.close()
    # The sandbox counts with the toolkit's limiter: the calls of today (Amsterdam) per domain.
    for domain in sorted(sandbox.domains):
        print(f"{sandbox.today()} {sandbox.domains[domain].name}: {sandbox.calls_today(domain)} of "
              f"{sandbox.limiter.limit_of('daily', domain)} calls")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per SOAP call in the sandbox")
    asyncio.run(main(parser.parse_args().latency))

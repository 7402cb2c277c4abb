"""Fan-out under a per-company rate limit: wall time against the lower bound the limits allow.

    python benchmarks/bench_fanout.py [--dossiers 10] [--limit 60] [--window 60] [--factor 2]
        [--store sqlite|postgresql://…] [--redis redis://…] [--fixed-windows]

N dossiers share one firm-level connection of the load-test package (``benchmarks/sfsync_loadtest.py``,
mounted in-process), which allows ``limit`` calls per ``window`` seconds *per company* (Exact
Online's 60 a minute per division by default) and sends remaining/reset headers with every
answer; time runs ``factor`` times faster than real time on both sides. Every dossier syncs at
once (``concurrency = N``).

The lower bound: a company whose sync needs R calls cannot send its last one before
``floor((R - 1) / limit)`` windows have passed (with fixed windows, the first of them ends at the
package's next window boundary), whatever the client does; the wall time can be no shorter than
the largest of these over the companies. Targets (issue 11): the wall time within
1.2x of that bound, and no 429 (the package sends remaining-budget headers).

``--redis`` keeps the limiter's state in Redis (the workers' shared backend) instead of in
process; ``--store postgresql://…`` writes into PostgreSQL (a fresh schema, dropped afterwards).
``--fixed-windows`` makes the package count calls per fixed window instead of any window seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import tempfile
import time
import uuid
from pathlib import Path

from sfsync.api import Sfsync
from sfsync.clock import ScaledClock
from sfsync.plugins import PluginRegistry
from sfsync.secrets import SecretBox, generate_key
from sfsync.store.sqlite import SQLiteStore
from sfsync_loadtest import LoadtestConnector, LoadtestSandbox, expected_lines, seed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dossiers", type=int, default=10)
    parser.add_argument("--limit", type=int, default=60, help="calls per window per company")
    parser.add_argument("--window", type=float, default=60.0, help="seconds (package time)")
    parser.add_argument("--factor", type=float, default=2.0, help="package time runs this much faster")
    parser.add_argument("--page-size", type=int, default=2, help="ledger lines per page")
    parser.add_argument("--volume", type=int, default=5, help="multiplies the entries of each company")
    parser.add_argument("--store", default="sqlite", help="sqlite, or a postgresql:// DSN")
    parser.add_argument("--redis", default=None, help="keep the limiter state in this Redis")
    parser.add_argument("--fixed-windows", action="store_true")
    args = parser.parse_args()

    clock = ScaledClock(args.factor)
    refs = [f"co-{n}" for n in range(args.dossiers)]
    sandbox = LoadtestSandbox(
        {"firm": refs}, limit=args.limit, window=args.window, per_company=True, sliding=not args.fixed_windows,
        token_lifetime=600.0, clock=clock, page_size=args.page_size, volume=args.volume,
    )
    registry = PluginRegistry()
    registry.register(LoadtestConnector(sandbox.base_url, limit=args.limit, window=args.window, per_company=True,
                                        token_lifetime=600.0, fixed_windows=args.fixed_windows), "loadtest")
    tmp = Path(tempfile.mkdtemp(prefix="bench-fanout-"))
    schema = None
    if args.store.startswith(("postgresql://", "postgres://")):
        from sfsync.store.postgres import PostgresStore

        schema = f"bench_{uuid.uuid4().hex[:8]}"
        store = PostgresStore(args.store, schema=schema)
    else:
        store = SQLiteStore(tmp / "bench.sqlite3")
    limiter = None
    if args.redis:
        from sfsync.celery.ratelimit import RedisLimiterBackend

        limiter = RedisLimiterBackend(args.redis, prefix=f"bench:{uuid.uuid4().hex[:8]}")
    sf = Sfsync(store, SecretBox(generate_key()), registry=registry, clock=clock, transports=sandbox.transports(),
                limiter=limiter, concurrency=args.dossiers)
    linked = seed(sf, sandbox)

    async def run() -> list:
        try:
            return await sf.sync_many(list(linked))
        finally:
            if limiter is not None:
                await limiter.aclose()

    t0 = clock.now().timestamp()
    started = time.perf_counter()
    runs = asyncio.run(run())
    wall = time.perf_counter() - started

    failed = [r for r in runs if r.status not in ("ok", "warning")]
    wrong = [d for d, ref in linked.items()
             if sorted(store.ledger_lines(d), key=lambda ln: ln.id)
             != sorted(expected_lines(ref, args.volume), key=lambda ln: ln.id)]
    per_company = {key: len(times) for key, times in sandbox.calls.items() if "/" in key}
    def earliest_last_call(calls: int) -> float:
        windows = math.floor((calls - 1) / args.limit)  # full windows to wait through
        if args.fixed_windows and windows > 0:  # the first one ends at the package's next boundary
            first_end = math.ceil(t0 / args.window) * args.window
            return first_end - t0 + (windows - 1) * args.window
        return windows * args.window

    bound = max(earliest_last_call(calls) for calls in per_company.values()) / args.factor
    waits = sum(r.rate_limit_waits for r in runs)
    calls = sum(len(times) for times in sandbox.calls.values())
    most = max(sandbox.max_calls_in_any_window().values())

    print(f"dossiers {args.dossiers} on one connection; limit {args.limit} calls per {args.window:g} s per company "
          f"({'fixed' if args.fixed_windows else 'sliding'} windows), time x{args.factor:g}; "
          f"store {'postgresql' if schema else 'sqlite'}, limiter {'redis' if args.redis else 'in-process'}")
    print(f"calls {calls} (per company {min(per_company.values())}..{max(per_company.values())}), "
          f"limiter waits {waits}, most calls in one window on one key {most}")
    print(f"wall {wall:.2f} s, lower bound {bound:.2f} s, ratio {wall / bound if bound else float('inf'):.2f} "
          "(target <= 1.2)")
    print(f"429 received {sandbox.too_many} (target 0); refreshes {sandbox.refreshes}, double-spent "
          f"{sandbox.double_spent}; failed runs {len(failed)}; dossiers not matching the package {len(wrong)}")
    for r in failed[:3]:
        print(f"  failed: {r.error}")
    if schema is not None:
        store._db.execute(f'DROP SCHEMA "{schema}" CASCADE')
    store.close()


if __name__ == "__main__":
    main()

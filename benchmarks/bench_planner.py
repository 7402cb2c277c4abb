"""How long the nightly planner takes before the first run can start: due dossiers and the plan.

    python benchmarks/bench_planner.py [--dossiers 10000] [--connections 50] [--history 3]
        [--store sqlite] [--store postgres] [--postgres DSN] [--skip-per-dossier]

N dossiers over M firm-level connections (and 1 % of them with an administrative link beside),
each with ``--history`` runs (the last one 30 hours ago for two in three dossiers, so those are
due; 2 hours ago for the others), in a fresh SQLite file and a fresh PostgreSQL schema (dropped
afterwards). Two ways of answering "which dossiers are due, and on which queue", timed side by
side on the same store:

- **per dossier** (the planner before issue 28 item 4): ``Sfsync.due_rows`` on the store seen
  through :class:`OneByOne` (each dossier's link, administrative link, connection and last run
  read one by one, as ``due_dossiers`` did), then :func:`sfsync.celery.planner.plan` reading each
  due dossier's link and connection again;
- **set-based**: :meth:`sfsync.api.Sfsync.due_rows` (a few statements for every firm) and the plan
  built from what it read (:func:`~sfsync.celery.planner.routes_of`).

Both must give the same plan (checked). Prints seconds, milliseconds a dossier and the speed-up
per store. PostgreSQL needs ``SFSYNC_TEST_POSTGRES_DSN`` or ``--postgres``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sfsync.api import Sfsync
from sfsync.celery.planner import plan, routes_of
from sfsync.models import Granularity, SyncMode
from sfsync.plugins import PluginRegistry
from sfsync.secrets import SecretBox, generate_key
from sfsync.store.base import ConnectionRecord, LinkRecord, RunRecord
from sfsync.store.tables import LINKS, RUNS

WINDOW = 3600.0


def seed(store: Any, dossiers: int, connections: int, history: int, now: dt.datetime, *,
         firm_name: str = "Fiduciaire Planner") -> str:
    """Firm, connections, dossiers, links and runs, written in a few bulk transactions; the
    firm's id is returned."""
    firm = store.create_firm(firm_name)
    conn_ids = [f"conn_{i:03d}_{uuid.uuid4().hex[:6]}" for i in range(connections)]
    for i, conn_id in enumerate(conn_ids):
        store.add_connection(ConnectionRecord(
            id=conn_id, firm_id=firm.id, connector=f"pkg{i % 3}", label=f"Connection {i}", level="firm",
            config={}, sealed=b"sealed"))
    ids = [f"dos_{n:06d}_{uuid.uuid4().hex[:6]}" for n in range(dossiers)]
    p = store.placeholder
    with store._tx() as db:
        db.cursor().executemany(f"INSERT INTO dossiers (id, firm_id, name) VALUES ({p}, {p}, {p})",
                                [(d, firm.id, f"Dossier {n:06d}") for n, d in enumerate(ids)])
    store._write(LINKS, (), [
        LinkRecord(d, conn_ids[n % connections], f"co-{n}", f"Company {n}", SyncMode.REPLACE,
                   Granularity.TRANSACTIONS, needs_full_sync=False) for n, d in enumerate(ids)])
    runs = []
    for n, d in enumerate(ids):
        last = now - dt.timedelta(hours=30 if n % 3 else 2)
        for h in range(history):
            started = last - dt.timedelta(days=h)
            runs.append(RunRecord(id=f"run_{d}_{h}", dossier_id=d, started_at=started,
                                  finished_at=started + dt.timedelta(minutes=1), status="ok", requests=4))
    for start in range(0, len(runs), 20_000):
        store._write(RUNS, (), runs[start:start + 20_000])
    for n in range(0, dossiers, 100):
        store.save_admin_link(LinkRecord(ids[n], conn_ids[(n + 1) % connections], f"adm-{n}", f"Company {n}",
                                         SyncMode.REPLACE, Granularity.DETAILS))
    return firm.id


class OneByOne:
    """A store seen without its set-based reads (``nightly_rows``, ``recent_runs``): an
    :class:`~sfsync.api.Sfsync` on it reads one dossier at a time, as it did before issue 28 (the
    reference the benchmarks time the set-based reads against)."""

    _HIDDEN = frozenset({"nightly_rows", "recent_runs"})

    def __init__(self, store: Any) -> None:
        self._store = store

    def __getattr__(self, name: str) -> Any:
        if name in self._HIDDEN:
            raise AttributeError(name)
        return getattr(self._store, name)


def per_dossier(sf: Sfsync, now: dt.datetime) -> list[Any]:
    """The planner as it was: five reads a dossier to find the due ones, then each link again."""
    one_by_one = Sfsync(OneByOne(sf.store), sf.box, registry=sf.registry)
    due = [row.dossier.id for row in one_by_one.due_rows(now)]
    return plan(sf.store, due, window=WINDOW)


def set_based(sf: Sfsync, now: dt.datetime) -> list[Any]:
    """The planner now: the due rows in a few statements, the plan from what they hold."""
    rows = sf.due_rows(now)
    return plan(sf.store, [r.dossier.id for r in rows], window=WINDOW, routes=routes_of(rows))


def measure(name: str, store: Any, args: argparse.Namespace) -> None:
    now = dt.datetime.now(dt.UTC)
    started = time.perf_counter()
    seed(store, args.dossiers, args.connections, args.history, now)
    print(f"{name}: seeded {args.dossiers:,} dossiers over {args.connections} connections, "
          f"{args.dossiers * args.history:,} runs, in {time.perf_counter() - started:.1f} s")
    sf = Sfsync(store, SecretBox(generate_key()), registry=PluginRegistry())
    sf.due_rows(now)  # warm-up: the first statements on a fresh store prepare its pages
    started = time.perf_counter()
    after = set_based(sf, now)
    fast = time.perf_counter() - started
    print(f"{name}: set-based  {fast:8.2f} s  {1000 * fast / args.dossiers:7.3f} ms a dossier  "
          f"({len(after):,} planned)")
    if args.skip_per_dossier:
        return
    started = time.perf_counter()
    before = per_dossier(sf, now)
    slow = time.perf_counter() - started
    print(f"{name}: per dossier {slow:7.2f} s  {1000 * slow / args.dossiers:7.3f} ms a dossier  "
          f"({len(before):,} planned)  speed-up {slow / fast:.1f} x")
    assert before == after, "the set-based plan differs from the per-dossier plan"


def on_each_store(args: argparse.Namespace, name: str, measure: Callable[[str, Any, argparse.Namespace], None]) -> None:
    """Run ``measure(kind, store, args)`` on a fresh SQLite file and a fresh PostgreSQL schema
    (``--store`` picks; PostgreSQL needs ``--postgres`` or ``SFSYNC_TEST_POSTGRES_DSN``), each
    removed afterwards; ``name`` names the temporary folder and schema."""
    for kind in args.store or ["sqlite", "postgres"]:
        if kind == "sqlite":
            from sfsync.store.sqlite import SQLiteStore

            with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as tmp:
                store = SQLiteStore(str(Path(tmp) / f"{name}.db"))
                try:
                    measure("sqlite", store, args)
                finally:
                    store.close()
        elif not args.postgres:
            print("postgres: skipped (set SFSYNC_TEST_POSTGRES_DSN or give --postgres)")
        else:
            from sfsync.store.postgres import PostgresStore

            schema = f"bench_{name}_{uuid.uuid4().hex[:8]}"
            store = PostgresStore(args.postgres, schema=schema)
            try:
                measure("postgres", store, args)
            finally:
                store._db.execute(f'DROP SCHEMA "{schema}" CASCADE')
                store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dossiers", type=int, default=10_000)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--history", type=int, default=3, help="runs kept per dossier")
    parser.add_argument("--store", action="append", choices=("sqlite", "postgres"))
    parser.add_argument("--postgres", default=os.environ.get("SFSYNC_TEST_POSTGRES_DSN"))
    parser.add_argument("--skip-per-dossier", action="store_true", help="time the set-based planner only")
    args = parser.parse_args()
    on_each_store(args, "planner", measure)

if __name__ == "__main__":
    main()

"""How long a firm's status and Syncs page take to read: ``Sfsync.status()`` and
``Sfsync.connection_states()`` for one firm of N dossiers.

    python benchmarks/bench_status.py [--dossiers 2000] [--connections 50] [--history 3]
        [--store sqlite] [--store postgres] [--postgres DSN]

The firm of ``bench_planner.py`` (N dossiers over M firm-level connections, 1 % with an
administrative link beside, ``--history`` runs each), where one dossier in ten last ran an hour
ago and failed: half of those refused by the package (they wait for a re-consent, counted on the
Syncs page), half after saving part of their batches (``incomplete`` on the status page). A
second firm of as many dossiers lies beside it in the same store, so that reading one firm is
measured among others. Timed side by side on the same store:

- **per dossier** (as before issue 28's last review): the same methods on the store seen through
  ``bench_planner.OneByOne`` (each dossier's link, administrative link, connection and last run
  read one by one, and the recent runs of each unfinished one), and the Syncs page's waiting
  counts as they were read (each dossier's links and last run);
- **set-based**: ``status()`` and ``connection_states()`` as they are, on
  :meth:`~sfsync.store.planning_rows.PlanningRows.nightly_rows` of the one firm and
  :meth:`~sfsync.store.planning_rows.PlanningRows.recent_runs`.

Both must give the same answers (checked). Prints seconds, milliseconds a dossier and the
speed-up, per store and view. PostgreSQL needs ``SFSYNC_TEST_POSTGRES_DSN`` or ``--postgres``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import time
from collections.abc import Callable
from typing import Any

from bench_planner import OneByOne, on_each_store, seed
from sfsync.api import REFUSED, ConnectionState, Sfsync
from sfsync.partial_runs import PARTIAL
from sfsync.plugins import PluginRegistry
from sfsync.secrets import SecretBox, generate_key
from sfsync.store.base import RunRecord
from sfsync.store.tables import RUNS


def fail_some(store: Any, firm_id: str, now: dt.datetime) -> None:
    """One dossier in ten of the firm last ran an hour ago and failed: refused, or part-saved."""
    started = now - dt.timedelta(hours=1)
    runs = []
    for n, dossier in enumerate(store.list_dossiers(firm_id)[::10]):
        refused = n % 2 == 0
        runs.append(RunRecord(
            id=f"run_failed_{dossier.id}", dossier_id=dossier.id, started_at=started,
            finished_at=started + dt.timedelta(minutes=1), status="failed",
            error_kind=REFUSED[0] if refused else "NetworkError", error="refused" if refused else "timed out",
            counts={} if refused else {PARTIAL: 2, "batches": 2}))
    store._write(RUNS, (), runs)


def states_one_by_one(sf: Sfsync, user: Any) -> list[ConnectionState]:
    """``connection_states(user)`` as it was: each dossier's links and last run read alone."""
    records = [c for c in sf.store.list_connections(user.firm_id) if c.owner_dossier_id is None]
    waiting = {r.id: 0 for r in records}
    for dossier in sf.store.list_dossiers(user.firm_id):
        links = (sf.store.get_link(dossier.id), sf.store.get_admin_link(dossier.id))
        linked = {link.connection_id for link in links if link is not None} & set(waiting)
        last = sf.store.last_run(dossier.id)
        if linked and last is not None and last.status == "failed" and last.error_kind in REFUSED:
            for connection_id in linked:
                waiting[connection_id] += 1
    return [ConnectionState(connection=r, status=r.status, cause=r.status_cause, waiting=waiting[r.id])
            for r in records]


def timed(view: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    answer = view()
    return time.perf_counter() - started, answer


def measure(name: str, store: Any, args: argparse.Namespace) -> None:
    now = dt.datetime.now(dt.UTC)
    started = time.perf_counter()
    firm_id = seed(store, args.dossiers, args.connections, args.history, now)
    fail_some(store, firm_id, now)
    seed(store, args.dossiers, args.connections, args.history, now, firm_name="Fiduciaire Beside")
    print(f"{name}: seeded 2 firms of {args.dossiers:,} dossiers over {args.connections} connections, "
          f"{args.history} runs each, in {time.perf_counter() - started:.1f} s")
    admin = store.add_user(firm_id, "admin@planner.test", "admin")
    sf = Sfsync(store, SecretBox(generate_key()), registry=PluginRegistry())
    before = Sfsync(OneByOne(store), sf.box, registry=sf.registry)
    sf.status(admin)  # warm-up: the first statements on a fresh store prepare its pages
    views: list[tuple[str, Callable[[], Any], Callable[[], Any]]] = [
        ("status()", lambda: sf.status(admin), lambda: before.status(admin)),
        ("connection_states()", lambda: sf.connection_states(admin), lambda: states_one_by_one(before, admin)),
    ]
    for view, now_, then in views:
        fast, after = timed(now_)
        slow, old = timed(then)
        assert after == old, f"{view}: the set-based answer differs from the per-dossier one"
        print(f"{name}: {view:20} per dossier {slow:6.2f} s {1000 * slow / args.dossiers:6.3f} ms a dossier;"
              f"  set-based {fast:6.3f} s {1000 * fast / args.dossiers:6.3f} ms a dossier;"
              f"  speed-up {slow / fast:5.1f} x")
    lines = sf.status(admin)
    print(f"{name}: {sum(s.incomplete for s in lines)} incomplete dossiers, "
          f"{sum(s.waiting for s in sf.connection_states(admin))} waiting for a re-consent")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dossiers", type=int, default=2_000, help="dossiers of each firm")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--history", type=int, default=3, help="runs kept per dossier")
    parser.add_argument("--store", action="append", choices=("sqlite", "postgres"))
    parser.add_argument("--postgres", default=os.environ.get("SFSYNC_TEST_POSTGRES_DSN"))
    args = parser.parse_args()
    on_each_store(args, "status", measure)

if __name__ == "__main__":
    main()

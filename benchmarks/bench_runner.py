"""Push synthetic ledger pages through the runner into each store; print lines/s, the raw limit and peak memory.

    python benchmarks/bench_runner.py [--store sqlite] [--store postgres] [--lines 200000] [--page 1000] [--models] [--records]

End to end from parsed pages (dicts, as a connector gets them from JSON) to committed rows: the
connector's mapping of the page into ledger fields (each field taken from all rows at once, for
``LedgerColumns.from_columns``; with ``--records`` one dict per row, for ``from_records``), the
batch's validation (``LedgerColumns``), the runner's checkpointed batch writes (one transaction per page, with its checkpoint), the final
balance check. Making up the synthetic pages is not part of that: it is timed apart and left out
of ``lines_per_second`` (printed as ``page_synthesis_seconds``). ``--models`` measures the slower
path of a connector that builds one ``LedgerLine`` model per line. ``unchanged_rerun_seconds`` is
the next night's run, when nothing changed (it must cost almost nothing, whatever the size).

The **raw limit** is measured on the same run: the very rows the store wrote (read back from
it) inserted again with a plain ``executemany`` per page, one commit per page, into an empty
copy of the same table with the same indexes, in a child process. ``raw_ratio`` is sfsync's
end-to-end rate over that limit, both in lines per CPU second (SQLite works in the process, so
its CPU time is all of its cost, and a busy machine does not tilt the ratio); target, issue 28:
at least 0.8. ``raw_bound_columns_ratio`` compares with an insert that binds only the columns
holding a value, which the store does too (a column empty on a whole batch is left to NULL). With PostgreSQL the store's rate
is printed beside SQLite's of the same run (target: at least as fast), by wall clock and by CPU
seconds: PostgreSQL's are the client process's plus its server processes' (user + system time
from ``/proc/<backend pid>/stat``, read before and after the run: the server must run on this
machine and be readable, e.g. as root), split into ``client_us_per_line`` and
``server_us_per_line`` beside ``wall_us_per_line``, and ``cpu_over_wall`` (above 1: the client and
the server worked side by side, see the store's batch in flight); ``postgres_over_sqlite_by_cpu`` compares them with the SQLite process's
CPU seconds, which a busy machine does not tilt. The load average is printed with them.

PostgreSQL: ``SFSYNC_BENCH_POSTGRES_DSN`` (or ``SFSYNC_TEST_POSTGRES_DSN``); the benchmark works
in a schema of its own and drops it afterwards. Peak memory is the process's max RSS, Python
itself included, read after each store's run (target: 1,000,000 lines within 100 MB).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import multiprocessing
import os
import resource
import sqlite3
import tempfile
import time
import uuid
from decimal import Decimal
from operator import itemgetter
from pathlib import Path
from typing import Any

from pydantic import BaseModel, SecretStr
from sfsync.api import Sfsync
from sfsync.auth import FormSpec
from sfsync.hookspecs import hookimpl
from sfsync.metadata import ConnectorInfo
from sfsync.models import (
    Account,
    AccountKind,
    Company,
    FiscalYear,
    LedgerBatch,
    LedgerColumns,
    LedgerLine,
)
from sfsync.plugins import PluginRegistry
from sfsync.secrets import SecretBox, generate_key
from sfsync.store.sqlite import SQLiteStore


class Fields(BaseModel):
    key: SecretStr


class Synthetic:
    def __init__(self, lines: int, page: int, models: bool, records: bool = False) -> None:
        self.lines, self.page, self.models, self.records = lines, page, models, records
        self.synthesis = 0.0  # seconds spent making up the input pages
        self.synthesis_cpu = 0.0  # and the CPU seconds of it

    @hookimpl
    def sfsync_connector_info(self):
        return ConnectorInfo(name="synthetic", title="Synthetic pages")

    @hookimpl
    def sfsync_auth(self):
        return FormSpec(fields=Fields)

    @hookimpl
    async def sfsync_list_companies(self, ctx):
        return [Company(ref="S1", name="Synthetic")]

    @hookimpl
    async def sfsync_fetch_fiscal_years(self, ctx, company):
        return [FiscalYear(start=dt.date(2020 + i, 1, 1), end=dt.date(2020 + i, 12, 31), label=str(2020 + i)) for i in range(6)]

    @hookimpl
    async def sfsync_fetch_accounts(self, ctx, company):
        return [Account(code=str(c), name=f"Account {c}", kind=AccountKind.BALANCE_SHEET) for c in (400000, 700000, 451000)]

    @hookimpl
    def sfsync_fetch_ledger(self, ctx, company, cursor):
        return self._pages(int(cursor or 0))

    async def _pages(self, start: int):
        n = start
        while n < self.lines:
            began, began_cpu = time.perf_counter(), time.process_time()
            rows = [_row(i) for i in range(n, min(n + self.page, self.lines))]  # a parsed JSON page
            self.synthesis += time.perf_counter() - began
            self.synthesis_cpu += time.process_time() - began_cpu
            n += len(rows)
            if self.models:
                models = [
                    LedgerLine.from_signed(Decimal(r["Amount"]), id=r["ID"], entry=r["Entry"], journal=r["Journal"],
                                           date=dt.date.fromisoformat(r["Date"]), period=r["Period"],
                                           account=r["Account"], description=r["Description"])
                    for r in rows
                ]
                yield LedgerBatch(lines=models, cursor=str(n))
                continue
            if self.records:
                lines = LedgerColumns.from_records(
                    [{"id": r["ID"], "entry": r["Entry"], "journal": r["Journal"], "date": r["Date"], "period": r["Period"],
                      "account": r["Account"], "description": r["Description"], "amount": r["Amount"]} for r in rows]
                )
            else:  # each field of the page at once, as a connector whose rows are flat does
                lines = LedgerColumns.from_columns({name: list(map(itemgetter(key), rows)) for name, key in _FIELDS.items()})
            yield LedgerBatch(lines=lines, cursor=str(n))


# The connector's mapping: ledger field <- the package's key in a parsed row.
_FIELDS = {"id": "ID", "entry": "Entry", "journal": "Journal", "date": "Date", "period": "Period",
           "account": "Account", "description": "Description", "amount": "Amount"}


def _row(i: int) -> dict:
    entry, leg = divmod(i, 2)
    amount = f"{(entry % 9973) + 1}.{entry % 100:02d}"
    return {"ID": f"L{i}", "Entry": f"E{entry}", "Journal": "VKP", "Date": f"202{entry % 5}-{entry % 12 + 1:02d}-15",
            "Period": entry % 12 + 1, "Account": "400000" if leg == 0 else "700000",
            "Description": f"Invoice {entry}", "Amount": amount if leg == 0 else "-" + amount}


def _sqlite_store(folder: Path) -> SQLiteStore:
    return SQLiteStore(folder / "bench.sqlite3")


def _postgres_store(folder: Path) -> Any:
    from sfsync.store.postgres import PostgresStore

    dsn = os.environ.get("SFSYNC_BENCH_POSTGRES_DSN") or os.environ.get("SFSYNC_TEST_POSTGRES_DSN")
    if not dsn:
        raise SystemExit("--store postgres needs SFSYNC_BENCH_POSTGRES_DSN (or SFSYNC_TEST_POSTGRES_DSN)")
    return PostgresStore(dsn, schema=f"bench_{uuid.uuid4().hex[:8]}")


_TICKS = os.sysconf("SC_CLK_TCK")


def _backend_cpu(pids: list[int]) -> float:
    """CPU seconds (user + system) the PostgreSQL server processes ``pids`` have used so far,
    from ``/proc/<pid>/stat`` (the server runs on this machine; reading another user's process
    needs root or the same user)."""
    total = 0
    for pid in pids:
        # The fields after the command's name (which is in parentheses and may hold spaces):
        # utime and stime are the 14th and 15th fields of the line.
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / _TICKS


def _backend_pids(store: Any) -> list[int]:
    """The server processes of the store's sessions: its work connection and, once a run lock
    was taken, its lock session."""
    sessions = [store._db, store._lock_db]
    return [db.info.backend_pid for db in sessions if db is not None and not db.closed]


def _drop_postgres_schema(store: Any) -> None:
    import psycopg

    with psycopg.connect(store._dsn, autocommit=True) as db:
        db.execute(f'DROP SCHEMA "{store.schema}" CASCADE')


def _raw_sqlite(folder: Path, page: int) -> tuple[float, float]:
    """Rows per second of a plain executemany of the stored rows into an empty copy of the table:
    binding every column (as a plain insert does), and binding only the columns that hold a value
    on some row (what the store binds: a column empty on every line of a batch is left to NULL)."""
    source = sqlite3.connect(folder / "bench.sqlite3")
    ddl = [sql for (sql,) in source.execute(
        "SELECT sql FROM sqlite_master WHERE tbl_name = 'ledger_lines' AND sql IS NOT NULL ORDER BY type DESC")]
    names = [row[1] for row in source.execute("PRAGMA table_info(ledger_lines)")]
    rows = source.execute("SELECT * FROM ledger_lines").fetchall()
    source.close()
    used = [i for i in range(len(names)) if any(row[i] is not None for row in rows)]
    rates = []
    for label, columns in (("all", list(range(len(names)))), ("used", used)):
        target = sqlite3.connect(folder / f"raw-{label}.sqlite3", isolation_level=None)
        target.execute("PRAGMA journal_mode=WAL")
        target.execute("PRAGMA synchronous=NORMAL")
        for sql in ddl:
            target.execute(sql)
        given = rows if label == "all" else [tuple(row[i] for i in columns) for row in rows]
        sql = (f"INSERT INTO ledger_lines ({', '.join(names[i] for i in columns)})"
               f" VALUES ({', '.join('?' * len(columns))})")
        start = time.process_time()
        for at in range(0, len(given), page):
            target.execute("BEGIN")
            target.executemany(sql, given[at:at + page])
            target.execute("COMMIT")
        rates.append(len(given) / (time.process_time() - start))
        target.close()
    return rates[0], rates[1]


async def _one_store(kind: str, lines: int, page: int, models: bool, records: bool) -> dict[str, Any]:
    """One end-to-end run into a new store of ``kind`` (and, on SQLite, the raw limits after it)."""
    registry = PluginRegistry()
    connector = Synthetic(lines, page, models, records)
    registry.register(connector, "synthetic")
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        store = _sqlite_store(folder) if kind == "sqlite" else _postgres_store(folder)
        try:
            app = Sfsync(store, SecretBox(generate_key()), registry=registry)
            firm = app.create_firm("Bench")
            admin = app.add_user(firm.id, "a@b.c", "admin")
            connection = await app.connect_form(admin, "synthetic", {"key": "k"})
            dossier = app.create_dossier(admin, "bench")
            await app.link(admin, dossier.id, connection.id, "S1", mode="replace")
            # The lock session opens with the run's first lock: take it now, so that its server
            # process is counted from the start (a lock renewed costs nothing here).
            if kind == "postgres":
                store._lock_session()
            pids = _backend_pids(store) if kind == "postgres" else []
            start, start_cpu = time.perf_counter(), time.process_time()
            start_server = _backend_cpu(pids)
            run = await app.sync(dossier.id)
            elapsed = time.perf_counter() - start - connector.synthesis
            cpu = time.process_time() - start_cpu - connector.synthesis_cpu
            server = _backend_cpu(pids) - start_server
            assert kind != "postgres" or _backend_pids(store) == pids, "the store reconnected during the run: its CPU is not all counted"
            assert run.status in ("ok", "warning"), run.error
            stored = app.store.count_ledger_lines(dossier.id)
            assert stored == lines, (stored, lines)
            start = time.perf_counter()
            rerun = await app.sync(dossier.id)
            rerun_seconds = time.perf_counter() - start
            assert rerun.status in ("ok", "warning") and rerun.counts["lines_fetched"] == 0, rerun
            figures: dict[str, Any] = {
                "store": kind, "lines": stored,
                "path": "LedgerLine models" if models else "LedgerColumns.from_records" if records else "LedgerColumns.from_columns",
                "page": page, "seconds": round(elapsed, 2), "lines_per_second": round(stored / elapsed),
                "cpu_seconds": round(cpu, 2), "lines_per_cpu_second": round(stored / cpu),
                "page_synthesis_seconds": round(connector.synthesis, 2),
                **({"server_cpu_seconds": round(server, 2), "client_cpu_seconds": round(cpu, 2),
                    "cpu_seconds": round(cpu + server, 2), "lines_per_cpu_second": round(stored / (cpu + server)),
                    "server_us_per_line": round(server / stored * 1e6, 1),
                    "client_us_per_line": round(cpu / stored * 1e6, 1),
                    "wall_us_per_line": round(elapsed / stored * 1e6, 1),
                    "cpu_over_wall": round((cpu + server) / elapsed, 2)} if kind == "postgres" else {}),
                "unchanged_rerun_seconds": round(rerun_seconds, 3),
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            }
            store.close()
            if kind == "sqlite":
                # In a child process, so that its copy of every row weighs on no peak memory here.
                with multiprocessing.get_context("fork").Pool(1) as pool:
                    figures["raw_all"], figures["raw_used"] = pool.apply(_raw_sqlite, (folder, page))
            return figures
        finally:
            store.close()
            if kind == "postgres":
                _drop_postgres_schema(store)


async def main(stores: list[str], lines: int, page: int, models: bool, rounds: int, records: bool = False) -> None:
    # Rounds interleave the stores and the raw limits, so that a busy moment of the machine
    # weighs on each alike; each figure is its best round.
    runs: dict[str, list[dict[str, Any]]] = {kind: [] for kind in stores}
    for _ in range(rounds):
        for kind in stores:
            runs[kind].append(await _one_store(kind, lines, page, models, records))
    rates, cpu_rates = {}, {}
    for kind, results in runs.items():
        best = max(results, key=lambda f: f["lines_per_second"])
        best["rounds"] = rounds
        best["peak_rss_mb"] = max(f["peak_rss_mb"] for f in results)
        if kind == "sqlite":
            raw_all = max(f.pop("raw_all") for f in results)
            raw_used = max(f.pop("raw_used") for f in results)
            # Both sides in CPU seconds of one process each: a busy machine slows them alike.
            cpu_rate = max(f["lines_per_cpu_second"] for f in results)
            best["raw_executemany_rows_per_cpu_second"] = round(raw_all)
            best["raw_ratio"] = round(cpu_rate / raw_all, 2)
            best["raw_bound_columns_rows_per_cpu_second"] = round(raw_used)
            best["raw_bound_columns_ratio"] = round(cpu_rate / raw_used, 2)
        rates[kind] = best["lines_per_second"]
        cpu_rates[kind] = max(f["lines_per_cpu_second"] for f in results)
        print(json.dumps(best))
    if "sqlite" in rates and "postgres" in rates:
        # By CPU seconds: SQLite's process against PostgreSQL's client process plus its server
        # process, which a busy machine does not tilt; by wall clock as the user sees it.
        print(json.dumps({
            "postgres_over_sqlite_by_cpu": round(cpu_rates["postgres"] / cpu_rates["sqlite"], 2),
            "postgres_over_sqlite": round(rates["postgres"] / rates["sqlite"], 2),
            "load_average": [round(x, 2) for x in os.getloadavg()],
        }))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", action="append", choices=("sqlite", "postgres"),
                        help="a store to measure (repeat for both; default sqlite)")
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--page", type=int, default=1000)
    parser.add_argument("--models", action="store_true", help="build one LedgerLine model per line (slower path)")
    parser.add_argument("--records", action="store_true",
                        help="map each row into a dict for LedgerColumns.from_records (the record path)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds; each figure is its best")
    args = parser.parse_args()
    asyncio.run(main(args.store or ["sqlite"], args.lines, args.page, args.models, args.rounds, args.records))

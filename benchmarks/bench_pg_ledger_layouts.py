"""What one ledger line costs PostgreSQL's server, by table layout and way in, with the rows made beforehand.

    python benchmarks/bench_pg_ledger_layouts.py [--rows 100000] [--page 1000] [--repeat 2] [LAYOUT ...]

Each layout is a fresh table in a schema of its own (dropped afterwards), filled page by page
with binary ``COPY`` (psycopg's ``write_row``), one transaction per page committed without
waiting for the WAL flush, as the store does. The rows are synthetic ledger lines made before
the clock starts, so only the write is measured. Prints, per layout, the server process's CPU
µs per row (user + system from ``/proc/<backend pid>/stat``: the server must run on this machine
and be readable, e.g. as root), the client's CPU µs per row and the wall-clock µs per row.
Layouts run in turn ``--repeat`` times, so that a busy moment weighs on each alike.

Layouts: ``text_key`` (schema version 3: dossier, generation and source as text on every line,
keyed by the four, indexes by entry and by date), ``text_key_no_date`` (without the date index),
``sets`` (schema version 4: keyed by ``(set_id, id)``, index ``(set_id, entry)``, COPY straight
in), ``sets_staged`` (COPY into a temporary staging table, then ``INSERT … SELECT``),
``sets_upsert`` (the same with ``ON CONFLICT DO UPDATE``), ``sets_no_entry_index``,
``sets_unlogged`` (no WAL: not an option for the store, shown for what WAL costs) and
``staging_only`` (COPY into the temporary table alone: the bare cost of the COPY input).

PostgreSQL: ``SFSYNC_BENCH_POSTGRES_DSN`` (or ``SFSYNC_TEST_POSTGRES_DSN``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
import uuid
from decimal import Decimal
from typing import Any

import psycopg

_TICKS = os.sysconf("SC_CLK_TCK")
_C = 'COLLATE "C"'
_DATA = (
    f"id TEXT {_C} NOT NULL, entry TEXT {_C} NOT NULL, journal TEXT, date DATE NOT NULL, period INTEGER,"
    f" fiscal_year TEXT, account TEXT {_C} NOT NULL, description TEXT NOT NULL, debit NUMERIC NOT NULL,"
    " credit NUMERIC NOT NULL, currency TEXT, foreign_amount NUMERIC, counterparty TEXT, vat_code TEXT,"
    " modified TEXT, placed_on DATE"
)
COLUMNS = ["id", "entry", "journal", "date", "period", "fiscal_year", "account", "description", "debit", "credit", "currency", "foreign_amount", "counterparty", "vat_code", "modified", "placed_on"]
TYPES = ["text", "text", "text", "date", "int4", "text", "text", "text", "numeric", "numeric", "text", "numeric",
         "text", "text", "text", "date"]
_SCOPE = ("dos_0123456789ab", 1, "ledger")  # a text-keyed line's dossier, generation and source
_SET_ID = 7

LAYOUTS = ("text_key", "text_key_no_date", "sets", "sets_staged", "sets_upsert", "sets_no_entry_index",
           "sets_unlogged", "staging_only")


def _row(i: int) -> tuple[Any, ...]:
    entry, leg = divmod(i, 2)
    amount = Decimal(f"{(entry % 9973) + 1}.{entry % 100:02d}")
    return (f"L{i}", f"E{entry}", "VKP", dt.date(2020 + entry % 5, entry % 12 + 1, 15), entry % 12 + 1, None,
            "400000" if leg == 0 else "700000", f"Invoice {entry}", amount if leg == 0 else Decimal(0),
            Decimal(0) if leg == 0 else amount, None, None, None, None, None, None)


def _ddl(layout: str) -> str:
    if layout.startswith("text_key"):
        ddl = (f"CREATE TABLE ledger_lines (dossier_id TEXT {_C} NOT NULL, generation INTEGER NOT NULL,"
               f" source TEXT {_C} NOT NULL, {_DATA}, PRIMARY KEY (dossier_id, generation, source, id));"
               " CREATE INDEX ledger_by_entry ON ledger_lines (dossier_id, generation, source, entry);")
        if layout == "text_key":
            ddl += " CREATE INDEX ledger_by_date ON ledger_lines (dossier_id, generation, date);"
        return ddl
    table = "CREATE UNLOGGED TABLE" if layout == "sets_unlogged" else "CREATE TABLE"
    ddl = f"{table} ledger_lines (set_id BIGINT NOT NULL, {_DATA}, PRIMARY KEY (set_id, id));"
    if layout != "sets_no_entry_index":
        ddl += " CREATE INDEX ledger_by_entry ON ledger_lines (set_id, entry);"
    return ddl


def _server_cpu(pid: int) -> float:
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()  # noqa: SIM115 - one read
    return (int(fields[11]) + int(fields[12])) / _TICKS


def _copy(db: psycopg.Connection[Any], statement: str, types: list[str], rows: Any) -> None:
    with db.cursor().copy(statement) as copy:
        copy.set_types(types)
        for row in rows:
            copy.write_row(row)


def _write_page(db: psycopg.Connection[Any], layout: str, page: list[tuple[Any, ...]]) -> None:
    data = ", ".join(COLUMNS)
    if layout.startswith("text_key"):
        _copy(db, f"COPY ledger_lines (dossier_id, generation, source, {data}) FROM STDIN (FORMAT BINARY)",
              ["text", "int4", "text", *TYPES], ((*_SCOPE, *r) for r in page))
    elif layout in ("sets_staged", "sets_upsert", "staging_only"):
        _copy(db, f"COPY staging ({data}) FROM STDIN (FORMAT BINARY)", TYPES, page)
        if layout != "staging_only":
            upsert = (" ON CONFLICT (set_id, id) DO UPDATE SET "
                      + ", ".join(f"{c} = excluded.{c}" for c in COLUMNS[1:])) if layout == "sets_upsert" else ""
            db.execute(f"INSERT INTO ledger_lines (set_id, {data}) SELECT %s, {data} FROM staging" + upsert,
                       (_SET_ID,))
    else:
        _copy(db, f"COPY ledger_lines (set_id, {data}) FROM STDIN (FORMAT BINARY)", ["int8", *TYPES],
              ((_SET_ID, *r) for r in page))


def measure(dsn: str, layout: str, rows: list[tuple[Any, ...]], page: int) -> dict[str, float]:
    """Server, client and wall-clock µs per row of writing ``rows`` into a fresh ``layout``."""
    schema = f"bench_layout_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(dsn, autocommit=True) as db:
        db.execute(f'CREATE SCHEMA "{schema}"')
        try:
            db.execute(f'SET search_path TO "{schema}"')
            db.execute(_ddl(layout))
            columns = ", ".join(f"{c} {t}" for c, t in zip(COLUMNS, TYPES, strict=True))
            db.execute(f"CREATE TEMPORARY TABLE staging ({columns}) ON COMMIT DELETE ROWS")
            pid = db.info.backend_pid
            server, client, wall = _server_cpu(pid), time.process_time(), time.perf_counter()
            for at in range(0, len(rows), page):
                with db.transaction():
                    db.execute("SET LOCAL synchronous_commit TO OFF")
                    _write_page(db, layout, rows[at:at + page])
            server, client, wall = (_server_cpu(pid) - server, time.process_time() - client,
                                    time.perf_counter() - wall)
        finally:
            db.execute(f'DROP SCHEMA "{schema}" CASCADE')
    per_row = 1e6 / len(rows)
    return {"server_us_per_row": round(server * per_row, 1), "client_us_per_row": round(client * per_row, 1),
            "wall_us_per_row": round(wall * per_row, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("layouts", nargs="*", help=f"layouts to measure (default: all): {', '.join(LAYOUTS)}")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--page", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    if unknown := set(args.layouts) - set(LAYOUTS):
        parser.error(f"unknown layouts {sorted(unknown)}; choose from {', '.join(LAYOUTS)}")
    dsn = os.environ.get("SFSYNC_BENCH_POSTGRES_DSN") or os.environ.get("SFSYNC_TEST_POSTGRES_DSN")
    if not dsn:
        sys.exit("needs SFSYNC_BENCH_POSTGRES_DSN (or SFSYNC_TEST_POSTGRES_DSN)")
    rows = [_row(i) for i in range(args.rows)]
    for _ in range(args.repeat):
        for layout in args.layouts or LAYOUTS:
            figures = measure(dsn, layout, rows, args.page)
            print(f"{layout:20s} " + "  ".join(f"{k} {v:5.1f}" for k, v in figures.items())
                  + f"  load {os.getloadavg()[0]:.1f}", flush=True)


if __name__ == "__main__":
    main()

"""The embedded default store: one SQLite file in WAL mode, nothing to install.

Amounts are stored as exact decimal text. Balance checks filter suspect entries in SQL (fast),
then confirm every one exactly with ``Decimal`` in Python.

Ledger lines are the bulk of the file. They are grouped in *ledger sets* (one per dossier,
generation and source) so that each line and its two index entries carry one small integer
instead of three text keys: that alone makes a batch insert a quarter faster. The schema
version is in ``meta``; an older file is migrated when it is opened.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from decimal import Decimal
from itertools import repeat
from pathlib import Path
from typing import Any

from sfsync.errors import ConfigurationError, NotFound
from sfsync.models import (
    Account,
    FiscalYear,
    LedgerBatch,
    LedgerLine,
    OpeningBalance,
    TrialBalanceBatch,
    TrialBalanceLine,
)
from sfsync.placement import placed_days
from sfsync.store.base import (
    ConnectionRecord,
    DossierRecord,
    Firm,
    LinkRecord,
    Role,
    RunRecord,
    User,
)
from sfsync.store.codec import dec
from sfsync.store.dialect import SQLITE
from sfsync.store.exact_sums import UNBALANCED_SQL
from sfsync.store.housekeeping_rows import HousekeepingRows
from sfsync.store.levels_rows import LEVELS_TABLES, owner_backfill
from sfsync.store.movement_rows import MovementRows
from sfsync.store.planning_rows import PlanningRows
from sfsync.store.tables import (
    ACCOUNTS,
    CONNECTIONS,
    FISCAL_YEARS,
    GENERATION_TABLES,
    LEDGER_LINES,
    LINKS,
    OPENING_BALANCES,
    RUNS,
    TRIAL_BALANCE,
    Table,
)

__all__ = ["SCHEMA_VERSION", "SQLiteStore"]

SCHEMA_VERSION = 4

# No REFERENCES ledger_sets(id) on set_id: a foreign-key probe per inserted line costs more than
# it guards; sets and their lines are only ever removed together (_drop).
_SCHEMA_LEDGER = """
CREATE TABLE IF NOT EXISTS ledger_sets (
    id INTEGER PRIMARY KEY, dossier_id TEXT NOT NULL, generation INTEGER NOT NULL, source TEXT NOT NULL,
    UNIQUE (dossier_id, generation, source));
CREATE TABLE IF NOT EXISTS ledger_lines (
    set_id INTEGER NOT NULL, id TEXT NOT NULL,
    entry TEXT NOT NULL, journal TEXT, date TEXT NOT NULL, period INTEGER, fiscal_year TEXT,
    account TEXT NOT NULL, description TEXT NOT NULL, debit TEXT NOT NULL, credit TEXT NOT NULL,
    currency TEXT, foreign_amount TEXT, counterparty TEXT, vat_code TEXT, modified TEXT, placed_on TEXT,
    UNIQUE (set_id, id));
CREATE INDEX IF NOT EXISTS ledger_by_entry ON ledger_lines (set_id, entry);
"""

_SCHEMA = (
    """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS firms (id TEXT PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS users (
    id TEXT PRIMARY KEY, firm_id TEXT NOT NULL REFERENCES firms(id), email TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'member')), UNIQUE (firm_id, email));
CREATE TABLE IF NOT EXISTS connections (
    id TEXT PRIMARY KEY, firm_id TEXT NOT NULL REFERENCES firms(id), connector TEXT NOT NULL,
    label TEXT NOT NULL, level TEXT NOT NULL, config TEXT NOT NULL, sealed BLOB NOT NULL,
    status TEXT NOT NULL DEFAULT 'ok', created_at TEXT NOT NULL,
    owner_dossier_id TEXT, created_by TEXT, status_cause TEXT);
CREATE TABLE IF NOT EXISTS dossiers (
    id TEXT PRIMARY KEY, firm_id TEXT NOT NULL REFERENCES firms(id), name TEXT NOT NULL,
    active_generation INTEGER, building_generation INTEGER, next_generation INTEGER NOT NULL DEFAULT 1,
    UNIQUE (firm_id, name));
CREATE TABLE IF NOT EXISTS links (
    dossier_id TEXT PRIMARY KEY REFERENCES dossiers(id), connection_id TEXT NOT NULL,
    company_ref TEXT NOT NULL, company_name TEXT NOT NULL, mode TEXT NOT NULL,
    granularity TEXT NOT NULL, since TEXT, first_year_end TEXT, fiscal_years_override TEXT,
    needs_full_sync INTEGER NOT NULL, opening_balances_done INTEGER NOT NULL, opening_balances_stamp TEXT,
    created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS fiscal_years (
    dossier_id TEXT NOT NULL, generation INTEGER NOT NULL, start TEXT NOT NULL, end_ TEXT NOT NULL,
    data TEXT NOT NULL, PRIMARY KEY (dossier_id, generation, start));
CREATE TABLE IF NOT EXISTS accounts (
    dossier_id TEXT NOT NULL, generation INTEGER NOT NULL, code TEXT NOT NULL, name TEXT NOT NULL,
    kind TEXT NOT NULL, parent TEXT, ref TEXT, PRIMARY KEY (dossier_id, generation, code));
"""
    + _SCHEMA_LEDGER
    + """
CREATE TABLE IF NOT EXISTS trial_balance (
    dossier_id TEXT NOT NULL, generation INTEGER NOT NULL, source TEXT NOT NULL,
    account TEXT NOT NULL, period_start TEXT NOT NULL, period_end TEXT NOT NULL, period INTEGER,
    fiscal_year TEXT, opening TEXT NOT NULL, debit TEXT NOT NULL, credit TEXT NOT NULL,
    closing TEXT NOT NULL, PRIMARY KEY (dossier_id, generation, source, account, period_end));
CREATE TABLE IF NOT EXISTS opening_balances (
    dossier_id TEXT NOT NULL, generation INTEGER NOT NULL, source TEXT NOT NULL,
    account TEXT NOT NULL, date TEXT NOT NULL, amount TEXT NOT NULL,
    PRIMARY KEY (dossier_id, generation, source, account, date));
CREATE TABLE IF NOT EXISTS checkpoints (
    dossier_id TEXT NOT NULL, generation INTEGER NOT NULL, stream TEXT NOT NULL, cursor TEXT,
    PRIMARY KEY (dossier_id, generation, stream));
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY, dossier_id TEXT NOT NULL, started_at TEXT NOT NULL, finished_at TEXT,
    status TEXT NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS runs_by_dossier ON runs (dossier_id, started_at);
CREATE TABLE IF NOT EXISTS locks (dossier_id TEXT PRIMARY KEY, owner TEXT NOT NULL, expires REAL NOT NULL);
"""
    + LEVELS_TABLES
)

_LINE_COLUMNS = tuple(c for c in LEDGER_LINES.columns if c not in LEDGER_LINES.scope)
_LINE_FIELDS = ", ".join(_LINE_COLUMNS)
_LINE_DECODERS = SQLITE.decoders(LEDGER_LINES, _LINE_COLUMNS)
# Where a line counts for periods and years: its booking period's day, else its date.
_PLACED = "COALESCE(placed_on, date)"


@functools.cache
def _insert_lines(fields: tuple[str, ...]) -> str:
    # One statement per set of fields present in a batch: fields empty on every line are left to
    # NULL instead of binding a None per line (binding is most of an insert's cost).
    return (
        f"INSERT OR REPLACE INTO ledger_lines (set_id, {', '.join(fields)})"
        f" VALUES (?{', ?' * len(fields)})"
    )

_SETS_OF = "SELECT id FROM ledger_sets WHERE dossier_id = ? AND generation = ?"

_V1_FIELDS = (
    "id, entry, journal, date, period, fiscal_year, account, description,"
    " debit, credit, currency, foreign_amount, counterparty, vat_code, modified"
)


def _script(db: sqlite3.Connection, script: str) -> None:
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


def _to_v2(db: sqlite3.Connection) -> None:
    """Version 1 kept dossier_id, generation and source on every ledger line."""
    _script(db, f"""
ALTER TABLE ledger_lines RENAME TO ledger_lines_v1;
DROP INDEX IF EXISTS ledger_by_entry;
{_SCHEMA_LEDGER};
INSERT INTO ledger_sets (dossier_id, generation, source)
    SELECT DISTINCT dossier_id, generation, source FROM ledger_lines_v1;
INSERT INTO ledger_lines (set_id, {_V1_FIELDS})
    SELECT s.id, l.id, l.entry, l.journal, l.date, l.period, l.fiscal_year, l.account, l.description, l.debit,
           l.credit, l.currency, l.foreign_amount, l.counterparty, l.vat_code, l.modified
    FROM ledger_lines_v1 AS l JOIN ledger_sets AS s USING (dossier_id, generation, source);
DROP TABLE ledger_lines_v1
""")


def _add_column(db: sqlite3.Connection, table: str, column: str, declaration: str) -> None:
    present = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
    if column not in present:  # a file migrated from version 1 already has today's ledger table
        db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")


def _to_v3(db: sqlite3.Connection) -> None:
    """Version 3: a line's booking-period day (``placed_on``) and the stamp of the history its
    opening balances were fetched for. Lines stored before count by their date until resynced."""
    _add_column(db, "ledger_lines", "placed_on", "TEXT")
    _add_column(db, "links", "opening_balances_stamp", "TEXT")


def _to_v4(db: sqlite3.Connection) -> None:
    """Version 4: connection levels (the dossier a dossier-level login belongs to, who created a
    connection, why it needs re-consent). The new tables (support staff, administrative links,
    company details) come with the schema."""
    for column in ("owner_dossier_id", "created_by", "status_cause"):
        _add_column(db, "connections", column, "TEXT")
    db.execute(owner_backfill())


_MIGRATIONS = {2: _to_v2, 3: _to_v3, 4: _to_v4}



_HOST = socket.gethostname()


def _alive(holder: str) -> bool:
    """Whether a lock's holder can still be running: a process of this host that has gone (killed,
    crashed) holds nothing, so its dossier need not wait for the lock's expiry."""
    _, _, place = holder.rpartition("@")
    host, _, pid = place.rpartition(":")
    if host != _HOST or not pid.isdigit():
        return True  # another machine's process: trust the expiry
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


def _create_private(path: Path) -> None:
    """Create the database file readable by its owner only (0600): it holds the firm's figures and
    sealed credentials. SQLite gives its -wal and -shm files the database file's mode."""
    with suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


class SQLiteStore(HousekeepingRows, MovementRows, PlanningRows):
    """The :class:`~sfsync.store.Store` on SQLite.

    Args:
        path: The database file (created with its schema), or ``":memory:"``.
    """

    lines_of_generation = f"set_id IN ({_SETS_OF})"
    ledger_deletes = (
        "DELETE FROM ledger_lines WHERE set_id IN (SELECT id FROM ledger_sets WHERE dossier_id = ?)",
        "DELETE FROM ledger_sets WHERE dossier_id = ?",
    )

    def __init__(self, path: str | Path = "sfsync.sqlite3") -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            _create_private(Path(self.path))
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._lock = threading.RLock()
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.execute("PRAGMA busy_timeout=10000")
        try:
            with self._tx() as db:
                self._migrate(db)
        except BaseException:
            self._db.close()
            raise

    @staticmethod
    def _migrate(db: sqlite3.Connection) -> None:
        """Create the schema, or bring an older file up to this version (in one transaction)."""
        has_meta = db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").fetchone()
        row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() if has_meta else None
        current = int(row[0]) if row else SCHEMA_VERSION
        if current > SCHEMA_VERSION:
            raise ConfigurationError(
                f"the SQLite store is at schema version {current}, newer than this sfsync knows "
                f"({SCHEMA_VERSION}); upgrade sfsync"
            )
        for version in range(current + 1, SCHEMA_VERSION + 1):
            _MIGRATIONS[version](db)
        _script(db, _SCHEMA)
        db.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
        )

    def schema_version(self) -> int:
        """The schema version of the file (``SCHEMA_VERSION`` once opened)."""
        return int(self._one("SELECT value FROM meta WHERE key = 'schema_version'")[0])

    def __repr__(self) -> str:
        return f"SQLiteStore({self.path!r})"

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            else:
                self._db.execute("COMMIT")

    def _one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        with self._lock:
            return self._db.execute(sql, params).fetchone()

    def _all(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    # --- firms and users --------------------------------------------------------------------------

    def create_firm(self, name: str) -> Firm:
        firm = Firm(_new_id("firm"), name)
        with self._tx() as db:
            db.execute("INSERT INTO firms (id, name) VALUES (?, ?)", (firm.id, firm.name))
        return firm

    def get_firm(self, firm_id: str) -> Firm:
        row = self._one("SELECT id, name FROM firms WHERE id = ?", (firm_id,))
        if row is None:
            raise NotFound(f"no firm {firm_id!r}")
        return Firm(*row)

    def list_firms(self) -> list[Firm]:
        return [Firm(*row) for row in self._all("SELECT id, name FROM firms ORDER BY name")]

    def add_user(self, firm_id: str, email: str, role: Role) -> User:
        self.get_firm(firm_id)
        user = User(_new_id("user"), firm_id, email, role)
        with self._tx() as db:
            db.execute(
                "INSERT INTO users (id, firm_id, email, role) VALUES (?, ?, ?, ?)",
                (user.id, firm_id, email, role),
            )
        return user

    def get_user(self, user_id: str) -> User:
        row = self._one("SELECT id, firm_id, email, role FROM users WHERE id = ?", (user_id,))
        if row is None:
            support = self._support_user(user_id)
            if support is None:
                raise NotFound(f"no user {user_id!r}")
            return support
        return User(*row)

    def find_user(self, firm_id: str, email: str) -> User | None:
        row = self._one(
            "SELECT id, firm_id, email, role FROM users WHERE firm_id = ? AND email = ?", (firm_id, email)
        )
        return User(*row) if row else None

    # --- connections --------------------------------------------------------------------------

    def _write(self, table: Table, scope: Sequence[Any], records: Sequence[Any]) -> None:
        with self._tx() as db:
            self._write_in(db, table, scope, records)

    @staticmethod
    def _write_in(db: sqlite3.Connection, table: Table, scope: Sequence[Any], records: Sequence[Any]) -> None:
        for statement, rows in SQLITE.upsert_many(table, scope, records):
            db.executemany(statement, rows)

    def _read(self, table: Table, where: str, params: Sequence[Any], *, order: str = "") -> list[Any]:
        return SQLITE.read(table, self._all(SQLITE.select(table, where, order=order), params))

    def add_connection(self, record: ConnectionRecord) -> None:
        self._write(CONNECTIONS, (), [record])

    def get_connection(self, connection_id: str) -> ConnectionRecord:
        found = self._read(CONNECTIONS, "id = {p}", (connection_id,))
        if not found:
            raise NotFound(f"no connection {connection_id!r}")
        return found[0]  # type: ignore[no-any-return]

    def list_connections(self, firm_id: str) -> list[ConnectionRecord]:
        return self._read(CONNECTIONS, "firm_id = {p}", (firm_id,), order="created_at, id")

    def update_connection(
        self,
        connection_id: str,
        *,
        sealed: bytes | None = None,
        status: str | None = None,
        cause: str | None = None,
        config: dict[str, Any] | None = None,
    ) -> None:
        with self._tx() as db:
            if sealed is not None:
                db.execute("UPDATE connections SET sealed = ? WHERE id = ?", (sealed, connection_id))
            if status is not None:
                db.execute("UPDATE connections SET status = ?, status_cause = ? WHERE id = ?",
                           (status, cause, connection_id))
            if config is not None:
                db.execute("UPDATE connections SET config = ? WHERE id = ?", (json.dumps(config), connection_id))

    def delete_connection(self, connection_id: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM connections WHERE id = ?", (connection_id,))

    # --- dossiers and links -------------------------------------------------------------------

    def add_dossier(self, firm_id: str, name: str) -> DossierRecord:
        self.get_firm(firm_id)
        dossier = DossierRecord(_new_id("dos"), firm_id, name)
        with self._tx() as db:
            db.execute("INSERT INTO dossiers (id, firm_id, name) VALUES (?, ?, ?)", (dossier.id, firm_id, name))
        return dossier

    def get_dossier(self, dossier_id: str) -> DossierRecord:
        row = self._one("SELECT id, firm_id, name FROM dossiers WHERE id = ?", (dossier_id,))
        if row is None:
            raise NotFound(f"no dossier {dossier_id!r}")
        return DossierRecord(*row)

    def find_dossier(self, firm_id: str, name: str) -> DossierRecord | None:
        row = self._one("SELECT id, firm_id, name FROM dossiers WHERE firm_id = ? AND name = ?", (firm_id, name))
        return DossierRecord(*row) if row else None

    def list_dossiers(self, firm_id: str | None = None) -> list[DossierRecord]:
        if firm_id is None:
            rows = self._all("SELECT id, firm_id, name FROM dossiers ORDER BY name")
        else:
            rows = self._all("SELECT id, firm_id, name FROM dossiers WHERE firm_id = ? ORDER BY name", (firm_id,))
        return [DossierRecord(*r) for r in rows]

    def save_link(self, link: LinkRecord) -> None:
        self._write(LINKS, (), [link])

    def get_link(self, dossier_id: str) -> LinkRecord | None:
        found = self._read(LINKS, "dossier_id = {p}", (dossier_id,))
        return found[0] if found else None

    def delete_link(self, dossier_id: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM links WHERE dossier_id = ?", (dossier_id,))

    # --- generations ----------------------------------------------------------------------------

    def active_generation(self, dossier_id: str) -> int | None:
        row = self._one("SELECT active_generation FROM dossiers WHERE id = ?", (dossier_id,))
        if row is None:
            raise NotFound(f"no dossier {dossier_id!r}")
        return row[0]  # type: ignore[no-any-return]

    def building_generation(self, dossier_id: str) -> int | None:
        row = self._one("SELECT building_generation FROM dossiers WHERE id = ?", (dossier_id,))
        if row is None:
            raise NotFound(f"no dossier {dossier_id!r}")
        return row[0]  # type: ignore[no-any-return]

    def begin_generation(
        self, dossier_id: str, *, keep_before: dt.date | None, keep_outside: tuple[dt.date, dt.date] | None = None
    ) -> int:
        with self._tx() as db:
            active, building, nxt = db.execute(
                "SELECT active_generation, building_generation, next_generation FROM dossiers WHERE id = ?",
                (dossier_id,),
            ).fetchone()
            if building is not None:
                self._drop(db, dossier_id, building)
            gen = nxt
            db.execute(
                "UPDATE dossiers SET building_generation = ?, next_generation = ? WHERE id = ?",
                (gen, gen + 1, dossier_id),
            )
            if active is not None and (keep_before is not None or keep_outside is not None):
                # The data before the date (*since*), or outside the new source's dates, stays as
                # it is, whatever its source.
                how = {"before": keep_before is not None, "outside": keep_outside is not None}
                days = SQLITE.kept_values(keep_before, keep_outside)
                sets = db.execute("SELECT id, source FROM ledger_sets WHERE dossier_id = ? AND generation = ?",
                                  (dossier_id, active)).fetchall()
                for old_set, source in sets:
                    db.execute(
                        f"INSERT INTO ledger_lines (set_id, {_LINE_FIELDS}) SELECT ?, {_LINE_FIELDS}"
                        f" FROM ledger_lines WHERE set_id = ?" + SQLITE.kept(_PLACED, **how),
                        (self._ledger_set(db, dossier_id, gen, source), old_set, *days),
                    )
                for table in (TRIAL_BALANCE, ACCOUNTS, OPENING_BALANCES):
                    kept = days if table.kept_by else ()
                    db.execute(SQLITE.copy_generation(table, **how), (gen, dossier_id, active, *kept))
        return gen  # type: ignore[no-any-return]

    def swap_generation(self, dossier_id: str, generation: int) -> None:
        with self._tx() as db:
            self._swap_in(db, dossier_id, generation)

    def _swap_in(self, db: sqlite3.Connection, dossier_id: str, generation: int) -> None:
        active = db.execute("SELECT active_generation FROM dossiers WHERE id = ?", (dossier_id,)).fetchone()[0]
        db.execute(
            "UPDATE dossiers SET active_generation = ?, building_generation = NULL WHERE id = ?",
            (generation, dossier_id),
        )
        if active is not None and active != generation:
            self._drop(db, dossier_id, active)

    def discard_generation(self, dossier_id: str, generation: int) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE dossiers SET building_generation = NULL WHERE id = ? AND building_generation = ?",
                (dossier_id, generation),
            )
            self._drop(db, dossier_id, generation)

    @staticmethod
    def _drop(db: sqlite3.Connection, dossier_id: str, generation: int) -> None:
        db.execute(f"DELETE FROM ledger_lines WHERE set_id IN ({_SETS_OF})", (dossier_id, generation))
        for table in ("ledger_sets", *(t for t in GENERATION_TABLES if t != "ledger_lines")):
            db.execute(SQLITE.drop_generation(table), (dossier_id, generation))

    @staticmethod
    def _ledger_set(db: sqlite3.Connection, dossier_id: str, generation: int, source: str) -> int:
        """The id of the lines of one dossier, generation and source (created on first use)."""
        key = (dossier_id, generation, source)
        row = db.execute("SELECT id FROM ledger_sets WHERE dossier_id = ? AND generation = ? AND source = ?",
                         key).fetchone()
        if row is not None:
            return int(row[0])
        cursor = db.execute("INSERT INTO ledger_sets (dossier_id, generation, source) VALUES (?, ?, ?)", key)
        return int(cursor.lastrowid)  # type: ignore[arg-type]

    # --- figures -----------------------------------------------------------------------------

    def write_fiscal_years(self, dossier_id: str, generation: int, years: Sequence[FiscalYear]) -> None:
        with self._tx() as db:
            db.execute(SQLITE.drop_generation("fiscal_years"), (dossier_id, generation))
            self._write_in(db, FISCAL_YEARS, (dossier_id, generation), years)

    def write_accounts(self, dossier_id: str, generation: int, accounts: Sequence[Account]) -> None:
        self._write(ACCOUNTS, (dossier_id, generation), accounts)

    def write_opening_balances(
        self, dossier_id: str, generation: int, source: str, balances: Sequence[OpeningBalance]
    ) -> None:
        self._write(OPENING_BALANCES, (dossier_id, generation, source), balances)

    def write_ledger_batch(
        self, dossier_id: str, generation: int, source: str, batch: LedgerBatch, *, stream: str
    ) -> None:
        lines = batch.lines
        # The hot path: whole columns turned to text (outside the lock), zipped into rows at C speed.
        columns = lines.text_columns() if lines else None
        placed = placed_days(lines, batch.booking_years or (lambda: self.fiscal_years(dossier_id, generation))) if columns is not None else None
        if columns is not None and placed is not None:
            columns = {**columns, "placed_on": [d.isoformat() if d else None for d in placed]}
        with self._tx() as db:
            set_id = self._ledger_set(db, dossier_id, generation, source)
            if batch.clear is not None:
                db.execute(
                    f"DELETE FROM ledger_lines WHERE set_id = ? AND {_PLACED} BETWEEN ? AND ?",
                    (set_id, batch.clear[0].isoformat(), batch.clear[1].isoformat()),
                )
            if batch.deleted:
                db.executemany(
                    "DELETE FROM ledger_lines WHERE set_id = ? AND id = ?", [(set_id, i) for i in batch.deleted]
                )
            if batch.deleted_entries:
                db.executemany(
                    "DELETE FROM ledger_lines WHERE set_id = ? AND entry = ?",
                    [(set_id, e) for e in batch.deleted_entries],
                )
            if columns is not None:
                db.executemany(_insert_lines(tuple(columns)), zip(repeat(set_id), *columns.values()))
            if batch.cursor is not None:
                self._checkpoint(db, dossier_id, generation, stream, batch.cursor)

    def write_trial_balance_batch(
        self, dossier_id: str, generation: int, source: str, batch: TrialBalanceBatch, *, stream: str
    ) -> None:
        with self._tx() as db:
            if batch.clear is not None:
                db.execute(
                    "DELETE FROM trial_balance WHERE dossier_id = ? AND generation = ? AND source = ?"
                    " AND period_end BETWEEN ? AND ?",
                    (dossier_id, generation, source, batch.clear[0].isoformat(), batch.clear[1].isoformat()),
                )
            self._write_in(db, TRIAL_BALANCE, (dossier_id, generation, source), batch.lines)
            if batch.cursor is not None:
                self._checkpoint(db, dossier_id, generation, stream, batch.cursor)

    @staticmethod
    def _checkpoint(db: sqlite3.Connection, dossier_id: str, generation: int, stream: str, cursor: str) -> None:
        db.execute(
            "INSERT OR REPLACE INTO checkpoints (dossier_id, generation, stream, cursor) VALUES (?, ?, ?, ?)",
            (dossier_id, generation, stream, cursor),
        )

    def get_checkpoint(self, dossier_id: str, generation: int, stream: str) -> str | None:
        row = self._one(
            "SELECT cursor FROM checkpoints WHERE dossier_id = ? AND generation = ? AND stream = ?",
            (dossier_id, generation, stream),
        )
        return row[0] if row else None

    def clear_checkpoints(self, dossier_id: str, generation: int) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM checkpoints WHERE dossier_id = ? AND generation = ?", (dossier_id, generation))

    def _gen(self, dossier_id: str, generation: int | None) -> int | None:
        return generation if generation is not None else self.active_generation(dossier_id)

    def fiscal_years(self, dossier_id: str, generation: int | None = None) -> list[FiscalYear]:
        return self._read_generation(FISCAL_YEARS, dossier_id, generation, order="start")

    def _read_generation(self, table: Table, dossier_id: str, generation: int | None, *, order: str) -> list[Any]:
        gen = self._gen(dossier_id, generation)
        return self._read(table, "dossier_id = {p} AND generation = {p}", (dossier_id, gen), order=order)

    def accounts(self, dossier_id: str, generation: int | None = None) -> list[Account]:
        return self._read_generation(ACCOUNTS, dossier_id, generation, order="code")

    def ledger_lines(
        self,
        dossier_id: str,
        generation: int | None = None,
        *,
        start: dt.date | None = None,
        end: dt.date | None = None,
    ) -> Iterator[LedgerLine]:
        gen = self._gen(dossier_id, generation)
        fields, decoders = _LINE_COLUMNS[:-1], _LINE_DECODERS[:-1]  # placed_on is the store's, not the line's
        sql = f"SELECT {', '.join(fields)} FROM ledger_lines WHERE set_id IN ({_SETS_OF})"
        params: list[Any] = [dossier_id, gen]
        if start is not None:
            sql += f" AND {_PLACED} >= ?"
            params.append(start.isoformat())
        if end is not None:
            sql += f" AND {_PLACED} <= ?"
            params.append(end.isoformat())
        sql += " ORDER BY date, entry, id"
        for r in self._all(sql, params):
            yield LedgerLine.model_construct(
                **{name: decode(value) for name, decode, value in zip(fields, decoders, r, strict=True)}
            )

    def count_ledger_lines(
        self, dossier_id: str, generation: int | None = None, *, source: str | None = None
    ) -> int:
        gen = self._gen(dossier_id, generation)
        if source is None:
            row = self._one(f"SELECT COUNT(*) FROM ledger_lines WHERE set_id IN ({_SETS_OF})", (dossier_id, gen))
        else:
            row = self._one(f"SELECT COUNT(*) FROM ledger_lines WHERE set_id IN ({_SETS_OF} AND source = ?)",
                            (dossier_id, gen, source))
        return int(row[0])

    def unbalanced_entries(
        self, dossier_id: str, generation: int, source: str, *, limit: int = 20
    ) -> list[tuple[str, str]]:
        row = self._one(
            "SELECT id FROM ledger_sets WHERE dossier_id = ? AND generation = ? AND source = ?",
            (dossier_id, generation, source),
        )
        if row is None:
            return []
        set_id = row[0]
        found: list[tuple[str, str]] = []
        with self._lock:
            # Exact integer sums in SQL (store/exact_sums.py); each suspect is confirmed with
            # Decimal, which settles the entries whose amounts are too long to sum in SQL.
            suspects = self._db.execute(UNBALANCED_SQL, (set_id,))
            for (entry,) in suspects:
                rows = self._db.execute(
                    "SELECT debit, credit FROM ledger_lines WHERE set_id = ? AND entry = ?", (set_id, entry),
                ).fetchall()
                difference = sum((dec(d) - dec(c) for d, c in rows), Decimal(0))
                if difference != 0:
                    found.append((entry, format(difference, "f")))
                if len(found) >= limit:
                    break
        return found

    def trial_balance(self, dossier_id: str, generation: int | None = None) -> list[TrialBalanceLine]:
        return self._read_generation(TRIAL_BALANCE, dossier_id, generation, order="period_end, account")

    def opening_balances(self, dossier_id: str, generation: int | None = None) -> list[OpeningBalance]:
        return self._read_generation(OPENING_BALANCES, dossier_id, generation, order="account, date")

    # --- runs and locks -------------------------------------------------------------------------

    def start_run(self, run: RunRecord) -> None:
        self._write(RUNS, (), [run])

    def finish_run(self, run: RunRecord) -> None:
        self._write(RUNS, (), [run])

    def list_runs(self, dossier_id: str, *, limit: int = 20) -> list[RunRecord]:
        return self._read(RUNS, "dossier_id = {p}", (dossier_id,), order=f"started_at DESC, id DESC LIMIT {int(limit)}")

    def last_run(self, dossier_id: str) -> RunRecord | None:
        runs = self.list_runs(dossier_id, limit=1)
        return runs[0] if runs else None

    def try_lock(self, dossier_id: str, owner: str, *, ttl: float) -> bool:
        with self._tx() as db:
            return self._take_lock(db, dossier_id, owner, ttl)

    @staticmethod
    def _take_lock(db: sqlite3.Connection, dossier_id: str, owner: str, ttl: float) -> bool:
        now = time.time()
        holder = f"{owner}@{_HOST}:{os.getpid()}"
        row = db.execute("SELECT owner, expires FROM locks WHERE dossier_id = ?", (dossier_id,)).fetchone()
        if row is not None and row[0] != holder and row[1] > now and _alive(row[0]):
            return False
        db.execute(
            "INSERT OR REPLACE INTO locks (dossier_id, owner, expires) VALUES (?, ?, ?)",
            (dossier_id, holder, now + ttl),
        )
        return True

    def release_lock(self, dossier_id: str, owner: str) -> None:
        with self._tx() as db:
            self._drop_lock(db, dossier_id, owner)

    @staticmethod
    def _drop_lock(db: sqlite3.Connection, dossier_id: str, owner: str) -> None:
        db.execute("DELETE FROM locks WHERE dossier_id = ? AND owner = ?", (dossier_id, f"{owner}@{_HOST}:{os.getpid()}"))

    def begin_run(self, run: RunRecord, *, ttl: float) -> bool:
        """Take the run's dossier lock and record it as started, in one transaction; ``False``,
        with nothing written, when another run holds the dossier (see
        :mod:`sfsync.store.run_housekeeping`)."""
        with self._tx() as db:
            if not self._take_lock(db, run.dossier_id, run.id, ttl):
                return False
            self._write_in(db, RUNS, (), [run])
            return True

    def end_run(self, run: RunRecord, *, swap: int | None = None, link: LinkRecord | None = None) -> None:
        """Record the run's final state and release its dossier lock, with the generation it
        built swapped in (``swap``) and its ``link`` saved, in one transaction."""
        with self._tx() as db:
            if swap is not None:
                self._swap_in(db, run.dossier_id, swap)
            if link is not None:
                self._write_in(db, LINKS, (), [link])
            self._write_in(db, RUNS, (), [run])
            self._drop_lock(db, run.dossier_id, run.id)

    def flush(self, dossier_id: str | None = None) -> None:
        """Nothing to wait for: each batch is committed within its own call."""

    def close(self) -> None:
        with self._lock:
            self._db.close()

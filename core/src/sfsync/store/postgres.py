"""The production store: PostgreSQL through psycopg 3.

It keeps exactly the semantics of :class:`~sfsync.store.SQLiteStore` (generations, checkpoints
written in the same transaction as their batch, exact amounts) for many workers on many machines:

* **Schema**: created and migrated by sfsync itself. ``sfsync_schema_version`` lists the applied
  migrations; :data:`MIGRATIONS` are applied in order, each in its own transaction, under an
  advisory lock so that workers starting together migrate once. A database migrated by a newer
  sfsync is refused rather than misread.
* **Amounts** are ``NUMERIC`` (unconstrained: ``0.10`` reads back as ``0.10``); text that is sorted
  or compared is ``COLLATE "C"`` so orderings match SQLite's byte order.
* **Ledger lines** are kept by *set*, an integer per dossier, generation and source
  (:mod:`sfsync.store.ledger_sets_pg`). A ledger batch is one transaction in four round trips: the
  opening, the set and the deletions in one pipeline; the lines by binary ``COPY`` straight into
  the table (or, once a set has met a line stored already, into a session staging table and one
  set-based merge); the checkpoint and the commit in a second pipeline. A *straight* batch of a
  set met before is instead sent as one query and confirmed by the store's next call
  (:mod:`sfsync.store.pg_inflight`): the server writes it while the caller prepares the next one;
  its failure is raised by the dossier's next write, ``swap_generation`` or ``flush``. Other batches (trial
  balance, accounts) go as arrays into one ``INSERT … SELECT FROM unnest(…) ON CONFLICT DO
  UPDATE``, the whole transaction sent in pipeline mode.
* **The per-dossier run lock** is a row (owner, expiry, as in SQLite) *plus* a session-level
  advisory lock held on a dedicated connection of the holding process. When that process dies
  (a killed worker, a lost machine) PostgreSQL ends its session and drops the advisory lock, so
  the next worker takes the dossier at once instead of waiting for the row's expiry; a live
  holder keeps it until it releases it or its ttl passes.

Args of :class:`PostgresStore`: ``dsn`` (a libpq URL or key=value string) and ``schema`` (create
and use the tables in this schema rather than the connection's default, e.g. to live beside a host
application's own tables).
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from itertools import repeat
from typing import Any

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

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
from sfsync.store import pg_inflight
from sfsync.store.base import (
    ConnectionRecord,
    DossierRecord,
    Firm,
    LinkRecord,
    Role,
    RunRecord,
    User,
)
from sfsync.store.dialect import POSTGRES
from sfsync.store.housekeeping_rows import HousekeepingRows
from sfsync.store.ledger_sets_pg import (
    COPY_STRAIGHT,
    COPY_STRAIGHT_TYPES,
    LEDGER_SETS_MIGRATION,
    SET_OF,
    SETS_OF,
    copy_kept_lines,
    drop_sets,
    ledger_set,
)
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

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "PostgresStore"]

_C = 'COLLATE "C"'

MIGRATIONS: tuple[tuple[int, str, str], ...] = (
    (
        1,
        "initial schema",
        f"""
CREATE TABLE firms (id TEXT {_C} PRIMARY KEY, name TEXT {_C} NOT NULL);
CREATE TABLE users (
    id TEXT {_C} PRIMARY KEY, firm_id TEXT {_C} NOT NULL REFERENCES firms(id), email TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'member')), UNIQUE (firm_id, email));
CREATE TABLE connections (
    id TEXT {_C} PRIMARY KEY, firm_id TEXT {_C} NOT NULL REFERENCES firms(id), connector TEXT NOT NULL,
    label TEXT NOT NULL, level TEXT NOT NULL, config JSONB NOT NULL, sealed BYTEA NOT NULL,
    status TEXT NOT NULL DEFAULT 'ok', created_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp());
CREATE TABLE dossiers (
    id TEXT {_C} PRIMARY KEY, firm_id TEXT {_C} NOT NULL REFERENCES firms(id), name TEXT {_C} NOT NULL,
    active_generation INTEGER, building_generation INTEGER,
    next_generation INTEGER NOT NULL DEFAULT 1, UNIQUE (firm_id, name));
CREATE TABLE links (
    dossier_id TEXT {_C} PRIMARY KEY REFERENCES dossiers(id), connection_id TEXT {_C} NOT NULL,
    company_ref TEXT NOT NULL, company_name TEXT NOT NULL, mode TEXT NOT NULL,
    granularity TEXT NOT NULL, since DATE, first_year_end DATE, fiscal_years_override JSONB,
    needs_full_sync BOOLEAN NOT NULL, opening_balances_done BOOLEAN NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp());
CREATE TABLE fiscal_years (
    dossier_id TEXT {_C} NOT NULL, generation INTEGER NOT NULL, start DATE NOT NULL, end_ DATE NOT NULL,
    data JSONB NOT NULL, PRIMARY KEY (dossier_id, generation, start));
CREATE TABLE accounts (
    dossier_id TEXT {_C} NOT NULL, generation INTEGER NOT NULL, code TEXT {_C} NOT NULL,
    name TEXT NOT NULL, kind TEXT NOT NULL, parent TEXT, ref TEXT,
    PRIMARY KEY (dossier_id, generation, code));
CREATE TABLE ledger_lines (
    dossier_id TEXT {_C} NOT NULL, generation INTEGER NOT NULL, source TEXT {_C} NOT NULL,
    id TEXT {_C} NOT NULL, entry TEXT {_C} NOT NULL, journal TEXT, date DATE NOT NULL, period INTEGER,
    fiscal_year TEXT, account TEXT {_C} NOT NULL, description TEXT NOT NULL,
    debit NUMERIC NOT NULL, credit NUMERIC NOT NULL, currency TEXT, foreign_amount NUMERIC,
    counterparty TEXT, vat_code TEXT, modified TEXT,
    PRIMARY KEY (dossier_id, generation, source, id));
CREATE INDEX ledger_by_entry ON ledger_lines (dossier_id, generation, source, entry);
CREATE INDEX ledger_by_date ON ledger_lines (dossier_id, generation, date);
CREATE TABLE trial_balance (
    dossier_id TEXT {_C} NOT NULL, generation INTEGER NOT NULL, source TEXT {_C} NOT NULL,
    account TEXT {_C} NOT NULL, period_start DATE NOT NULL, period_end DATE NOT NULL, period INTEGER,
    fiscal_year TEXT, opening NUMERIC NOT NULL, debit NUMERIC NOT NULL, credit NUMERIC NOT NULL,
    closing NUMERIC NOT NULL, PRIMARY KEY (dossier_id, generation, source, account, period_end));
CREATE TABLE opening_balances (
    dossier_id TEXT {_C} NOT NULL, generation INTEGER NOT NULL, source TEXT {_C} NOT NULL,
    account TEXT {_C} NOT NULL, date DATE NOT NULL, amount NUMERIC NOT NULL,
    PRIMARY KEY (dossier_id, generation, source, account, date));
CREATE TABLE checkpoints (
    dossier_id TEXT {_C} NOT NULL, generation INTEGER NOT NULL, stream TEXT NOT NULL, cursor TEXT,
    PRIMARY KEY (dossier_id, generation, stream));
CREATE TABLE runs (
    id TEXT {_C} PRIMARY KEY, dossier_id TEXT {_C} NOT NULL, started_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ, status TEXT NOT NULL, data JSONB NOT NULL);
CREATE INDEX runs_by_dossier ON runs (dossier_id, started_at);
CREATE TABLE locks (
    dossier_id TEXT {_C} PRIMARY KEY, owner TEXT NOT NULL, expires TIMESTAMPTZ NOT NULL);
""",
    ),
    (
        2,
        "booking-period day of a ledger line; stamp of the history behind the opening balances",
        """
ALTER TABLE ledger_lines ADD COLUMN placed_on DATE;
ALTER TABLE links ADD COLUMN opening_balances_stamp TEXT;
""",
    ),
    (
        3,
        "connection levels: owner dossier, creator, re-consent cause; support staff, administrative"
        " links, company details",
        """
ALTER TABLE connections ADD COLUMN owner_dossier_id TEXT, ADD COLUMN created_by TEXT,
    ADD COLUMN status_cause TEXT;
"""
        + owner_backfill()
        + ";"
        + LEVELS_TABLES,
    ),
    (
        4,
        "ledger lines keyed by an integer set (dossier, generation, source) as in SQLite; no date index",
        LEDGER_SETS_MIGRATION,
    ),
)
"""Ordered migrations: (version, description, SQL). Append; never edit an applied one."""

SCHEMA_VERSION = MIGRATIONS[-1][0]

# Advisory-lock keys: the migration lock, and the seed of the 64-bit hash of a dossier id, so that
# sfsync's locks do not collide with a host application's advisory locks on the same database.
_MIGRATION_LOCK = 0x5F5C0001
_DOSSIER_LOCK = 0x5F5C0002

_LINE_COLUMNS = LEDGER_LINES.data_columns
_LINE_FIELDS = _LINE_COLUMNS[:-1]  # placed_on is the store's, not the line's
_LINE_DECODERS = POSTGRES.decoders(LEDGER_LINES, _LINE_FIELDS)
# Where a line counts for periods and years: its booking period's day, else its date.
_PLACED = "COALESCE(placed_on, date)"


_STAGED_LINES = POSTGRES.staged_upsert(LEDGER_LINES)
_CLASHED_KEPT = 4096  # ledger sets remembered as having met a stored line (then forgotten, all at once)
_CHECKPOINT = (
    "INSERT INTO checkpoints (dossier_id, generation, stream, cursor) VALUES (%s, %s, %s, %s)"
    " ON CONFLICT (dossier_id, generation, stream) DO UPDATE SET cursor = excluded.cursor"
)
_COPY_COLUMNS = ("set_id", *_LINE_COLUMNS)
_COPY_KINDS = tuple(LEDGER_LINES.kinds[c] for c in _COPY_COLUMNS)


# A run's housekeeping (begin_run, end_run): the lock is taken when it is free, already ours, past
# its ttl, or ``fresh`` (its previous holder's session is gone); the run is recorded only when the
# lock is then ours, so one round trip decides both.
_TAKE_LOCK = (
    "INSERT INTO locks (dossier_id, owner, expires)"
    " VALUES (%s, %s, clock_timestamp() + make_interval(secs => %s))"
    " ON CONFLICT (dossier_id) DO UPDATE SET owner = excluded.owner, expires = excluded.expires"
    " WHERE locks.owner = excluded.owner OR locks.expires <= clock_timestamp() OR %s"
)
_START_RUN = POSTGRES.upsert_where(
    RUNS, "EXISTS (SELECT 1 FROM locks WHERE dossier_id = {p} AND owner = {p})"
) + " RETURNING 1"
_RELEASE_LOCK = "DELETE FROM locks WHERE dossier_id = %s AND owner = %s RETURNING 1"


def _new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


def _abandon(db: psycopg.Connection[Any]) -> None:
    """Drop a session left in the middle of a batch (an interrupt while it was sent or read): the
    server rolls back whatever it had not committed, and the store's next call connects again
    (the connection is then ``broken``, see ``PostgresStore._live``)."""
    db.pgconn.finish()


class PostgresStore(HousekeepingRows, MovementRows, PlanningRows):
    """The :class:`~sfsync.store.Store` on PostgreSQL (psycopg 3).

    One store object holds one connection for its work (serialised by a lock, like
    :class:`~sfsync.store.SQLiteStore`) and, once it takes a run lock, a second one whose session
    holds the advisory locks. Create one per process (a Celery worker builds its own after fork).

    Args:
        dsn: ``postgresql://user:password@host:port/database`` or a libpq key=value string.
        schema: Keep sfsync's tables in this schema (created if missing).
        connect_timeout: Seconds to wait for the server when connecting.
    """

    placeholder = "%s"
    # The ledger is keyed by integer sets (schema 4), as in SQLite: a generation's lines are its sets'.
    lines_of_generation = "set_id IN (SELECT id FROM ledger_sets WHERE dossier_id = ? AND generation = ?)"
    exact_sum = "SUM({column})"

    def __init__(
        self, dsn: str, *, schema: str | None = None, connect_timeout: float = 10.0
    ) -> None:
        self._dsn = dsn
        self.schema = schema
        self._connect_timeout = connect_timeout
        self._lock = threading.RLock()
        self._db = self._connect()
        self._lock_db: psycopg.Connection[Any] | None = None
        self._held: set[str] = set()  # dossiers whose advisory lock this store's session holds
        self._staged_on: psycopg.Connection[Any] | None = None  # the session whose staging tables exist
        self._clashed: set[tuple[str, int, str]] = set()  # ledger sets whose straight COPY met a stored line
        self._set_ids: dict[tuple[str, int, str], int] = {}  # ledger sets seen, by (dossier, generation, source)
        self._in_flight: pg_inflight.InFlight | None = None  # the ledger batch sent, its results unread
        self._failed: dict[str, psycopg.Error] = {}  # by dossier: a batch in flight that failed, not yet raised
        try:
            self._migrate()
        except BaseException:
            self._db.close()
            raise

    def __repr__(self) -> str:
        # The DSN may carry a password: show only where the store is.
        info = self._db.info
        return f"PostgresStore(host={info.host!r}, port={info.port}, dbname={info.dbname!r}, schema={self.schema!r})"

    def _connect(self) -> psycopg.Connection[Any]:
        try:
            db = psycopg.connect(
                self._dsn,
                autocommit=True,
                connect_timeout=max(1, int(self._connect_timeout)),
                # A lost machine's session (and so its advisory locks) ends within about a minute.
                keepalives=1,
                keepalives_idle=30,
                keepalives_interval=10,
                keepalives_count=3,
            )
        except psycopg.OperationalError as exc:
            # libpq's message names host and user, never the password.
            raise ConfigurationError(
                f"cannot connect to the PostgreSQL store: {exc}".strip()
            ) from None
        db.execute("SET TIME ZONE 'UTC'")
        if self.schema is not None:
            db.execute(
                sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(self.schema))
            )
            db.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(self.schema)))
        return db

    # --- schema and migrations --------------------------------------------------------------------

    def _migrate(self) -> None:
        with self._tx() as db:
            # Serialise concurrent starters: the first migrates, the others then find it done.
            db.execute("SELECT pg_advisory_xact_lock(%s, 0)", (_MIGRATION_LOCK,))
            db.execute(
                "CREATE TABLE IF NOT EXISTS sfsync_schema_version (version INTEGER PRIMARY KEY,"
                " description TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp())"
            )
            row = db.execute("SELECT max(version) FROM sfsync_schema_version").fetchone()
            current = (row[0] or 0) if row else 0
            if current > SCHEMA_VERSION:
                raise ConfigurationError(
                    f"the PostgreSQL store is at schema version {current}, newer than this sfsync knows "
                    f"({SCHEMA_VERSION}); upgrade sfsync"
                )
            for version, description, statements in MIGRATIONS:
                if version <= current:
                    continue
                db.execute(statements)
                db.execute(
                    "INSERT INTO sfsync_schema_version (version, description) VALUES (%s, %s)",
                    (version, description),
                )

    def schema_version(self) -> int:
        """The newest migration applied to the database."""
        row = self._one("SELECT max(version) FROM sfsync_schema_version")
        return int(row[0] or 0)

    # --- plumbing -----------------------------------------------------------------------------

    def _live(self) -> psycopg.Connection[Any]:
        """The work connection, opened again if the last use found it broken (a server restart,
        a network cut): the operation that hit the break fails, the next one works.

        Every use of the connection comes through here (under ``self._lock``), so a ledger batch
        still in flight is confirmed first (:meth:`_settle`): nothing reads around it."""
        if self._in_flight is not None:
            self._settle()
        if self._db.broken:
            self._db.close()
            self._db = self._connect()
        return self._db

    @contextmanager
    def _tx(self) -> Iterator[psycopg.Connection[Any]]:
        with self._lock, self._live().transaction():
            yield self._db

    @contextmanager
    def _pipelined_tx(self) -> Iterator[psycopg.Connection[Any]]:
        """A transaction whose statements (and commit) go to the server in one round trip.

        Figures are committed without waiting for the WAL flush: a *server* crash may lose the
        last instants of batches, but each batch goes with its checkpoint, so the next run
        re-fetches exactly what was lost (nothing missing, nothing doubled). Tokens, links, runs
        and locks keep fully durable commits."""
        with self._lock, self._live().pipeline(), self._db.transaction():
            self._db.execute("SET LOCAL synchronous_commit TO OFF")
            yield self._db

    @contextmanager
    def _copy_tx(self) -> Iterator[psycopg.Connection[Any]]:
        """The connection for a transaction that may COPY (which pipeline mode cannot), with the
        session's staging tables.

        The block opens and commits the transaction itself: ``BEGIN`` and ``SET LOCAL
        synchronous_commit TO OFF`` (committed like :meth:`_pipelined_tx`, without waiting for
        the WAL flush) in the pipeline before the COPY, ``COMMIT`` in the one after it, so that a
        batch costs four round trips rather than ten (on a busy machine each one is a wait for
        the scheduler). Leaving the block by an exception rolls back whatever it left open."""
        with self._lock:
            db = self._live()
            self._staging_on(db)
            try:
                yield db
            except BaseException:
                self._roll_back(db)
                raise

    def _staging_on(self, db: psycopg.Connection[Any]) -> None:
        """Make the session's staging tables if this session (first use, a reconnect) has none."""
        if self._staged_on is not db:
            db.execute(_STAGED_LINES.create)  # autocommit: not undone by a batch that fails
            self._staged_on = db

    @staticmethod
    def _roll_back(db: psycopg.Connection[Any]) -> None:
        """Roll back whatever transaction a failed batch left open."""
        if not db.broken and db.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            try:
                db.execute("ROLLBACK")
            except psycopg.Error:
                db.close()  # unusable: the next operation connects again (see _live)

    def _one(self, query: str, params: Sequence[Any] = ()) -> Any:
        with self._lock:
            return self._live().execute(query, params).fetchone()

    def _all(self, query: str, params: Sequence[Any] = ()) -> list[Any]:
        with self._lock:
            return self._live().execute(query, params).fetchall()

    # --- firms and users --------------------------------------------------------------------------

    def create_firm(self, name: str) -> Firm:
        firm = Firm(_new_id("firm"), name)
        with self._tx() as db:
            db.execute("INSERT INTO firms (id, name) VALUES (%s, %s)", (firm.id, firm.name))
        return firm

    def get_firm(self, firm_id: str) -> Firm:
        row = self._one("SELECT id, name FROM firms WHERE id = %s", (firm_id,))
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
                "INSERT INTO users (id, firm_id, email, role) VALUES (%s, %s, %s, %s)",
                (user.id, firm_id, email, role),
            )
        return user

    def get_user(self, user_id: str) -> User:
        row = self._one("SELECT id, firm_id, email, role FROM users WHERE id = %s", (user_id,))
        if row is None:
            support = self._support_user(user_id)
            if support is None:
                raise NotFound(f"no user {user_id!r}")
            return support
        return User(*row)

    def find_user(self, firm_id: str, email: str) -> User | None:
        row = self._one(
            "SELECT id, firm_id, email, role FROM users WHERE firm_id = %s AND email = %s",
            (firm_id, email),
        )
        return User(*row) if row else None

    # --- connections --------------------------------------------------------------------------

    def _write(self, table: Table, scope: Sequence[Any], records: Sequence[Any], *, durable: bool = True) -> None:
        with (self._tx() if durable else self._pipelined_tx()) as db:
            self._write_in(db, table, scope, records)

    @staticmethod
    def _write_in(db: psycopg.Connection[Any], table: Table, scope: Sequence[Any], records: Sequence[Any]) -> None:
        for statement, params in POSTGRES.upsert_many(table, scope, records):
            db.execute(statement, params)

    def _read(self, table: Table, where: str, params: Sequence[Any], *, order: str = "") -> list[Any]:
        return POSTGRES.read(table, self._all(POSTGRES.select(table, where, order=order), params))

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
                db.execute(
                    "UPDATE connections SET sealed = %s WHERE id = %s", (sealed, connection_id)
                )
            if status is not None:
                db.execute(
                    "UPDATE connections SET status = %s, status_cause = %s WHERE id = %s",
                    (status, cause, connection_id),
                )
            if config is not None:
                db.execute(
                    "UPDATE connections SET config = %s WHERE id = %s", (Jsonb(config), connection_id)
                )

    def delete_connection(self, connection_id: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM connections WHERE id = %s", (connection_id,))

    # --- dossiers and links -------------------------------------------------------------------

    def add_dossier(self, firm_id: str, name: str) -> DossierRecord:
        self.get_firm(firm_id)
        dossier = DossierRecord(_new_id("dos"), firm_id, name)
        with self._tx() as db:
            db.execute(
                "INSERT INTO dossiers (id, firm_id, name) VALUES (%s, %s, %s)",
                (dossier.id, firm_id, name),
            )
        return dossier

    def get_dossier(self, dossier_id: str) -> DossierRecord:
        row = self._one("SELECT id, firm_id, name FROM dossiers WHERE id = %s", (dossier_id,))
        if row is None:
            raise NotFound(f"no dossier {dossier_id!r}")
        return DossierRecord(*row)

    def find_dossier(self, firm_id: str, name: str) -> DossierRecord | None:
        row = self._one(
            "SELECT id, firm_id, name FROM dossiers WHERE firm_id = %s AND name = %s",
            (firm_id, name),
        )
        return DossierRecord(*row) if row else None

    def list_dossiers(self, firm_id: str | None = None) -> list[DossierRecord]:
        if firm_id is None:
            rows = self._all("SELECT id, firm_id, name FROM dossiers ORDER BY name")
        else:
            rows = self._all(
                "SELECT id, firm_id, name FROM dossiers WHERE firm_id = %s ORDER BY name",
                (firm_id,),
            )
        return [DossierRecord(*r) for r in rows]

    def save_link(self, link: LinkRecord) -> None:
        self._write(LINKS, (), [link])

    def get_link(self, dossier_id: str) -> LinkRecord | None:
        found = self._read(LINKS, "dossier_id = {p}", (dossier_id,))
        return found[0] if found else None

    def delete_link(self, dossier_id: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM links WHERE dossier_id = %s", (dossier_id,))

    # --- generations ----------------------------------------------------------------------------

    def active_generation(self, dossier_id: str) -> int | None:
        row = self._one("SELECT active_generation FROM dossiers WHERE id = %s", (dossier_id,))
        if row is None:
            raise NotFound(f"no dossier {dossier_id!r}")
        return row[0]  # type: ignore[no-any-return]

    def building_generation(self, dossier_id: str) -> int | None:
        row = self._one("SELECT building_generation FROM dossiers WHERE id = %s", (dossier_id,))
        if row is None:
            raise NotFound(f"no dossier {dossier_id!r}")
        return row[0]  # type: ignore[no-any-return]

    def begin_generation(
        self, dossier_id: str, *, keep_before: dt.date | None, keep_outside: tuple[dt.date, dt.date] | None = None
    ) -> int:
        with self._tx() as db:
            row = db.execute(
                "SELECT active_generation, building_generation, next_generation FROM dossiers"
                " WHERE id = %s FOR UPDATE",
                (dossier_id,),
            ).fetchone()
            if row is None:
                raise NotFound(f"no dossier {dossier_id!r}")
            active, building, gen = row
            if building is not None:
                self._drop(db, dossier_id, building)
            db.execute(
                "UPDATE dossiers SET building_generation = %s, next_generation = %s WHERE id = %s",
                (gen, gen + 1, dossier_id),
            )
            if active is not None and (keep_before is not None or keep_outside is not None):
                # The data before the date (*since*), or outside the new source's dates, stays as
                # it is, whatever its source.
                how = {"before": keep_before is not None, "outside": keep_outside is not None}
                days = POSTGRES.kept_values(keep_before, keep_outside)
                copy_kept_lines(db, gen, dossier_id, active, POSTGRES.kept(_PLACED, **how), days)
                for table in (TRIAL_BALANCE, ACCOUNTS, OPENING_BALANCES):
                    kept = days if table.kept_by else ()
                    db.execute(POSTGRES.copy_generation(table, **how), (gen, dossier_id, active, *kept))
        return gen  # type: ignore[no-any-return]

    def swap_generation(self, dossier_id: str, generation: int) -> None:
        self.flush(dossier_id)  # never swap in a generation that misses a batch
        with self._tx() as db:
            self._swap_in(db, dossier_id, generation)

    def _swap_in(self, db: psycopg.Connection[Any], dossier_id: str, generation: int) -> None:
        row = db.execute(
            "SELECT active_generation FROM dossiers WHERE id = %s FOR UPDATE", (dossier_id,)
        ).fetchone()
        if row is None:
            raise NotFound(f"no dossier {dossier_id!r}")
        db.execute(
            "UPDATE dossiers SET active_generation = %s, building_generation = NULL WHERE id = %s",
            (generation, dossier_id),
        )
        if row[0] is not None and row[0] != generation:
            self._drop(db, dossier_id, row[0])

    def discard_generation(self, dossier_id: str, generation: int) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE dossiers SET building_generation = NULL WHERE id = %s AND building_generation = %s",
                (dossier_id, generation),
            )
            self._drop(db, dossier_id, generation)

    def _drop(self, db: psycopg.Connection[Any], dossier_id: str, generation: int) -> None:
        drop_sets(db, dossier_id, generation)
        self._set_ids = {key: id_ for key, id_ in self._set_ids.items() if key[:2] != (dossier_id, generation)}
        for table in GENERATION_TABLES:
            if table == "ledger_lines":
                continue
            db.execute(POSTGRES.drop_generation(table), (dossier_id, generation))

    # --- figures -----------------------------------------------------------------------------

    def write_fiscal_years(
        self, dossier_id: str, generation: int, years: Sequence[FiscalYear]
    ) -> None:
        with self._pipelined_tx() as db:
            db.execute(POSTGRES.drop_generation("fiscal_years"), (dossier_id, generation))
            self._write_in(db, FISCAL_YEARS, (dossier_id, generation), years)

    def write_accounts(self, dossier_id: str, generation: int, accounts: Sequence[Account]) -> None:
        self._write(ACCOUNTS, (dossier_id, generation), accounts, durable=False)

    def write_opening_balances(
        self, dossier_id: str, generation: int, source: str, balances: Sequence[OpeningBalance]
    ) -> None:
        self._write(OPENING_BALANCES, (dossier_id, generation, source), balances, durable=False)

    def write_ledger_batch(
        self, dossier_id: str, generation: int, source: str, batch: LedgerBatch, *, stream: str
    ) -> None:
        lines = batch.lines.last_per_id()  # a line twice in a batch: the last one wins
        columns = [list(lines.column(c)) for c in _LINE_FIELDS if c != "modified"]
        columns.append([stamp.isoformat() if stamp else None for stamp in lines.column("modified")])
        columns.append(placed_days(lines, batch.booking_years or (lambda: self.fiscal_years(dossier_id, generation))) or [None] * len(lines))
        key = (dossier_id, generation, source)
        set_id = self._set_ids.get(key)
        straight = (set_id is not None and bool(lines) and batch.clear is None and not batch.deleted
                    and not batch.deleted_entries and key not in self._clashed)
        if straight:
            # Formatted before the batch in flight is confirmed: the server writes it meanwhile.
            assert set_id is not None
            flight = pg_inflight.InFlight(dossier_id, generation, source, stream, batch.cursor, set_id, columns, len(lines))
            kept, data = pg_inflight.text_rows([[set_id] * len(lines), *columns], _COPY_KINDS)
        with self._lock:
            self._live()  # confirms the batch in flight
            self._raise_failed(dossier_id)
            if not (straight and self._send_straight(flight, [_COPY_COLUMNS[i] for i in kept], data)):
                self._write_ledger_now(key, lines, columns, batch, stream)

    def _send_straight(self, flight: pg_inflight.InFlight, copy_columns: list[str], data: bytes) -> bool:
        """Send a straight batch and return without waiting for the server (``pg_inflight``);
        False if its cached set is gone (the caller then writes it in full)."""
        db = self._db
        if db.info.encoding != "utf-8":  # the COPY data is UTF-8 text
            return False
        self._staging_on(db)  # for a clash found when the batch is confirmed
        query = pg_inflight.straight_query(db, flight, copy_columns, _CHECKPOINT)
        try:
            failure = pg_inflight.start(db.pgconn, query)
        except BaseException:
            _abandon(db)
            raise
        if failure is not None:
            self._roll_back(db)
            if failure.sqlstate == pg_inflight.DIVISION_BY_ZERO:  # the guard: the set was dropped meanwhile
                self._set_ids.pop((flight.dossier_id, flight.generation, flight.source), None)
                return False
            raise failure.error(flight.about())
        try:
            pg_inflight.send_copy(db.pgconn, data)
        except psycopg.OperationalError as exc:  # the connection is lost: nothing of the batch committed
            raise pg_inflight.ServerFailure(None, str(exc)).error(flight.about()) from None
        except BaseException:
            _abandon(db)
            raise
        self._in_flight = flight
        return True

    def _settle(self) -> None:
        """Confirm the ledger batch in flight: read its results; a clash with a stored line goes
        through the staging table and the merge; any other failure is rolled back and kept for
        the dossier's next write or :meth:`flush`, whichever thread or task makes it."""
        flight, self._in_flight = self._in_flight, None
        assert flight is not None
        db = self._db
        try:
            failure = pg_inflight.finish(db.pgconn)
        except BaseException:  # interrupted (a signal, a time limit): committed or not, the checkpoint says
            _abandon(db)
            raise
        if failure is None:
            return
        if failure.sqlstate == pg_inflight.UNIQUE_VIOLATION and not db.broken:
            key = (flight.dossier_id, flight.generation, flight.source)
            try:
                db.execute("ROLLBACK TO SAVEPOINT straight")
                self._mark_clashed(key)
                self._stage_and_merge(db, flight.set_id, flight.columns, flight.dossier_id, flight.generation,
                                      flight.stream, flight.cursor)
                return
            except psycopg.Error as exc:
                failure = pg_inflight.ServerFailure(exc.sqlstate, str(exc))
        self._roll_back(db)
        self._failed[flight.dossier_id] = failure.error(flight.about())

    def _raise_failed(self, dossier_id: str | None) -> None:
        """Raise the failure of a batch of ``dossier_id`` (None: of any dossier) sent earlier."""
        if dossier_id is None and self._failed:
            raise self._failed.pop(next(iter(self._failed)))
        if dossier_id is not None and dossier_id in self._failed:
            raise self._failed.pop(dossier_id)

    def flush(self, dossier_id: str | None = None) -> None:
        """Wait until the ledger batch in flight is committed; raise the failure of a batch of
        ``dossier_id`` (None: of any dossier) that did not commit. A straight ledger batch
        returns before the server has written it: its failure is raised here, or by the
        dossier's next write."""
        with self._lock:
            if self._in_flight is not None:
                self._settle()
            self._raise_failed(dossier_id)

    def _write_ledger_now(
        self, key: tuple[str, int, str], lines: Any, columns: list[list[Any]], batch: LedgerBatch, stream: str
    ) -> None:
        """Write a ledger batch and wait for its commit: the deletions, a set not cached yet, a
        set that has met a stored line."""
        dossier_id, generation, _ = key
        with self._copy_tx() as db:
            with db.pipeline():  # one round trip: open, find (or make) the set, delete
                db.execute("BEGIN")
                db.execute("SET LOCAL synchronous_commit TO OFF")
                found = ledger_set(db, *key)
                if batch.clear is not None:
                    db.execute(
                        f"DELETE FROM ledger_lines WHERE set_id = ({SET_OF}) AND {_PLACED} BETWEEN %s AND %s",
                        (*key, batch.clear[0], batch.clear[1]),
                    )
                if batch.deleted:
                    db.execute(
                        f"DELETE FROM ledger_lines WHERE set_id = ({SET_OF}) AND id = ANY(%s::text[])",
                        (*key, list(batch.deleted)),
                    )
                if batch.deleted_entries:
                    db.execute(
                        f"DELETE FROM ledger_lines WHERE set_id = ({SET_OF}) AND entry = ANY(%s::text[])",
                        (*key, list(batch.deleted_entries)),
                    )
                straight = bool(lines) and key not in self._clashed
                if straight:
                    db.execute("SAVEPOINT straight")  # a clash undoes only the COPY
            set_id = found.fetchone()[0]  # type: ignore[index]
            if len(self._set_ids) >= _CLASHED_KEPT:
                self._set_ids.clear()
            self._set_ids[key] = set_id
            if lines and not (straight and self._copy_straight(db, key, set_id, columns)):
                self._stage_and_merge(db, set_id, columns, dossier_id, generation, stream, batch.cursor)
                return
            with db.pipeline():
                self._commit_batch(db, dossier_id, generation, stream, batch.cursor)

    def _copy_straight(
        self, db: psycopg.Connection[Any], key: tuple[str, int, str], set_id: int, columns: list[list[Any]]
    ) -> bool:
        """COPY the lines straight into their set: the cheapest way in while none of them is
        stored yet (a first sync, a replace run, new lines). False, and undone, if one is: the
        set's later batches then go through the staging table (:meth:`_stage_and_merge`)."""
        try:
            with db.cursor().copy(COPY_STRAIGHT) as copy:
                copy.set_types(COPY_STRAIGHT_TYPES)
                for row in zip(repeat(set_id), *columns):
                    copy.write_row(row)
            return True
        except psycopg.errors.UniqueViolation:
            db.execute("ROLLBACK TO SAVEPOINT straight")
            self._mark_clashed(key)
            return False

    def _mark_clashed(self, key: tuple[str, int, str]) -> None:
        if len(self._clashed) >= _CLASHED_KEPT:  # a long-lived worker meets many sets
            self._clashed.clear()
        self._clashed.add(key)

    def _stage_and_merge(
        self, db: psycopg.Connection[Any], set_id: int, columns: list[list[Any]], dossier_id: str,
        generation: int, stream: str, cursor: str | None,
    ) -> None:
        """COPY the lines into the session's staging table, move them in with one set-based
        statement and commit the batch: a plain insert when none of them is stored yet, else
        the upsert (a line sent again is an edit)."""
        with db.cursor().copy(_STAGED_LINES.copy) as copy:
            copy.set_types(_STAGED_LINES.types)
            for row in zip(*columns, strict=True):
                copy.write_row(row)
        try:  # one round trip: the insert, the checkpoint, the commit
            with db.pipeline():
                db.execute("SAVEPOINT staged")  # a clash undoes only the insert, not the staging
                db.execute(_STAGED_LINES.insert, (set_id,))
                db.execute("RELEASE SAVEPOINT staged")
                self._commit_batch(db, dossier_id, generation, stream, cursor)
            return
        except psycopg.errors.UniqueViolation:
            pass
        with db.pipeline():  # one round trip: the upsert, the checkpoint, the commit
            db.execute("ROLLBACK TO SAVEPOINT staged")
            db.execute(_STAGED_LINES.merge, (set_id,))
            self._commit_batch(db, dossier_id, generation, stream, cursor)

    @classmethod
    def _commit_batch(
        cls, db: psycopg.Connection[Any], dossier_id: str, generation: int, stream: str, cursor: str | None
    ) -> None:
        """End a batch's transaction: its checkpoint (if it has one) with it."""
        if cursor is not None:
            cls._checkpoint(db, dossier_id, generation, stream, cursor)
        db.execute("COMMIT")

    def write_trial_balance_batch(
        self,
        dossier_id: str,
        generation: int,
        source: str,
        batch: TrialBalanceBatch,
        *,
        stream: str,
    ) -> None:
        self.flush(dossier_id)  # a ledger batch of the dossier that failed in flight fails this run
        with self._pipelined_tx() as db:
            if batch.clear is not None:
                db.execute(
                    "DELETE FROM trial_balance WHERE dossier_id = %s AND generation = %s AND source = %s"
                    " AND period_end BETWEEN %s AND %s",
                    (dossier_id, generation, source, batch.clear[0], batch.clear[1]),
                )
            self._write_in(db, TRIAL_BALANCE, (dossier_id, generation, source), batch.lines)
            if batch.cursor is not None:
                self._checkpoint(db, dossier_id, generation, stream, batch.cursor)

    @staticmethod
    def _checkpoint(
        db: psycopg.Connection[Any], dossier_id: str, generation: int, stream: str, cursor: str
    ) -> None:
        db.execute(_CHECKPOINT, (dossier_id, generation, stream, cursor))

    def get_checkpoint(self, dossier_id: str, generation: int, stream: str) -> str | None:
        row = self._one(
            "SELECT cursor FROM checkpoints WHERE dossier_id = %s AND generation = %s AND stream = %s",
            (dossier_id, generation, stream),
        )
        return row[0] if row else None

    def clear_checkpoints(self, dossier_id: str, generation: int) -> None:
        with self._tx() as db:
            db.execute(
                "DELETE FROM checkpoints WHERE dossier_id = %s AND generation = %s",
                (dossier_id, generation),
            )

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
        query = f"SELECT {', '.join(_LINE_FIELDS)} FROM ledger_lines WHERE set_id IN ({SETS_OF})"
        params: list[Any] = [dossier_id, gen]
        if start is not None:
            query += f" AND {_PLACED} >= %s"
            params.append(start)
        if end is not None:
            query += f" AND {_PLACED} <= %s"
            params.append(end)
        query += " ORDER BY date, entry, id"
        for r in self._all(query, params):
            yield LedgerLine.model_construct(
                **{name: decode(value) for name, decode, value in zip(_LINE_FIELDS, _LINE_DECODERS, r, strict=True)}
            )

    def count_ledger_lines(
        self, dossier_id: str, generation: int | None = None, *, source: str | None = None
    ) -> int:
        gen = self._gen(dossier_id, generation)
        sets, params = SETS_OF, (dossier_id, gen, *(() if source is None else (source,)))
        if source is not None:
            sets += " AND source = %s"
        row = self._one(f"SELECT count(*) FROM ledger_lines WHERE set_id IN ({sets})", params)
        return int(row[0])

    def unbalanced_entries(
        self, dossier_id: str, generation: int, source: str, *, limit: int = 20
    ) -> list[tuple[str, str]]:
        # NUMERIC sums are exact: no second check needed.
        rows = self._all(
            "SELECT entry, sum(debit) - sum(credit) FROM ledger_lines"
            " WHERE set_id IN (SELECT id FROM ledger_sets WHERE dossier_id = %s AND generation = %s AND source = %s)"
            " GROUP BY entry HAVING sum(debit) <> sum(credit) ORDER BY entry LIMIT %s",
            (dossier_id, generation, source, limit),
        )
        return [(entry, format(difference, "f")) for entry, difference in rows]

    def trial_balance(
        self, dossier_id: str, generation: int | None = None
    ) -> list[TrialBalanceLine]:
        return self._read_generation(TRIAL_BALANCE, dossier_id, generation, order="period_end, account")

    def opening_balances(
        self, dossier_id: str, generation: int | None = None
    ) -> list[OpeningBalance]:
        return self._read_generation(OPENING_BALANCES, dossier_id, generation, order="account, date")

    # --- runs ------------------------------------------------------------------------------------

    def start_run(self, run: RunRecord) -> None:
        self._write(RUNS, (), [run])

    def finish_run(self, run: RunRecord) -> None:
        self._write(RUNS, (), [run])

    def list_runs(self, dossier_id: str, *, limit: int = 20) -> list[RunRecord]:
        return self._read(RUNS, "dossier_id = {p}", (dossier_id,), order=f"started_at DESC, id DESC LIMIT {int(limit)}")

    def last_run(self, dossier_id: str) -> RunRecord | None:
        runs = self.list_runs(dossier_id, limit=1)
        return runs[0] if runs else None

    # --- run locks -------------------------------------------------------------------------------

    def _lock_session(self) -> psycopg.Connection[Any]:
        if self._lock_db is None or self._lock_db.closed or self._lock_db.broken:
            if self._lock_db is not None:
                self._lock_db.close()
            self._lock_db = self._connect()
            self._held.clear()  # a new session holds nothing
        return self._lock_db

    def _session_lock(self, dossier_id: str) -> tuple[bool, bool]:
        """Take the dossier's advisory lock in this store's lock session.

        Returns (held, fresh): whether this session holds it now, and whether it was just taken
        (so no other live session had it: a previous holder released it or died)."""
        if dossier_id in self._held:
            return True, False
        row = (
            self._lock_session()
            .execute(
                "SELECT pg_try_advisory_lock(hashtextextended(%s, %s))", (dossier_id, _DOSSIER_LOCK)
            )
            .fetchone()
        )
        if row and row[0]:
            self._held.add(dossier_id)
            return True, True
        return False, False

    def try_lock(self, dossier_id: str, owner: str, *, ttl: float) -> bool:
        """Take the dossier's run lock for ``owner`` for ``ttl`` seconds (or renew it).

        Refused while another owner holds it, unless its ttl has passed or its process is gone
        (its session, and so its advisory lock, ended)."""
        with self._lock:
            _, fresh = self._session_lock(dossier_id)
            with self._tx() as db:
                row = db.execute(
                    "SELECT owner, expires > clock_timestamp() FROM locks WHERE dossier_id = %s FOR UPDATE",
                    (dossier_id,),
                ).fetchone()
                if row is not None and row[0] != owner and row[1] and not fresh:
                    return False
                db.execute(
                    "INSERT INTO locks (dossier_id, owner, expires)"
                    " VALUES (%s, %s, clock_timestamp() + make_interval(secs => %s))"
                    " ON CONFLICT (dossier_id) DO UPDATE SET owner = excluded.owner, expires = excluded.expires",
                    (dossier_id, owner, ttl),
                )
            return True

    def release_lock(self, dossier_id: str, owner: str) -> None:
        with self._lock:
            with self._tx() as db:
                row = db.execute(
                    "DELETE FROM locks WHERE dossier_id = %s AND owner = %s RETURNING 1",
                    (dossier_id, owner),
                ).fetchone()
            if row is not None:
                self._session_unlock(dossier_id)

    def _session_unlock(self, dossier_id: str) -> None:
        """Let go of the dossier's advisory lock, when this store's lock session holds it."""
        if dossier_id in self._held and self._lock_db is not None:
            self._held.discard(dossier_id)
            self._lock_db.execute(
                "SELECT pg_advisory_unlock(hashtextextended(%s, %s))",
                (dossier_id, _DOSSIER_LOCK),
            )

    def begin_run(self, run: RunRecord, *, ttl: float) -> bool:
        """Take the run's dossier lock and record it as started, in one transaction and one
        round trip; ``False``, with nothing written, when another run holds the dossier (see
        :mod:`sfsync.store.run_housekeeping`).

        Committed without waiting for the WAL flush (as the figures are), which is safe here:
        PostgreSQL flushes its WAL in order, so this commit is on disk before any later commit
        that is waited for (a token saved, the run's end in :meth:`end_run`, which is), and if a
        server crash loses it, it loses everything the run committed after it too. The dossier is
        then as if the run had never started, and the lock it took is moot: the crash also ended
        the session holding the advisory lock, which lets the next run take the dossier."""
        with self._lock:
            _, fresh = self._session_lock(run.dossier_id)
            with self._pipelined_tx() as db:
                db.execute(_TAKE_LOCK, (run.dossier_id, run.id, ttl, fresh))
                started = db.execute(_START_RUN, (*POSTGRES.encode(RUNS, RUNS.values_of(run)), run.dossier_id, run.id))
            return started.fetchone() is not None

    def end_run(self, run: RunRecord, *, swap: int | None = None, link: LinkRecord | None = None) -> None:
        """Record the run's final state and release its dossier lock, with the generation it
        built swapped in (``swap``) and its ``link`` saved, in one durable transaction sent in
        one round trip (two with a swap, which reads the generation it replaces); then the
        advisory lock goes, on the lock session. A run that swaps calls :meth:`flush` first (the
        runner does); should a ledger batch of the dossier still have failed unseen, the swap
        raises it, as :meth:`swap_generation` does, and records nothing: a generation that
        misses a batch is never swapped in."""
        with self._lock:
            if swap is not None:
                self._live()  # confirms a batch in flight
                self._raise_failed(run.dossier_id)
            with self._live().pipeline(), self._db.transaction():  # a synchronous commit: the run's outcome
                if swap is not None:
                    self._swap_in(self._db, run.dossier_id, swap)
                if link is not None:
                    self._write_in(self._db, LINKS, (), [link])
                self._write_in(self._db, RUNS, (), [run])
                released = self._db.execute(_RELEASE_LOCK, (run.dossier_id, run.id))
            if released.fetchone() is not None:
                self._session_unlock(run.dossier_id)

    def close(self) -> None:
        """Confirm the ledger batch in flight, close both sessions, then raise the failure of a
        batch that no call has raised yet (closing never hides one)."""
        with self._lock:
            try:
                if self._in_flight is not None:
                    self._settle()
            finally:
                if self._lock_db is not None:
                    self._lock_db.close()
                self._db.close()
            self._raise_failed(None)

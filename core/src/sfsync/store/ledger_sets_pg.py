"""PostgreSQL: ledger lines kept by *set*, one integer per (dossier, generation, source).

As in the SQLite store, a ledger line carries the integer id of its set rather than the three
text columns (dossier, generation, source). Its key is then ``(set_id, id)``, its entry index
``(set_id, entry)``: narrower index tuples and cheaper comparisons, which roughly halve the
server's cost of each line written (``docs/performance.md``). There is no date index: every
query by date filters on the booking-period day ``COALESCE(placed_on, date)``, which an index on
``date`` cannot serve. Lines and their sets are only ever removed together (:func:`drop_sets`,
the store's ``ledger_deletes``), so no foreign key is probed per inserted line.
"""

from __future__ import annotations

from typing import Any

import psycopg

from sfsync.store.dialect import POSTGRES
from sfsync.store.tables import LEDGER_LINES

__all__ = [
    "COPY_STRAIGHT",
    "COPY_STRAIGHT_TYPES",
    "LEDGER_SETS_MIGRATION",
    "SETS_OF",
    "SET_OF",
    "copy_kept_lines",
    "drop_sets",
    "ledger_set",
]

_C = 'COLLATE "C"'

_LINE_DATA = (
    f"id TEXT {_C} NOT NULL, entry TEXT {_C} NOT NULL, journal TEXT, date DATE NOT NULL, period INTEGER,"
    f" fiscal_year TEXT, account TEXT {_C} NOT NULL, description TEXT NOT NULL,"
    " debit NUMERIC NOT NULL, credit NUMERIC NOT NULL, currency TEXT, foreign_amount NUMERIC,"
    " counterparty TEXT, vat_code TEXT, modified TEXT, placed_on DATE"
)
# The columns as migration 4 knew them: a migration never changes once applied.
_V4_COLUMNS = (
    "id, entry, journal, date, period, fiscal_year, account, description, debit, credit, currency,"
    " foreign_amount, counterparty, vat_code, modified, placed_on"
)

LEDGER_SETS_MIGRATION = f"""
ALTER TABLE ledger_lines RENAME TO ledger_lines_v3;
ALTER TABLE ledger_lines_v3 DROP CONSTRAINT ledger_lines_pkey;
DROP INDEX ledger_by_entry;
DROP INDEX ledger_by_date;
CREATE TABLE ledger_sets (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, dossier_id TEXT {_C} NOT NULL,
    generation INTEGER NOT NULL, source TEXT {_C} NOT NULL, UNIQUE (dossier_id, generation, source));
CREATE TABLE ledger_lines (set_id BIGINT NOT NULL, {_LINE_DATA}, PRIMARY KEY (set_id, id));
INSERT INTO ledger_sets (dossier_id, generation, source)
    SELECT DISTINCT dossier_id, generation, source FROM ledger_lines_v3 ORDER BY 1, 2, 3;
INSERT INTO ledger_lines (set_id, {_V4_COLUMNS})
    SELECT s.id, {', '.join(f'l.{c.strip()}' for c in _V4_COLUMNS.split(','))}
    FROM ledger_lines_v3 AS l JOIN ledger_sets AS s USING (dossier_id, generation, source);
DROP TABLE ledger_lines_v3;
CREATE INDEX ledger_by_entry ON ledger_lines (set_id, entry);
"""
"""Migration 4: the ledger table of version 3 (dossier, generation and source on every line,
keyed by the four of them, plus an index by date) rewritten into sets, in one transaction."""

COPY_STRAIGHT = (
    f"COPY ledger_lines (set_id, {', '.join(LEDGER_LINES.data_columns)}) FROM STDIN (FORMAT BINARY)"
)
"""COPY lines straight into the ledger table, each row led by its set's id."""

COPY_STRAIGHT_TYPES = ["int8", *(POSTGRES.array_type(LEDGER_LINES, c) for c in LEDGER_LINES.data_columns)]
"""The PostgreSQL type of each column of :data:`COPY_STRAIGHT` (``set_id`` is a ``BIGINT``)."""

SETS_OF = "SELECT id FROM ledger_sets WHERE dossier_id = %s AND generation = %s"
"""The sets of one dossier's generation; parameters: dossier, generation."""

SET_OF = "SELECT id FROM ledger_sets WHERE dossier_id = %s AND generation = %s AND source = %s"
"""The set of one dossier, generation and source; parameters: those three."""


def ledger_set(db: psycopg.Connection[Any], dossier_id: str, generation: int, source: str) -> psycopg.Cursor[Any]:
    """Find the set of one dossier, generation and source, made first if missing, in the
    caller's transaction; the returned cursor's row holds its id (fetched once the caller's
    pipeline has synced).

    A set is made only when missing, so that no identity value is spent on each batch; a
    concurrent maker (never within one run lock, but cheap to allow) makes this insert wait
    and then do nothing."""
    key = (dossier_id, generation, source)
    db.execute(
        "INSERT INTO ledger_sets (dossier_id, generation, source) SELECT %s, %s, %s"
        f" WHERE NOT EXISTS ({SET_OF}) ON CONFLICT (dossier_id, generation, source) DO NOTHING",
        (*key, *key),
    )
    return db.execute(SET_OF, key)


def copy_kept_lines(db: psycopg.Connection[Any], generation: int, dossier_id: str, active: int, kept: str,
                    kept_params: tuple[Any, ...]) -> None:
    """Copy the lines of the ``active`` generation that the new ``generation`` keeps (``kept``: the
    condition on a line, its parameters ``kept_params``) into a set of its own per source."""
    db.execute(
        "INSERT INTO ledger_sets (dossier_id, generation, source)"
        " SELECT dossier_id, %s, source FROM ledger_sets WHERE dossier_id = %s AND generation = %s",
        (generation, dossier_id, active),
    )
    data = LEDGER_LINES.data_columns
    db.execute(
        f"INSERT INTO ledger_lines (set_id, {', '.join(data)}) SELECT n.id, {', '.join(f'l.{c}' for c in data)}"
        " FROM ledger_sets AS o JOIN ledger_lines AS l ON l.set_id = o.id"
        " JOIN ledger_sets AS n ON n.dossier_id = o.dossier_id AND n.source = o.source AND n.generation = %s"
        f" WHERE o.dossier_id = %s AND o.generation = %s{kept}",
        (generation, dossier_id, active, *kept_params),
    )


def drop_sets(db: psycopg.Connection[Any], dossier_id: str, generation: int) -> None:
    """Delete one generation's ledger lines and their sets."""
    db.execute(f"DELETE FROM ledger_lines WHERE set_id IN ({SETS_OF})", (dossier_id, generation))
    db.execute("DELETE FROM ledger_sets WHERE dossier_id = %s AND generation = %s", (dossier_id, generation))

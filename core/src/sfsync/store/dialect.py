"""The statements and stored values of each SQL store, built from the tables of ``tables.py``.

A :class:`Dialect` knows two things about its database: how a value of each column *kind* is
passed and read back (SQLite keeps dates and amounts as exact text, PostgreSQL as ``DATE`` and
``NUMERIC``), and how a statement is spelt (``?`` or ``%s``; rows bound one by one, or one array
per column through ``unnest``). Everything else, which columns a table has and how a record maps
to them, is declared once in :mod:`sfsync.store.tables`, so both stores write a table the same way.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from sfsync.store.codec import dec, fiscal_years_from_json, fiscal_years_to_json, money
from sfsync.store.tables import Kind, Table

__all__ = ["POSTGRES", "SQLITE", "Dialect", "StagedUpsert"]

Convert = Callable[[Any], Any]


def _maybe(convert: Convert) -> Convert:
    return lambda value: None if value is None else convert(value)


def _same(value: Any) -> Any:
    return value


def _iso(value: Any) -> Any:
    return value.isoformat()


def _year_dicts(years: Any) -> list[dict[str, Any]]:
    return [y.model_dump(mode="json") for y in years]


class Dialect:
    """How one SQL database stores each kind of value and spells each statement.

    Args:
        name: ``"sqlite"`` or ``"postgres"``.
        placeholder: The parameter marker (``?`` or ``%s``).
        encoders: Per kind, the value to pass for a Python value (``None`` passes as NULL).
        decoders: Per kind, the Python value of what the database gives back.
        array_types: Per kind, PostgreSQL's array element type (for ``unnest`` writes); empty for
            a database that binds rows one by one.
    """

    def __init__(
        self,
        name: str,
        placeholder: str,
        encoders: Mapping[Kind, Convert],
        decoders: Mapping[Kind, Convert],
        array_types: Mapping[Kind, str] | None = None,
    ) -> None:
        self.name = name
        self.p = placeholder
        self._encoders = {k: _maybe(f) for k, f in encoders.items()}
        self._decoders = {k: _maybe(f) for k, f in decoders.items()}
        self._array_types = dict(array_types or {})

    def __repr__(self) -> str:
        return f"Dialect({self.name!r})"

    # --- values ---------------------------------------------------------------------------------

    def encode(self, table: Table, values: Mapping[str, Any]) -> tuple[Any, ...]:
        """The parameters of one row, in the table's column order."""
        return tuple(self._encoders[table.kinds[c]](values[c]) for c in table.columns)

    def decoders(self, table: Table, columns: Sequence[str]) -> list[Convert]:
        """The decoder of each of ``columns``, for reading many rows fast."""
        return [self._decoders[table.kinds[c]] for c in columns]

    def read(self, table: Table, rows: Iterable[Sequence[Any]], columns: Sequence[str] | None = None) -> list[Any]:
        """Records of rows selected as ``columns`` (default: the table's data columns)."""
        names = tuple(columns or table.data_columns)
        decode = self.decoders(table, names)
        return [table.record({n: f(v) for n, f, v in zip(names, decode, row, strict=True)}) for row in rows]

    # --- statements -----------------------------------------------------------------------------

    def select(self, table: Table, where: str, *, order: str = "", columns: Sequence[str] | None = None) -> str:
        """``SELECT`` the data columns (or ``columns``); ``where`` spells markers as ``{p}``."""
        cols = ", ".join(columns or table.data_columns)
        sql = f"SELECT {cols} FROM {table.name} WHERE {where.format(p=self.p)}"
        return f"{sql} ORDER BY {order}" if order else sql

    def upsert(self, table: Table) -> str:
        """Insert one row, or update every column but the key (and ``fixed``) of the row it meets."""
        cols = ", ".join(table.columns)
        markers = ", ".join([self.p] * len(table.columns))
        return f"INSERT INTO {table.name} ({cols}) VALUES ({markers}){self._on_conflict(table)}"

    def upsert_where(self, table: Table, condition: str) -> str:
        """:meth:`upsert` one row only where ``condition`` (SQL, markers as ``{p}``) holds; its
        parameters follow the row's."""
        cols = ", ".join(table.columns)
        markers = ", ".join([self.p] * len(table.columns))
        return (f"INSERT INTO {table.name} ({cols}) SELECT {markers} WHERE {condition.format(p=self.p)}"
                + self._on_conflict(table))

    def _on_conflict(self, table: Table) -> str:
        updated = [c for c in table.columns if c not in table.key and c not in table.fixed]
        action = ("DO UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in updated)) if updated else "DO NOTHING"
        return f" ON CONFLICT ({', '.join(table.key)}) {action}"

    def upsert_many(self, table: Table, scope: Sequence[Any], records: Iterable[Any]) -> list[tuple[str, Any]]:
        """The statements that upsert ``records`` under ``scope`` (the scope columns' values).

        A record twice (same key) counts once, the last one: PostgreSQL refuses one statement
        that touches a row twice, and SQLite would keep the last anyway. Returns (statement,
        parameters) pairs; parameters are a list of rows for ``executemany`` on SQLite, one
        tuple of per-column arrays on PostgreSQL."""
        fixed = dict(zip(table.scope, scope, strict=True))
        latest: dict[tuple[Any, ...], dict[str, Any]] = {}
        for record in records:
            values = {**fixed, **table.values_of(record)}
            latest[tuple(values[c] for c in table.key)] = values
        if not latest:
            return []
        rows = [self.encode(table, values) for values in latest.values()]
        if not self._array_types:
            return [(self.upsert(table), rows)]
        offset = len(table.scope)
        columns = [[row[i] for row in rows] for i in range(offset, len(table.columns))]
        return [(self.unnest_upsert(table), (*rows[0][:offset], *columns))]

    def unnest_upsert(self, table: Table) -> str:
        """PostgreSQL: upsert any number of rows passed as the scope's values, then one array per
        data column (in the table's order), in one statement."""
        data = table.data_columns
        arrays = ", ".join(f"{self.p}::{self._array_types[table.kinds[c]]}[]" for c in data)
        given = "".join(f"{self.p}, " for _ in table.scope)
        return (
            f"INSERT INTO {table.name} ({', '.join(table.columns)})"
            f" SELECT {given}{', '.join(data)} FROM unnest({arrays}) AS t ({', '.join(data)})"
            + self._on_conflict(table)
        )

    def array_type(self, table: Table, column: str) -> str:
        """PostgreSQL: the type of one of the table's columns as passed in arrays and COPY."""
        return self._array_types[table.kinds[column]]

    def staged_upsert(self, table: Table) -> StagedUpsert:
        """PostgreSQL: the statements of an upsert through a staging table filled by binary COPY."""
        return StagedUpsert(table, [self._array_types[table.kinds[c]] for c in table.data_columns],
                            self._on_conflict(table))

    def copy_generation(self, table: Table, *, before: bool, outside: bool) -> str:
        """Copy the rows of a generation that a new one keeps; parameters: new generation,
        dossier, old generation, then for a table ``kept_by`` a date: the ``keep_before`` date
        (``before``) and the two ends of the ``keep_outside`` range (``outside``)."""
        rest = [c for c in table.columns if c not in ("dossier_id", "generation")]
        cols = ", ".join(rest)
        sql = (
            f"INSERT INTO {table.name} (dossier_id, generation, {cols})"
            f" SELECT dossier_id, {self.p}, {cols} FROM {table.name}"
            f" WHERE dossier_id = {self.p} AND generation = {self.p}"
        )
        if table.kept_by is not None:
            sql += self.kept(table.kept_by, before=before, outside=outside, on_the_day=table.kept_on_the_day)
        return sql

    def kept_values(self, keep_before: dt.date | None, keep_outside: tuple[dt.date, dt.date] | None) -> tuple[Any, ...]:
        """The date parameters of :meth:`kept`, in order."""
        date = self._encoders["date"]
        return (*((date(keep_before),) if keep_before else ()), *(date(d) for d in keep_outside or ()))

    def kept(self, day: str, *, before: bool, outside: bool, on_the_day: bool = False) -> str:
        """The condition on the date expression ``day`` of a row a new generation keeps."""
        sql = f" AND {day} {'<=' if on_the_day else '<'} {self.p}" if before else ""
        if outside:
            sql += f" AND NOT ({day} BETWEEN {self.p} AND {self.p})"
        return sql

    def drop_generation(self, table_name: str) -> str:
        """Delete one generation's rows of a table; parameters: dossier, generation."""
        return f"DELETE FROM {table_name} WHERE dossier_id = {self.p} AND generation = {self.p}"


class StagedUpsert:
    """An upsert of many rows in three statements: PostgreSQL's fastest way in.

    The rows go by binary ``COPY`` (values sent in PostgreSQL's own binary form, formatted in C
    by psycopg) into a temporary staging table that empties itself at each commit, and one
    set-based ``INSERT … SELECT … ON CONFLICT`` merges them under the scope's values. Both run in
    the caller's transaction, so a batch still commits with its checkpoint or not at all.

    Attributes:
        create: Creates the session's staging table (once per connection; ``IF NOT EXISTS``).
        copy: The ``COPY … FROM STDIN (FORMAT BINARY)`` statement.
        types: The PostgreSQL type of each data column, in order (for ``Copy.set_types``).
        insert: The merge when no staged row meets a stored one (about a third cheaper than an
            upsert); parameters: the scope's values.
        merge: The merge; parameters: the scope's values.
    """

    def __init__(self, table: Table, types: list[str], on_conflict: str) -> None:
        data = table.data_columns
        staging = f"{table.name}_staging"
        self.types = types
        self.create = (
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {staging}"
            f" ({', '.join(f'{c} {t}' for c, t in zip(data, types, strict=True))}) ON COMMIT DELETE ROWS"
        )
        self.copy = f"COPY {staging} ({', '.join(data)}) FROM STDIN (FORMAT BINARY)"
        self.insert = (
            f"INSERT INTO {table.name} ({', '.join(table.columns)})"
            f" SELECT {''.join('%s, ' for _ in table.scope)}{', '.join(data)} FROM {staging}"
        )
        self.merge = self.insert + on_conflict


SQLITE = Dialect(
    "sqlite",
    "?",
    encoders={
        "text": _same, "int": _same, "bool": int, "date": _iso, "stamp": _iso, "isostamp": _iso, "money": money,
        "json": json.dumps, "years": fiscal_years_to_json, "bytes": _same,
    },
    decoders={
        "text": _same, "int": _same, "bool": bool, "date": dt.date.fromisoformat, "stamp": dt.datetime.fromisoformat,
        "isostamp": dt.datetime.fromisoformat, "money": dec, "json": json.loads, "years": fiscal_years_from_json,
        "bytes": bytes,
    },
)
"""SQLite: dates, stamps and amounts as exact text, JSON as text, booleans as 0/1."""


def _jsonb(value: Any) -> Any:
    from psycopg.types.json import Jsonb  # psycopg is an extra: imported only by the store using it

    return Jsonb(value)


def _years_from(value: Any) -> Any:
    return fiscal_years_from_json(json.dumps(value))


POSTGRES = Dialect(
    "postgres",
    "%s",
    encoders={
        "text": _same, "int": _same, "bool": _same, "date": _same, "stamp": _same, "isostamp": _iso,
        "money": _same, "json": _jsonb, "years": lambda years: _jsonb(_year_dicts(years)), "bytes": _same,
    },
    decoders={
        "text": _same, "int": _same, "bool": _same, "date": _same, "stamp": _same,
        "isostamp": dt.datetime.fromisoformat, "money": _same, "json": _same, "years": _years_from, "bytes": bytes,
    },
    array_types={
        "text": "text", "int": "int4", "bool": "bool", "date": "date", "stamp": "timestamptz", "isostamp": "text",
        "money": "numeric", "json": "jsonb", "years": "jsonb", "bytes": "bytea",
    },
)
"""PostgreSQL: native ``DATE``, ``TIMESTAMPTZ``, ``NUMERIC`` and ``JSONB``."""

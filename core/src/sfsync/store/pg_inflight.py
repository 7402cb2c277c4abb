"""PostgreSQL: one ledger batch in flight, sent without waiting for the server.

On two cores the client (validating the next page) and the server (writing this one) can work
side by side only if the store returns before the server is done. A *straight* batch (lines
only, into a set already known, none of them stored yet) is therefore sent as one simple-protocol
query — the transaction with a guard that its cached set still exists, a savepoint, the ``COPY``
and the checkpoint — followed by its ``COPY`` data, on the work connection's non-blocking libpq
(:attr:`psycopg.Connection.pgconn`), on the caller's thread: no thread, so no wait for the GIL.
The store reads the results (:func:`finish`) before any other use of the connection.

The ``COPY`` data is text, built column by column with ``str.join`` (only a text column that holds
a tab, a newline, a carriage return or a backslash is escaped), and a column empty on every line
is left out of the ``COPY`` altogether: cheaper to make than psycopg's binary ``write_row`` per
row (``docs/performance.md``).
"""

from __future__ import annotations

import select
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import pq, sql

__all__ = [
    "DIVISION_BY_ZERO",
    "UNIQUE_VIOLATION",
    "InFlight",
    "ServerFailure",
    "finish",
    "send_copy",
    "start",
    "straight_query",
    "text_rows",
]

UNIQUE_VIOLATION = "23505"
"""The SQLSTATE of a straight ``COPY`` meeting a stored line: the batch goes through the merge."""

DIVISION_BY_ZERO = "22012"
"""The SQLSTATE the guard raises when the cached set is gone: the batch is redone in full."""

_ESCAPED = ("\\", "\t", "\n", "\r")
_NULL = "\\N"
_CHUNK = 1 << 16  # COPY data per message: the server starts on the first while the rest arrives


@dataclass
class ServerFailure:
    """What the server (or the lost connection) said about a batch in flight."""

    sqlstate: str | None
    message: str

    def error(self, about: str) -> psycopg.Error:
        """The psycopg exception the batch would have raised had it waited, naming ``about``."""
        kind: type[psycopg.Error] = psycopg.OperationalError
        if self.sqlstate:
            try:
                kind = psycopg.errors.lookup(self.sqlstate)
            except KeyError:
                kind = psycopg.DatabaseError
        return kind(f"{about} was not stored: {self.message}")


@dataclass
class InFlight:
    """A ledger batch sent and not yet confirmed: enough to redo it through the merge."""

    dossier_id: str
    generation: int
    source: str
    stream: str
    cursor: str | None
    set_id: int
    columns: list[list[Any]]  # the batch's columns in the store's order (see the store's write)
    lines: int

    def about(self) -> str:
        """The batch, named in an error: dossier, stream and the cursor it would have stored."""
        cursor = self.cursor if self.cursor is None or len(self.cursor) <= 60 else self.cursor[:57] + "..."
        return (f"the ledger batch of dossier {self.dossier_id} (stream {self.stream}, cursor {cursor!r},"
                f" {self.lines} lines)")


def text_rows(columns: Sequence[Sequence[Any]], kinds: Sequence[str]) -> tuple[list[int], bytes]:
    """The ``COPY … FROM STDIN`` text data of ``columns`` (one sequence per column, ``kinds``
    their store kinds), leaving out every column that is empty on all lines; returns the indexes
    of the columns kept and the UTF-8 data."""
    kept: list[int] = []
    texts: list[Sequence[str]] = []
    for index, (column, kind) in enumerate(zip(columns, kinds, strict=True)):
        if all(value is None for value in column):
            continue
        values: Sequence[str]
        if kind in ("date", "int"):  # few distinct values in a batch: each made into text once
            text_of = {value: str(value) for value in set(column)}
            text_of[None] = _NULL
            values = [*map(text_of.__getitem__, column)]
        elif None in column:
            values = [_NULL if value is None else _text(value, kind) for value in column]
        elif kind == "text":
            values = column
            joined = "".join(column)
            if any(char in joined for char in _ESCAPED):
                values = [*map(_escape, column)]
        else:  # amounts (never deduplicated: 1.0 and 1.00 are equal and differ) and stamps
            values = [*map(str, column)]
        kept.append(index)
        texts.append(values)
    data = "\n".join(map("\t".join, zip(*texts, strict=True)))
    return kept, (data + "\n").encode()


def _text(value: Any, kind: str) -> str:
    return _escape(value) if kind == "text" else str(value)


def _escape(text: str) -> str:
    if not any(char in text for char in _ESCAPED):
        return text
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def straight_query(
    db: psycopg.Connection[Any], flight: InFlight, copy_columns: Sequence[str], checkpoint: str
) -> bytes:
    """The batch's one query: open (committed without waiting for the WAL flush), the guard that
    its set is still the one cached (else a division by zero), the savepoint a clash rolls back
    to, the ``COPY``, the checkpoint upsert (``checkpoint``: its SQL with four placeholders,
    dossier, generation, stream and cursor) when the batch has a cursor, the commit."""
    lit = sql.Literal
    guard = sql.SQL(
        "SELECT 1 / count(*) FROM ledger_sets WHERE id = {} AND dossier_id = {} AND generation = {} AND source = {}"
    ).format(lit(flight.set_id), lit(flight.dossier_id), lit(flight.generation), lit(flight.source))
    copy = sql.SQL("COPY ledger_lines ({}) FROM STDIN").format(sql.SQL(", ").join(map(sql.Identifier, copy_columns)))
    parts = [sql.SQL("BEGIN; SET LOCAL synchronous_commit TO OFF"), guard, sql.SQL("SAVEPOINT straight"), copy]
    if flight.cursor is not None:
        values = (flight.dossier_id, flight.generation, flight.stream, flight.cursor)
        parts.append(sql.SQL(checkpoint.replace("%s", "{}")).format(*map(lit, values)))
    parts.append(sql.SQL("COMMIT"))
    return sql.SQL("; ").join(parts).as_bytes(db)


def start(pgconn: pq.abc.PGconn, query: bytes) -> ServerFailure | None:
    """Send ``query`` and wait until the server is in its ``COPY`` (one short round trip: the
    statements before it are tiny). A failure before the ``COPY`` (the guard) comes back here,
    its results all read."""
    pgconn.send_query(query)
    _flush_all(pgconn)
    failure: ServerFailure | None = None
    while True:
        result = _next_result(pgconn)
        if result is None:
            return failure or ServerFailure(None, "the server did not start the COPY")
        if result.status == pq.ExecStatus.COPY_IN:
            return None
        failure = failure or _failure_of(result)


def send_copy(pgconn: pq.abc.PGconn, data: bytes) -> None:
    """Hand the ``COPY`` data and its end to libpq and send what the socket takes now; the rest
    goes out at :func:`finish`. ``COPY`` data in messages of 64 KiB, so that the server parses
    the first while the next arrive."""
    for offset in range(0, len(data), _CHUNK):  # bytes, not a memoryview: libpq through ctypes takes only bytes
        while not pgconn.put_copy_data(data[offset:offset + _CHUNK]):  # 0: libpq's buffer is full
            _wait(pgconn, write=True)
    while not pgconn.put_copy_end():
        _wait(pgconn, write=True)
    pgconn.flush()


def finish(pgconn: pq.abc.PGconn) -> ServerFailure | None:
    """Send what is left of a batch in flight and read all its results: None if it committed,
    else the first failure (the server's, or the connection's when it was lost)."""
    try:
        _flush_all(pgconn)
        failure: ServerFailure | None = None
        while (result := _next_result(pgconn)) is not None:
            failure = failure or _failure_of(result)
        return failure
    except psycopg.OperationalError as exc:  # the connection is gone (status BAD): nothing committed
        return ServerFailure(None, str(exc) or "the connection to the server was lost")


def _flush_all(pgconn: pq.abc.PGconn) -> None:
    while pgconn.flush():  # libpq reads what the server sends meanwhile, so neither side blocks
        _wait(pgconn, write=True)


def _next_result(pgconn: pq.abc.PGconn) -> pq.abc.PGresult | None:
    while pgconn.is_busy():
        _wait(pgconn, write=False)
        pgconn.consume_input()
    return pgconn.get_result()


def _wait(pgconn: pq.abc.PGconn, *, write: bool) -> None:
    poll = select.poll()  # not select(): a busy worker's descriptors may pass 1024
    poll.register(pgconn.socket, select.POLLIN | (select.POLLOUT if write else 0))
    poll.poll()
    if write:
        pgconn.consume_input()  # a notice or an error the server sent while we wrote


def _failure_of(result: pq.abc.PGresult) -> ServerFailure | None:
    if result.status not in (pq.ExecStatus.FATAL_ERROR, pq.ExecStatus.NONFATAL_ERROR):
        return None
    sqlstate = result.error_field(pq.DiagnosticField.SQLSTATE)
    message = result.error_field(pq.DiagnosticField.MESSAGE_PRIMARY) or result.error_message
    return ServerFailure(sqlstate.decode() if sqlstate else None, message.decode(errors="replace").strip())

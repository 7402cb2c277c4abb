"""What the SQL stores keep: every table's columns, their kinds, keys and record mapping, once.

This is the one writer per table (CONVENTIONS §18). A table is declared here with the *kind* of
each column (``date``, ``money``, ``json``…); :mod:`sfsync.store.dialect` turns kinds into the
values SQLite and PostgreSQL each store and builds the statements from these declarations. A new
column is added here, to the record it maps, and to each store's migration: nothing else.

Tables scoped to a *generation* (keyed by ``dossier_id, generation``) say how ``keep_before``
treats them: ``kept_by`` names the date column that must lie before the date for a row to be
copied into a new *since* generation (``copied`` without ``kept_by``: every row is copied).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any, Literal

from sfsync.ledger_columns import FIELDS as LINE_FIELDS
from sfsync.models import (
    Account,
    AccountKind,
    FiscalYear,
    Granularity,
    OpeningBalance,
    SyncMode,
    TrialBalanceLine,
)
from sfsync.store.base import ConnectionRecord, LinkRecord, RunRecord

__all__ = [
    "ACCOUNTS",
    "CONNECTIONS",
    "FISCAL_YEARS",
    "GENERATION_TABLES",
    "LEDGER_LINES",
    "LINKS",
    "OPENING_BALANCES",
    "RUNS",
    "TRIAL_BALANCE",
    "Kind",
    "Table",
]

Kind = Literal["text", "int", "bool", "date", "stamp", "isostamp", "money", "json", "years", "bytes"]
"""How a column's value is stored. ``stamp`` is a native timestamp column; ``isostamp`` a stamp
kept as ISO text in both stores (a ledger line's ``modified``, compared as text); ``years`` a list
of :class:`~sfsync.models.FiscalYear` kept as JSON."""


@dataclasses.dataclass(frozen=True)
class Table:
    """One stored table: its columns in order, their kinds and key, and how it maps to a record.

    Attributes:
        name: The table's name.
        kinds: Every column and its kind, in the table's column order.
        key: The primary key (upserts conflict on it).
        scope: Leading key columns given by the caller rather than the record (``dossier_id``,
            ``generation``, ``source``).
        kept_by: For a generation table, the date column that must lie before a *since* date for
            a row to be copied into the new generation; ``kept_on_the_day`` makes the date itself
            count as before (an opening balance *at* the date is history).
        copied: Whether ``keep_before`` copies the table at all.
        build: Make the record from the decoded non-scope columns.
        fields: The non-scope columns of a record, by name (default: its attributes).
        fixed: Columns set once on insert and never updated by an upsert.
    """

    name: str
    kinds: Mapping[str, Kind]
    key: tuple[str, ...]
    scope: tuple[str, ...] = ()
    kept_by: str | None = None
    kept_on_the_day: bool = False
    copied: bool = False
    build: Callable[[dict[str, Any]], Any] | None = None
    fields: Callable[[Any], dict[str, Any]] | None = None
    fixed: tuple[str, ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column, in order."""
        return tuple(self.kinds)

    @property
    def data_columns(self) -> tuple[str, ...]:
        """The columns a record carries (all but the scope)."""
        return tuple(c for c in self.kinds if c not in self.scope)

    def values_of(self, record: Any) -> dict[str, Any]:
        """The record's data columns, by name."""
        if self.fields is not None:
            return self.fields(record)
        return {c: getattr(record, c) for c in self.data_columns}

    def record(self, values: dict[str, Any]) -> Any:
        """The record of decoded data columns."""
        if self.build is None:
            return values
        return self.build(values)


_GEN: dict[str, Kind] = {"dossier_id": "text", "generation": "int"}
_GEN_SOURCE: dict[str, Kind] = {**_GEN, "source": "text"}


def _enum_value(value: Any) -> Any:
    return getattr(value, "value", value)


def _created(record: Any) -> dt.datetime:
    # A new record is stamped when first written; an upsert never changes the stamp (``fixed``).
    return record.created_at or dt.datetime.now(dt.UTC)


CONNECTIONS: Table = Table(
    "connections",
    {"id": "text", "firm_id": "text", "connector": "text", "label": "text", "level": "text",
     "config": "json", "sealed": "bytes", "status": "text", "created_at": "stamp",
     "owner_dossier_id": "text", "created_by": "text", "status_cause": "text"},
    key=("id",),
    build=lambda v: ConnectionRecord(**v),
    fields=lambda c: {**{n: getattr(c, n) for n in CONNECTIONS.data_columns}, "created_at": _created(c)},
    fixed=("created_at",),
)

LINKS: Table = Table(
    "links",
    {"dossier_id": "text", "connection_id": "text", "company_ref": "text", "company_name": "text",
     "mode": "text", "granularity": "text", "since": "date", "first_year_end": "date",
     "fiscal_years_override": "years", "needs_full_sync": "bool", "opening_balances_done": "bool",
     "opening_balances_stamp": "text", "created_at": "stamp"},
    key=("dossier_id",),
    build=lambda v: LinkRecord(**{**v, "mode": SyncMode(v["mode"]), "granularity": Granularity(v["granularity"])}),
    fields=lambda link: {
        **{c: getattr(link, c) for c in LINKS.data_columns},
        "mode": _enum_value(link.mode), "granularity": _enum_value(link.granularity), "created_at": _created(link),
    },
    fixed=("created_at",),
)

FISCAL_YEARS = Table(
    "fiscal_years",
    {**_GEN, "start": "date", "end_": "date", "data": "json"},
    key=("dossier_id", "generation", "start"),
    scope=("dossier_id", "generation"),
    build=lambda v: FiscalYear.model_validate(v["data"]),
    fields=lambda y: {"start": y.start, "end_": y.end, "data": y.model_dump(mode="json")},
)

ACCOUNTS = Table(
    "accounts",
    {**_GEN, "code": "text", "name": "text", "kind": "text", "parent": "text", "ref": "text"},
    key=("dossier_id", "generation", "code"),
    scope=("dossier_id", "generation"),
    copied=True,
    build=lambda v: Account(**{**v, "kind": AccountKind(v["kind"])}),
    fields=lambda a: {"code": a.code, "name": a.name, "kind": a.kind.value, "parent": a.parent, "ref": a.ref},
)

TRIAL_BALANCE = Table(
    "trial_balance",
    {**_GEN_SOURCE, "account": "text", "period_start": "date", "period_end": "date", "period": "int",
     "fiscal_year": "text", "opening": "money", "debit": "money", "credit": "money", "closing": "money"},
    key=("dossier_id", "generation", "source", "account", "period_end"),
    scope=("dossier_id", "generation", "source"),
    kept_by="period_end",
    copied=True,
    build=lambda v: TrialBalanceLine.model_construct(**v),
)

OPENING_BALANCES = Table(
    "opening_balances",
    {**_GEN_SOURCE, "account": "text", "date": "date", "amount": "money"},
    key=("dossier_id", "generation", "source", "account", "date"),
    scope=("dossier_id", "generation", "source"),
    kept_by="date",
    kept_on_the_day=True,
    copied=True,
    build=lambda v: OpeningBalance.model_construct(**v),
)

_LINE_KINDS: dict[str, Kind] = {
    "id": "text", "entry": "text", "journal": "text", "date": "date", "period": "int", "fiscal_year": "text",
    "account": "text", "description": "text", "debit": "money", "credit": "money", "currency": "text",
    "foreign_amount": "money", "counterparty": "text", "vat_code": "text", "modified": "isostamp",
}
assert tuple(_LINE_KINDS) == LINE_FIELDS  # the store's columns follow the model's fields

LEDGER_LINES = Table(
    "ledger_lines",
    # ``set_id``: the line's set, one per dossier, generation and source (table ``ledger_sets``).
    # ``placed_on``: the day the line counts on for periods and years when its booking period
    # lies elsewhere than its date (NULL: its date). See sfsync.placement.
    {"set_id": "int", **_LINE_KINDS, "placed_on": "date"},
    key=("set_id", "id"),
    scope=("set_id",),
    kept_by="COALESCE(placed_on, date)",
    copied=True,
)
"""Ledger lines as both stores keep them: by the integer id of their set (dossier, generation,
source), not by those three columns on every line."""

GENERATION_TABLES = ("fiscal_years", "accounts", "ledger_lines", "trial_balance", "opening_balances", "checkpoints")
"""Every table scoped to a generation: dropped together when a generation is discarded."""

RUNS = Table(
    "runs",
    {"id": "text", "dossier_id": "text", "started_at": "stamp", "finished_at": "stamp", "status": "text",
     "data": "json"},
    key=("id",),
    build=lambda v: _run_of(v),
    fields=lambda run: {
        "id": run.id, "dossier_id": run.dossier_id, "started_at": run.started_at,
        "finished_at": run.finished_at, "status": run.status, "data": _run_data(run),
    },
)

_RUN_DATA = ("stage", "counts", "requests", "rate_limit_waits", "warnings", "error", "error_kind")


def _run_data(run: RunRecord) -> dict[str, Any]:
    data = {name: getattr(run, name) for name in _RUN_DATA}
    data["resume_at"] = run.resume_at.isoformat() if run.resume_at else None
    return data


def _run_of(values: dict[str, Any]) -> RunRecord:
    data = values["data"]
    resume_at = data.get("resume_at")
    return RunRecord(
        id=values["id"], dossier_id=values["dossier_id"], started_at=values["started_at"],
        finished_at=values["finished_at"], status=values["status"],
        resume_at=dt.datetime.fromisoformat(resume_at) if resume_at else None,
        **{name: data[name] for name in _RUN_DATA},
    )

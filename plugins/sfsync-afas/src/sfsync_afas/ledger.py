"""The ledger stream of an administration: a first full read, then nights that cost one request.

First sync: note the gate (:mod:`sfsync_afas.changes`) and every period's fingerprint, then read
``Profit_Transactions`` of the administration (from the *since* year on) in the fixed order year,
entry and sequence number, ``skip`` by ``skip``; the cursor keeps the ``skip`` reached, so a killed
run goes on where it stopped.

A night: the gate first; when it says nothing changed the night ends there, after one request.
Otherwise (a night's work, carried in the cursor's ``todo`` until it is done, so a killed night is
redone rather than skipped):

1. lines whose ``Modified`` is at or after the mark of the last night (new and edited lines);
2. ``Profit_Period_balance`` of the administration: each period whose fingerprint moved is read
   again whole and its stored lines replaced (``LedgerBatch.clear``): that is where a deleted line
   disappears. Nothing else is read again.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sfsync.models import Company, FiscalYear, LedgerBatch, LedgerColumns

from sfsync_afas.changes import (
    Gate,
    amsterdam_now,
    fingerprints,
    period_rows,
    read_gate,
    row_digest,
)
from sfsync_afas.client import AfasClient
from sfsync_afas.filters import Condition

__all__ = ["fetch_ledger", "line_records", "stamp_of"]

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
FULL_ORDER = ("Year", "EntryNo", "SeqNo")
CHANGED_ORDER = ("Modified", "Year", "EntryNo", "SeqNo")


def stamp_of(text: str) -> dt.datetime:
    """An AFAS date-time: Amsterdam time, whatever its trailing ``Z`` says (get-connector.md)."""
    return dt.datetime.fromisoformat(text.rstrip("Z")).replace(tzinfo=AMSTERDAM)


def _amount(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value or 0))


def line_records(rows: list[dict[str, Any]]) -> LedgerColumns:
    """Profit_Transactions rows as ledger lines (an entry is its year and entry number)."""
    return LedgerColumns.from_records(
        {
            "id": _id(row),
            "entry": f"{row['Year']}-{row['EntryNo']}",
            "journal": str(row["JournalId"]),
            "date": str(row["EntryDate"])[:10],
            "period": int(row["Period"]),
            "fiscal_year": str(row["Year"]),
            "account": str(row["AccountNo"]),
            "description": row.get("Description") or "",
            "amount": _amount(row.get("AmtDebit")) - _amount(row.get("AmtCredit")),
            "modified": stamp_of(str(row["Modified"])),
        }
        for row in rows
    )


def _id(row: dict[str, Any]) -> str:
    return f"{row['Year']}-{row['EntryNo']}-{row['SeqNo']}"


def _unit(company: Company) -> Condition:
    return Condition("UnitId", 1, company.ref)


def _year_of(day: dt.date, years: list[FiscalYear]) -> int | None:
    for year in years:
        if year.start <= day <= year.end:
            return int(year.label)
    return None


async def fetch_ledger(
    client: AfasClient, company: Company, since: dt.date | None, cursor: str | None, years: list[FiscalYear]
) -> AsyncIterator[LedgerBatch]:
    """Yield the administration's ledger batches (see the module docstring)."""
    state: dict[str, Any] = json.loads(cursor) if cursor else {}
    if not state:
        from_year = _year_of(since, years) if since else None
        gate = await read_gate(client, None, amsterdam_now(client))
        assert gate is not None
        rows = await period_rows(client, company.ref, from_year=from_year)
        state = {"from_year": from_year, "full": 0, "gate": gate.to_json(), "stamp": gate.mark, "at_stamp": {},
                 "periods": fingerprints(rows), "todo": None}
    if state.get("full") is not None:
        async for batch in _full(client, company, state):
            yield batch
        return
    if state["todo"] is None:
        moved = await read_gate(client, Gate.from_json(state["gate"]), amsterdam_now(client))
        if moved is None:
            return  # an unchanged night: one request
        state["todo"] = {"gate": moved.to_json(), "step": "lines", "newest": state["stamp"],
                         "at_newest": dict(state["at_stamp"])}
    async for batch in _night(client, company, state, years):
        yield batch


async def _full(client: AfasClient, company: Company, state: dict[str, Any]) -> AsyncIterator[LedgerBatch]:
    where = [_unit(company)]
    if state["from_year"] is not None:
        where.append(Condition("Year", 2, str(state["from_year"])))
    newest = state["stamp"]
    async for skip, rows in client.pages("Profit_Transactions", order=FULL_ORDER, where=[where], skip=state["full"]):
        state["full"] = skip
        for row in rows:
            newest = max(newest or "", str(row["Modified"]))
            if str(row["Modified"]) == state["stamp"]:  # read at the mark: not news next night
                state["at_stamp"][_id(row)] = row_digest(row)
        if state["stamp"] is None:  # an environment whose gate is still empty
            state["stamp"] = newest
        yield LedgerBatch(lines=line_records(rows), cursor=json.dumps(state))
    state["full"] = None
    yield LedgerBatch(cursor=json.dumps(state))


async def _night(
    client: AfasClient, company: Company, state: dict[str, Any], years: list[FiscalYear]
) -> AsyncIterator[LedgerBatch]:
    todo = state["todo"]
    if todo["step"] == "lines":
        where = [_unit(company)]
        if state["stamp"]:
            where.append(Condition("Modified", 2, str(state["stamp"]).rstrip("Z")))
        async for _, rows in client.pages("Profit_Transactions", order=CHANGED_ORDER, where=[where]):
            news = []
            for row in rows:
                modified, ident, digest = str(row["Modified"]), _id(row), row_digest(row)
                if modified == state["stamp"] and state["at_stamp"].get(ident) == digest:
                    continue  # the same line, read at the mark's second last night
                news.append(row)
                if modified > (todo["newest"] or ""):
                    todo["newest"], todo["at_newest"] = modified, {}
                if modified == todo["newest"]:
                    todo["at_newest"][ident] = digest
            if news:
                yield LedgerBatch(lines=line_records(news), cursor=json.dumps(state))
        todo["step"] = "periods"
    rows = await period_rows(client, company.ref, from_year=state["from_year"])
    now = fingerprints(rows)
    places = {f"{y.label}-{p.number}": (p.start, p.end) for y in years for p in y.periods}
    for key in sorted(set(now) | set(state["periods"])):
        if now.get(key) == state["periods"].get(key):
            continue
        year, period = key.split("-")
        fresh = await client.all("Profit_Transactions", order=FULL_ORDER, where=[[
            _unit(company), Condition("Year", 1, year), Condition("Period", 1, period)]])
        if key in now:
            state["periods"][key] = now[key]
        else:
            state["periods"].pop(key, None)
        yield LedgerBatch(lines=line_records(fresh), clear=places.get(key), cursor=json.dumps(state))
    state["stamp"], state["at_stamp"] = todo["newest"], todo["at_newest"]
    state["gate"] = todo["gate"]
    state["todo"] = None
    yield LedgerBatch(cursor=json.dumps(state))

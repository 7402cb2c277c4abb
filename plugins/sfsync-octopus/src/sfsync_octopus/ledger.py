"""Octopus's figures, incrementally: bookings per bookyear, account amounts, opening balances.

* Ledger: per bookyear, ``bookyears/{id}/bookings/modified`` from the last ``modifiedTimeStamp``
  seen (the first time from 2000-01-01: everything). A booking that comes back replaces all its
  lines (its entry is deleted, its current lines written); a deleted one only deletes. A closed
  bookyear takes no bookings: once read, it is not asked again.
* Trial balance: ``accounts/amounts/modified`` since the last stamp is the night's one question;
  only when it names changes are all amounts read again and the years rewritten.
* Opening balances and the history stamp: the account amounts of the years before the date.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator, Iterable
from decimal import Decimal
from typing import Any

from sfsync.errors import MalformedResponse
from sfsync.models import (
    FiscalYear,
    LedgerBatch,
    LedgerColumns,
    OpeningBalance,
    TrialBalanceBatch,
    TrialBalanceLine,
)

from sfsync_octopus.assumed import BOOKING_DELETED_FIELD, RESULT_ACCOUNT
from sfsync_octopus.client import OctopusSession
from sfsync_octopus.facts import EPOCH_STAMP
from sfsync_octopus.mapping import bookyear_id, kind_of, line_records, parse_date, to_fiscal_year

__all__ = ["Amounts", "history_stamp", "ledger_batches", "opening_balances", "read_amounts", "trial_balance_batches"]

Amounts = dict[tuple[int, str, int], tuple[Decimal, Decimal]]
"""Debit and credit per (bookyear id, account, period)."""


async def read_bookyears(session: OctopusSession, dossier: str) -> list[dict[str, Any]]:
    body = await session.get(dossier, "bookyears")
    if not isinstance(body, list):
        raise MalformedResponse(f"Octopus's bookyears of dossier {dossier} are not a list")
    return sorted(body, key=lambda item: str(item.get("startDate")))


async def ledger_batches(
    session: OctopusSession, dossier: str, bookyears: list[dict[str, Any]], since: Any, cursor: str | None
) -> AsyncIterator[LedgerBatch]:
    state: dict[str, Any] = json.loads(cursor) if cursor else {"stamps": {}, "closed_read": []}
    for item in bookyears:
        year, number = to_fiscal_year(item), str(bookyear_id(item))
        if since is not None and year.end < since:
            continue
        if year.closed and number in state["closed_read"]:
            continue
        previous = state["stamps"].get(number)
        body = await session.get(dossier, f"bookyears/{number}/bookings/modified",
                                 {"modifiedTimeStamp": previous or EPOCH_STAMP})
        if not isinstance(body, list):
            raise MalformedResponse(f"Octopus's modified bookings of bookyear {number} are not a list")
        records: list[dict[str, Any]] = []
        replaced: list[str] = []
        for booking in body:
            entry, lines = line_records(booking, year.label)
            replaced.append(entry)
            if not booking.get(BOOKING_DELETED_FIELD):
                records.extend(lines)
        stamps = [str(b["modifiedTimeStamp"]) for b in body if b.get("modifiedTimeStamp")]
        if stamps:
            state["stamps"][number] = max(stamps)
        if year.closed:
            state["closed_read"].append(number)
        # On a first read nothing is stored yet: there is nothing for the bookings to replace.
        yield LedgerBatch(lines=LedgerColumns.from_records(records), deleted_entries=replaced if previous else [],
                          cursor=json.dumps(state))


async def read_amounts(session: OctopusSession, dossier: str, stamp: str = EPOCH_STAMP) -> tuple[Amounts, str | None]:
    """The account amounts changed since ``stamp`` (all of them from the epoch), and the latest stamp."""
    body = await session.get(dossier, "accounts/amounts/modified", {"modifiedTimeStamp": stamp})
    if not isinstance(body, list):
        raise MalformedResponse(f"Octopus's modified account amounts of dossier {dossier} are not a list")
    amounts: Amounts = {}
    latest: str | None = None
    for row in body:
        try:
            key = (bookyear_id(row), str(row["accountKey"]), int(row["bookyearPeriod"]))
            amounts[key] = (Decimal(row["debitAmount"]), Decimal(row["creditAmount"]))
        except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
            raise MalformedResponse(f"an Octopus account amount is incomplete ({exc})") from exc
        if row.get("modifiedTimeStamp"):
            latest = max(latest or "", str(row["modifiedTimeStamp"]))
    return amounts, latest


def _carried(amounts: Amounts, years: Iterable[int]) -> dict[str, Decimal]:
    """Balance-sheet balances after ``years``, their profit or loss in the result account."""
    wanted, out = set(years), dict[str, Decimal]()
    for (year, account, _), (debit, credit) in amounts.items():
        if year in wanted:
            target = account if kind_of(account).value == "balance_sheet" else RESULT_ACCOUNT
            out[target] = out.get(target, Decimal(0)) + debit - credit
    return {a: v for a, v in out.items() if v != 0}


async def trial_balance_batches(
    session: OctopusSession, dossier: str, bookyears: list[dict[str, Any]], fiscal_years: list[FiscalYear], cursor: str | None
) -> AsyncIterator[TrialBalanceBatch]:
    state = json.loads(cursor) if cursor else {"stamp": None, "pending": []}
    ids = [(bookyear_id(item), to_fiscal_year(item)) for item in bookyears]
    if not state["pending"]:
        # A pass is done: ask only whether anything changed since it.
        if state["stamp"] is not None:
            changed, _ = await read_amounts(session, dossier, state["stamp"])
            if not changed:
                return
        state["pending"] = [number for number, _ in ids]
    amounts, latest = await read_amounts(session, dossier)
    state["stamp"] = max(latest or "", state["stamp"] or "") or None
    for index, (number, year) in enumerate(ids):
        if number not in state["pending"] or not any(f.start <= year.end and year.start <= f.end for f in fiscal_years):
            continue  # written before the run was interrupted, or before the link's since date
        running = _carried(amounts, [n for n, _ in ids[:index]])
        lines = []
        for period in year.periods:
            for account in sorted({a for (y, a, p) in amounts if y == number and p == period.number} | set(running)):
                debit, credit = amounts.get((number, account, period.number), (Decimal(0), Decimal(0)))
                opening = running.get(account, Decimal(0))
                running[account] = opening + debit - credit
                lines.append(TrialBalanceLine(
                    account=account, period_start=period.start, period_end=period.end, period=period.number,
                    fiscal_year=year.label, opening=opening, debit=debit, credit=credit, closing=running[account]))
        state["pending"] = [n for n in state["pending"] if n != number]
        yield TrialBalanceBatch(lines=lines, clear=(year.start, year.end), cursor=json.dumps(state))


async def opening_balances(session: OctopusSession, dossier: str, bookyears: list[dict[str, Any]], at: Any) -> list[OpeningBalance]:
    amounts, _ = await read_amounts(session, dossier)
    before = [bookyear_id(item) for item in bookyears if parse_date(item["endDate"]) < at]
    return [OpeningBalance(account=account, date=at, amount=amount)
            for account, amount in sorted(_carried(amounts, before).items())]


async def history_stamp(session: OctopusSession, dossier: str, bookyears: list[dict[str, Any]], before: Any) -> str:
    """A digest of the opening balances at ``before``: one call for the account amounts."""
    balances = await opening_balances(session, dossier, bookyears, before)
    text = ";".join(f"{b.account}={b.amount}" for b in balances)
    return hashlib.sha256(text.encode()).hexdigest()[:32]

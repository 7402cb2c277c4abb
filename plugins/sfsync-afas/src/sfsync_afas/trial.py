"""Trial balances and opening balances from ``Profit_Period_balance`` (debit and credit per account
and period of an administration).

A year's opening balance is what the earlier years leave: every balance-sheet account's debit
minus credit, and their profit and loss on the result account (AFAS has no period 0 in this
connector: UNVERIFIED, facts). A trial-balance night asks the gate first and ends there when
nothing changed; otherwise it reads the period balances of every year (one request for a small
administration) and sends again only the years whose figures, or whose opening, moved.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sfsync.models import Company, FiscalYear, OpeningBalance, TrialBalanceBatch, TrialBalanceLine

from sfsync_afas.changes import Gate, amsterdam_now, period_rows, read_gate
from sfsync_afas.client import AfasClient

__all__ = ["RESULT_ACCOUNT", "Chart", "balances_before", "fetch_trial_balance", "opening_balances"]

RESULT_ACCOUNT = "0610"
"""Where earlier years' profit and loss sit in a year's opening by default (Onverdeelde winst);
the connection's ``result_account`` field names another. Which account AFAS's year-end closing
uses is the environment's setting, which no standard GetConnector shows."""


@dataclass(frozen=True)
class Chart:
    """What the balances need of the chart: its balance-sheet accounts and the result account."""

    balance_sheet: frozenset[str]
    result_account: str = RESULT_ACCOUNT


def _amount(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value or 0))


def balances_before(rows: Iterable[dict[str, Any]], year: int, chart: Chart) -> dict[str, Decimal]:
    """Balances at the start of fiscal year ``year``: balance-sheet accounts carried, profit and
    loss on the result account."""
    at: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        if int(row["Year"]) < year:
            account = str(row["AccountNr"])
            at[account if account in chart.balance_sheet else chart.result_account] += _amount(row["Debit"]) - _amount(row["Credit"])
    return {a: v for a, v in at.items() if v}


def opening_balances(rows: list[dict[str, Any]], year: int, at: dt.date, chart: Chart) -> list[OpeningBalance]:
    """The opening balances of ``year`` as :class:`OpeningBalance` rows."""
    return [OpeningBalance(account=a, date=at, amount=v) for a, v in sorted(balances_before(rows, year, chart).items())]


def _year_lines(rows: list[dict[str, Any]], year: FiscalYear, chart: Chart) -> list[TrialBalanceLine]:
    """Every account with a balance or a movement, in every period of the year (a trial balance
    per period adds up to zero)."""
    running = balances_before(rows, int(year.label), chart)
    moves: dict[int, dict[str, tuple[Decimal, Decimal]]] = defaultdict(dict)
    for row in rows:
        if str(row["Year"]) == year.label:
            moves[int(row["Period"])][str(row["AccountNr"])] = (_amount(row["Debit"]), _amount(row["Credit"]))
    lines = []
    for period in year.periods:
        moved = moves.get(period.number, {})
        for account in sorted(set(moved) | {a for a, v in running.items() if v}):
            debit, credit = moved.get(account, (Decimal(0), Decimal(0)))
            opening = running.get(account, Decimal(0))
            closing = running[account] = opening + debit - credit
            lines.append(TrialBalanceLine(
                account=account, period_start=period.start, period_end=period.end, period=period.number,
                fiscal_year=year.label, opening=opening, debit=debit, credit=credit, closing=closing,
            ))
    return lines


def _digest(rows: list[dict[str, Any]], year: int) -> str:
    # A year's figures and everything before it (its opening).
    items = sorted(f"{r['Year']}:{r['Period']}:{r['AccountNr']}:{r['Debit']}:{r['Credit']}" for r in rows if int(r["Year"]) <= year)
    return hashlib.sha256("|".join(items).encode()).hexdigest()[:20]


async def fetch_trial_balance(
    client: AfasClient, company: Company, years: list[FiscalYear], cursor: str | None,
    chart_of: Callable[[], Awaitable[Chart]],
) -> AsyncIterator[TrialBalanceBatch]:
    """Yield one batch per fiscal year whose figures (or opening) changed since the cursor."""
    state: dict[str, Any] = json.loads(cursor) if cursor else {"gate": None, "years": {}}
    if state["gate"] is not None:
        moved = await read_gate(client, Gate.from_json(state["gate"]), amsterdam_now(client))
        if moved is None:
            return  # an unchanged night: one request
    else:
        moved = await read_gate(client, None, amsterdam_now(client))
    assert moved is not None
    rows = await period_rows(client, company.ref)
    chart: Chart | None = None
    for year in years:
        digest = _digest(rows, int(year.label))
        if state["years"].get(year.label) == digest:
            continue
        chart = chart or await chart_of()
        state["years"][year.label] = digest
        yield TrialBalanceBatch(lines=_year_lines(rows, year, chart), clear=(year.start, year.end),
                                cursor=json.dumps(state))
    state["gate"] = moved.to_json()
    yield TrialBalanceBatch(cursor=json.dumps(state))

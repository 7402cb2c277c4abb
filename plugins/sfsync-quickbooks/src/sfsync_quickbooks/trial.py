"""The ``TrialBalance`` report into balances and per-period trial-balance lines.

The report shows each account's balance at ``end_date`` in a Debit or a Credit column:
balance-sheet accounts cumulative, income and expense accounts from the start of the fiscal
year, earlier years' result inside Retained Earnings. Accounts are read by the Id in each row's
first cell, never by name; the Summary row's totals must balance.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sfsync.errors import MalformedResponse
from sfsync.models import FiscalYear, Period, TrialBalanceLine


@dataclass(frozen=True)
class Balances:
    """Per account code, the balance (debit positive) at ``end``; plus the report's totals."""

    end: dt.date
    amounts: dict[str, Decimal]
    totals: tuple[Decimal, Decimal] | None

    def warnings(self) -> list[str]:
        if self.totals is not None and self.totals[0] != self.totals[1]:
            return [f"QuickBooks' trial balance at {self.end} does not balance "
                    f"(debit {self.totals[0]} / credit {self.totals[1]})"]
        return []


def _cell(cells: list[dict[str, Any]], index: int, where: str) -> Decimal:
    raw = str(cells[index].get("value") or "").replace(",", "").strip() if index < len(cells) else ""
    if not raw:
        return Decimal(0)
    try:
        return Decimal(raw)
    except InvalidOperation as exc:
        raise MalformedResponse(f"QuickBooks' TrialBalance {where}: {raw[:30]!r} is not an amount") from exc


def parse_trial_balance(report: dict[str, Any], end: dt.date, codes: dict[str, str]) -> Balances:
    amounts: dict[str, Decimal] = {}
    totals = None
    for row in (report.get("Rows") or {}).get("Row") or []:
        if "Summary" in row:
            cells = row["Summary"].get("ColData") or []
            totals = (_cell(cells, 1, "total"), _cell(cells, 2, "total"))
            continue
        cells = row.get("ColData") or []
        if not cells:
            continue
        account_id = str(cells[0].get("id") or "")
        if account_id not in codes:
            raise MalformedResponse(
                f"QuickBooks' trial balance at {end} names account {account_id or cells[0].get('value')!r}, "
                "which the chart lacks"
            )
        code = codes[account_id]
        where = f"account {code} at {end}"
        amounts[code] = amounts.get(code, Decimal(0)) + _cell(cells, 1, where) - _cell(cells, 2, where)
    return Balances(end, amounts, totals)


def opening_of_year(before: Balances, profit_loss: set[str], retained: str | None) -> dict[str, Decimal]:
    """Balances on a fiscal year's first day from the report at the day before: income and
    expense start at zero, last year's result moves into Retained Earnings."""
    opening = {code: amount for code, amount in before.amounts.items() if code not in profit_loss}
    result = sum((amount for code, amount in before.amounts.items() if code in profit_loss), Decimal(0))
    if retained is not None and result:
        opening[retained] = opening.get(retained, Decimal(0)) + result
    return {code: amount for code, amount in opening.items() if amount}


def period_lines(period: Period, year: FiscalYear, opening: dict[str, Decimal],
                 closing: Balances) -> list[TrialBalanceLine]:
    lines = []
    for code in sorted(set(opening) | set(closing.amounts)):
        start, end = opening.get(code, Decimal(0)), closing.amounts.get(code, Decimal(0))
        movement = end - start
        lines.append(TrialBalanceLine(
            account=code, period_start=period.start, period_end=period.end, period=period.number,
            fiscal_year=year.label, opening=start,
            debit=movement if movement > 0 else Decimal(0),
            credit=-movement if movement < 0 else Decimal(0),
            closing=end,
        ))
    return lines

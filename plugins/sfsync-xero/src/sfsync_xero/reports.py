"""``/Reports/TrialBalance`` rows into trial-balance lines.

Per account the report gives the movement for the month of the report date (``Debit`` /
``Credit``) and the year-to-date balance (``YTD Debit`` / ``YTD Credit``): since the start of the
Xero financial year for revenue and expenses, cumulative for assets, liabilities and equity.
Accounts are joined on the AccountID in every cell's attributes, never on the name.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sfsync.errors import MalformedResponse
from sfsync.models import FiscalYear, Period, TrialBalanceLine

PROFIT_LOSS_SECTIONS = frozenset({"revenue", "income", "expenses", "expense", "other income"})
_CODE = re.compile(r"^(?P<name>.*?)\s*\((?P<code>[^()]*)\)\s*$")


@dataclass(frozen=True)
class ReportRow:
    """One account of a trial balance, amounts signed debit-positive."""

    account_id: str | None
    label: str
    code: str | None
    section: str
    month: Decimal
    ytd: Decimal

    @property
    def profit_loss(self) -> bool:
        return self.section.strip().lower() in PROFIT_LOSS_SECTIONS


@dataclass(frozen=True)
class TrialBalanceReport:
    rows: list[ReportRow]
    totals: tuple[Decimal, Decimal, Decimal, Decimal] | None

    def warnings(self, day: dt.date) -> list[str]:
        if self.totals is None:
            return []
        debit, credit, ytd_debit, ytd_credit = self.totals
        out = []
        if debit != credit or ytd_debit != ytd_credit:
            out.append(
                f"Xero's trial balance at {day} does not balance (debit {debit} / credit {credit}, "
                f"YTD {ytd_debit} / {ytd_credit})"
            )
        return out


def _amount(cell: dict[str, Any]) -> Decimal:
    raw = str(cell.get("Value", "") or "").replace(",", "").strip()
    if raw == "":
        return Decimal(0)
    try:
        return Decimal(raw)
    except InvalidOperation as exc:
        raise MalformedResponse(f"a trial-balance cell is not an amount: {raw[:30]!r}") from exc


def _account_id(cells: list[dict[str, Any]]) -> str | None:
    for cell in cells:
        for attribute in cell.get("Attributes") or []:
            if attribute.get("Id") == "account" and attribute.get("Value"):
                return str(attribute["Value"])
    return None


def parse_trial_balance(report: dict[str, Any]) -> TrialBalanceReport:
    """Read a TrialBalance report: Header, Sections of Rows, the untitled section's Total."""
    header: list[str] | None = None
    rows: list[ReportRow] = []
    totals = None
    for block in report.get("Rows") or []:
        kind = block.get("RowType")
        if kind == "Header":
            header = [str(c.get("Value", "")).strip().lower() for c in block.get("Cells") or []]
            continue
        if kind != "Section":
            continue
        section = str(block.get("Title") or "")
        for row in block.get("Rows") or []:
            cells = row.get("Cells") or []
            if len(cells) < 5:
                raise MalformedResponse("a trial-balance row has fewer than five cells")
            if header is not None and header[:5] != ["account", "debit", "credit", "ytd debit", "ytd credit"]:
                raise MalformedResponse(f"unexpected trial-balance columns {header[:5]}")
            debit, credit, ytd_debit, ytd_credit = (_amount(c) for c in cells[1:5])
            if row.get("RowType") == "SummaryRow":
                totals = (debit, credit, ytd_debit, ytd_credit)
                continue
            if row.get("RowType") != "Row":
                continue
            label = str(cells[0].get("Value", ""))
            match = _CODE.match(label)
            rows.append(
                ReportRow(
                    account_id=_account_id(cells),
                    label=label,
                    code=match.group("code").strip() if match else None,
                    section=section,
                    month=debit - credit,
                    ytd=ytd_debit - ytd_credit,
                )
            )
    return TrialBalanceReport(rows=rows, totals=totals)


def calendar_month(period: Period) -> bool:
    """Whether the period is a calendar month: then the report's month columns are its movement."""
    following = period.end + dt.timedelta(days=1)
    return period.start.day == 1 and following.day == 1 and (
        following.month - period.start.month
    ) % 12 == 1


def _split(amount: Decimal) -> tuple[Decimal, Decimal]:
    return (amount, Decimal(0)) if amount >= 0 else (Decimal(0), -amount)


def lines_for_period(
    report: TrialBalanceReport,
    period: Period,
    year: FiscalYear,
    codes: dict[str, str],
    *,
    previous: TrialBalanceReport | None = None,
    retained: str | None = None,
) -> list[TrialBalanceLine]:
    """Trial-balance lines of one period from the report at its end.

    For a calendar-month period the month columns are the movement. Otherwise ``previous`` (the
    report at the day before the period) gives the opening: the YTD of balance-sheet accounts, and
    of revenue and expenses unless the period opens the year; then last year's result opens in
    ``retained`` (the retained-earnings account), as Xero rolls it over.
    """
    use_month = calendar_month(period)
    if not use_month and previous is None:
        raise ValueError("a period that is not a calendar month needs the previous report")
    before: dict[str, ReportRow] = {}
    rollover = Decimal(0)
    if previous is not None:
        before = {_key(row, codes): row for row in previous.rows}
        if period.start == year.start:
            rollover = sum((row.ytd for row in previous.rows if row.profit_loss), Decimal(0))
    lines: list[TrialBalanceLine] = []
    seen = set()
    for row in report.rows:
        code = _key(row, codes)
        seen.add(code)
        closing = row.ytd
        if use_month:
            movement = row.month
        else:
            prior = before.get(code)
            opening_guess = Decimal(0)
            if prior is not None and not (row.profit_loss and period.start == year.start):
                opening_guess = prior.ytd
            if code == retained:
                opening_guess += rollover
            movement = closing - opening_guess
        debit, credit = _split(movement)
        lines.append(
            TrialBalanceLine(
                account=code,
                period_start=period.start,
                period_end=period.end,
                period=period.number,
                fiscal_year=year.label,
                opening=closing - movement,
                debit=debit,
                credit=credit,
                closing=closing,
            )
        )
    if not use_month:
        # An account whose balance went back to zero is left out of the report: close it.
        for code, prior in before.items():
            opening = prior.ytd + (rollover if code == retained else Decimal(0))
            if code in seen or opening == 0 or (prior.profit_loss and period.start == year.start):
                continue
            debit, credit = _split(-opening)
            lines.append(
                TrialBalanceLine(
                    account=code, period_start=period.start, period_end=period.end,
                    period=period.number, fiscal_year=year.label, opening=opening,
                    debit=debit, credit=credit, closing=Decimal(0),
                )
            )
    return lines


def _key(row: ReportRow, codes: dict[str, str]) -> str:
    if row.account_id and row.account_id in codes:
        return codes[row.account_id]
    if row.code:
        return row.code
    raise MalformedResponse(f"trial-balance row {row.label[:60]!r} names no known account")

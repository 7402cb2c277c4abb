"""A dossier's trial balance by account and period, with account names, whatever it syncs.

A dossier linked for *trial balance* keeps the package's totals: they are shown as they are. A
dossier that syncs *transactions* (or was imported from a ledger file) keeps lines and no totals:
its trial balance is computed here from the lines, per account and booking period (a line counts
in its booking period when the package gives one, by its date otherwise: :mod:`sfsync.placement`;
a year the package gives without periods is taken month by month). A period's opening is the
previous period's closing; a year's first opening is the stored opening balance at that year (a
*since* link's), else for a balance-sheet account the previous year's closing, else zero. Money
stays :class:`~decimal.Decimal` throughout.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext

from sfsync.fiscal_years import monthly_periods
from sfsync.models import Account, AccountKind, FiscalYear, Period
from sfsync.placement import Placer
from sfsync.store.base import Store
from sfsync.store.movement_rows import EXACT, YearSpan

__all__ = ["TrialBalanceRow", "totals", "trial_balance_rows"]

ZERO = Decimal(0)


@dataclass(frozen=True)
class TrialBalanceRow:
    """One account over one period.

    Attributes:
        source: ``package`` (the package's own totals) or ``lines`` (computed from the lines).
    """

    account: str
    account_name: str
    period_start: dt.date
    period_end: dt.date
    period: int | None
    fiscal_year: str | None
    opening: Decimal
    debit: Decimal
    credit: Decimal
    closing: Decimal
    source: str


def _periods(year: FiscalYear) -> tuple[Period, ...]:
    return year.periods or monthly_periods(year.start, year.end)


def trial_balance_rows(
    store: Store, dossier_id: str, *, start: dt.date | None = None, end: dt.date | None = None
) -> list[TrialBalanceRow]:
    """The dossier's trial balance, periods ending within ``start``..``end`` (both optional)."""
    names = {a.code: a for a in store.accounts(dossier_id)}
    stored = store.trial_balance(dossier_id)
    if stored:
        rows = [
            TrialBalanceRow(t.account, names[t.account].name if t.account in names else "", t.period_start,
                            t.period_end, t.period, t.fiscal_year, t.opening, t.debit, t.credit, t.closing, "package")
            for t in stored
        ]
    else:
        with localcontext(EXACT):  # sums and balances exact, however many digits
            rows = _from_lines(store, dossier_id, names)
    return [r for r in rows if (start is None or r.period_end >= start) and (end is None or r.period_end <= end)]


def _year_and_period(
    day: dt.date, years: Sequence[FiscalYear], starts: Sequence[dt.date], ends: Sequence[Sequence[dt.date]]
) -> tuple[int, int] | None:
    """The fiscal year and period (indexes) a day counts in, ``None`` outside every year."""
    y = bisect.bisect_right(starts, day) - 1
    if y < 0 or not years[y].contains(day):
        return None
    return y, min(bisect.bisect_left(ends[y], day), len(ends[y]) - 1)


def _from_lines(store: Store, dossier_id: str, accounts: dict[str, Account]) -> list[TrialBalanceRow]:
    years = sorted(store.fiscal_years(dossier_id), key=lambda y: y.start)
    if not years:
        return []
    placer = Placer(years)
    starts = [y.start for y in years]
    periods = [_periods(y) for y in years]
    ends = [[p.end for p in ps] for ps in periods]
    moves: dict[tuple[str, int, int], list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    # The store adds the lines up: those that count by date per account and period in SQL,
    # the others per account, date and booking period, each placed here (see placement).
    for summed in store.period_totals(dossier_id, [YearSpan(y.start, y.end, e) for y, e in zip(years, ends, strict=True)]):
        total = moves[(summed.account, summed.year, summed.period)]
        total[0] += summed.debit
        total[1] += summed.credit
    # Lines of one day and booking period share their place (the accounts of one entry): each
    # key is placed once.
    places: dict[tuple[dt.date, int | None, str | None], tuple[int, int] | None] = {}
    for move in store.ledger_movements(dossier_id):
        key = (move.date, move.period, move.fiscal_year)
        if key not in places:
            places[key] = _year_and_period(placer.place(*key) or move.date, years, starts, ends)
        found = places[key]
        if found is None:
            continue  # outside every fiscal year: no period to count it in
        total = moves[(move.account, *found)]
        total[0] += move.debit
        total[1] += move.credit
    openings: dict[tuple[str, int], Decimal] = defaultdict(lambda: ZERO)
    for given in store.opening_balances(dossier_id):
        y = bisect.bisect_right(starts, given.date) - 1
        if y >= 0:
            openings[(given.account, y)] += given.amount
    codes = sorted({a for a, _, _ in moves} | {a for a, _ in openings})
    rows: list[TrialBalanceRow] = []
    for code in codes:
        account = accounts.get(code)
        carries = account is not None and account.kind is AccountKind.BALANCE_SHEET
        name = account.name if account is not None else ""
        closing = ZERO
        for y, year in enumerate(years):
            balance = openings.get((code, y), closing if carries else ZERO)
            touched = (code, y) in openings or any((code, y, p) in moves for p in range(len(ends[y])))
            for p, period in enumerate(periods[y]):
                debit, credit = moves.get((code, y, p), (ZERO, ZERO))
                closing = balance + debit - credit
                if touched:
                    rows.append(TrialBalanceRow(code, name, period.start, period.end, period.number,
                                                year.label or None, balance, debit, credit, closing, "lines"))
                balance = closing
            closing = balance
    rows.sort(key=lambda r: (r.period_end, r.account))
    return rows


def totals(rows: Sequence[TrialBalanceRow]) -> tuple[Decimal, Decimal]:
    """Total debit and credit of ``rows``."""
    return sum((r.debit for r in rows), ZERO), sum((r.credit for r in rows), ZERO)

"""The store adds a dossier's lines up for its trial balance (issue 27): per account and period
in SQL for the lines that count by date, per account, date and booking period for the others;
exact on SQLite and PostgreSQL alike, and the same trial balance as one added up line by line."""

from __future__ import annotations

import bisect
import datetime as dt
import sys
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # --import-mode=importlib puts nothing on sys.path
from conftest_stores import STORE_KINDS, drop_store, make_store
from sfsync.fiscal_years import monthly_periods
from sfsync.models import Account, AccountKind, FiscalYear, LedgerBatch, LedgerLine, Period
from sfsync.placement import Placer
from sfsync.store.movement_rows import LedgerMovement, PeriodTotal, YearSpan
from sfsync.trial_balance_view import trial_balance_rows

D = dt.date
HUGE = "12345678901234567890.123456789"  # past a float's and an int64's reach


@pytest.fixture(params=STORE_KINDS)
def store(request, tmp_path):
    made = make_store(request.param, tmp_path)
    yield made
    drop_store(made)


def _line(i: int, account: str, day: dt.date, debit: str = "0", credit: str = "0", **extra: object) -> LedgerLine:
    return LedgerLine(id=f"L{i}", entry=f"E{i}", account=account, date=day, debit=Decimal(debit),
                      credit=Decimal(credit), **extra)


def _dossier_with(store, years: list[FiscalYear], lines: list[LedgerLine]) -> tuple[str, int]:
    dossier = store.add_dossier(store.create_firm("Fiduciaire Dupont").id, "Dossier")
    generation = store.begin_generation(dossier.id, keep_before=None)
    store.write_fiscal_years(dossier.id, generation, years)
    store.write_accounts(dossier.id, generation, [
        Account(code="400000", name="Klanten", kind=AccountKind.BALANCE_SHEET),
        Account(code="700000", name="Omzet", kind=AccountKind.PROFIT_LOSS),
    ])
    store.write_ledger_batch(dossier.id, generation, "c1", LedgerBatch(lines=lines), stream="ledger")
    store.swap_generation(dossier.id, generation)
    return dossier.id, generation


# A short first year of two quarters ending before its last day, a gap (2024), then 2025 by month.
SHORT = FiscalYear(start=D(2023, 7, 1), end=D(2023, 12, 31), label="2023",
                   periods=[Period(number=1, start=D(2023, 7, 1), end=D(2023, 9, 30)),
                            Period(number=2, start=D(2023, 10, 1), end=D(2023, 12, 20))])
YEAR = FiscalYear(start=D(2025, 1, 1), end=D(2025, 12, 31), label="2025")
SPANS = [YearSpan(SHORT.start, SHORT.end, [p.end for p in SHORT.periods]),
         YearSpan(YEAR.start, YEAR.end, [p.end for p in monthly_periods(YEAR.start, YEAR.end)])]


def test_lines_that_count_by_date_are_added_up_per_account_and_period_exactly(store):
    dossier_id, _ = _dossier_with(store, [SHORT, YEAR], [
        _line(1, "400000", D(2023, 9, 30), debit=HUGE),  # a period's last day: that period
        _line(2, "400000", D(2023, 8, 1), debit="0.000000001"),  # same account and period: added
        _line(3, "400000", D(2023, 10, 1), credit="5.5"),  # the next day: the next period
        _line(4, "400000", D(2023, 12, 28), credit="1"),  # after the last period's end, in the year: last period
        _line(5, "700000", D(2025, 1, 31), debit="2.25"),
        _line(6, "700000", D(2025, 12, 31), debit="3"),
        _line(7, "700000", D(2024, 5, 5), debit="99"),  # between the years: in none
        _line(8, "700000", D(2023, 6, 30), debit="99"),  # before the first year: in none
        _line(9, "700000", D(2025, 3, 3), debit="99", period=3),  # a booking period: not by date
    ])
    totals = sorted(store.period_totals(dossier_id, SPANS))
    assert totals == [
        PeriodTotal("400000", 0, 0, Decimal("12345678901234567890.123456790"), Decimal(0)),
        PeriodTotal("400000", 0, 1, Decimal(0), Decimal("6.5")),
        PeriodTotal("700000", 1, 0, Decimal("2.25"), Decimal(0)),
        PeriodTotal("700000", 1, 11, Decimal(3), Decimal(0)),
    ]
    assert all(isinstance(t.debit, Decimal) and isinstance(t.credit, Decimal) for t in totals)
    assert store.period_totals(dossier_id, []) == []


def test_lines_with_a_booking_period_are_added_up_per_account_date_and_period(store):
    dossier_id, generation = _dossier_with(store, [SHORT, YEAR], [
        _line(1, "400000", D(2025, 3, 3), debit=HUGE, period=3),
        _line(2, "400000", D(2025, 3, 3), debit="1", credit="0.5", period=3),
        _line(3, "400000", D(2025, 3, 3), debit="1", period=4),
        _line(4, "700000", D(2025, 1, 2), credit="7", fiscal_year="2025"),
        _line(5, "700000", D(2025, 1, 2), credit="7"),  # by date: not a movement
    ])
    moves = sorted(store.ledger_movements(dossier_id))
    assert moves == [
        LedgerMovement("400000", D(2025, 3, 3), 3, None, Decimal("12345678901234567891.123456789"), Decimal("0.5")),
        LedgerMovement("400000", D(2025, 3, 3), 4, None, Decimal(1), Decimal(0)),
        LedgerMovement("700000", D(2025, 1, 2), None, "2025", Decimal(0), Decimal(7)),
    ]
    assert store.ledger_movements(dossier_id, generation) == store.ledger_movements(dossier_id)
    assert store.ledger_movements(dossier_id, generation + 1) == []


def _line_by_line(store, dossier_id: str) -> dict[tuple[str, dt.date], tuple[Decimal, Decimal]]:
    """Each account's debit and credit per period end, adding every line up in Python."""
    years = sorted(store.fiscal_years(dossier_id), key=lambda y: y.start)
    placer = Placer(years)
    sums: dict[tuple[str, dt.date], list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for line in store.ledger_lines(dossier_id):
        day = placer.place(line.date, line.period, line.fiscal_year) or line.date
        year = next((y for y in reversed(years) if y.start <= day), None)
        if year is None or not year.contains(day):
            continue
        ends = [p.end for p in (year.periods or monthly_periods(year.start, year.end))]
        total = sums[(line.account, ends[min(bisect.bisect_left(ends, day), len(ends) - 1)])]
        total[0] += line.debit
        total[1] += line.credit
    return {key: (d, c) for key, (d, c) in sums.items()}


def test_the_trial_balance_from_the_sums_is_the_one_added_up_line_by_line(store):
    lines = []
    for i in range(120):
        day = D(2023, 7, 1) + dt.timedelta(days=i * 5)
        booked = {"period": 1 + i % 12} if i % 3 == 0 else {"fiscal_year": "2025"} if i % 7 == 0 else {}
        lines.append(_line(i, ("400000", "700000", "600000")[i % 3], day, debit=f"{i}.{i % 100:02d}",
                           credit=str(i % 4), **booked))
    dossier_id, _ = _dossier_with(store, [SHORT, YEAR], lines)
    rows = trial_balance_rows(store, dossier_id)
    expected = _line_by_line(store, dossier_id)
    assert expected, "the lines count somewhere"
    shown = {(r.account, r.period_end): (r.debit, r.credit) for r in rows if r.debit or r.credit}
    assert shown == {key: value for key, value in expected.items() if any(value)}
    for row in rows:
        assert row.closing == row.opening + row.debit - row.credit


def test_the_trial_balance_stays_exact_past_28_digits(store):
    dossier_id, _ = _dossier_with(store, [YEAR], [
        _line(1, "400000", D(2025, 3, 3), debit=HUGE),
        _line(2, "400000", D(2025, 3, 4), debit="1", period=3),
        _line(3, "400000", D(2025, 4, 4), credit="0.000000001"),
    ])
    march, april = [r for r in trial_balance_rows(store, dossier_id) if r.period_start.month in (3, 4)]
    assert march.debit == Decimal("12345678901234567891.123456789")
    assert april.closing == Decimal("12345678901234567891.123456788")

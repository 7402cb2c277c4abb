"""What a dossier holds, read back from the store in shapes the contract checks compare.

Snapshots (every line or total with the fields a person sees), stored movements per account, fiscal
year and period (to hold against :class:`~sfsync.truth.PackageTruth`), and the look-back
allowance a connector declares for its incremental syncs.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sfsync.models import FiscalYear, Granularity, LedgerLine
from sfsync.store.base import RunRecord
from sfsync.testing.harness import ContractHarness

__all__ = [
    "fetched",
    "ledger_snapshot",
    "lookback_allowance",
    "place_of",
    "snapshot",
    "stored_movements",
    "tb_snapshot",
    "yearly",
]

Snapshot = dict[Any, tuple[Any, ...]]


def ledger_snapshot(harness: ContractHarness, dossier_id: str) -> Snapshot:
    """Every stored line by id, with what a person would see of it."""
    return {
        line.id: (line.entry, line.date, line.period, line.fiscal_year, line.account, line.debit, line.credit,
                  line.description)
        for line in harness.app.store.ledger_lines(dossier_id)
    }


def tb_snapshot(harness: ContractHarness, dossier_id: str) -> Snapshot:
    """Every stored trial-balance total by (account, period end, period)."""
    return {
        (t.account, t.period_end, t.period): (t.opening, t.debit, t.credit, t.closing)
        for t in harness.app.store.trial_balance(dossier_id)
    }


def snapshot(harness: ContractHarness, dossier_id: str) -> tuple[Snapshot, Snapshot]:
    """Both snapshots: lines and totals."""
    return ledger_snapshot(harness, dossier_id), tb_snapshot(harness, dossier_id)


def fetched(run: RunRecord, granularity: Granularity) -> int:
    """How many lines (or trial-balance lines) a run read from the package."""
    key = "lines_fetched" if granularity is Granularity.TRANSACTIONS else "trial_balance_lines"
    return int(run.counts.get(key, 0))


def _year_of(years: list[FiscalYear], day: dt.date) -> FiscalYear | None:
    return next((y for y in years if y.contains(day)), None)


def place_of(line: LedgerLine, years: list[FiscalYear]) -> tuple[dt.date, int | None] | None:
    """The (first day of the fiscal year, period) a stored line is booked in: the year its
    ``fiscal_year`` names, else the year its date falls in."""
    if line.fiscal_year:
        named = next((y for y in years if y.label == line.fiscal_year), None)
        if named is not None:
            return named.start, line.period
    year = _year_of(years, line.date)
    return (year.start, line.period) if year is not None else None


def stored_movements(
    harness: ContractHarness, dossier_id: str, *, opening_is_period_zero: bool = False
) -> dict[tuple[str, dt.date, int | None], Decimal]:
    """Debit minus credit per (account, first day of the fiscal year, period), zeros left out,
    from the stored lines or, for a trial-balance dossier, the stored totals.

    ``opening_is_period_zero``: the package books its carried-forward balances as entries of a
    period 0 (Twinfield), which a trial balance gives as the ``opening`` of a year's first
    period; that opening then counts as the movement of period 0."""
    store = harness.app.store
    years = store.fiscal_years(dossier_id)
    sums: dict[tuple[str, dt.date, int | None], Decimal] = {}
    for line in store.ledger_lines(dossier_id):
        place = place_of(line, years)
        key = (line.account, place[0] if place else dt.date.min, place[1] if place else None)
        sums[key] = sums.get(key, Decimal(0)) + line.debit - line.credit
    opened: set[tuple[str, dt.date]] = set()
    for total in sorted(store.trial_balance(dossier_id), key=lambda t: (t.account, t.period_start)):
        year = _year_of(years, total.period_end)
        start = year.start if year else dt.date.min
        key = (total.account, start, total.period)
        sums[key] = sums.get(key, Decimal(0)) + total.debit - total.credit
        if opening_is_period_zero and (total.account, start) not in opened:
            opened.add((total.account, start))
            zero = (total.account, start, 0)
            sums[zero] = sums.get(zero, Decimal(0)) + total.opening
    return {key: value for key, value in sums.items() if value != 0}


def yearly(movements: dict[tuple[str, dt.date, int | None], Decimal]) -> dict[tuple[str, dt.date], Decimal]:
    """Movements added up per (account, first day of the fiscal year), zeros left out."""
    totals: dict[tuple[str, dt.date], Decimal] = {}
    for (account, year, _), amount in movements.items():
        totals[account, year] = totals.get((account, year), Decimal(0)) + amount
    return {key: value for key, value in totals.items() if value != 0}


def lookback_allowance(harness: ContractHarness, dossier_id: str) -> int:
    """How many lines an incremental sync of this dossier may re-read by the connector's own
    declaration: lines booked within ``ConnectorInfo.lookback_days`` of the latest one; for a
    trial-balance dossier also every total of a year that is not closed (open periods are re-read
    by contract, see ``sfsync_fetch_trial_balance``)."""
    info = harness.app.registry.connector(harness.connector).info
    store = harness.app.store
    days = dt.timedelta(days=info.lookback_days)
    if harness.granularity is Granularity.TRANSACTIONS:
        dates = [line.date for line in store.ledger_lines(dossier_id)]
        if not dates or info.lookback_days <= 0:
            return 0
        latest = max(dates)
        return sum(1 for d in dates if d >= latest - days)
    years = store.fiscal_years(dossier_id)
    totals = store.trial_balance(dossier_id)
    if not totals:
        return 0
    latest = max(t.period_end for t in totals)
    allowed = 0
    for total in totals:
        year = _year_of(years, total.period_end)
        recent = info.lookback_days > 0 and total.period_end >= latest - days
        if year is None or not year.closed or recent:
            allowed += 1
    return allowed

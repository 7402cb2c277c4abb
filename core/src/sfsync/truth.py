"""What a package's own books say, as a sandbox reports them (:meth:`Sandbox.truth`).

The contract suite compares what a connector stored against these figures, to the cent: the
package's trial balance per account and booking period, its opening balances at the start of each
fiscal year, its company details, and where each line is booked. A sandbox computes them from its
seeded data with its own code, never through the connector, so a connector that drops, doubles,
rounds or misplaces a line cannot agree with them by accident.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from sfsync.models import CompanyDetails

__all__ = ["PackageTruth", "TruthBuilder"]

TruthKey = tuple[str, dt.date, int | None]
"""(account, first day of the fiscal year the line is booked in, booking period)."""


@dataclass(frozen=True)
class PackageTruth:
    """One company's figures as the package itself gives them.

    Attributes:
        movements: Debit minus credit per (account, first day of the fiscal year, booking period),
            as the package's own trial balance has them. The period is ``None`` where the package
            reports a year as a whole.
        line_places: For each ledger line id, the (first day of the fiscal year, booking period)
            the package books it in; empty when the package has no lines (a trial-balance-only
            package). Its size is the number of lines the package holds.
        opening_balances: Per first day of a fiscal year, the balance (debit positive) of every
            balance-sheet account the package reports at that day.
        company_details: The company's master data, where the package has them.
        result_account: The equity account the package carries a year's profit or loss to in the
            balances of the next year (``None``: it does not carry it into them).
    """

    movements: Mapping[TruthKey, Decimal]
    line_places: Mapping[str, tuple[dt.date, int | None]] = field(default_factory=dict)
    opening_balances: Mapping[dt.date, Mapping[str, Decimal]] = field(default_factory=dict)
    company_details: CompanyDetails | None = None
    result_account: str | None = None

    def yearly(self) -> dict[tuple[str, dt.date], Decimal]:
        """Debit minus credit per (account, first day of the fiscal year), zeros left out."""
        totals: dict[tuple[str, dt.date], Decimal] = {}
        for (account, year, _), amount in self.movements.items():
            totals[account, year] = totals.get((account, year), Decimal(0)) + amount
        return {key: value for key, value in totals.items() if value != 0}


class TruthBuilder:
    """Adds up a sandbox's lines into a :class:`PackageTruth`."""

    def __init__(self) -> None:
        self.movements: dict[TruthKey, Decimal] = {}
        self.line_places: dict[str, tuple[dt.date, int | None]] = {}

    def add(self, account: str, year_start: dt.date, period: int | None, amount: Decimal, *, line_id: str | None = None) -> None:
        """Book ``amount`` (debit positive) on an account in a period of the year starting ``year_start``."""
        key = (account, year_start, period)
        self.movements[key] = self.movements.get(key, Decimal(0)) + amount
        if line_id is not None:
            self.line_places[line_id] = (year_start, period)

    def build(
        self,
        *,
        opening_balances: Mapping[dt.date, Mapping[str, Decimal]] | None = None,
        company_details: CompanyDetails | None = None,
        result_account: str | None = None,
    ) -> PackageTruth:
        """The truth added up so far."""
        return PackageTruth(
            movements=dict(self.movements), line_places=dict(self.line_places),
            opening_balances=dict(opening_balances or {}), company_details=company_details,
            result_account=result_account,
        )

"""A dossier's figures as a person browses them: its fiscal years and their booking periods, the
chart of accounts, and the ledger lines behind one cell of the trial balance.

:meth:`Sfsync.figures <sfsync.api.Sfsync.figures>` hands out a :class:`DossierFigures` for a
dossier the acting user may see; everything here reads the dossier's active generation only. The
trial balance itself is :meth:`Sfsync.trial_balance <sfsync.api.Sfsync.trial_balance>`
(:mod:`sfsync.trial_balance_view`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sfsync.fiscal_years import monthly_periods
from sfsync.models import Account, FiscalYear, LedgerLine, Period
from sfsync.store.base import DossierRecord, Store

__all__ = ["DossierFigures", "periods_of"]


def periods_of(year: FiscalYear) -> tuple[Period, ...]:
    """The booking periods of ``year``: the package's own, else calendar months."""
    return year.periods or monthly_periods(year.start, year.end)


@dataclass(frozen=True)
class DossierFigures:
    """The figures of one dossier (read-only). Get one from :meth:`Sfsync.figures`.

    Attributes:
        dossier: The dossier they belong to.
    """

    dossier: DossierRecord
    store: Store

    def fiscal_years(self) -> list[FiscalYear]:
        """The dossier's fiscal years, oldest first."""
        return self.store.fiscal_years(self.dossier.id)

    def accounts(self) -> list[Account]:
        """The chart of accounts, by code."""
        return self.store.accounts(self.dossier.id)

    def year(self, start: dt.date | None = None) -> FiscalYear | None:
        """The fiscal year starting on ``start`` (the latest when ``None``), or ``None``."""
        years = self.fiscal_years()
        if start is None:
            return years[-1] if years else None
        return next((y for y in years if y.start == start), None)

    def lines(self, account: str, start: dt.date, end: dt.date, *, limit: int = 500) -> list[LedgerLine]:
        """The ledger lines of ``account`` booked from ``start`` to ``end`` (at most ``limit``)."""
        found: list[LedgerLine] = []
        for line in self.store.ledger_lines(self.dossier.id, start=start, end=end):
            if line.account == account:
                found.append(line)
                if len(found) >= limit:
                    break
        return found

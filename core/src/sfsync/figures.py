"""A dossier's figures as a person reads them: fiscal years, accounts, the trial balance per
account and booking period, and the ledger lines behind one of its cells.

:meth:`Sfsync.figures <sfsync.api.Sfsync.figures>` hands out a :class:`DossierFigures` for a
dossier the acting user may see; everything here reads the dossier's active generation only.

The trial balance comes from where the package's figures are: a trial-balance link
(``granularity="trial_balance"``, XeroTB) stores it as the package gives it; a transactions link
stores lines, and the trial balance is added up from them here, period by period (the store
places each line in its booking period, see :mod:`sfsync.placement`). The opening balance of a
fiscal year is the stored opening balance of a *since* link plus every earlier line of the
account; a profit-and-loss account starts each fiscal year at zero (its result went to equity).
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from sfsync.fiscal_years import monthly_periods
from sfsync.models import Account, AccountKind, FiscalYear, LedgerLine, Period, TrialBalanceLine
from sfsync.placement import Placer
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

    def trial_balance(self, year: FiscalYear) -> list[TrialBalanceLine]:
        """Opening, debit, credit and closing per account and booking period of ``year``, by
        period then account; accounts without any figure in the year are left out."""
        stored = [t for t in self.store.trial_balance(self.dossier.id) if year.start <= t.period_end <= year.end]
        if stored or not self.store.count_ledger_lines(self.dossier.id):
            return stored
        return list(self._from_lines(year))

    def _from_lines(self, year: FiscalYear) -> Iterator[TrialBalanceLine]:
        kinds = {a.code: a.kind for a in self.accounts()}
        balance: dict[str, Decimal] = {}
        for kept in self.store.opening_balances(self.dossier.id):
            if kept.date <= year.start and kinds.get(kept.account) is not AccountKind.PROFIT_LOSS:
                balance[kept.account] = balance.get(kept.account, Decimal(0)) + kept.amount
        for line in self.store.ledger_lines(self.dossier.id, end=year.start - dt.timedelta(days=1)):
            if kinds.get(line.account) is not AccountKind.PROFIT_LOSS:
                balance[line.account] = balance.get(line.account, Decimal(0)) + line.debit - line.credit
        periods = periods_of(year)
        starts = [p.start for p in periods]
        placer = Placer(self.fiscal_years())
        moved: list[dict[str, tuple[Decimal, Decimal]]] = [{} for _ in periods]
        # One pass over the year's lines, each put in its booking period as the store placed it.
        for line in self.store.ledger_lines(self.dossier.id, start=year.start, end=year.end):
            day = placer.place(line.date, line.period, line.fiscal_year) or line.date
            index = max(0, bisect.bisect_right(starts, day) - 1)
            debit, credit = moved[index].get(line.account, (Decimal(0), Decimal(0)))
            moved[index][line.account] = (debit + line.debit, credit + line.credit)
        for period, sums in zip(periods, moved, strict=True):
            for account in sorted(set(sums) | {a for a, v in balance.items() if v}):
                debit, credit = sums.get(account, (Decimal(0), Decimal(0)))
                opening = balance.get(account, Decimal(0))
                closing = opening + debit - credit
                balance[account] = closing
                yield TrialBalanceLine(
                    account=account, period_start=period.start, period_end=period.end, period=period.number,
                    fiscal_year=year.label or None, opening=opening, debit=debit, credit=credit, closing=closing,
                )

    def lines(self, account: str, start: dt.date, end: dt.date, *, limit: int = 500) -> list[LedgerLine]:
        """The ledger lines of ``account`` booked from ``start`` to ``end`` (at most ``limit``)."""
        found: list[LedgerLine] = []
        for line in self.store.ledger_lines(self.dossier.id, start=start, end=end):
            if line.account == account:
                found.append(line)
                if len(found) >= limit:
                    break
        return found

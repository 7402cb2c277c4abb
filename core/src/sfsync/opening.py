"""When a run fetches opening balances, and how it stores them so that a refresh replaces.

A dossier's balance sheet is right only if every balance-sheet account starts from the right
opening balance. The runner asks the connector for them (``sfsync_fetch_opening_balances``):

* a *since* link: at the link's date, on its first sync (a re-saved link or a forced full resync
  keeps them: they are part of the generation, copied by ``keep_before``);
* a *replace* link: at the first day of the earliest fiscal year it brings, on every full sync
  (a package whose history starts with an opening balance not booked as ledger lines); a
  connector that cannot give them gets a warning naming that year;
* again, on a *since* link, when the package's figures before the date changed: its
  ``sfsync_history_stamp`` answers differently, or the ledger stream brought changed lines dated
  before the date.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from sfsync.models import FiscalYear, OpeningBalance, SyncMode
from sfsync.store.base import LinkRecord, Store

__all__ = ["OpeningPlan", "plan_opening_balances", "replace_opening_balances"]


@dataclasses.dataclass
class OpeningPlan:
    """What a run does about opening balances.

    Attributes:
        at: The day they are fetched for (``None``: no fiscal year to start from).
        fetch: Whether they are fetched before the ledger stage.
        reason: Why, for the run's counts and warnings (``first``, ``replace``, ``history``).
        label: The label (or the end year) of the fiscal year that starts on ``at``.
    """

    at: dt.date | None
    fetch: bool
    reason: str = ""
    label: str = ""


def plan_opening_balances(
    link: LinkRecord, years: Sequence[FiscalYear], *, full: bool, stamp: str | None
) -> OpeningPlan:
    """Decide, before the ledger stage, whether this run fetches the opening balances.

    Args:
        link: The dossier's link.
        years: The effective fiscal years, sorted.
        full: Whether the run builds a new generation.
        stamp: What ``sfsync_history_stamp`` answered this run (``None``: not asked or no answer).
    """
    if link.mode is SyncMode.SINCE:
        at = link.since
        if not link.opening_balances_done:
            return OpeningPlan(at, True, "first", _label(years, at))
        changed = stamp is not None and link.opening_balances_stamp is not None and stamp != link.opening_balances_stamp
        return OpeningPlan(at, changed, "history" if changed else "", _label(years, at))
    at = years[0].start if years else None
    # A replace builds its generation from nothing: the balances at its first year come again.
    return OpeningPlan(at, full and at is not None, "replace", _label(years, at))


def _label(years: Sequence[FiscalYear], at: dt.date | None) -> str:
    year = next((y for y in years if y.start == at), None)
    if year is None:
        return at.isoformat() if at else ""
    return year.label or str(year.end.year)


def replace_opening_balances(
    store: Store, dossier_id: str, generation: int, source: str, at: dt.date, balances: Sequence[OpeningBalance]
) -> int:
    """Store ``balances`` at ``at`` for ``source`` so that they replace what was there.

    The store upserts by account; an account the package no longer reports at that day is
    written as zero, so a refreshed balance never keeps a stale amount. Returns how many were
    written (zeros included)."""
    given = {b.account: b for b in balances if b.date == at}
    stale = {b.account for b in store.opening_balances(dossier_id, generation) if b.date == at} - set(given)
    rows = [*given.values(), *(OpeningBalance(account=a, date=at, amount=Decimal(0)) for a in sorted(stale))]
    rows += [b for b in balances if b.date != at]  # a connector that dates some otherwise: kept as given
    store.write_opening_balances(dossier_id, generation, source, rows)
    return len(rows)

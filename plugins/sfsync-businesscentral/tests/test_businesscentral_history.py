"""A since link's opening balances follow an entry posted before its date (issue 16).

The ledger of a since link is read with ``postingDate ge`` its date, so a correction posted into
an earlier period never comes through it; the history stamp (a digest of the trial balance the
day before the date, one call) tells the runner to fetch the opening balances again."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from sfsync.sandbox.base import Sandbox
from sfsync.testing.history import sync_after_history_edit
from sfsync_businesscentral.sandbox import BusinessCentralSandbox


def _post_a_correction_before(sandbox: Sandbox, ref: str, before: dt.date) -> None:
    """A bank charge posted into the period before the date (balance sheet both sides)."""
    assert isinstance(sandbox, BusinessCentralSandbox)
    company = sandbox.company(ref)
    amount = Decimal("10.00")
    sandbox._post(company, before - dt.timedelta(days=3), "CORR-001",
                  [(company.role("creditors"), amount, Decimal(0)), (company.role("bank"), Decimal(0), amount)],
                  "Correctie bankkosten")


def test_since_opening_balances_follow_an_entry_posted_before_the_date(tmp_path: Path) -> None:
    outcome = sync_after_history_edit("businesscentral", tmp_path, _post_a_correction_before,
                                      sandbox=BusinessCentralSandbox())
    assert "opening_balances_refreshed" not in outcome.quiet.counts
    assert outcome.run.counts.get("opening_balances_refreshed") == 1
    assert outcome.before != outcome.after
    assert outcome.stored == outcome.after

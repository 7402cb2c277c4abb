"""A since link's opening balances follow an edit of an invoice dated before its date (issue 16).

Xero edits by reversing the invoice's journal and posting the new version, both dated on the
invoice's day under new journal numbers, so the journal stream (xero) brings the changed lines
dated before the date and the runner fetches the opening balances again. (xerotb's links are
trial balances, which hold no opening balances: the runner keeps those for ledger links only.)"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from sfsync.clock import ScaledClock
from sfsync.sandbox.base import Sandbox
from sfsync.testing.history import sync_after_history_edit
from sfsync_xero.sandbox import XeroSandbox
from sfsync_xero.sandbox.data import SLine


def _change_an_old_invoice(sandbox: Sandbox, ref: str, before: dt.date) -> None:
    """The adviser moves the lock date back and raises an invoice dated before the date by 10.00."""
    assert isinstance(sandbox, XeroSandbox)
    org = sandbox._org(ref)
    sources: dict[str, int] = {}
    for journal in org.journals:
        sources[journal.source_id] = sources.get(journal.source_id, 0) + 1
    original = next(
        j for j in reversed(org.journals)
        if j.source_type == "ACCREC" and j.date < before and sources[j.source_id] == 1
    )
    if org.period_lock is not None and org.period_lock >= original.date:
        org.period_lock = original.date - dt.timedelta(days=1)
    seeder = sandbox._seeder(org)
    now = sandbox.clock.now()
    seeder.reversal(original, now)
    lines = [SLine(seeder.uid(), ln.account, ln.net, ln.tax, ln.description, ln.tax_type, ln.tax_name)
             for ln in original.lines]
    lines[0].net += Decimal("10.00")  # the debtor
    lines[1].net -= Decimal("10.00")  # the sale
    seeder.post(original.date, now + dt.timedelta(milliseconds=1), original.source_type,
                original.reference, lines, source_id=original.source_id)
    seeder.finish(gaps=False)


def test_xero_since_opening_balances_follow_an_edit_before_the_date(tmp_path: Path) -> None:
    # Two years of journals; the truth's first start holds only the conversion balances.
    sandbox = XeroSandbox("xero", years=2, clock=ScaledClock(10))
    outcome = sync_after_history_edit("xero", tmp_path, _change_an_old_invoice, sandbox=sandbox, start=2)
    assert "opening_balances_refreshed" not in outcome.quiet.counts
    assert outcome.run.counts["lines_before_since_ignored"] > 0  # the stream brought them
    assert outcome.run.counts.get("opening_balances_refreshed") == 1
    assert outcome.stored == outcome.after

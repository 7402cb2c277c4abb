"""A since link's opening balances follow an invoice changed before its date (issue 16).

QuickBooks' change data capture reports the changed invoice with its date; the connector
passes its lines on even when they are dated before the date, so the runner sees them (and
keeps none of them) and fetches the opening balances again: no extra request."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from sfsync.sandbox.base import Sandbox
from sfsync.testing.history import sync_after_history_edit
from sfsync_quickbooks.sandbox import QuickbooksSandbox


def _change_an_old_invoice(sandbox: Sandbox, ref: str, before: dt.date) -> None:
    """Raise an invoice dated before the date by 10.00 (its receivable and its revenue)."""
    assert isinstance(sandbox, QuickbooksSandbox)
    company = sandbox._company(ref)
    txn = next(t for t in reversed(company.live()) if t.kind == "Invoice" and t.date < before)
    if company.book_close is not None and company.book_close >= txn.date:
        company.book_close = txn.date - dt.timedelta(days=1)  # the closing date moved back to allow it
    txn.postings[0].amount += Decimal("10.00")
    txn.postings[1].amount -= Decimal("10.00")
    txn.updated = sandbox.clock.now()
    txn.sync_token += 1


def test_quickbooks_since_opening_balances_follow_an_invoice_changed_before_the_date(tmp_path: Path) -> None:
    outcome = sync_after_history_edit("quickbooks", tmp_path, _change_an_old_invoice, sandbox=QuickbooksSandbox())
    assert "opening_balances_refreshed" not in outcome.quiet.counts
    assert outcome.run.counts.get("lines_before_since_ignored", 0) > 0  # the change came through CDC
    assert outcome.run.counts.get("opening_balances_refreshed") == 1
    assert outcome.stored == outcome.after

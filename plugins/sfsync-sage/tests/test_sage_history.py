"""A since link's opening balances follow a transaction changed before its date (issue 16).

The ledger of a since link is read with ``from_date`` set, so the change never comes through
it; the connector's history stamp (a digest of the Trial Balance's opening balances at the date,
one call) tells the runner to fetch them again."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from sfsync.sandbox.base import Sandbox
from sfsync.testing.history import sync_after_history_edit
from sfsync_sage.sandbox import SageSandbox


def _correct_an_old_transaction(sandbox: Sandbox, ref: str, before: dt.date) -> None:
    """Raise both sides of a transaction dated before the date by 10.00."""
    assert isinstance(sandbox, SageSandbox)
    business = sandbox.business(ref)
    by_transaction: dict[str, list] = {}
    for entry in business.entries.values():
        if entry.date < before and not entry.deleted:
            by_transaction.setdefault(entry.transaction_id, []).append(entry)
    debit, credit = next(
        (d, c) for entries in by_transaction.values() for d in entries for c in entries
        if d.debit > 0 and c.credit > 0 and d.account is not c.account
    )
    stamp = sandbox._now()
    debit.debit += Decimal("10.00")
    credit.credit += Decimal("10.00")
    debit.updated_at = credit.updated_at = stamp
    business.revision += 1


def test_sage_since_opening_balances_follow_a_transaction_changed_before_the_date(tmp_path: Path) -> None:
    outcome = sync_after_history_edit("sage-accounting", tmp_path, _correct_an_old_transaction, sandbox=SageSandbox())
    assert "opening_balances_refreshed" not in outcome.quiet.counts
    assert outcome.run.counts.get("opening_balances_refreshed") == 1
    assert outcome.stored == outcome.after

"""Pins the limit of a since link's balances at its date (issue 16, stated in ``known_limits``):
Twinfield's connector reads no opening balances; the since year's period-0 opening entry comes
as ledger lines, and a change dated before the date does not reach it."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from sfsync.clock import Clock
from sfsync.models import SyncMode
from sfsync.testing import ContractHarness
from sfsync_twinfield.sandbox import TwinfieldSandbox


def test_twinfield_since_balances_do_not_follow_an_edit_before_the_date(tmp_path: Path) -> None:
    sandbox = TwinfieldSandbox(Clock())
    harness = ContractHarness.create("twinfield", tmp_path, sandbox=sandbox)
    try:
        ref = sandbox.company_refs()[0]
        office = sandbox.books.offices[ref]
        since = office.years[-2].start
        dossier = harness.new_dossier(mode=SyncMode.SINCE, since=since)
        first = harness.sync(dossier)
        assert first.status in ("ok", "warning"), first.error
        assert any("cannot bring opening balances" in w for w in first.warnings)
        assert list(harness.app.store.opening_balances(dossier.id)) == []

        def opening_entry() -> dict[str, Decimal]:
            return {ln.account: ln.debit - ln.credit for ln in harness.app.store.ledger_lines(dossier.id, start=since, end=since)
                    if ln.entry.startswith("BEGIN")}

        held = opening_entry()
        assert held, "the since year's period-0 opening entry was not read"
        # A bookkeeper raises an old sale by 10.00 (the debtor and the revenue), dated before the date.
        txn = next(t for t in office.transactions.values() if t.date < since and t.code != "BEGIN" and len(t.lines) > 1)
        txn.lines[0].base += Decimal("10.00")
        txn.lines[0].value += Decimal("10.00")
        txn.lines[1].base -= Decimal("10.00")
        txn.lines[1].value -= Decimal("10.00")
        txn.modified = sandbox.books.stamp(sandbox.clock.now())
        again = harness.sync(dossier)
        assert again.status in ("ok", "warning"), again.error
        assert "opening_balances_refreshed" not in again.counts
        assert opening_entry() == held  # the limit: the balances at the date stay as they were
        info = harness.app.registry.connector("twinfield").info
        assert any("since link gets no separate opening balances" in limit for limit in info.known_limits)
    finally:
        harness.close()

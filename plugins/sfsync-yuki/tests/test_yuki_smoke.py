"""A first sync against the sandbox brings every line of the administration, balanced."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal


def test_first_sync_brings_every_line(connection, company, sandbox, store, sync_ledger):
    ctx = sync_ledger(store)
    expected = {line.id for line in sandbox.admins[company.ref].lines()}
    assert set(store.lines) == expected
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for line in store.lines.values():
        totals[line.entry] += line.debit - line.credit
    assert all(total == 0 for total in totals.values())
    assert ctx.stats.requests == sandbox.calls_today()

"""A since link's opening balances follow an edit of a line dated before its date (issue 16):
Exact's streams never bring such a line, so the connector's history stamp (the newest modified
line dated before the date, and their count) tells the runner to fetch them again."""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sfsync.clock import FakeClock
from sfsync.sandbox.base import Sandbox
from sfsync.testing.history import sync_after_history_edit
from sfsync_exact.sandbox import ExactSandbox, LimitConfig
from sfsync_exact.sandbox.harness import connect, connector_for


def _move_amount_before(sandbox: Sandbox, ref: str, before: dt.date) -> None:
    """A bookkeeper corrects an old entry: 10.00 moves between a balance-sheet line and its partner."""
    assert isinstance(sandbox, ExactSandbox)
    division = sandbox.division(ref)
    kinds = {code: account["BalanceType"] for code, account in division.glaccounts.items()}
    by_entry: dict[str, list[dict[str, Any]]] = {}
    for line in division.lines.values():
        if line["Date"] < before:
            by_entry.setdefault(line["EntryID"], []).append(line)
    line, partner = next(
        (a, b)
        for lines in by_entry.values()
        for a in lines
        for b in lines
        if kinds.get(a["GLAccountCode"]) == "B" and b["GLAccountCode"] != a["GLAccountCode"]
        and a["Currency"] == b["Currency"]
    )
    for row, delta in ((line, Decimal("10.00")), (partner, Decimal("-10.00"))):
        ts, when = division.stamp(sandbox.clock.now())
        row.update(AmountDC=row["AmountDC"] + delta, AmountFC=row["AmountFC"] + delta, Timestamp=ts, Modified=when)


@pytest.mark.parametrize("region", ["be", "nl", "fr"])
def test_exact_since_opening_balances_follow_an_edit_before_the_date(region: str, tmp_path: Path) -> None:
    sandbox = ExactSandbox(region, limits=LimitConfig(window_seconds=1.0))
    outcome = sync_after_history_edit(f"exact-{region}", tmp_path, _move_amount_before, sandbox=sandbox)
    assert "opening_balances_refreshed" not in outcome.quiet.counts  # an unchanged night fetches nothing
    assert outcome.run.counts.get("opening_balances_refreshed") == 1
    assert outcome.stored == outcome.after


def test_exact_history_stamp_costs_one_small_request_on_an_unchanged_night() -> None:
    sandbox = ExactSandbox("be", clock=FakeClock())
    ctx = asyncio.run(connect(sandbox))
    connector = connector_for("be")
    company = next(c for c in asyncio.run(connector.sfsync_list_companies(ctx=ctx)) if c.ref == sandbox.company_refs()[0])
    since = sorted(sandbox.truth(company.ref).opening_balances)[1]
    first = asyncio.run(connector.sfsync_history_stamp(ctx=ctx, company=company, before=since))
    seen = len(sandbox.requests)
    again = asyncio.run(connector.sfsync_history_stamp(ctx=ctx, company=company, before=since))
    assert again == first and first
    assert len(sandbox.requests) - seen == 1, sandbox.requests[seen:]
    assert "financialtransaction/TransactionLines" in sandbox.requests[-1] and "%24top=1" in sandbox.requests[-1]

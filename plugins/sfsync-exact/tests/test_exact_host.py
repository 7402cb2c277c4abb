"""The Exact connectors inside the real host (``sfsync.api`` through the contract harness):
a division move ends in a full resync by the runner, trial-balance links, reconsent."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sfsync.models import Granularity, SyncMode
from sfsync_exact.sandbox import ExactSandbox, LimitConfig


def _lines(harness: Any, dossier_id: str) -> dict[str, tuple[Any, ...]]:
    return {
        line.id: (line.entry, line.date, line.account, line.debit - line.credit, line.description)
        for line in harness.app.store.ledger_lines(dossier_id)
    }


def _sandbox_lines(sandbox: ExactSandbox, ref: str) -> dict[str, tuple[Any, ...]]:
    return {
        row["ID"]: (
            row["EntryID"],
            row["Date"],
            row["GLAccountCode"],
            row["AmountDC"],
            row["Description"],
        )
        for row in sandbox.division(ref).lines.values()
    }


def test_exact_division_move_is_a_full_resync_by_the_runner(
    sfsync_harness: Callable[..., Any],
) -> None:
    sandbox = ExactSandbox("be", limits=LimitConfig(window_seconds=1.0))
    harness = sfsync_harness("exact-be", sandbox)
    ref = sandbox.company_refs()[0]
    dossier = harness.new_dossier()
    assert harness.sync(dossier).status == "ok"
    sandbox.delete_entry(ref)
    sandbox.move_division(ref)
    run = harness.sync(dossier)
    assert run.status == "warning", run.error
    assert any("moved division" in w for w in run.warnings)
    assert _lines(harness, dossier.id) == _sandbox_lines(sandbox, ref)
    again = harness.sync(dossier)
    assert again.status == "ok" and again.requests <= 5


def test_exact_trial_balance_link_balances_every_period(sfsync_harness: Callable[..., Any]) -> None:
    sandbox = ExactSandbox("nl", limits=LimitConfig(window_seconds=1.0))
    harness = sfsync_harness("exact-nl", sandbox)
    harness.connect()
    dossier = harness.app.create_dossier(harness.admin, "tb")
    ref = sandbox.company_refs()[0]
    harness.run(
        harness.app.link(
            harness.admin,
            dossier.id,
            harness.connection.id,
            ref,
            mode=SyncMode.REPLACE,
            granularity=Granularity.TRIAL_BALANCE,
        )
    )
    run = harness.sync(dossier)
    assert run.status == "ok", run.error
    totals = harness.app.store.trial_balance(dossier.id)
    per_period: dict[Any, Decimal] = defaultdict(Decimal)
    for total in totals:
        per_period[total.period_end] += total.closing
    periods = sandbox.division(ref).periods
    assert len(per_period) == len(periods) and all(v == 0 for v in per_period.values())
    movement: dict[str, Decimal] = defaultdict(Decimal)
    for row in sandbox.division(ref).lines.values():
        movement[row["GLAccountCode"]] += row["AmountDC"]
    got: dict[str, Decimal] = defaultdict(Decimal)
    for total in totals:
        got[total.account] += total.debit - total.credit
    assert {k: v for k, v in got.items() if v} == {k: v for k, v in movement.items() if v}


def test_exact_revoked_consent_stops_the_connection(sfsync_harness: Callable[..., Any]) -> None:
    sandbox = ExactSandbox("fr", limits=LimitConfig(window_seconds=1.0))
    harness = sfsync_harness("exact-fr", sandbox)
    dossier = harness.new_dossier()
    assert harness.sync(dossier).status == "ok"
    sandbox.revoke()
    sandbox.expire_tokens()
    run = harness.sync(dossier)
    assert run.status == "failed" and run.error_kind == "NeedsReconsent", (
        run.status,
        run.error_kind,
        run.error,
    )


def test_exact_a_line_booked_in_the_period_of_the_year_before_counts_there(
    sfsync_harness: Callable[..., Any],
) -> None:
    sandbox = ExactSandbox("be", limits=LimitConfig(window_seconds=1.0))
    harness = sfsync_harness("exact-be", sandbox)
    ref = sandbox.company_refs()[0]
    dossier = harness.new_dossier()
    assert harness.sync(dossier).status == "ok"
    late = {r["ID"]: r for r in sandbox.division(ref).lines.values() if "laat geboekt" in r["Description"]}
    assert late, "the sandbox seeds an invoice booked in the last period of the year before its date"
    years = harness.app.store.fiscal_years(dossier.id)
    booked = next(y for y in years if str(y.end.year) == str(next(iter(late.values()))["FinancialYear"]))
    dated = next(y for y in years if y.contains(next(iter(late.values()))["Date"]))
    assert booked != dated
    in_booked = {ln.id for ln in harness.app.store.ledger_lines(dossier.id, start=booked.start, end=booked.end)}
    in_dated = {ln.id for ln in harness.app.store.ledger_lines(dossier.id, start=dated.start, end=dated.end)}
    assert set(late) <= in_booked and not set(late) & in_dated

"""End to end through the core's runner and store: trial-balance links and *since* links."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sfsync.models import Granularity, SyncMode
from sfsync.testing import ContractHarness
from sfsync_odoo.sandbox import OdooSandbox


def _link(harness: ContractHarness, *, granularity: Granularity, mode: SyncMode = SyncMode.REPLACE,
          since: Any = None, ref: str = "2") -> Any:
    connection = harness.connection or harness.connect()
    dossier = harness.app.create_dossier(harness.admin, f"odoo-{granularity.value}-{mode.value}")
    harness.run(harness.app.link(harness.admin, dossier.id, connection.id, ref, mode=mode, since=since,
                                 granularity=granularity))
    return dossier


def test_odoo_trial_balance_link_balances_and_follows_changes(sfsync_harness: Callable[..., ContractHarness]) -> None:
    sandbox = OdooSandbox(18, "xmlrpc")
    harness = sfsync_harness("odoo", sandbox)
    dossier = _link(harness, granularity=Granularity.TRIAL_BALANCE)
    run = harness.sync(dossier)
    assert run.status == "ok", run.error
    totals = list(harness.app.store.trial_balance(dossier.id))
    assert totals
    per_period: dict[Any, Decimal] = defaultdict(Decimal)
    for total in totals:
        per_period[total.period_end] += total.closing
    assert set(per_period.values()) == {Decimal(0)}, "a period's closing balances do not add up to zero"
    chart = {a.code for a in harness.app.store.accounts(dossier.id)}
    assert {t.account for t in totals} <= chart
    # Earlier years' result is carried on the unaffected-earnings account, as Odoo reports it.
    assert any(t.account == "999999" and t.opening for t in totals)

    before = {(t.account, t.period_end): t.closing for t in totals}
    sandbox.add_entry("2")
    assert harness.sync(dossier).status == "ok"
    after = {(t.account, t.period_end): t.closing for t in harness.app.store.trial_balance(dossier.id)}
    assert after != before


def test_odoo_since_link_brings_opening_balances_and_no_older_lines(
    sfsync_harness: Callable[..., ContractHarness],
) -> None:
    sandbox = OdooSandbox(17, "jsonrpc")
    harness = sfsync_harness("odoo", sandbox)
    harness.connect()
    assert harness.connection is not None
    years = harness.run(harness.app.fiscal_years(harness.admin, harness.connection.id, "2"))
    since = years[2].start  # a non-calendar year: 1 July
    assert since.month == 7 and since.day == 1
    dossier = _link(harness, granularity=Granularity.TRANSACTIONS, mode=SyncMode.SINCE, since=since)
    run = harness.sync(dossier)
    assert run.status == "ok", run.error
    lines = list(harness.app.store.ledger_lines(dossier.id))
    assert lines and min(line.date for line in lines) >= since
    openings = harness.app.store.opening_balances(dossier.id)
    assert openings and all(o.date == since for o in openings)
    # Opening balances plus the lines since equal what Odoo holds on the balance-sheet accounts.
    bank = sum((o.amount for o in openings if o.account == "550000"), Decimal(0))
    bank += sum((line.debit - line.credit for line in lines if line.account == "550000"), Decimal(0))
    moves = sandbox.db.tables["account.move"]
    truth = sum(
        (line["debit"] - line["credit"] for line in sandbox.db.tables["account.move.line"].values()
         if moves[line["move_id"]]["company_id"] == 2 and moves[line["move_id"]]["state"] == "posted"
         and sandbox.db.tables["account.account"][line["account_id"]]["code_store"].get(2) == "550000"),
        Decimal(0),
    )
    assert bank == truth


def test_odoo_unchanged_trial_balance_costs_one_call(sfsync_harness: Callable[..., ContractHarness]) -> None:
    sandbox = OdooSandbox(17, "jsonrpc")
    harness = sfsync_harness("odoo", sandbox)
    dossier = _link(harness, granularity=Granularity.TRIAL_BALANCE, ref="1")
    assert harness.sync(dossier).status == "ok"
    before = list(harness.app.store.trial_balance(dossier.id))
    mark = len(sandbox.calls)
    assert harness.sync(dossier).status == "ok"
    read_groups = [c for c in sandbox.calls[mark:] if c[2] == "read_group"]
    assert len(read_groups) == 2  # the fiscal years' first and last date, and the month summary only
    assert list(harness.app.store.trial_balance(dossier.id)) == before

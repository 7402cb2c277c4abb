"""Yuki's daily call budget per domain: counted, planned, and a sync that does not fit waits for
the next day, keeping what it committed."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sfsync.errors import BudgetExhausted
from sfsync_yuki.budget import Budget
from sfsync_yuki.sandbox.data import DOMAIN_BE, DOMAIN_NL
from sfsync_yuki.soap import next_reset

NEXT_MIDNIGHT = dt.datetime(2026, 1, 15, 23, 0, tzinfo=dt.UTC)  # 00:00 on 16 January in Amsterdam (UTC+1)


def _years_read(sandbox, since_index: int = 0) -> list[str]:
    return [params["StartDate"].date().isoformat() for op, params in sandbox.log[since_index:]
            if op == "GetTransactionDetails"]


def test_daily_limit_reached_mid_sync_stops_cleanly_and_finishes_the_next_day(host, sandbox, clock, company):
    host.connect()  # Authenticate + GetCurrentDomain: 2 calls of the NL domain
    dossier = host.dossier(company.ref)  # Administrations: 1 call
    assert sandbox.calls_today(DOMAIN_NL.id) == 3
    # Another application used most of the domain's budget today: 16 calls in all for sfsync,
    # 13 for this sync: 5 period tables, the scheme, a balance, the start balance of the
    # earliest year (a replace link's opening balances), then per year 2 calls.
    sandbox.set_daily_limit(16, DOMAIN_NL.id)

    first = host.sync(dossier)
    assert first.status == "waiting", first.error
    assert first.resume_at == NEXT_MIDNIGHT
    assert "daily limit" in first.error and "2026-01-16 00:00 Europe/Amsterdam" in first.error
    assert first.counts["batches"] == 2  # the two newest years were committed before the limit
    assert _years_read(sandbox) == ["2026-01-01", "2025-01-01", "2024-01-01"]
    building = host.app.store.building_generation(dossier.id)
    cursor = json.loads(host.app.store.get_checkpoint(dossier.id, building, "ledger"))
    assert sorted(cursor["years"]) == ["2025-01-01", "2026-01-01"]
    kept = host.app.store.count_ledger_lines(dossier.id, building)
    admin = sandbox.admins[company.ref]
    assert kept == sum(1 for line in admin.lines() if line.date.year >= 2025)

    # Trying again the same day costs nothing: the connector knows the budget is spent.
    calls = len(sandbox.log)
    again = host.sync(dossier)
    assert again.status == "waiting" and again.requests == 0
    assert len(sandbox.log) == calls

    clock.advance((NEXT_MIDNIGHT - clock.now()).total_seconds() + 60)
    calls = len(sandbox.log)
    done = host.sync(dossier)
    assert done.status == "ok", done.error
    assert _years_read(sandbox, calls) == ["2024-01-01", "2023-01-01"]  # only what was missing
    stored = {line.id for line in host.app.store.ledger_lines(dossier.id)}
    assert stored == {line.id for line in admin.lines()}


def test_connector_plans_within_its_own_budget(connection, sandbox, clock, company, store, sync_ledger):
    # Authenticate, GetCurrentDomain, Administrations, 5 period tables, then per year: the
    # modified stamp and the year's transactions. 11 calls: 2026 fits, 2025 does not.
    connection.config["daily_call_limit"] = 11
    with pytest.raises(BudgetExhausted) as caught:
        sync_ledger(store)
    error = caught.value
    assert error.resume_at == NEXT_MIDNIGHT
    assert "must wait for the next day" in str(error)
    assert "fiscal year 2026" in str(error)  # what was kept
    assert "reading fiscal year 2025" in str(error)  # what did not fit
    # It stopped before the call it could not afford: Yuki never refused anything.
    assert sandbox.calls_today() == 11
    assert "GetTransactionDetails" not in [op for op, _ in sandbox.log[-1:]]
    assert connection.state["budget"][DOMAIN_NL.id]["calls"] == sandbox.calls_today(DOMAIN_NL.id)
    assert {line.date.year for line in store.lines.values()} == {2026}

    clock.advance(24 * 3600)
    sync_ledger(store)
    assert set(store.lines) == {line.id for line in sandbox.admins[company.ref].lines()}


def test_plan_warns_when_a_sync_will_not_fit(connection, company, store):
    connection.config["daily_call_limit"] = 12

    async def body(ctx):
        from sfsync_yuki.connector import yuki

        try:
            async for _ in yuki.sfsync_fetch_ledger(ctx=ctx, company=company, since=None, cursor=None):
                pass
        except BudgetExhausted:
            pass
        return ctx.warnings

    warnings = connection.run(body)
    assert any("calls left" in w and "newest fiscal years come first" in w for w in warnings), warnings


def test_calls_are_counted_per_domain_like_yuki_counts_them(host, sandbox):
    host.connect()
    for ref in sandbox.company_refs():
        assert host.sync(host.dossier(ref)).status == "ok"
    state = host.app.box.open(host.app.store.get_connection(host.connection.id).sealed)["state"]
    for domain in (DOMAIN_NL.id, DOMAIN_BE.id):
        assert state["budget"][domain]["calls"] == sandbox.calls_today(domain) > 0
        assert state["budget"][domain]["day"] == "2026-01-15"


def test_budget_day_is_the_amsterdam_day(connection, clock):
    ctx = connection.context()
    budget = Budget(ctx, limit=3)
    budget.charge("d1", 3)
    with pytest.raises(BudgetExhausted):
        budget.charge("d1")
    assert budget.remaining("d2") == 3  # per domain
    clock.advance((NEXT_MIDNIGHT - clock.now()).total_seconds())  # 00:00 in Amsterdam, 23:00 UTC
    assert budget.remaining("d1") == 3


def test_next_reset_follows_summer_time():
    assert next_reset(dt.datetime(2026, 1, 15, 2, 0, tzinfo=dt.UTC)) == NEXT_MIDNIGHT
    assert next_reset(dt.datetime(2026, 7, 1, 21, 59, tzinfo=dt.UTC)) == dt.datetime(2026, 7, 1, 22, 0, tzinfo=dt.UTC)
    assert next_reset(dt.datetime(2026, 7, 1, 22, 0, tzinfo=dt.UTC)) == dt.datetime(2026, 7, 2, 22, 0, tzinfo=dt.UTC)

"""Nights against the AFAS sandbox: what an unchanged night costs, a deletion in an earlier period
found through the period balances with only that period read again, a since link's opening
balances after a deletion before its date, and the client's answers to AFAS's limits."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import httpx
import pytest
from sfsync.clock import FakeClock
from sfsync.context import ConnectorContext, Secrets
from sfsync.errors import AuthError, FatalError
from sfsync.models import Granularity, SyncMode
from sfsync.sandbox.base import Sandbox
from sfsync.testing.harness import ContractHarness
from sfsync.testing.history import sync_after_history_edit
from sfsync_afas.client import AfasClient
from sfsync_afas.facts import base_url
from sfsync_afas.sandbox import AfasSandbox

NOW = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def harness(tmp_path: Path):  # type: ignore[no-untyped-def]
    made = ContractHarness.create("afas", tmp_path, sandbox=AfasSandbox(clock=FakeClock(NOW)))
    made.connect()
    yield made
    made.close()


def _later(harness: ContractHarness, seconds: float = 600) -> None:
    clock = harness.sandbox.clock
    assert isinstance(clock, FakeClock)
    clock.advance(seconds)


def _stored_ids(harness: ContractHarness, dossier_id: str) -> set[str]:
    return {line.id for line in harness.app.store.ledger_lines(dossier_id)}


@pytest.mark.parametrize(("granularity", "requests"), [(Granularity.TRANSACTIONS, 3), (Granularity.TRIAL_BALANCE, 3)])
def test_an_unchanged_night_costs_the_years_the_chart_and_one_gate_request(harness, granularity, requests):
    dossier = harness.new_dossier(granularity=granularity)
    assert harness.sync(dossier).status == "ok"
    _later(harness)
    night = harness.sync(dossier)
    assert night.status == "ok" and night.requests == requests
    assert night.counts.get("lines_fetched", 0) == 0
    declared = harness.app.registry.connector("afas").info.unchanged_night_requests[granularity]
    assert night.requests <= declared


def test_a_night_just_after_a_change_reads_on_but_brings_nothing_twice(harness):
    dossier = harness.new_dossier()
    harness.sandbox.add_entry("1")
    assert harness.sync(dossier).status == "ok"
    night = harness.sync(dossier)  # the mark is seconds old: the gate looks behind it
    assert night.counts.get("lines_fetched", 0) == 0
    assert night.requests <= harness.app.registry.connector("afas").info.unchanged_night_requests[Granularity.TRANSACTIONS]


def test_a_deleted_entry_in_an_earlier_period_disappears_and_only_its_period_is_read_again(harness):
    sandbox = harness.sandbox
    assert isinstance(sandbox, AfasSandbox)
    dossier = harness.new_dossier()
    assert harness.sync(dossier).status == "ok"
    admin = sandbox.by_ref["1"]
    first_year = admin.years[0].number
    _later(harness)
    gone = sandbox.delete_entry("1", year=first_year)
    stored = {line.id: line for line in harness.app.store.ledger_lines(dossier.id)}
    period = stored[gone[0]].period
    left_in_period = [x for x in admin.lines.values() if (x.year, x.period) == (first_year, period)]
    night = harness.sync(dossier)
    assert night.status == "ok", night.error
    assert not set(gone) & _stored_ids(harness, dossier.id)
    assert _stored_ids(harness, dossier.id) == set(harness.sandbox.truth("1").line_places)
    # Only the period that moved was read again: its remaining lines, nothing else.
    assert night.counts["lines_fetched"] == len(left_in_period)


def test_an_edit_arrives_by_its_modified_stamp_without_rereading_its_period(harness):
    dossier = harness.new_dossier()
    assert harness.sync(dossier).status == "ok"
    _later(harness)
    edited = harness.sandbox.edit_line("1")
    night = harness.sync(dossier)
    assert night.counts["lines_fetched"] == 1  # the description changed, no balance moved
    stored = {line.id: line for line in harness.app.store.ledger_lines(dossier.id)}
    assert stored[edited].description.endswith("(gewijzigd)")


def test_a_trial_balance_link_follows_a_deletion_in_an_earlier_year(harness):
    sandbox = harness.sandbox
    assert isinstance(sandbox, AfasSandbox)
    dossier = harness.new_dossier(granularity=Granularity.TRIAL_BALANCE)
    assert harness.sync(dossier).status == "ok"
    _later(harness)
    sandbox.delete_entry("1", year=sandbox.by_ref["1"].years[0].number)
    assert harness.sync(dossier).status == "ok"
    truth = sandbox.truth("1")
    stored: dict[tuple[str, dt.date, int | None], object] = {}
    years = {y.label: y.start for y in harness.app.store.fiscal_years(dossier.id)}
    for line in harness.app.store.trial_balance(dossier.id):
        key = (line.account, years[line.fiscal_year], line.period)
        stored[key] = stored.get(key, 0) + line.debit - line.credit  # type: ignore[operator]
    assert {k: v for k, v in stored.items() if v} == {k: v for k, v in truth.movements.items() if v}


def _delete_before(sandbox: Sandbox, ref: str, before: dt.date) -> None:
    assert isinstance(sandbox, AfasSandbox)
    admin = sandbox.by_ref[ref]
    sandbox.delete_entry(ref, year=max(y.number for y in admin.years if y.end < before))


def test_a_since_link_s_opening_balances_follow_a_deletion_before_its_date(tmp_path):
    outcome = sync_after_history_edit("afas", tmp_path, _delete_before, sandbox=AfasSandbox())
    assert "opening_balances_refreshed" not in outcome.quiet.counts
    assert outcome.run.counts.get("opening_balances_refreshed") == 1
    assert outcome.stored == outcome.after


def test_a_timeout_is_met_with_smaller_pages(tmp_path):
    slow = ContractHarness.create("afas", tmp_path, sandbox=AfasSandbox(timeout_rows=300))
    slow.connect()
    dossier = slow.new_dossier()
    run = slow.sync(dossier)
    assert run.status == "ok", run.error
    assert _stored_ids(slow, dossier.id) == set(slow.sandbox.truth(slow.sandbox.company_refs()[0]).line_places)
    slow.close()


def test_an_ip_restriction_is_a_clear_error_naming_the_cause(harness):
    sandbox = harness.sandbox
    assert isinstance(sandbox, AfasSandbox)
    dossier = harness.new_dossier()
    sandbox.allowed_ips = {"203.0.113.7"}
    run = harness.sync(dossier)
    assert run.status != "ok" and "IP restriction" in (run.error or "") and "afas" in (run.error or "")


def _context(transport: httpx.AsyncBaseTransport) -> ConnectorContext:
    return ConnectorContext(
        connector="afas", connection_id="c1", config={"environment": "12345", "environment_type": "production"},
        secrets=Secrets({"token": AfasSandbox.token}), transports={base_url("12345", "production"): transport},
    )


def test_at_most_five_calls_run_at_once():
    flight = {"now": 0, "most": 0}

    async def handler(request: httpx.Request) -> httpx.Response:
        flight["now"] += 1
        flight["most"] = max(flight["most"], flight["now"])
        await asyncio.sleep(0.01)
        flight["now"] -= 1
        return httpx.Response(200, json={"skip": 0, "take": 100, "rows": []})

    async def go() -> None:
        ctx = _context(httpx.MockTransport(handler))
        client = AfasClient(ctx)
        await asyncio.gather(*(client.get_json("/connectors/Profit_Accounts") for _ in range(20)))
        await ctx.aclose()

    asyncio.run(go())
    assert flight["most"] == 5


def test_afas_s_error_body_reaches_the_message_with_its_logbook_reference():
    body = {"externalMessage": "Deze GetConnector (definitie) is geblokkeerd.", "errorNumber": -2147024891,
            "profitLogReference": "3A4CA18A611A4E07B429AC6BAFC6B8D1"}

    async def go(status: int) -> Exception:
        ctx = _context(httpx.MockTransport(lambda request: httpx.Response(status, json=body)))
        try:
            await AfasClient(ctx).get_json("/connectors/Profit_Accounts")
        except Exception as exc:
            return exc
        finally:
            await ctx.aclose()
        raise AssertionError("no error")

    error = asyncio.run(go(500))
    assert isinstance(error, FatalError) and "geblokkeerd" in str(error) and "3A4CA18A611A4E07B429AC6BAFC6B8D1" in str(error)
    assert isinstance(asyncio.run(go(401)), AuthError)


def test_a_query_the_api_would_404_is_not_sent():
    async def go() -> None:
        ctx = _context(httpx.MockTransport(lambda request: httpx.Response(200, json={"rows": []})))
        try:
            await AfasClient(ctx).get_json("/connectors/Profit_Accounts", {"filtervalues": "x" * 2100})
        finally:
            await ctx.aclose()

    with pytest.raises(FatalError, match="beyond 2049"):
        asyncio.run(go())


def test_a_since_link_starts_at_its_year(harness):
    sandbox = harness.sandbox
    assert isinstance(sandbox, AfasSandbox)
    start = sandbox.by_ref["1"].years[1].start
    dossier = harness.new_dossier(mode=SyncMode.SINCE, since=start)
    assert harness.sync(dossier).status == "ok"
    years = {line.fiscal_year for line in harness.app.store.ledger_lines(dossier.id)}
    assert str(sandbox.by_ref["1"].years[0].number) not in years

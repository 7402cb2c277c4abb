"""What is particular to QuickBooks in the books sfsync stores: every posting once (foreign
currency kept), CDC for changes with its 30-day look-back, a Fault inside a 200, minorversion on
every call, and trial balances equal to the TrialBalance report of each dossier's own company."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from decimal import Decimal

import pytest
from pydantic import SecretStr
from sfsync.auth import TokenSet
from sfsync.clock import FakeClock
from sfsync.context import ConnectorContext, Secrets
from sfsync.models import Granularity
from sfsync.testing.harness import ContractHarness
from sfsync_quickbooks.auth import quickbooks_auth_spec
from sfsync_quickbooks.sandbox import CLIENT_ID, CLIENT_SECRET, QuickbooksSandbox
from sfsync_quickbooks.sandbox.reports import balances_at, txn_line_ids

START = dt.datetime(2026, 3, 10, 2, 0, tzinfo=dt.UTC)


@pytest.fixture
def booked(tmp_path):
    clock = FakeClock(START)
    sandbox = QuickbooksSandbox(clock=clock)
    harness = ContractHarness.create("quickbooks", tmp_path, sandbox=sandbox)
    yield harness, sandbox, clock
    harness.close()


def _postings(sandbox: QuickbooksSandbox, realm: str) -> dict[str, Decimal]:
    company = sandbox.company(realm)
    assert company is not None
    return {line_id: posting.amount for txn in company.live()
            for posting, line_id in zip(txn.postings, txn_line_ids(company, txn), strict=True)}


def test_every_posting_is_stored_once_with_its_foreign_amount(booked):
    harness, sandbox, _ = booked
    realm = sandbox.all_company_refs()[1]  # the importer, buying in USD
    sandbox.pick_company(realm)
    dossier = harness.new_dossier(company_ref=realm)
    assert harness.sync(dossier).status in ("ok", "warning")
    stored = {line.id: line for line in harness.app.store.ledger_lines(dossier.id)}
    expected = _postings(sandbox, realm)
    assert {k: v.debit - v.credit for k, v in stored.items()} == expected
    foreign = [line for line in stored.values() if line.currency == "USD"]
    assert foreign and all(line.foreign_amount is not None for line in foreign)
    assert all((line.foreign_amount > 0) == (line.debit > 0) for line in foreign)
    assert sandbox.protocol_violations == [], "every call must carry minorversion=75"


def test_changes_arrive_through_one_cdc_call_and_deleted_entries_leave(booked):
    harness, sandbox, clock = booked
    dossier = harness.new_dossier()
    assert harness.sync(dossier).status in ("ok", "warning")
    realm = sandbox.company_refs()[0]
    clock.advance(3600)
    added = sandbox.add_entry(realm)
    edited = sandbox.edit_line(realm)
    deleted = sandbox.delete_entry(realm)
    sandbox.requests.clear()
    run = harness.sync(dossier)
    assert run.status == "ok", run.error
    calls = [path.rsplit("/", 1)[-1] for _, path, _ in sandbox.requests]
    assert calls.count("cdc") == 1 and calls.count("GeneralLedger") >= 1
    stored = {line.id: line for line in harness.app.store.ledger_lines(dossier.id)}
    assert set(added) <= set(stored) and not set(deleted) & set(stored)
    assert stored[edited].description.endswith("(gewijzigd)")
    assert {k: v.debit - v.credit for k, v in stored.items()} == _postings(sandbox, realm)


def test_past_the_30_day_look_back_the_open_years_are_read_again_and_the_run_says_so(booked):
    harness, sandbox, clock = booked
    dossier = harness.new_dossier()
    assert harness.sync(dossier).status in ("ok", "warning")
    realm = sandbox.company_refs()[0]
    deleted = sandbox.delete_entry(realm)
    clock.advance(31 * 86_400)
    run = harness.sync(dossier)
    assert run.status == "warning", run.error
    assert any("30-day" in w for w in run.warnings)
    stored = {line.id: line.debit - line.credit for line in harness.app.store.ledger_lines(dossier.id)}
    assert not set(deleted) & set(stored)
    assert stored == _postings(sandbox, realm)


def test_a_fault_inside_a_200_fails_the_run_and_leaves_the_data(booked):
    harness, sandbox, _ = booked
    dossier = harness.new_dossier()
    assert harness.sync(dossier).status in ("ok", "warning")
    before = harness.app.store.count_ledger_lines(dossier.id)
    fault = {"Fault": {"Error": [{"Message": "An application error has occurred", "Detail": "Internal",
                                  "code": "10000"}], "type": "SystemFault"}, "time": "2026-03-10T02:00:00.000-08:00"}
    sandbox.faults.add(200, body=fault, path_contains="/cdc")
    run = harness.sync(dossier)
    assert run.status == "failed"
    assert "200 with a Fault" in (run.error or "") and "SystemFault 10000" in (run.error or "")
    assert harness.app.store.count_ledger_lines(dossier.id) == before


def test_a_429_without_retry_after_waits_the_60_seconds_intuit_asks(booked):
    harness, sandbox, clock = booked
    dossier = harness.new_dossier()
    sandbox.faults.add(429, body={"Fault": {"Error": [{"Message": "message=ThrottleExceeded; errorCode=003001; statusCode=429",
                                                        "code": "3001"}], "type": "ThrottlingFault"}},
                       path_contains="/reports/")
    run = harness.sync(dossier)
    assert run.status in ("ok", "warning"), run.error
    assert any(59 <= s <= 61 for s in clock.slept), clock.slept[-5:]


def test_two_dossiers_each_store_their_own_company_s_trial_balance(booked):
    harness, sandbox, _ = booked
    harness.granularity_override = Granularity.TRIAL_BALANCE
    for realm in sandbox.all_company_refs()[:2]:
        sandbox.pick_company(realm)
        dossier = harness.new_dossier(company_ref=realm)
        assert harness.sync(dossier).status in ("ok", "warning")
        company = sandbox.company(realm)
        assert company is not None
        codes = {a.id: a.number for a in company.accounts}
        by_end: dict[dt.date, dict[str, Decimal]] = {}
        for total in harness.app.store.trial_balance(dossier.id):
            by_end.setdefault(total.period_end, {})[total.account] = total.closing
        assert by_end
        for end, closing in by_end.items():
            report = {codes[k]: v for k, v in balances_at(company, min(end, START.date())).items()}
            assert {k: v for k, v in closing.items() if v} == report, end


def test_the_query_language_refuses_as_intuit_does(booked):
    harness, sandbox, _ = booked
    harness.new_dossier()
    realm = sandbox.company_refs()[0]
    token = sandbox.issue_token(realm)["access_token"]

    async def ask(statement: str) -> tuple[int, dict]:
        import httpx

        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox.app),
                                     base_url="https://quickbooks.api.intuit.com") as client:
            answer = await client.get(f"/v3/company/{realm}/query",
                                      params={"query": statement, "minorversion": "75"},
                                      headers={"Authorization": f"Bearer {token}"})
            return answer.status_code, answer.json()

    status, body = asyncio.run(ask("SELECT * FROM Invoice STARTPOSITION 1 MAXRESULTS 1001"))
    assert status == 400 and "Max allowed value is 1000" in body["Fault"]["Error"][0]["Detail"]
    status, body = asyncio.run(ask("SELECT * FRM Invoice"))
    assert status == 400 and body["Fault"]["type"] == "ValidationFault"
    assert "QueryParserError" in body["Fault"]["Error"][0]["Detail"]
    status, body = asyncio.run(ask("select * from Invoice where Colour = 'red'"))
    assert status == 400 and "QueryValidationError" in body["Fault"]["Error"][0]["Detail"]
    status, body = asyncio.run(ask("select count(*) from Invoice"))
    total = body["QueryResponse"]["totalCount"]
    status, body = asyncio.run(ask(f"select * from Invoice startposition {total - 1} maxresults 10"))
    assert body["QueryResponse"]["startPosition"] == total - 1 and body["QueryResponse"]["maxResults"] == 2


def test_the_client_pages_a_query_with_startposition(booked, monkeypatch):
    from sfsync_quickbooks import client as client_module

    harness, sandbox, _ = booked
    harness.new_dossier()
    monkeypatch.setattr(client_module, "QUERY_PAGE", 25)
    realm = sandbox.company_refs()[0]
    company = sandbox.company(realm)
    assert company is not None
    expected = sorted(t.id for t in company.live() if t.kind == "Invoice")
    body = sandbox.issue_token(realm)
    tokens = TokenSet(access_token=SecretStr(str(body["access_token"])), refresh_token=SecretStr(str(body["refresh_token"])),
                      expires_at=sandbox.clock.now() + dt.timedelta(hours=1))

    class Vault:
        async def load(self) -> TokenSet:
            return tokens

        async def save(self, new: TokenSet) -> None:
            nonlocal tokens
            tokens = new

        @contextlib.asynccontextmanager
        async def lock(self):  # type: ignore[no-untyped-def]
            yield

    ctx = ConnectorContext(connector="quickbooks", connection_id="c1", auth_spec=quickbooks_auth_spec(),
                           config={"client_id": CLIENT_ID}, secrets=Secrets({"client_secret": CLIENT_SECRET}), vault=Vault(),
                           transports=sandbox.transports(), clock=sandbox.clock)
    sandbox.requests.clear()
    async def read() -> list[dict]:
        try:
            return await client_module.QuickbooksClient(ctx, realm).query_all("SELECT * FROM Invoice")
        finally:
            await ctx.aclose()

    got = asyncio.run(read())
    assert sorted(str(i["Id"]) for i in got) == expected
    starts = [q["query"].split("STARTPOSITION ")[1].split()[0] for _, p, q in sandbox.requests if p.endswith("/query")
              and "Invoice" in q["query"]]
    assert starts[:3] == ["1", "26", "51"]

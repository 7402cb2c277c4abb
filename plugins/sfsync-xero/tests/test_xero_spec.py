"""The sandbox against Xero's official OpenAPI spec (v16.1.0): every response it serves on the
endpoints the connectors use, and every request the connectors send."""

from __future__ import annotations

import asyncio
import datetime as dt
import json

import pytest
from sfsync.clock import FakeClock
from sfsync_xero.connector import xero, xerotb
from sfsync_xero.sandbox import XeroSandbox
from sfsync_xero.sandbox.app import XeroApp
from sfsync_xero.sandbox.harness import connect
from sfsync_xero.sandbox.spec import SpecChecker

START = dt.datetime(2026, 1, 15, 2, 0, tzinfo=dt.UTC)
ENDPOINTS = {"/connections", "/api.xro/2.0/Organisation", "/api.xro/2.0/Accounts",
             "/api.xro/2.0/Journals", "/api.xro/2.0/Reports/TrialBalance"}


@pytest.fixture(scope="module")
def checker() -> SpecChecker:
    return SpecChecker()


def _full_syncs(sandbox: XeroSandbox, clock: FakeClock) -> None:
    async def run() -> None:
        for name, plugin in (("xero", xero), ("xerotb", xerotb)):
            ctx = await connect(sandbox, name, clock=clock)
            for company in await plugin.sfsync_list_companies(ctx=ctx):
                years = await plugin.sfsync_fetch_fiscal_years(ctx=ctx, company=company)
                await plugin.sfsync_fetch_accounts(ctx=ctx, company=company)
                await plugin.sfsync_fetch_company_details(ctx=ctx, company=company)
                if name == "xero":
                    batches = [b async for b in plugin.sfsync_fetch_ledger(ctx=ctx, company=company, since=None, cursor=None, fiscal_years=years)]
                    # and an incremental run, with If-Modified-Since
                    [b async for b in plugin.sfsync_fetch_ledger(ctx=ctx, company=company, since=None, cursor=batches[-1].cursor, fiscal_years=years)]
                else:
                    [b async for b in plugin.sfsync_fetch_trial_balance(ctx=ctx, company=company, fiscal_years=years[-2:], cursor=None)]
            await ctx.aclose()

    asyncio.run(run())


def test_every_response_and_request_of_both_connectors_conforms_to_the_spec():
    clock = FakeClock(START)
    sandbox = XeroSandbox(clock=clock, spec_check=True)
    _full_syncs(sandbox, clock)
    assert sandbox.spec_violations == []
    served = {path for _method, path, _query, _headers in sandbox.requests}
    assert served >= ENDPOINTS
    assert any("if-modified-since" in headers for _m, path, _q, headers in sandbox.requests if path.endswith("/Journals"))


def test_each_endpoint_validates_on_its_own(checker: SpecChecker):
    clock = FakeClock(START)
    sandbox = XeroSandbox(clock=clock)
    app = XeroApp(sandbox)
    org = sandbox.orgs[1]
    bodies = {
        "/api.xro/2.0/Organisation": app.envelope("Organisations", [app.organisation(org)]),
        "/api.xro/2.0/Accounts": app.envelope("Accounts", app.accounts(org, None, {})),
        "/api.xro/2.0/Journals": app.envelope("Journals", [app.journal(j) for j in org.journals[:100]]),
        "/api.xro/2.0/Reports/TrialBalance": app.envelope("Reports", [app.trial_balance(org, dt.date(2025, 12, 31))]),
    }
    for path, response in bodies.items():
        body = json.loads(response.body)
        assert checker.check_response("GET", path, 200, body) == [], path
    assert checker.check_response("GET", "/connections", 200, [{
        "id": "7cb59f93-2964-421d-bb5e-a0f7a4572a44", "tenantId": org.id, "tenantType": "ORGANISATION",
        "tenantName": org.name, "createdDateUtc": "2026-04-20T11:47:10.3365440",
        "updatedDateUtc": "2026-04-20T16:35:19.5282060"}]) == []


def test_the_checker_catches_what_the_spec_forbids(checker: SpecChecker):
    journal = {"JournalID": "1b31feeb-aa23-404c-8c19-24c827c53661", "JournalDate": "2025-01-01",
               "JournalNumber": "7", "SourceType": "INVOICE", "Currency": "USD", "JournalLines": [
                   {"JournalLineID": "not-a-uuid", "NetAmount": "40.00"}]}
    problems = checker.check_response("GET", "/api.xro/2.0/Journals", 200, {"Journals": [journal]})
    text = "\n".join(problems)
    for expected in ("JournalNumber", "SourceType", "'Currency' is not in Xero's spec", "not a /Date(ms)/",
                     "not a 'uuid'", "NetAmount"):
        assert expected in text, expected
    assert checker.check_request("GET", "/api.xro/2.0/Journals", {"page": ["2"]}, {})  # page, no tenant
    assert checker.check_request("GET", "/api.xro/2.0/Journals", {"offset": ["ten"]}, {"xero-tenant-id": "x"})
    assert checker.check_request("GET", "/api.xro/2.0/Reports/TrialBalance", {"date": ["31/12/2025"]}, {"xero-tenant-id": "x"})
    assert checker.check_request("GET", "/api.xro/2.0/Ledger", {}, {})
    assert checker.check_schema("AccessToken", {"access_token": "x", "expires_in": "1800", "refresh": "y"})
    assert checker.check_request("GET", "/api.xro/2.0/Journals", {"offset": ["100"]},
                                 {"xero-tenant-id": "x", "if-modified-since": "yesterday"})


def test_what_the_connector_sends_is_declared_in_the_spec(checker: SpecChecker):
    clock = FakeClock(START)
    sandbox = XeroSandbox(clock=clock)
    _full_syncs(sandbox, clock)
    api = [(m, p, q, h) for m, p, q, h in sandbox.requests if p.startswith("/api.xro") or p == "/connections"]
    assert {p for _m, p, _q, _h in api} >= ENDPOINTS
    for method, path, query, headers in api:
        assert checker.check_request(method, path, {k: [v] for k, v in query.items()}, headers) == []
    params = {(p, k) for _m, p, q, _h in api for k in q}
    assert params == {("/api.xro/2.0/Journals", "offset"), ("/api.xro/2.0/Reports/TrialBalance", "date")}

"""ej2's ``python-quickbooks`` with Intuit's ``intuit-oauth`` against the served QuickBooks
sandbox: the OAuth client finds every endpoint in the sandbox's discovery document, signs in,
exchanges the code and refreshes (the refresh token rotates); the API client reads CompanyInfo,
the chart (``Account.all`` pages with STARTPOSITION), invoices with a WHERE clause, CDC with a
deleted object, and the TrialBalance report, all with its own ``minorversion``."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import httpx
from intuitlib.client import AuthClient
from intuitlib.enums import Scopes
from quickbooks import QuickBooks
from quickbooks.cdc import change_data_capture
from quickbooks.objects.account import Account
from quickbooks.objects.bill import Bill
from quickbooks.objects.company_info import CompanyInfo
from quickbooks.objects.invoice import Invoice
from sfsync_quickbooks.sandbox import CLIENT_ID, CLIENT_SECRET, QuickbooksSandbox
from sfsync_quickbooks.sandbox.oauth import DISCOVERY_PATH
from sfsync_quickbooks.sandbox.reports import balances_at

REDIRECT = "http://localhost:8765/callback"


def _sign_in(sandbox: QuickbooksSandbox, authorize_url: str) -> tuple[str, str]:
    async def flow() -> str:
        async with httpx.AsyncClient() as client:
            return await sandbox.authorize(client, authorize_url)

    query = parse_qs(urlsplit(asyncio.run(flow())).query)
    return query["code"][0], query["realmId"][0]


def test_python_quickbooks_reads_the_books_and_refreshes(serve, monkeypatch):
    sandbox = QuickbooksSandbox()
    url = serve(sandbox.app)
    sandbox.public_base = url
    auth = AuthClient(CLIENT_ID, CLIENT_SECRET, REDIRECT, environment=url + DISCOVERY_PATH)
    assert auth.token_endpoint == url + "/oauth2/v1/tokens/bearer"
    code, realm = _sign_in(sandbox, auth.get_authorization_url([Scopes.ACCOUNTING]))
    assert realm == sandbox.login_realm
    auth.get_bearer_token(code, realm_id=realm)
    assert auth.expires_in == 3600 and auth.x_refresh_token_expires_in == 100 * 86_400
    first_refresh = auth.refresh_token

    monkeypatch.setattr(QuickBooks, "api_url_v3", url + "/v3")
    # oauthlib refuses plain http unless told it is a local test server (the sandbox on 127.0.0.1).
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    qb = QuickBooks(auth_client=auth, refresh_token=auth.refresh_token, company_id=realm, minorversion=75)
    company = sandbox.company(realm)
    assert company is not None

    info = CompanyInfo.get(1, qb=qb)
    assert info.CompanyName == company.name and info.FiscalYearStartMonth == "January"

    accounts = Account.all(qb=qb, max_results=5)  # STARTPOSITION 1 MAXRESULTS 5
    assert len(accounts) == 5
    everything = Account.where("Active IN (true, false)", qb=qb, max_results=1000)
    assert {a.AcctNum for a in everything} == {a.number for a in company.accounts}

    invoices = Invoice.where(f"TxnDate >= '{company.txns[-1].date.replace(day=1).isoformat()}'", qb=qb)
    assert invoices and all(Decimal(str(i.TotalAmt)) > 0 for i in invoices)

    # A deleted bill comes back from CDC with status Deleted.
    deleted = sandbox.delete_entry(realm)
    stamp = (sandbox.clock.now().replace(microsecond=0)).isoformat().replace("+00:00", "-00:00")
    since = sandbox.clock.now().replace(hour=0, minute=0, second=0, microsecond=0)
    cdc = change_data_capture([Invoice, Bill], since.isoformat(timespec="seconds"), qb=qb)
    statuses = {getattr(b, "status", None) for b in cdc.Bill} if hasattr(cdc, "Bill") else set()
    assert "Deleted" in statuses, (stamp, deleted)

    end = company.txns[-1].date
    report = qb.get_report("TrialBalance", {"start_date": end.isoformat(), "end_date": end.isoformat()})
    reported = {row["ColData"][0]["id"]: Decimal(row["ColData"][1]["value"] or "0") - Decimal(row["ColData"][2]["value"] or "0")
                for row in report["Rows"]["Row"] if "ColData" in row}
    assert reported == balances_at(company, end)

    auth.refresh()
    assert auth.refresh_token != first_refresh, "Intuit rotates the refresh token on every refresh"
    assert CompanyInfo.get(1, qb=QuickBooks(auth_client=auth, company_id=realm, minorversion=75)).Id == "1"
    assert sandbox.protocol_violations == []

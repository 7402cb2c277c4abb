"""Xero's official SDK (``xero-python``) against the served Xero sandbox: connections, the
organisation, accounts, journals with ``If-Modified-Since``, the cash-basis trial balance, and a
token refresh through the SDK's own refresh call."""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import httpx
from sfsync_xero.connector import xero
from sfsync_xero.sandbox import REDIRECT_URI, XeroSandbox
from xero_python.accounting import AccountingApi
from xero_python.api_client import ApiClient, Configuration
from xero_python.api_client.oauth2 import OAuth2Token, TokenApi
from xero_python.identity import IdentityApi


def _login(sandbox: XeroSandbox, url: str) -> dict[str, object]:
    """The authorization-code flow a web app runs before it hands the token to the SDK."""
    spec = xero.sfsync_auth()
    client_id = sandbox.connection_config()["client_id"]
    secret = sandbox.connection_secrets()["client_secret"]
    pending = spec.start(client_id=client_id, redirect_uri=REDIRECT_URI)
    authorize = url + urlsplit(pending.authorize_url)._replace(scheme="", netloc="").geturl()

    async def flow() -> dict[str, object]:
        async with httpx.AsyncClient(base_url=url) as client:
            code = parse_qs(urlsplit(await sandbox.authorize(client, authorize)).query)["code"][0]
            data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
            if pending.code_verifier:
                data["code_verifier"] = pending.code_verifier
            answer = await client.post("/connect/token", data=data, auth=(client_id, secret))
            assert answer.status_code == 200, answer.text
            token: dict[str, object] = answer.json()
            return token

    return asyncio.run(flow())


def test_xero_python_reads_the_books_and_refreshes(serve, monkeypatch):
    sandbox = XeroSandbox()
    url = serve(sandbox.app)
    token = _login(sandbox, url)
    config = Configuration(oauth2_token=OAuth2Token(client_id=sandbox.connection_config()["client_id"],
                                                    client_secret=sandbox.connection_secrets()["client_secret"]))
    stored: dict[str, object] = {}
    api_client = ApiClient(config, pool_threads=1, oauth2_token_getter=lambda: stored.get("token"),
                           oauth2_token_saver=lambda t: stored.update(token=t))
    api_client.set_oauth2_token(token)

    connections = IdentityApi(api_client, base_url=url).get_connections()
    tenants = [str(c.tenant_id) for c in connections]
    assert set(tenants) == {o.id for o in sandbox.orgs}
    org = sandbox.orgs[0]
    accounting = AccountingApi(api_client, base_url=url + "/api.xro/2.0")

    (organisation,) = accounting.get_organisations(org.id).organisations
    assert organisation.name == org.name and str(organisation.base_currency) in (org.currency, f"CurrencyCode.{org.currency}")
    accounts = accounting.get_accounts(org.id).accounts
    assert {a.code for a in accounts if a.code} == {a.code for a in org.accounts if a.code}

    first = accounting.get_journals(org.id, offset=0).journals
    assert [j.journal_number for j in first] == [j.number for j in org.journals[:100]]
    since = org.journals[-1].created - dt.timedelta(days=3)
    recent = accounting.get_journals(org.id, if_modified_since=since).journals
    wanted = [j.number for j in org.journals if j.created >= since.replace(microsecond=0)][:100]
    assert recent and [j.journal_number for j in recent] == wanted
    line = first[0].journal_lines[0]
    assert Decimal(str(line.net_amount)) == org.journals[0].lines[0].net

    day = dt.date(org.journals[-1].date.year, org.journals[-1].date.month, 1) - dt.timedelta(days=1)
    accrual = accounting.get_report_trial_balance(org.id, date=day).reports[0]
    cash = accounting.get_report_trial_balance(org.id, date=day, payments_only=True).reports[0]
    assert accrual.report_type == "TrialBalance" and accrual.rows and cash.rows
    assert [r.to_dict() for r in accrual.rows] != [r.to_dict() for r in cash.rows]

    # The SDK's own refresh, against the sandbox's token endpoint: a new pair, the old refresh dead.
    monkeypatch.setattr(TokenApi, "refresh_token_url", url + "/connect/token")
    before = stored["token"]
    refreshed = api_client.refresh_oauth2_token()
    assert refreshed["access_token"] != before["access_token"]  # type: ignore[index]
    assert accounting.get_organisations(org.id).organisations[0].name == org.name

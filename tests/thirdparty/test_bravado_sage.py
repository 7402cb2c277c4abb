"""Sage's real API as third-party clients see it, against the served Sage sandbox.

* bravado (Yelp's Swagger 2.0 client), loaded with Sage's own published swagger (read by path
  from ``shared/reference/specs/sage-accounting``, never copied: its licence is unclear) and
  pointed at the sandbox, calls the User and Accounts APIs with ``X-Business`` and the bearer
  token, pages the ledger and is refused more than 200 a page by the swagger itself.
* requests-oauthlib refreshes from a refresh token, and again from the same one: Sage rotates
  single-use refresh tokens and the second refresh is ``invalid_grant`` (the family revoked).

The swagger declares lists as bare arrays while the wire wraps them in the ``$items`` envelope,
so bravado's unmarshalling of a list fails on Sage itself too: a Sage integration on bravado
reads the raw response, as here.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from bravado.client import SwaggerClient
from oauthlib.oauth2 import InvalidGrantError
from requests_oauthlib import OAuth2Session
from sfsync.clock import Clock
from sfsync_sage.sandbox import SageSandbox
from sfsync_sage.sandbox.harness import issue_tokens

SPECS = Path(os.environ.get("SFSYNC_SAGE_SPECS") or Path(__file__).resolve().parents[2].parent / "shared/reference/specs/sage-accounting")
BRAVADO = {"validate_responses": False, "validate_requests": True, "validate_swagger_spec": False, "use_models": False}


def _client(name: str, base: str) -> SwaggerClient:
    spec = json.loads((SPECS / name).read_text())
    served = urlsplit(base)
    spec["host"], spec["schemes"] = served.netloc, [served.scheme]
    return SwaggerClient.from_spec(spec, origin_url=base, config=BRAVADO)


def _raw(future: Any, status: int = 200) -> Any:
    response = future.future.result(timeout=60)
    assert response.status_code == status, (response.status_code, response.text[:300])
    return response.json()


@pytest.fixture
def sage_specs() -> Path:
    if not (SPECS / "swagger-accounts-v3.1.json").exists():
        pytest.skip(f"Sage's swagger is not at {SPECS} (set SFSYNC_SAGE_SPECS)")
    return SPECS


def test_bravado_reads_sage_through_its_published_swagger(serve, sage_specs):
    sandbox = SageSandbox(clock=Clock())
    base = serve(sandbox.app)
    tokens = issue_tokens(sandbox)
    business = sandbox.businesses[0]
    users = _client("swagger-core-user-businesses-v3.1.json", base)
    accounts = _client("swagger-accounts-v3.1.json", base)
    auth = {"Authorization": f"Bearer {tokens['access_token']}", "Accept": "application/json"}
    chosen = {"headers": {**auth, "X-Business": business.id}}

    listed = _raw(users.Businesses.get_businesses(_request_options={"headers": auth}))
    assert [b["id"] for b in listed["$items"]] == sandbox.company_refs()
    assert _raw(users.Businesses.get_businesses_key(key="lead", _request_options={"headers": auth}))["id"] == business.id
    settings = _raw(accounts.Financial_Settings.getFinancialSettings(_request_options=chosen))
    assert settings["year_end_date"] == business.year_end.isoformat()
    chart = _raw(accounts.Ledger_Accounts.getLedgerAccounts(
        items_per_page=200, attributes="nominal_code,name,ledger_account_type", _request_options=chosen))
    assert len(chart["$items"]) == len(business.accounts) and "nominal_code" in chart["$items"][0]

    # The swagger types from_date as a date-time: bravado marshals a datetime.
    since = dt.datetime.combine(business.years[-1][0], dt.time(), dt.UTC)
    expected = sum(1 for e in business.entries.values() if e.date >= business.years[-1][0])
    pages, page = [], 1
    while True:
        body = _raw(accounts.Ledger_Entries.getLedgerEntries(
            items_per_page=200, page=page, attributes="all", from_date=since, _request_options=chosen))
        pages.append(body)
        if not body["$next"]:
            break
        page += 1
    assert pages[0]["$total"] == expected == sum(len(p["$items"]) for p in pages)
    assert len(pages) == -(-expected // 200)
    assert {"debit", "credit", "ledger_account", "transaction", "updated_at"} <= set(pages[0]["$items"][0])

    from jsonschema.exceptions import ValidationError  # bravado checks the swagger's maximum of 200

    with pytest.raises(ValidationError, match="500 is greater than the maximum of 200"):
        accounts.Ledger_Entries.getLedgerEntries(items_per_page=500, _request_options=chosen)
    unknown = {"headers": {**auth, "X-Business": "0" * 32}}
    assert _raw(accounts.Ledger_Entries.getLedgerEntries(_request_options=unknown), 404)[0]["$source"] == "X-Business"


def test_requests_oauthlib_refreshes_once_and_a_reused_token_is_refused(serve, monkeypatch):
    sandbox = SageSandbox(clock=Clock())
    base = serve(sandbox.app)
    tokens = issue_tokens(sandbox)
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # plain HTTP on 127.0.0.1
    session = OAuth2Session(sandbox.client_id)
    refresh = {"refresh_token": tokens["refresh_token"], "client_id": sandbox.client_id,
               "client_secret": sandbox.client_secret, "include_client_id": True}
    fresh = session.refresh_token(f"{base}/token", **refresh)
    assert (fresh["token_type"], fresh["expires_in"], fresh["refresh_token_expires_in"], fresh["scope"]) == (
        "bearer", 300, 31 * 86_400, ["full_access"])
    assert fresh["refresh_token"] != tokens["refresh_token"]
    with pytest.raises(InvalidGrantError):
        session.refresh_token(f"{base}/token", **refresh)
    assert sandbox.oauth_server.reuses == 1 and sandbox.oauth_server.grants[0].revoked

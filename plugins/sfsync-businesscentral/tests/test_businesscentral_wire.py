"""The sandbox's OData v4 as Business Central serves it: server-driven paging, the page-size cap,
``$filter`` literals, ``$select``, error bodies, tokens per tenant, BoCount's Basic credentials."""

from __future__ import annotations

import json
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from sfsync.clock import FakeClock
from sfsync_businesscentral.sandbox import BoCountSandbox, BusinessCentralSandbox
from sfsync_businesscentral.sandbox.harness import api_get, bocount_get, issue_tokens, send


@pytest.fixture
def sandbox() -> BusinessCentralSandbox:
    return BusinessCentralSandbox(clock=FakeClock())


def _entries(sandbox: BusinessCentralSandbox) -> str:
    return f"companies({sandbox.tenant.companies[0].id})/generalLedgerEntries"


def test_next_links_page_through_every_entry_at_the_preferred_size(sandbox):
    token = issue_tokens(sandbox)["access_token"]
    response = api_get(sandbox, _entries(sandbox), token=token, headers={"Prefer": "odata.maxpagesize=250"})
    seen, pages = [], 0
    while True:
        assert response.status_code == 200
        body = json.loads(response.content, parse_float=Decimal)
        assert len(body["value"]) <= 250
        seen += [e["entryNumber"] for e in body["value"]]
        pages += 1
        link = body.get("@odata.nextLink")
        if link is None:
            break
        assert response.headers["preference-applied"] == "odata.maxpagesize=250"
        assert "$skiptoken=" in link and urlsplit(link).netloc == "api.businesscentral.dynamics.com"
        response = send(sandbox, "GET", link, headers={"Authorization": f"Bearer {token}", "Prefer": "odata.maxpagesize=250"})
    assert pages > 2 and seen == sorted(e.number for e in sandbox.tenant.companies[0].entries.values())


def test_a_page_size_over_20000_is_refused_with_413(sandbox):
    response = api_get(sandbox, _entries(sandbox), headers={"Prefer": "odata.maxpagesize=20001"})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "RequestEntityTooLarge"
    assert api_get(sandbox, _entries(sandbox), headers={"Prefer": "odata.maxpagesize=20000"}).status_code == 200


def test_filters_are_typed_by_the_metadata(sandbox):
    company = sandbox.tenant.companies[0]
    day = sorted(e.posting_date for e in company.entries.values())[10]
    ok = api_get(sandbox, _entries(sandbox), params={"$filter": f"postingDate eq {day.isoformat()}",
                                                      "$select": "id,postingDate"})
    values = ok.json()["value"]
    assert values and all(set(v) == {"@odata.etag", "id", "postingDate"} and v["postingDate"] == day.isoformat()
                          for v in values)
    quoted = api_get(sandbox, _entries(sandbox), params={"$filter": f"postingDate eq '{day.isoformat()}'"})
    assert quoted.status_code == 400 and "incompatible types" in quoted.json()["error"]["message"]
    unknown = api_get(sandbox, _entries(sandbox), params={"$filter": "posting eq 2026-01-01"})
    assert unknown.status_code == 400
    assert unknown.json()["error"]["code"] == "BadRequest_NotFound"
    assert "CorrelationId" in unknown.json()["error"]["message"]


def test_a_quote_in_a_string_literal_is_doubled(sandbox):
    company = sandbox.tenant.companies[0]
    entry = next(iter(company.entries.values()))
    entry.description = "Café De Kroon's order"
    company.revision += 1
    response = api_get(sandbox, _entries(sandbox), params={"$filter": "description eq 'Café De Kroon''s order'"})
    assert [v["id"] for v in response.json()["value"]] == [entry.id]
    broken = api_get(sandbox, _entries(sandbox), params={"$filter": "description eq 'Café De Kroon's order'"})
    assert broken.status_code == 400


def test_unknown_segments_and_companies_answer_business_central_s_errors(sandbox):
    missing = api_get(sandbox, "companies(00000000-0000-0000-0000-000000000000)/accounts")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "BadRequest_NotFound"
    unknown = api_get(sandbox, f"companies({sandbox.tenant.companies[0].id})/salesInvoices")
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "BadRequest_ResourceNotFound"
    by_query = api_get(sandbox, "accounts", params={"company": sandbox.tenant.companies[0].id})
    assert by_query.status_code == 200 and len(by_query.json()["value"]) == 13


def test_a_token_opens_only_its_own_tenant(sandbox):
    foreign = issue_tokens(sandbox, tenant="11111111-2222-3333-4444-555555555555")["access_token"]
    refused = api_get(sandbox, "companies", token=foreign)
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "Authentication_InvalidCredentials"
    own = api_get(sandbox, "companies")
    assert [c["displayName"] for c in own.json()["value"]] == ["Bakkerij Peeters NV", "Van Dijk Installatietechniek BV"]
    by_domain = send(sandbox, "GET", f"https://api.businesscentral.dynamics.com/v2.0/{sandbox.tenant.domain}/BE-Holding/api/v2.0/companies",
                     headers={"Authorization": f"Bearer {issue_tokens(sandbox)['access_token']}"})
    assert [c["name"] for c in by_domain.json()["value"]] == ["Brasserie Lambert SRL"]


def test_trial_balances_take_date_filter_bounds(sandbox):
    company = sandbox.tenant.companies[0]
    start, end = company.years[1]
    rows = api_get(sandbox, f"companies({company.id})/trialBalances",
                   params={"$filter": f"dateFilter ge {start} and dateFilter le {end}"}).json()["value"]
    sales = next(r for r in rows if r["number"] == "700000")
    expected = sum((e.credit for e in company.entries.values() if e.account.role == "sales" and start <= e.posting_date <= end),
                   Decimal(0))
    assert sales["totalCredit"] == f"{expected:.2f}" and isinstance(sales["totalDebit"], str)
    assert sales["dateFilter"] == end.isoformat()
    either = api_get(sandbox, f"companies({company.id})/trialBalances",
                     params={"$filter": f"dateFilter ge {start} or dateFilter le {end}"})
    assert either.status_code == 400


def test_bocount_wants_its_web_service_key():
    sandbox = BoCountSandbox(clock=FakeClock())
    assert bocount_get(sandbox, "companies").status_code == 200
    refused = bocount_get(sandbox, "companies", key="wrong")
    assert refused.status_code == 401 and refused.headers["www-authenticate"].startswith("Basic")
    vat = bocount_get(sandbox, "companies", params={"$filter": "vatRegistrationNumber eq 'BE0765432198'"})
    assert [c["name"] for c in vat.json()["value"]] == ["Brasserie Lambert SRL"]
    sandbox.revoke()
    assert bocount_get(sandbox, "companies", key="bocount-ws-key-23-0001").status_code == 401

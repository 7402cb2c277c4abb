"""The sandbox is as strict as Sage: OAuth lifetimes and rotation, X-Business, paging, attributes,
the error array, limits."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sfsync.clock import FakeClock
from sfsync_sage.sandbox import LimitConfig, SageSandbox
from sfsync_sage.sandbox.harness import api_get, issue_tokens, post_token


@pytest.fixture
def sandbox() -> SageSandbox:
    return SageSandbox(clock=FakeClock())


def _refresh(sandbox: SageSandbox, token: str):
    return post_token(sandbox, {"grant_type": "refresh_token", "refresh_token": token})


def _login_code(sandbox: SageSandbox) -> tuple[str, str]:
    """Sign in at the authorize page as a person would; the code and the redirect URI."""
    import asyncio
    from urllib.parse import parse_qs, urlsplit

    import httpx
    from sfsync.sandbox import REDIRECT_URI
    from sfsync.sandbox.oauth import login_at

    url = f"https://www.sageone.com/oauth2/auth/central?filter=apiv3.1&response_type=code&client_id={sandbox.client_id}&redirect_uri={REDIRECT_URI}&scope=full_access&state=s1"

    async def sign_in() -> str:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox.app)) as client:
            return await login_at(client, url, sandbox.username, sandbox.password)

    back = asyncio.run(sign_in())
    return parse_qs(urlsplit(back).query)["code"][0], REDIRECT_URI


def test_codes_live_60_seconds_and_work_once(sandbox):
    code, redirect = _login_code(sandbox)
    sandbox.clock.advance(61)
    late = post_token(sandbox, {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect})
    assert late.status_code == 400 and late.json()["error"] == "invalid_grant"
    code, redirect = _login_code(sandbox)
    fresh = post_token(sandbox, {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect})
    assert fresh.status_code == 200 and fresh.json()["expires_in"] == 300 and fresh.json()["token_type"] == "bearer"
    again = post_token(sandbox, {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect})
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_access_tokens_die_after_five_minutes(sandbox):
    tokens = issue_tokens(sandbox)
    assert api_get(sandbox, "/businesses", token=tokens["access_token"]).status_code == 200
    sandbox.clock.advance(300)
    answer = api_get(sandbox, "/businesses", token=tokens["access_token"])
    assert answer.status_code == 401
    assert answer.json()[0]["$dataCode"] == "AuthenticationFailed"


def test_a_refresh_token_used_twice_revokes_the_whole_family(sandbox):
    first = issue_tokens(sandbox)
    second = _refresh(sandbox, first["refresh_token"]).json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["refresh_token_expires_in"] == 31 * 86_400
    reused = _refresh(sandbox, first["refresh_token"])
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"
    assert sandbox.oauth_server.reuses == 1
    # The thief's reuse also killed the legitimate holder's tokens.
    assert _refresh(sandbox, second["refresh_token"]).status_code == 400
    assert api_get(sandbox, "/businesses", token=second["access_token"]).status_code == 401


def test_refresh_tokens_die_after_31_days(sandbox):
    tokens = issue_tokens(sandbox)
    sandbox.clock.advance(31 * 86_400 + 1)
    assert _refresh(sandbox, tokens["refresh_token"]).json()["error"] == "invalid_grant"


def test_a_wrong_client_secret_is_invalid_client(sandbox):
    refused = post_token(sandbox, {"client_secret": "nope", "grant_type": "refresh_token", "refresh_token": "x"})
    assert (refused.status_code, refused.json()["error"]) == (401, "invalid_client")


def test_x_business_selects_the_business_and_defaults_to_the_lead_one(sandbox):
    token = issue_tokens(sandbox)["access_token"]
    lead, other = sandbox.businesses[0], sandbox.businesses[1]
    default = api_get(sandbox, "/financial_settings", token=token).json()
    chosen = api_get(sandbox, "/financial_settings", token=token, business=other.id).json()
    assert default["tax_number"] == lead.vat_number and chosen["tax_number"] == other.vat_number
    unknown = api_get(sandbox, "/financial_settings", token=token, business="0" * 32)
    assert unknown.status_code == 404
    assert unknown.json() == [{"$severity": "error", "$dataCode": "RecordNotFound", "$message": "Business not found",
                               "$source": "X-Business"}]


def test_lists_page_at_most_200_and_link_the_next_page(sandbox):
    token = issue_tokens(sandbox)["access_token"]
    business = sandbox.businesses[0].id
    refused = api_get(sandbox, "/ledger_entries", token=token, business=business, params={"items_per_page": "201"})
    assert refused.status_code == 422 and refused.json()[0]["$source"] == "items_per_page"
    first = api_get(sandbox, "/ledger_entries", token=token, business=business, params={"items_per_page": "200"}).json()
    assert len(first["$items"]) == 200 and first["$total"] > 400 and first["$page"] == 1 and first["$back"] is None
    assert first["$next"].startswith("/ledger_entries?") and "page=2" in first["$next"]
    default = api_get(sandbox, "/ledger_entries", token=token, business=business).json()
    assert default["$items_per_page"] == 20 and len(default["$items"]) == 20


def test_lists_show_only_base_attributes_unless_asked(sandbox):
    token = issue_tokens(sandbox)["access_token"]
    business = sandbox.businesses[0].id
    bare = api_get(sandbox, "/ledger_accounts", token=token, business=business).json()["$items"][0]
    assert set(bare) == {"id", "displayed_as", "$path"}
    some = api_get(sandbox, "/ledger_accounts", token=token, business=business,
                   params={"attributes": "nominal_code"}).json()["$items"][0]
    assert set(some) == {"id", "displayed_as", "$path", "nominal_code"}


def test_unknown_parameters_and_bad_dates_are_refused(sandbox):
    token = issue_tokens(sandbox)["access_token"]
    business = sandbox.businesses[0].id
    typo = api_get(sandbox, "/ledger_entries", token=token, business=business, params={"updated_since": "2026-01-01"})
    assert typo.status_code == 400 and typo.json()[0]["$source"] == "updated_since"
    bad = api_get(sandbox, "/ledger_entries", token=token, business=business,
                  params={"updated_or_created_since": "yesterday"})
    assert bad.status_code == 422 and bad.json()[0]["$dataCode"] == "RecordInvalid"


def test_amounts_are_json_numbers_with_two_decimals(sandbox):
    token = issue_tokens(sandbox)["access_token"]
    raw = api_get(sandbox, "/ledger_entries", token=token, business=sandbox.businesses[0].id,
                  params={"attributes": "all", "items_per_page": "1"}).content
    assert b'"debit": ' in raw and b'"debit": "' not in raw
    import json

    item = json.loads(raw, parse_float=Decimal)["$items"][0]
    assert isinstance(item["debit"], Decimal) and item["debit"].as_tuple().exponent == -2


def test_limits_answer_429_with_retry_after_per_business():
    clock = FakeClock(dt.datetime(2026, 1, 15, 2, 0, 30, tzinfo=dt.UTC))
    sandbox = SageSandbox(clock=clock, limits=LimitConfig(per_minute=3, per_day=5))
    token = issue_tokens(sandbox)["access_token"]
    one, two = sandbox.businesses[0].id, sandbox.businesses[1].id
    assert [api_get(sandbox, "/financial_settings", token=token, business=one).status_code for _ in range(3)] == [200] * 3
    spent = api_get(sandbox, "/financial_settings", token=token, business=one)
    assert spent.status_code == 429 and spent.headers["Retry-After"] == "30"
    assert spent.json()[0]["$dataCode"] == "TooManyRequests"
    assert api_get(sandbox, "/financial_settings", token=token, business=two).status_code == 200  # per business
    clock.advance(30)
    assert [api_get(sandbox, "/financial_settings", token=token, business=one).status_code for _ in range(3)] == [200, 200, 429]


def test_trial_balance_adds_up_and_balances(sandbox):
    token = issue_tokens(sandbox)["access_token"]
    business = sandbox.businesses[1]
    start, end = business.years[1]
    body = api_get(sandbox, "/trial_balance", token=token, business=business.id,
                   params={"from_date": start.isoformat(), "to_date": end.isoformat()}).json()
    total = Decimal(0)
    for row in body["ledger_accounts"]:
        opening = Decimal(row["opening_balance"]["debit"]) - Decimal(row["opening_balance"]["credit"])
        closing = Decimal(row["closing_balance"]["debit"]) - Decimal(row["closing_balance"]["credit"])
        assert opening + Decimal(row["debit"]) - Decimal(row["credit"]) == closing
        total += closing
    assert total == 0 and body["ledger_accounts"]
    missing = api_get(sandbox, "/trial_balance", token=token, business=business.id, params={"from_date": "2026-01-01"})
    assert missing.status_code == 422


def test_seeded_books_balance_and_have_history(sandbox):
    for business in sandbox.businesses:
        per_transaction: dict[str, Decimal] = {}
        for entry in business.entries.values():
            per_transaction[entry.transaction_id] = per_transaction.get(entry.transaction_id, Decimal(0)) + entry.debit - entry.credit
        assert set(per_transaction.values()) == {Decimal(0)}
        assert sum(a for _, a in business.opening) == 0
        assert any(e.deleted for e in business.entries.values())
        assert any(e.updated_at > e.created_at and not e.deleted for e in business.entries.values())
        assert len(business.years) == 3 and business.lockdown == business.years[0][1]
    assert {b.first_month for b in sandbox.businesses} == {1, 7, 4}
    again = SageSandbox(clock=FakeClock())
    assert [sorted(b.entries) for b in again.businesses] == [sorted(b.entries) for b in sandbox.businesses]


def test_businesses_come_all_at_once_with_base_attributes(sandbox):
    body = api_get(sandbox, "/businesses").json()
    assert body["$items_per_page"] == 2_147_483_647 and body["$next"] is None and body["$total"] == 3
    assert all(set(item) == {"id", "displayed_as", "$path"} for item in body["$items"])
    assert api_get(sandbox, "/businesses", params={"page": "2"}).status_code == 400
    full = api_get(sandbox, f"/businesses/{sandbox.businesses[2].id}").json()
    assert full["name"] == "Peeters Trading Ltd" and full["country"]["id"] == "IE"

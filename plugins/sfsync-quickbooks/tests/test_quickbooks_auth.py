"""Intuit's OAuth as the connector meets it: the discovery document, one company per login,
one-hour tokens, rotating refresh tokens with a rolling 100-day life and a hard maximum."""

from __future__ import annotations

import asyncio
import datetime as dt

import httpx
import pytest
from sfsync.clock import FakeClock
from sfsync.errors import NeedsReconsent, SfsyncError
from sfsync.testing.harness import ContractHarness
from sfsync_quickbooks.auth import (
    AUTHORIZE_URL,
    DISCOVERY_URL,
    REVOKE_URL,
    TOKEN_URL,
    quickbooks_auth_spec,
)
from sfsync_quickbooks.sandbox import CLIENT_ID, CLIENT_SECRET, QuickbooksSandbox

START = dt.datetime(2026, 3, 10, 2, 0, tzinfo=dt.UTC)


def _harness(tmp_path, **knobs) -> tuple[ContractHarness, QuickbooksSandbox]:
    sandbox = QuickbooksSandbox(**knobs)
    return ContractHarness.create("quickbooks", tmp_path, sandbox=sandbox), sandbox


def test_the_served_discovery_document_names_the_connector_s_endpoints():
    sandbox = QuickbooksSandbox()

    async def fetch() -> dict:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox.app)) as client:
            return (await client.get(DISCOVERY_URL)).json()

    document = asyncio.run(fetch())
    spec = quickbooks_auth_spec()
    assert document["authorization_endpoint"] == spec.authorize_url == AUTHORIZE_URL
    assert document["token_endpoint"] == spec.token_url == TOKEN_URL
    assert document["revocation_endpoint"] == REVOKE_URL
    assert "com.intuit.quickbooks.accounting" in document["scopes_supported"]


def test_a_served_sandbox_s_discovery_document_points_at_itself():
    document = QuickbooksSandbox(public_base="http://127.0.0.1:9999").discovery_document("http://127.0.0.1:9999")
    assert document["token_endpoint"] == "http://127.0.0.1:9999/oauth2/v1/tokens/bearer"
    assert document["authorization_endpoint"] == "http://127.0.0.1:9999/connect/oauth2"


def test_each_dossier_s_login_sees_only_the_company_it_picked(tmp_path):
    harness, sandbox = _harness(tmp_path, time_scale=20)
    try:
        first, second = sandbox.all_company_refs()[:2]
        dossier_a = harness.new_dossier(company_ref=first)
        sandbox.pick_company(second)
        dossier_b = harness.new_dossier(company_ref=second)
        for dossier in (dossier_a, dossier_b):
            assert harness.sync(dossier).status in ("ok", "warning")
        connection_b = harness.app.store.get_link(dossier_b.id).connection_id
        companies = harness.run(harness.app.list_companies(harness.admin, connection_b))
        assert [c.ref for c in companies] == [second]
        assert companies[0].name == "Van Dijk Import"
        # Every call went to the realm its token is bound to: none was refused for another company.
        assert not [p for p, s, _ in sandbox.served if s == 403] if sandbox.keep_bodies else True
    finally:
        harness.close()


def test_a_login_refuses_to_serve_another_company(tmp_path):
    harness, sandbox = _harness(tmp_path, time_scale=20)
    try:
        second = sandbox.all_company_refs()[1]
        with pytest.raises(SfsyncError):
            harness.new_dossier(company_ref=second)  # logged in to the first company
    finally:
        harness.close()


def test_an_expired_access_token_is_refreshed_and_the_rotated_refresh_token_kept(tmp_path):
    harness, sandbox = _harness(tmp_path, time_scale=20)
    try:
        dossier = harness.new_dossier()
        assert harness.sync(dossier).status in ("ok", "warning")
        connection_id = harness.app.store.get_link(dossier.id).connection_id

        def refresh_token() -> str:
            opened = harness.app.box.open(harness.app.store.get_connection(connection_id).sealed)
            return str(opened["tokens"]["refresh_token"])

        before = refresh_token()
        sandbox.expire_tokens()
        assert harness.sync(dossier).status in ("ok", "warning")
        assert sandbox.oauth.token_requests >= 2  # the login's code, then the refresh
        after = refresh_token()
        assert after != before, "Intuit rotates the refresh token: the new one must be saved"
        opened = harness.app.box.open(harness.app.store.get_connection(connection_id).sealed)
        extra = opened["tokens"]["extra"]
        assert dt.datetime.fromisoformat(extra["refresh_expires_at"]) > harness.clock.now() + dt.timedelta(days=99)
        assert dt.datetime.fromisoformat(extra["refresh_hard_expires_at"]) > harness.clock.now() + dt.timedelta(days=4 * 365)
    finally:
        harness.close()


@pytest.mark.parametrize(("days", "status"), [(99, "ok"), (101, "failed")])
def test_a_refresh_token_lives_100_days_unused(tmp_path, days, status):
    clock = FakeClock(START)
    harness, _ = _harness(tmp_path, clock=clock)
    try:
        dossier = harness.new_dossier()
        assert harness.sync(dossier).status in ("ok", "warning")
        clock.advance(days * 86_400)
        run = harness.sync(dossier)
        assert (run.status in ("ok", "warning")) if status == "ok" else run.status == "failed", run.error
        if status == "failed":
            assert "log in to QuickBooks again" in (run.error or "")
            record = harness.app.store.get_connection(harness.app.store.get_link(dossier.id).connection_id)
            assert record.status == "needs_reconsent"
    finally:
        harness.close()


def test_the_hard_maximum_ends_a_login_that_was_refreshed_all_along():
    clock = FakeClock(START)
    sandbox = QuickbooksSandbox(clock=clock)
    body = sandbox.issue_token(sandbox.companies[0].realm)

    async def refresh(token: str) -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox.app)) as client:
            return await client.post(TOKEN_URL, data={"grant_type": "refresh_token", "refresh_token": token},
                                     auth=(CLIENT_ID, CLIENT_SECRET))

    for _ in range(19):  # every 95 days for five years: the rolling 100 days never run out
        clock.advance(95 * 86_400)
        answer = asyncio.run(refresh(str(body["refresh_token"])))
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert int(body["x_refresh_token_expires_in"]) <= 100 * 86_400
    clock.advance(95 * 86_400)
    refused = asyncio.run(refresh(str(body["refresh_token"])))
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"
    error = quickbooks_auth_spec().classify_token_error(refused)
    assert isinstance(error, NeedsReconsent) and "five-year maximum" in str(error)


def test_a_revoked_login_asks_for_a_new_one_and_names_no_secret(tmp_path):
    harness, sandbox = _harness(tmp_path, time_scale=20)
    try:
        dossier = harness.new_dossier()
        assert harness.sync(dossier).status in ("ok", "warning")
        sandbox.revoke()
        sandbox.expire_tokens()
        run = harness.sync(dossier)
        assert run.status == "failed"
        assert "QuickBooks" in (run.error or "") and "log in" in (run.error or "")
        assert "qbo-sandbox-secret" not in (run.error or "")
    finally:
        harness.close()


def test_the_login_s_realm_id_is_kept_from_the_callback(tmp_path):
    """The core keeps what OAuth2Spec.callback_params names (here realmId) in the connection."""
    harness, sandbox = _harness(tmp_path, time_scale=20)
    try:
        realm = sandbox.all_company_refs()[2]
        sandbox.pick_company(realm)
        dossier = harness.app.create_dossier(harness.admin, "realm")
        connection = harness.connect(dossier=dossier)
        state = harness.app.box.open(harness.app.store.get_connection(connection.id).sealed)["state"]
        assert state["callback"] == {"realmId": realm} and state["realm"] == realm
        assert quickbooks_auth_spec().callback_params == ("realmId",)
    finally:
        harness.close()

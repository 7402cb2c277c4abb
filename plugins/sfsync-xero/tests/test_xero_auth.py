"""Xero's OAuth2 against the sandbox: PKCE, scopes, 30-minute tokens, rotation with grace,
dead grants and removed connections."""

from __future__ import annotations

import asyncio
import datetime as dt

import httpx
import pytest
from sfsync.clock import FakeClock
from sfsync.errors import AuthError, NeedsReconsent
from sfsync_xero.auth import RETIRED_SCOPES, xero_auth_spec
from sfsync_xero.connector import xero, xerotb
from sfsync_xero.sandbox import CLIENT_ID, CLIENT_SECRET, PKCE_CLIENT_ID, XeroSandbox
from sfsync_xero.sandbox.harness import connect, login

START = dt.datetime(2026, 1, 15, 2, 0, tzinfo=dt.UTC)


def _sandbox() -> tuple[XeroSandbox, FakeClock]:
    clock = FakeClock(START)
    return XeroSandbox(clock=clock), clock


async def _token_call(sandbox: XeroSandbox, data: dict[str, str]) -> httpx.Response:
    spec = xero.sfsync_auth()
    request = spec.token_request(data, client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox.app)) as client:
        return await client.send(request)


def test_scopes_are_the_granular_ones_of_march_2026():
    assert set(xero.sfsync_auth().scopes) == {"offline_access", "accounting.settings.read", "accounting.journals.read",
                                              "accounting.reports.trialbalance.read"}
    assert set(xerotb.sfsync_auth().scopes) == {
        "offline_access", "accounting.settings.read", "accounting.reports.trialbalance.read"}
    for plugin in (xero, xerotb):
        spec = plugin.sfsync_auth()
        assert not RETIRED_SCOPES & set(spec.scopes)
        assert spec.level.value == "dossier" and spec.pkce and spec.rotates_refresh_token
        url = spec.start(client_id=CLIENT_ID, redirect_uri="http://localhost/cb").authorize_url
        assert url.startswith("https://login.xero.com/identity/connect/authorize?")
        assert "code_challenge_method=S256" in url


def test_retired_broad_scope_is_refused_for_a_new_app():
    sandbox, clock = _sandbox()
    spec = xero_auth_spec(("offline_access", "accounting.reports.read"))
    with pytest.raises(PermissionError, match="invalid_scope"):
        asyncio.run(login(sandbox, spec, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, clock=clock))


def test_pkce_verifier_is_checked_by_the_sandbox():
    sandbox, clock = _sandbox()
    spec = xero.sfsync_auth()
    tokens = asyncio.run(login(sandbox, spec, client_id=PKCE_CLIENT_ID, client_secret=None, clock=clock))
    assert tokens.refresh_token is not None
    with pytest.raises(NeedsReconsent):
        asyncio.run(login(sandbox, spec, client_id=PKCE_CLIENT_ID, client_secret=None, clock=clock,
                          verifier_override="a-verifier-that-does-not-match-the-challenge-at-all"))


def test_public_app_without_pkce_is_refused():
    sandbox, clock = _sandbox()
    spec = xero_auth_spec(xero.sfsync_auth().scopes)
    no_pkce = type(spec)(**{**spec.__dict__, "pkce": False})
    with pytest.raises(AuthError):
        asyncio.run(login(sandbox, no_pkce, client_id=PKCE_CLIENT_ID, client_secret=None, clock=clock))


def test_access_token_lasts_30_minutes_and_refresh_rotates():
    sandbox, clock = _sandbox()

    async def scenario() -> None:
        ctx = await connect(sandbox, "xero", clock=clock)
        first = await ctx.vault.load()
        assert first.expires_at == START + dt.timedelta(seconds=1800)
        company = (await xero.sfsync_list_companies(ctx=ctx))[0]
        clock.advance(1800 - 30)  # within the 60 s refresh margin
        await xero.sfsync_fetch_accounts(ctx=ctx, company=company)
        second = await ctx.vault.load()
        assert second.refresh_token.get_secret_value() != first.refresh_token.get_secret_value()
        assert ctx.vault.saved[-1] is second
        # The old refresh token still works within Xero's 30-minute grace, giving the same successor.
        again = await _token_call(sandbox, {"grant_type": "refresh_token",
                                            "refresh_token": first.refresh_token.get_secret_value()})
        assert again.status_code == 200
        assert again.json()["refresh_token"] == second.refresh_token.get_secret_value()
        clock.advance(31 * 60)
        late = await _token_call(sandbox, {"grant_type": "refresh_token",
                                           "refresh_token": first.refresh_token.get_secret_value()})
        assert late.status_code == 400 and late.json()["error"] == "invalid_grant"
        await ctx.aclose()

    asyncio.run(scenario())


def test_expired_access_token_is_refreshed_on_401():
    sandbox, clock = _sandbox()

    async def scenario() -> None:
        ctx = await connect(sandbox, "xerotb", clock=clock)
        company = (await xerotb.sfsync_list_companies(ctx=ctx))[0]
        before = len(ctx.vault.saved)
        sandbox.expire_tokens()
        assert await xerotb.sfsync_fetch_accounts(ctx=ctx, company=company)
        assert len(ctx.vault.saved) == before + 1
        await ctx.aclose()

    asyncio.run(scenario())


@pytest.mark.parametrize("how", ["revoke", "revocation-endpoint", "idle", "disconnect"])
def test_dead_grant_or_removed_connection_needs_reconsent(how: str):
    sandbox, clock = _sandbox()

    async def scenario() -> NeedsReconsent:
        ctx = await connect(sandbox, "xero", clock=clock)
        company = (await xero.sfsync_list_companies(ctx=ctx))[0]
        if how == "revoke":
            sandbox.revoke()
        elif how == "revocation-endpoint":
            refresh = (await ctx.vault.load()).refresh_token.get_secret_value()
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox.app)) as client:
                # Xero's revocation endpoint wants the app's credentials (HTTP Basic), as the token endpoint.
                answer = await client.post("https://identity.xero.com/connect/revocation", data={"token": refresh},
                                           auth=(sandbox.connection_config()["client_id"],
                                                 sandbox.connection_secrets()["client_secret"]))
            assert answer.status_code == 200
        elif how == "idle":
            clock.advance(61 * 86400)  # refresh tokens die after 60 days unused
        else:
            sandbox.disconnect(company.ref)
        try:
            with pytest.raises(NeedsReconsent) as caught:
                await xero.sfsync_fetch_accounts(ctx=ctx, company=company)
            return caught.value
        finally:
            await ctx.aclose()

    error = asyncio.run(scenario())
    assert "log in to Xero again" in str(error)
    for token in [*sandbox.identity.refresh_tokens, *sandbox.identity.access_tokens]:
        assert token not in str(error)


def test_connections_filter_by_auth_event_and_disconnect():
    sandbox, clock = _sandbox()

    async def scenario():
        ctx = await connect(sandbox, "xero", clock=clock, tenants=[sandbox.orgs[0].id, sandbox.orgs[2].id])
        token = (await ctx.vault.load()).access_token.get_secret_value()
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox.app), base_url="https://api.xero.com") as client:
            listed = (await client.get("/connections", headers=headers)).json()
            event = listed[0]["authEventId"]
            same = (await client.get("/connections", params={"authEventId": event}, headers=headers)).json()
            other = (await client.get("/connections", params={"authEventId": "00000000-0000-0000-0000-000000000000"}, headers=headers)).json()
            removed = await client.delete(f"/connections/{listed[0]['id']}", headers=headers)
        companies = await xero.sfsync_list_companies(ctx=ctx)
        with pytest.raises(NeedsReconsent):
            await xero.sfsync_fetch_accounts(ctx=ctx, company=type(companies[0])(ref=listed[0]["tenantId"]))
        await ctx.aclose()
        return listed, same, other, removed, companies

    listed, same, other, removed, companies = asyncio.run(scenario())
    assert {c["tenantId"] for c in listed} == {sandbox.orgs[0].id, sandbox.orgs[2].id}
    assert all(c["tenantType"] == "ORGANISATION" and "T" in c["createdDateUtc"] and "+" not in c["createdDateUtc"] for c in listed)
    assert same == listed and other == []
    assert removed.status_code == 204
    assert [c.ref for c in companies] == [listed[1]["tenantId"]]

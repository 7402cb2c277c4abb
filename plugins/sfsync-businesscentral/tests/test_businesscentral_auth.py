"""Entra ID as the connector meets it: the tenant from the id_token, tokens kept per tenant,
refusals sorted for the runner, and client credentials for a service-to-service app."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sfsync.clock import FakeClock
from sfsync.errors import AuthError, NeedsReconsent
from sfsync.sandbox.jwt import signing_key
from sfsync_businesscentral.auth import ClientCredentialsAuth, entra_oauth_spec, id_token_claims
from sfsync_businesscentral.facts import LOGIN_HOST, api_base
from sfsync_businesscentral.sandbox import BusinessCentralSandbox
from sfsync_businesscentral.sandbox.harness import issue_tokens, send


def test_the_connection_keeps_the_tenant_of_the_id_token(bc):
    sandbox, harness = bc
    record = harness.app.store.get_connection(harness.connection.id)
    assert "tenant" not in record.config
    opened = harness.app.box.open(record.sealed)
    assert opened["tokens"]["extra"]["tenant"] == sandbox.tenant.id
    assert opened["state"]["tenant"] == sandbox.tenant.id
    companies = harness.run(harness.app.list_companies(harness.admin, harness.connection.id))
    assert len(companies) == 3


def test_the_id_token_is_entra_s_and_verifies_with_the_published_keys():
    sandbox = BusinessCentralSandbox(clock=FakeClock())
    tokens = issue_tokens(sandbox)
    claims = id_token_claims(tokens["id_token"])
    assert claims["tid"] == sandbox.tenant.id and claims["preferred_username"] == sandbox.username
    assert claims["iss"] == f"{LOGIN_HOST}/{sandbox.tenant.id}/v2.0"
    discovery = send(sandbox, "GET", f"{LOGIN_HOST}/{sandbox.tenant.id}/v2.0/.well-known/openid-configuration").json()
    keys = send(sandbox, "GET", discovery["jwks_uri"]).json()
    assert keys == signing_key().jwks()
    assert signing_key().verify(tokens["id_token"])["tid"] == sandbox.tenant.id


def test_refusals_are_sorted_for_the_runner():
    spec = entra_oauth_spec()
    request = httpx.Request("POST", spec.token_url)
    expired = httpx.Response(400, json={"error": "invalid_grant", "error_description": "AADSTS70008: expired"},
                             request=request)
    assert isinstance(spec.classify_token_error(expired), NeedsReconsent)
    client = httpx.Response(401, json={"error": "invalid_client"}, request=request)
    error = spec.classify_token_error(client)
    assert isinstance(error, AuthError) and not isinstance(error, NeedsReconsent)


def _client_credentials(sandbox: BusinessCentralSandbox, secret: str) -> tuple[int, ClientCredentialsAuth]:
    auth = ClientCredentialsAuth(sandbox.tenant.id, sandbox.client_id, secret, clock=sandbox.clock)

    async def call() -> int:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox.app), auth=auth) as client:
            url = f"{api_base(sandbox.tenant.id, 'Production')}/companies"
            statuses = [(await client.get(url)).status_code for _ in range(3)]
            assert len(set(statuses)) == 1
            return statuses[0]

    return asyncio.run(call()), auth


def test_client_credentials_get_one_token_for_the_tenant_and_reuse_it():
    sandbox = BusinessCentralSandbox(clock=FakeClock())
    status, auth = _client_credentials(sandbox, sandbox.client_secret)
    assert status == 200 and auth.fetched == 1 and sandbox.oauth_server.app_tokens == 1
    assert sandbox.client_secret not in repr(auth)
    sandbox.clock.advance(3600)
    assert _client_credentials(sandbox, sandbox.client_secret)[0] == 200


def test_client_credentials_with_a_wrong_secret_are_an_auth_error():
    sandbox = BusinessCentralSandbox(clock=FakeClock())
    with pytest.raises(AuthError, match="client credentials"):
        _client_credentials(sandbox, "wrong")


def test_client_credentials_need_the_default_scope():
    sandbox = BusinessCentralSandbox(clock=FakeClock())
    answer = send(sandbox, "POST", f"{LOGIN_HOST}/{sandbox.tenant.id}/oauth2/v2.0/token", data={
        "grant_type": "client_credentials", "client_id": sandbox.client_id, "client_secret": sandbox.client_secret,
        "scope": "Financials.ReadWrite.All"})
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_scope"

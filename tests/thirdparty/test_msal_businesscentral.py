"""Business Central's Entra sandbox, served over HTTPS, driven by MSAL for Python (Microsoft's own
Entra ID library): it finds the tenant's endpoints in the discovery document, gets an app token by
client credentials and a user's tokens by authorization code with PKCE (checking the id_token's
nonce, audience and issuer), refreshes them, and the tokens open the tenant's API v2.0."""

from __future__ import annotations

import asyncio
import ssl
from urllib.parse import parse_qs, urlsplit

import httpx
import msal
import pytest
import requests
import trustme
from sfsync.clock import FakeClock
from sfsync_businesscentral.sandbox import BusinessCentralSandbox

SCOPE = "https://api.businesscentral.dynamics.com/.default"
REDIRECT = "http://localhost:8765/callback"


@pytest.fixture
def tls(tmp_path, monkeypatch) -> dict[str, str]:  # type: ignore[no-untyped-def]
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    certfile, keyfile, cafile = tmp_path / "cert.pem", tmp_path / "key.pem", tmp_path / "ca.pem"
    cert.private_key_and_cert_chain_pem.write_to_path(str(certfile))
    cert.private_key_pem.write_to_path(str(keyfile))
    ca.cert_pem.write_to_path(str(cafile))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cafile))  # what MSAL's requests session trusts
    return {"certfile": str(certfile), "keyfile": str(keyfile), "cafile": str(cafile)}


def _companies(url: str, sandbox: BusinessCentralSandbox, token: str) -> list[str]:
    response = requests.get(f"{url}/v2.0/{sandbox.tenant.id}/Production/api/v2.0/companies",
                            headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert response.status_code == 200, response.text
    return sorted(c["name"] for c in response.json()["value"])


def _app(url: str, sandbox: BusinessCentralSandbox) -> msal.ConfidentialClientApplication:
    return msal.ConfidentialClientApplication(sandbox.client_id, client_credential=sandbox.client_secret,
                                              authority=f"{url}/{sandbox.tenant.id}", instance_discovery=False)


def test_msal_gets_an_app_token_by_client_credentials(serve, tls):
    sandbox = BusinessCentralSandbox(clock=FakeClock())
    url = serve(sandbox.app, certfile=tls["certfile"], keyfile=tls["keyfile"])
    sandbox.oauth_server.rebase(url)
    result = _app(url, sandbox).acquire_token_for_client(scopes=[SCOPE])
    assert "access_token" in result, result.get("error_description")
    assert sandbox.oauth_server.app_tokens == 1
    assert _companies(url, sandbox, result["access_token"]) == ["Bakkerij Peeters NV", "Van Dijk Installatietechniek B"]
    wrong = msal.ConfidentialClientApplication(sandbox.client_id, client_credential="wrong",
                                               authority=f"{url}/{sandbox.tenant.id}", instance_discovery=False)
    assert wrong.acquire_token_for_client(scopes=[SCOPE])["error"] == "invalid_client"


@pytest.mark.filterwarnings("ignore:response_mode='form_post' is recommended:UserWarning")
def test_msal_signs_a_user_in_with_pkce_and_refreshes(serve, tls):
    sandbox = BusinessCentralSandbox(clock=FakeClock())
    url = serve(sandbox.app, certfile=tls["certfile"], keyfile=tls["keyfile"])
    sandbox.oauth_server.rebase(url)
    app = _app(url, sandbox)
    flow = app.initiate_auth_code_flow([SCOPE], redirect_uri=REDIRECT)
    assert "code_challenge=" in flow["auth_uri"]

    async def sign_in() -> str:
        async with httpx.AsyncClient(verify=ssl.create_default_context(cafile=tls["cafile"])) as client:
            return await sandbox.authorize(client, flow["auth_uri"])

    callback = {k: v[0] for k, v in parse_qs(urlsplit(asyncio.run(sign_in())).query).items()}
    result = app.acquire_token_by_auth_code_flow(flow, callback)
    assert "access_token" in result, result.get("error_description")
    claims = result["id_token_claims"]
    assert claims["tid"] == sandbox.tenant.id and claims["preferred_username"] == sandbox.username
    assert claims["aud"] == sandbox.client_id and claims["iss"] == f"{url}/{sandbox.tenant.id}/v2.0"
    assert _companies(url, sandbox, result["access_token"]) == ["Bakkerij Peeters NV", "Van Dijk Installatietechniek B"]
    refreshed = app.acquire_token_by_refresh_token(result["refresh_token"], scopes=[SCOPE])
    assert "access_token" in refreshed and refreshed["refresh_token"] != result["refresh_token"]
    assert _companies(url, sandbox, refreshed["access_token"]) == _companies(url, sandbox, result["access_token"])

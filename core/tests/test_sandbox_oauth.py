"""The toolkit's OAuth2/OpenID server, driven over HTTP as a client of the real package would."""

from __future__ import annotations

import asyncio
import base64
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from sfsync.clock import FakeClock
from sfsync.context import RoutingTransport
from sfsync.sandbox import Sandbox
from sfsync.sandbox.jwt import signing_key
from sfsync.sandbox.oauth import OAuthClient, OAuthServer, OAuthSettings, OAuthUser, TokenError, login_at, s256
from sfsync.sandbox.responses import json_response
from sfsync.sandbox.routing import BaseRoute, Request, Response, Route

BASE = "https://api.demo.example"
LOGIN = "https://login.demo.example"
REDIRECT = "http://127.0.0.1:8765/callback"


class DemoSandbox(Sandbox):
    connector = "demo"
    base_urls = (BASE, LOGIN)

    def __init__(self, **settings: Any) -> None:
        self.clock = FakeClock()
        self.oauth_server = OAuthServer(
            OAuthSettings(
                issuer=LOGIN, authorize_url=f"{LOGIN}/authorize", token_url=f"{LOGIN}/token",
                revoke_url=f"{LOGIN}/revoke", jwks_url=f"{LOGIN}/jwks", userinfo_url=f"{LOGIN}/userinfo",
                openid=True, scopes=frozenset({"openid", "email", "offline_access", "ledger.read"}),
                access_lifetime=1800, code_lifetime=300, **settings,
            ),
            clients=[OAuthClient("app-1", "s3cret", (REDIRECT,)), OAuthClient("public-app", None)],
            users=[OAuthUser("anne@firm.example", "correct horse", subject="u-1", email="anne@firm.example")],
            clock=self.clock,
        )
        super().__init__()

    def routes(self) -> list[BaseRoute]:
        return [Route("/ledger", self.ledger)]

    async def ledger(self, request: Request) -> Response:
        if self.oauth_server is None or self.oauth_server.access(request) is None:
            return json_response({"error": "invalid_token"}, 401)
        return json_response({"lines": []})

    def connection_config(self) -> dict[str, Any]:
        return {"client_id": "app-1"}

    def connection_secrets(self) -> dict[str, str]:
        return {"client_secret": "s3cret"}

    def bad_connection_secrets(self) -> dict[str, str]:
        return {"client_secret": "nope"}


def _run(sandbox: DemoSandbox, steps: Any) -> Any:
    async def go() -> Any:
        async with httpx.AsyncClient(transport=RoutingTransport(sandbox.transports())) as client:
            return await steps(client)

    return asyncio.run(go())


def _authorize_url(**extra: str) -> str:
    params = {"client_id": "app-1", "redirect_uri": REDIRECT, "response_type": "code", "state": "st-1",
              "scope": "openid email offline_access ledger.read", **extra}
    return f"{LOGIN}/authorize?{urlencode(params)}"


def _code(sandbox: DemoSandbox, **extra: str) -> str:
    async def steps(client: httpx.AsyncClient) -> str:
        return await sandbox.authorize(client, _authorize_url(**extra))

    location = _run(sandbox, steps)
    query = parse_qs(urlsplit(location).query)
    assert query["state"] == ["st-1"]
    return query["code"][0]


def _token(sandbox: DemoSandbox, form: dict[str, str], *, basic: bool = False) -> httpx.Response:
    async def steps(client: httpx.AsyncClient) -> httpx.Response:
        headers = {}
        if basic:
            pair = base64.b64encode(f"{form.pop('client_id')}:{form.pop('client_secret')}".encode()).decode()
            headers["Authorization"] = f"Basic {pair}"
        return await client.post(f"{LOGIN}/token", data=form, headers=headers)

    return _run(sandbox, steps)


def _exchange(sandbox: DemoSandbox, code: str, **extra: str) -> httpx.Response:
    return _token(sandbox, {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
                            "client_id": "app-1", "client_secret": "s3cret", **extra})


def _refresh(sandbox: DemoSandbox, token: str) -> httpx.Response:
    return _token(sandbox, {"grant_type": "refresh_token", "refresh_token": token, "client_id": "app-1",
                            "client_secret": "s3cret"})


def _ledger(sandbox: DemoSandbox, access: str) -> int:
    async def steps(client: httpx.AsyncClient) -> int:
        return (await client.get(f"{BASE}/ledger", headers={"Authorization": f"Bearer {access}"})).status_code

    return int(_run(sandbox, steps))


def test_login_code_exchange_and_a_real_id_token() -> None:
    sandbox = DemoSandbox()
    answer = _exchange(sandbox, _code(sandbox, nonce="n-42"))
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
    tokens = answer.json()
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 1800 and tokens["refresh_token"]
    assert _ledger(sandbox, tokens["access_token"]) == 200
    claims = signing_key().verify(tokens["id_token"])
    assert claims["iss"] == LOGIN and claims["aud"] == "app-1" and claims["sub"] == "u-1"
    assert claims["nonce"] == "n-42" and claims["email"] == "anne@firm.example"
    assert claims["exp"] - claims["iat"] == 1800


def test_discovery_and_jwks_describe_the_server() -> None:
    sandbox = DemoSandbox()

    async def steps(client: httpx.AsyncClient) -> tuple[Any, Any]:
        found = (await client.get(f"{LOGIN}/.well-known/openid-configuration")).json()
        keys = (await client.get(found["jwks_uri"])).json()
        return found, keys

    found, keys = _run(sandbox, steps)
    assert found["issuer"] == LOGIN and found["token_endpoint"] == f"{LOGIN}/token"
    assert found["code_challenge_methods_supported"] == ["S256"]
    assert keys["keys"][0]["kid"] == signing_key().kid and keys["keys"][0]["alg"] == "RS256"


def test_a_wrong_password_shows_the_page_again_and_issues_nothing() -> None:
    sandbox = DemoSandbox()
    assert sandbox.oauth_server is not None

    async def steps(client: httpx.AsyncClient) -> str:
        return await login_at(client, _authorize_url(), "anne@firm.example", "wrong")

    with pytest.raises(RuntimeError, match="answered 200, not a redirect"):
        _run(sandbox, steps)
    assert sandbox.oauth_server.codes == {}


@pytest.mark.parametrize(
    ("extra", "error"),
    [
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"scope": "openid admin"}, "invalid_scope"),
        ({"code_challenge": "abc", "code_challenge_method": "plain"}, "invalid_request"),
    ],
)
def test_authorize_refusals_go_back_to_the_client_with_the_state(extra: dict[str, str], error: str) -> None:
    sandbox = DemoSandbox()

    async def steps(client: httpx.AsyncClient) -> httpx.Response:
        return await client.get(_authorize_url(**extra))

    answer = _run(sandbox, steps)
    assert answer.status_code == 302
    query = parse_qs(urlsplit(answer.headers["location"]).query)
    assert query["error"] == [error] and query["state"] == ["st-1"]


def test_an_unregistered_redirect_uri_is_never_redirected_to() -> None:
    sandbox = DemoSandbox()

    async def steps(client: httpx.AsyncClient) -> httpx.Response:
        return await client.get(_authorize_url(redirect_uri="https://evil.example/cb"))

    answer = _run(sandbox, steps)
    assert answer.status_code == 400 and "location" not in answer.headers


def test_pkce_s256_is_checked() -> None:
    sandbox = DemoSandbox()
    verifier = "v" * 50
    code = _code(sandbox, code_challenge=s256(verifier), code_challenge_method="S256")
    wrong = _exchange(sandbox, code, code_verifier="w" * 50)
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    code = _code(sandbox, code_challenge=s256(verifier), code_challenge_method="S256")
    assert _exchange(sandbox, code, code_verifier=verifier).status_code == 200


def test_pkce_required_refuses_a_request_without_challenge() -> None:
    sandbox = DemoSandbox(pkce="required")

    async def steps(client: httpx.AsyncClient) -> httpx.Response:
        return await client.get(_authorize_url())

    answer = _run(sandbox, steps)
    assert parse_qs(urlsplit(answer.headers["location"]).query)["error"] == ["invalid_request"]


def test_a_code_is_single_use_short_lived_and_its_reuse_revokes_what_it_gave() -> None:
    sandbox = DemoSandbox()
    code = _code(sandbox)
    tokens = _exchange(sandbox, code).json()
    again = _exchange(sandbox, code)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    assert _ledger(sandbox, tokens["access_token"]) == 401, "a replayed code revokes the tokens it gave"
    late = _code(sandbox)
    sandbox.clock.advance(301)
    assert _exchange(sandbox, late).json()["error_description"] == "The authorization code expired."


def test_redirect_uri_must_match_and_client_must_authenticate() -> None:
    sandbox = DemoSandbox()
    mismatch = _exchange(sandbox, _code(sandbox), redirect_uri="http://127.0.0.1:1/other")
    assert mismatch.status_code == 400
    bad = _exchange(sandbox, _code(sandbox), client_secret="nope")
    assert bad.status_code == 401 and bad.json()["error"] == "invalid_client"
    basic = _token(sandbox, {"grant_type": "authorization_code", "code": _code(sandbox), "redirect_uri": REDIRECT,
                             "client_id": "app-1", "client_secret": "s3cret"}, basic=True)
    assert basic.status_code == 200


def test_refresh_rotates_and_reuse_revokes_the_whole_family() -> None:
    sandbox = DemoSandbox()
    first = _exchange(sandbox, _code(sandbox)).json()
    second = _refresh(sandbox, first["refresh_token"]).json()
    assert second["refresh_token"] != first["refresh_token"]
    third = _refresh(sandbox, second["refresh_token"]).json()
    assert _ledger(sandbox, third["access_token"]) == 200
    reused = _refresh(sandbox, first["refresh_token"])
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"
    assert _ledger(sandbox, third["access_token"]) == 401, "reuse kills the newest access token too"
    assert _refresh(sandbox, third["refresh_token"]).status_code == 400, "and the newest refresh token"
    other = _exchange(sandbox, _code(sandbox)).json()
    assert _ledger(sandbox, other["access_token"]) == 200, "another consent is another family"


def test_a_grace_window_hands_back_the_successor() -> None:
    sandbox = DemoSandbox(refresh_grace=1800)
    first = _exchange(sandbox, _code(sandbox)).json()
    second = _refresh(sandbox, first["refresh_token"]).json()
    sandbox.clock.advance(60)
    lost = _refresh(sandbox, first["refresh_token"]).json()
    assert lost["refresh_token"] == second["refresh_token"]
    sandbox.clock.advance(1800)
    assert _refresh(sandbox, first["refresh_token"]).status_code == 400


def test_lifetimes_pass_on_the_sandbox_clock() -> None:
    sandbox = DemoSandbox(refresh_idle=3600, refresh_lifetime=86400)
    tokens = _exchange(sandbox, _code(sandbox)).json()
    sandbox.clock.advance(1799)
    assert _ledger(sandbox, tokens["access_token"]) == 200
    sandbox.clock.advance(1)
    assert _ledger(sandbox, tokens["access_token"]) == 401
    sandbox.clock.advance(3600)
    expired = _refresh(sandbox, tokens["refresh_token"])
    assert expired.json()["error_description"] == "The refresh token expired."


def test_expire_tokens_and_revoke_are_the_contract_suites_knobs() -> None:
    sandbox = DemoSandbox()
    tokens = _exchange(sandbox, _code(sandbox)).json()
    sandbox.expire_tokens()
    assert _ledger(sandbox, tokens["access_token"]) == 401
    renewed = _refresh(sandbox, tokens["refresh_token"]).json()
    assert _ledger(sandbox, renewed["access_token"]) == 200
    sandbox.revoke()
    assert _refresh(sandbox, renewed["refresh_token"]).status_code == 400


def test_revocation_endpoint_kills_the_family_of_a_refresh_token() -> None:
    sandbox = DemoSandbox()
    tokens = _exchange(sandbox, _code(sandbox)).json()

    async def steps(client: httpx.AsyncClient) -> httpx.Response:
        return await client.post(f"{LOGIN}/revoke", data={"token": tokens["refresh_token"], "client_id": "app-1",
                                                           "client_secret": "s3cret"})

    assert _run(sandbox, steps).status_code == 200
    assert _ledger(sandbox, tokens["access_token"]) == 401


def test_package_refusals_and_token_fields_are_data() -> None:
    class Picky(OAuthServer):
        def check_refresh(self, grant: Any) -> None:
            raise TokenError(400, "access_denied", "Rate limit exceeded: access_token not expired",
                             {"Reason": "TooEarlyToRefreshTokens"})

    sandbox = DemoSandbox(expires_in_as_string=True, refusals={"code_reused": (401, "unauthorized_client", "Old code.")})
    assert sandbox.oauth_server is not None
    sandbox.oauth_server.__class__ = Picky
    code = _code(sandbox)
    tokens = _exchange(sandbox, code).json()
    assert tokens["expires_in"] == "1800"
    reused = _exchange(sandbox, code)
    assert reused.status_code == 401 and reused.json() == {"error": "unauthorized_client", "error_description": "Old code."}
    early = _refresh(sandbox, _exchange(sandbox, _code(sandbox)).json()["refresh_token"])
    assert early.status_code == 400 and early.headers["reason"] == "TooEarlyToRefreshTokens"


def test_a_public_client_must_use_pkce() -> None:
    sandbox = DemoSandbox()
    code = _code(sandbox, client_id="public-app")
    answer = _token(sandbox, {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
                              "client_id": "public-app"})
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_request"


def test_credentials_list_what_a_client_needs() -> None:
    found = DemoSandbox().credentials()
    assert found["client_id"] == "app-1" and found["client_secret"] == "s3cret"
    assert found["client_id (Sandbox app)"] == "public-app"
    assert found["login"] == "anne@firm.example / correct horse"
    assert found["token URL"] == f"{LOGIN}/token" and BASE in found["base URL"]


def test_a_refresh_while_the_access_token_is_young_is_refused_with_the_packages_headers() -> None:
    sandbox = DemoSandbox(refresh_too_early=30, refusal_headers={"refresh_too_early": {"Reason": "TooEarly"}})
    tokens = _exchange(sandbox, _code(sandbox)).json()
    early = _refresh(sandbox, tokens["refresh_token"])
    assert early.status_code == 400 and early.headers["reason"] == "TooEarly"
    assert early.json()["error"] == "invalid_grant"
    sandbox.clock.advance(1800 - 29)  # 29 s left: now it may refresh
    assert _refresh(sandbox, tokens["refresh_token"]).status_code == 200


def test_a_refresh_token_that_does_not_rotate_keeps_working() -> None:
    sandbox = DemoSandbox(rotate_refresh=False, refresh_idle=3600)
    first = _exchange(sandbox, _code(sandbox)).json()["refresh_token"]
    for _ in range(3):
        sandbox.clock.advance(3000)  # each use restarts the idle time
        again = _refresh(sandbox, first).json()
        assert again["refresh_token"] == first and _ledger(sandbox, again["access_token"]) == 200
    sandbox.clock.advance(3601)
    assert _refresh(sandbox, first).json()["error"] == "invalid_grant"


def test_reuse_without_revoking_the_grant_when_the_package_does_not() -> None:
    sandbox = DemoSandbox(reuse_revokes_grant=False)
    first = _exchange(sandbox, _code(sandbox)).json()["refresh_token"]
    second = _refresh(sandbox, first).json()["refresh_token"]
    assert _refresh(sandbox, first).status_code == 400
    assert _refresh(sandbox, second).status_code == 200  # the current one still works


def test_the_daily_token_quota_counts_per_client_and_user() -> None:
    sandbox = DemoSandbox(token_requests_per_day=2)
    tokens = _exchange(sandbox, _code(sandbox)).json()
    tokens = _refresh(sandbox, tokens["refresh_token"]).json()
    refused = _refresh(sandbox, tokens["refresh_token"])
    assert refused.status_code == 429 and refused.json()["error"] == "access_denied"
    sandbox.clock.advance(86400)  # a new UTC day
    assert _refresh(sandbox, tokens["refresh_token"]).status_code == 200


def test_a_consent_step_with_renamed_login_fields_and_checkboxes() -> None:
    class Divisions(OAuthServer):
        def consent_fields(self, params: dict[str, str]) -> str:
            return "".join(f'<input type="checkbox" name="Division" value="{d}" checked>' for d in (1, 2, 3))

        def record_consent(self, grant: Any, params: dict[str, str], items: list[tuple[str, str]]) -> None:
            grant.extra["divisions"] = [v for k, v in items if k == "Division"]

    sandbox = DemoSandbox(login_fields=("UserName", "Password"), code_prefix="XT!", page_title="Exact")
    assert sandbox.oauth_server is not None
    sandbox.oauth_server.__class__ = Divisions

    async def steps(client: httpx.AsyncClient) -> tuple[str, str]:
        page = (await client.get(_authorize_url())).text
        location = await login_at(client, _authorize_url(), "anne@firm.example", "correct horse",
                                  fields=("UserName", "Password"), choose=lambda _: [("Division", "1"), ("Division", "3")])
        return page, location

    page, location = _run(sandbox, steps)
    assert 'name="UserName"' in page and 'name="username"' not in page and "<title>Exact</title>" in page
    assert parse_qs(urlsplit(location).query)["code"][0].startswith("XT!")
    assert sandbox.oauth_server.grants[-1].extra["divisions"] == ["1", "3"]


def test_a_package_refuses_an_authorize_request_and_a_login_on_its_own_terms() -> None:
    class Strict(OAuthServer):
        def check_authorize(self, params: dict[str, str], scopes: frozenset[str]) -> str | None:
            return None if params.get("nonce") else "nonce is required"

        def accept_login(self, user: Any, params: dict[str, str]) -> bool:
            return params.get("organisation") == "ORG"

    sandbox = DemoSandbox(id_token_lifetime=300)
    assert sandbox.oauth_server is not None
    sandbox.oauth_server.__class__ = Strict

    async def steps(client: httpx.AsyncClient) -> tuple[httpx.Response, str, str]:
        refused = await client.get(_authorize_url())
        wrong = await client.post(f"{LOGIN}/authorize", data={
            "client_id": "app-1", "redirect_uri": REDIRECT, "response_type": "code", "nonce": "n",
            "scope": "openid", "username": "anne@firm.example", "password": "correct horse", "organisation": "X"})
        location = await login_at(client, _authorize_url(nonce="n"), "anne@firm.example", "correct horse",
                                  choose=lambda _: [("organisation", "ORG")])
        return refused, wrong.text, location

    refused, wrong, location = _run(sandbox, steps)
    assert refused.status_code == 400 and "nonce is required" in refused.text
    assert "wrong" in wrong
    tokens = _exchange(sandbox, parse_qs(urlsplit(location).query)["code"][0]).json()
    claims = signing_key().verify(tokens["id_token"])
    assert claims["exp"] - claims["iat"] == 300


def test_a_required_scope_and_a_consent_step_that_refuses_a_choice() -> None:
    class Tenants(OAuthServer):
        def record_consent(self, grant: Any, params: dict[str, str], items: list[tuple[str, str]]) -> str | None:
            ticked = [v for k, v in items if k == "tenant"]
            grant.extra["tenants"] = ticked
            return None if ticked else "Choose at least one organisation"

    sandbox = DemoSandbox(scope_required=True)
    assert sandbox.oauth_server is not None
    sandbox.oauth_server.__class__ = Tenants
    no_scope = f"{LOGIN}/authorize?" + urlencode({"client_id": "app-1", "redirect_uri": REDIRECT, "response_type": "code"})

    async def steps(client: httpx.AsyncClient) -> tuple[httpx.Response, httpx.Response, str]:
        missing = await client.get(no_scope)
        form = {"client_id": "app-1", "redirect_uri": REDIRECT, "response_type": "code", "scope": "ledger.read",
                "username": "anne@firm.example", "password": "correct horse"}
        none_ticked = await client.post(f"{LOGIN}/authorize", data=form)
        location = await login_at(client, _authorize_url(), "anne@firm.example", "correct horse",
                                  choose=lambda _: [("tenant", "t-1"), ("tenant", "t-2")])
        return missing, none_ticked, location

    missing, none_ticked, location = _run(sandbox, steps)
    assert missing.status_code == 302 and "error=invalid_scope" in missing.headers["location"]
    assert none_ticked.status_code == 200 and "Choose at least one organisation" in none_ticked.text
    assert len(sandbox.oauth_server.grants) == 1 and sandbox.oauth_server.grants[0].extra["tenants"] == ["t-1", "t-2"]
    assert "code=" in location


def test_checkboxes_and_ticked_read_each_other() -> None:
    from sfsync.sandbox.oauth import checkboxes, ticked

    page = checkboxes("tenant", "Allow access to", {"t-1": "Lemaire & fils", "t-2": "Bakkerij <Peeters>"})
    assert "Lemaire &amp; fils" in page and "&lt;Peeters&gt;" in page
    assert ticked(page, "tenant") == [("tenant", "t-1"), ("tenant", "t-2")]
    assert ticked(page, "tenant", ["t-2"]) == [("tenant", "t-2")]
    assert ticked(page, "Division") == []

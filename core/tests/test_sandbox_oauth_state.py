"""An OAuth server's state kept in a file (``sfsync.sandbox.oauth_state``): a fresh server of the
same sandbox, in another process, knows the tokens the first one issued, rotates them the same
way, and the file holds no token."""

from __future__ import annotations

import asyncio
import json
import stat
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from sfsync.clock import FakeClock
from sfsync.context import RoutingTransport
from sfsync.sandbox import Sandbox
from sfsync.sandbox.oauth import OAuthClient, OAuthServer, OAuthSettings, OAuthUser
from sfsync.sandbox.oauth_state import FORMAT, load_oauth_state, save_oauth_state
from sfsync.sandbox.responses import json_response
from sfsync.sandbox.routing import BaseRoute, Request, Response, Route

LOGIN = "https://login.kept.example"
REDIRECT = "http://127.0.0.1:8765/callback"


class KeptSandbox(Sandbox):
    """A package with a login and one protected path, on a fake clock."""

    connector = "kept"
    base_urls = ("https://api.kept.example", LOGIN)

    def __init__(self, clock: FakeClock) -> None:
        self.oauth_server = OAuthServer(
            OAuthSettings(issuer=LOGIN, authorize_url=f"{LOGIN}/authorize", token_url=f"{LOGIN}/token",
                          revoke_url=f"{LOGIN}/revoke", access_lifetime=600),
            clients=[OAuthClient("app-1", "s3cret")], users=[OAuthUser("anne", "correct horse")], clock=clock,
            on_consent=lambda grant, posted: grant.extra.update(
                companies=frozenset({"C1", "C2"}),  # what a consent step records: sets, records, times
                tenants={"t-1": OAuthUser("t-1", "", name="Acme", email="acme@example.com")},
                consented={"at": clock.now(), "on": clock.now().date()},
            ),
        )
        super().__init__()

    def routes(self) -> list[BaseRoute]:
        return [Route("/ledger", self.ledger)]

    async def ledger(self, request: Request) -> Response:
        token = self.oauth_server.access(request) if self.oauth_server else None
        return json_response({"companies": sorted(token.grant.extra["companies"])} if token else {}, 200 if token else 401)

    def connection_config(self) -> dict[str, Any]:
        return {"client_id": "app-1"}

    def connection_secrets(self) -> dict[str, str]:
        return {"client_secret": "s3cret"}

    def bad_connection_secrets(self) -> dict[str, str]:
        return {"client_secret": "nope"}


def call(sandbox: KeptSandbox, method: str, url: str, **kwargs: Any) -> httpx.Response:
    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=RoutingTransport(sandbox.transports())) as client:
            if method == "login":
                return httpx.Response(200, text=await sandbox.authorize(client, url))
            return await client.request(method, url, **kwargs)

    return asyncio.run(go())


def log_in(sandbox: KeptSandbox) -> dict[str, Any]:
    query = urlencode({"client_id": "app-1", "redirect_uri": REDIRECT, "response_type": "code", "state": "s"})
    code = parse_qs(urlsplit(call(sandbox, "login", f"{LOGIN}/authorize?{query}").text).query)["code"][0]
    return token(sandbox, grant_type="authorization_code", code=code, redirect_uri=REDIRECT)


def token(sandbox: KeptSandbox, **form: str) -> dict[str, Any]:
    answer = call(sandbox, "POST", f"{LOGIN}/token", data={**form, "client_id": "app-1", "client_secret": "s3cret"})
    return {"status": answer.status_code, **answer.json()}


def ledger(sandbox: KeptSandbox, access: str) -> int:
    return call(sandbox, "GET", "https://api.kept.example/ledger", headers={"Authorization": f"Bearer {access}"}).status_code


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def reopened(first: KeptSandbox, path: Path, clock: FakeClock) -> KeptSandbox:
    """The sandbox as the next process starts it: new, then given the kept state."""
    assert first.oauth_server is not None
    save_oauth_state(first.oauth_server, path)
    second = KeptSandbox(clock)
    assert second.oauth_server is not None and load_oauth_state(second.oauth_server, path)
    return second


def test_a_fresh_server_knows_the_tokens_and_consent_of_the_last_one(tmp_path: Path, clock: FakeClock) -> None:
    first = KeptSandbox(clock)
    tokens = log_in(first)
    fresh = KeptSandbox(clock)
    assert ledger(fresh, tokens["access_token"]) == 401, "without the kept state it knows nothing"
    second = reopened(first, tmp_path / "kept.json", clock)
    assert ledger(second, tokens["access_token"]) == 200
    assert call(second, "GET", "https://api.kept.example/ledger",
                headers={"Authorization": f"Bearer {tokens['access_token']}"}).json() == {"companies": ["C1", "C2"]}
    assert first.oauth_server is not None and second.oauth_server is not None
    assert second.oauth_server.grants[0].extra == first.oauth_server.grants[0].extra
    clock.advance(601)
    assert ledger(second, tokens["access_token"]) == 401, "and its lifetime still passes"
    renewed = token(second, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert renewed["status"] == 200 and ledger(second, renewed["access_token"]) == 200


def test_rotation_and_reuse_detection_carry_over(tmp_path: Path, clock: FakeClock) -> None:
    first = KeptSandbox(clock)
    tokens = log_in(first)
    renewed = token(first, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    second = reopened(first, tmp_path / "kept.json", clock)
    reused = token(second, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert reused["status"] == 400 and reused["error"] == "invalid_grant", "a rotated token is reuse"
    assert ledger(second, renewed["access_token"]) == 401, "and reuse revoked the family"
    third = reopened(second, tmp_path / "kept.json", clock)
    assert token(third, grant_type="refresh_token", refresh_token=renewed["refresh_token"])["status"] == 400


def test_a_revocation_is_kept(tmp_path: Path, clock: FakeClock) -> None:
    first = KeptSandbox(clock)
    tokens = log_in(first)
    second = reopened(first, tmp_path / "kept.json", clock)
    revoked = call(second, "POST", f"{LOGIN}/revoke",
                   data={"token": tokens["refresh_token"], "client_id": "app-1", "client_secret": "s3cret"})
    assert revoked.status_code == 200
    third = reopened(second, tmp_path / "kept.json", clock)
    assert token(third, grant_type="refresh_token", refresh_token=tokens["refresh_token"])["error"] == "invalid_grant"


def test_the_file_holds_no_token_or_secret_and_only_its_owner_reads_it(tmp_path: Path, clock: FakeClock) -> None:
    first = KeptSandbox(clock)
    tokens = log_in(first)
    renewed = token(first, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    path = tmp_path / "state" / "kept.json"
    second = reopened(first, path, clock)
    save_oauth_state(second.oauth_server, path)  # type: ignore[arg-type]  # a restored server saves as well
    text = path.read_text(encoding="utf-8")
    for secret in (tokens["access_token"], tokens["refresh_token"], renewed["access_token"], renewed["refresh_token"],
                   "s3cret", "correct horse"):
        assert secret not in text
    assert json.loads(text)["format"] == FORMAT
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["kept.json"], "no temporary file left behind"


def test_no_file_or_another_format_leaves_the_server_as_it_is(tmp_path: Path, clock: FakeClock) -> None:
    server = KeptSandbox(clock).oauth_server
    assert server is not None
    assert load_oauth_state(server, tmp_path / "missing.json") is False
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"format": FORMAT + 1, "grants": [{"id": "x"}]}), encoding="utf-8")
    assert load_oauth_state(server, other) is False and server.grants == []

"""The managed transport (limits, Retry-After, retries) and the OAuth2 flow with rotation."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from urllib.parse import parse_qs

import httpx
import pytest
from pydantic import SecretStr
from sfsync.auth import OAuth2Spec, TokenSet
from sfsync.clock import FakeClock
from sfsync.errors import BudgetExhausted, NeedsReconsent, RetriableError
from sfsync.http import (
    InMemoryLimiterBackend,
    ManagedTransport,
    OAuth2Auth,
    PageLoopError,
    RateLimitPolicy,
    RateWindow,
    RequestStats,
    RetryPolicy,
    check_next_token,
)

FAST = RetryPolicy(attempts=3, wait_initial=0.001, wait_max=0.002)


def managed(handler, clock, policy=None, stats=None, backend=None):
    return ManagedTransport(httpx.MockTransport(handler), key="conn", policy=policy, backend=backend or InMemoryLimiterBackend(),
                            clock=clock, stats=stats or RequestStats(), retry=FAST)


def test_429_pauses_the_credential_for_retry_after_then_succeeds():
    clock = FakeClock()
    answers = iter([httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(200, json={"ok": True})])
    stats = RequestStats()

    async def go():
        async with httpx.AsyncClient(transport=managed(lambda r: next(answers), clock, stats=stats)) as client:
            return await client.get("https://api.test/x")

    response = asyncio.run(go())
    assert response.status_code == 200
    assert clock.slept == [7.0] and stats.retries == 1 and stats.requests == 2


def test_5xx_is_retried_then_fails_with_a_retriable_error():
    clock = FakeClock()

    async def go():
        async with httpx.AsyncClient(transport=managed(lambda r: httpx.Response(503), clock)) as client:
            return await client.get("https://api.test/x")

    with pytest.raises(RetriableError, match="503"):
        asyncio.run(go())


def test_declared_windows_hold_calls_back_before_a_429():
    clock = FakeClock()
    policy = RateLimitPolicy(windows=(RateWindow("minutely", 3, 60),))

    async def go():
        async with httpx.AsyncClient(transport=managed(lambda r: httpx.Response(200), clock, policy)) as client:
            for _ in range(7):
                await client.get("https://api.test/x")

    asyncio.run(go())
    assert len(clock.slept) == 2 and all(55 <= s <= 60 for s in clock.slept)


def test_header_budget_spent_for_hours_is_budget_exhausted():
    clock = FakeClock()

    def parse(response, now):
        from sfsync.http import WindowState

        return [WindowState("daily", int(response.headers["x-left"]), now + 6 * 3600)]

    policy = RateLimitPolicy(parse_headers=parse, max_wait=900)

    async def go():
        async with httpx.AsyncClient(transport=managed(lambda r: httpx.Response(200, headers={"x-left": "0"}), clock, policy)) as client:
            await client.get("https://api.test/x")
            await client.get("https://api.test/x")

    with pytest.raises(BudgetExhausted) as caught:
        asyncio.run(go())
    assert caught.value.resume_at is not None


def test_page_loop_is_detected():
    seen: set[str] = set()
    check_next_token(None, "a", seen=seen)
    with pytest.raises(PageLoopError):
        check_next_token("a", "a", seen=seen)


class Vault:
    def __init__(self, tokens):
        self.tokens = tokens
        self.saved = []
        self._lock = asyncio.Lock()

    async def load(self):
        return self.tokens

    async def save(self, tokens):
        self.saved.append(tokens)
        self.tokens = tokens

    def lock(self):
        vault = self

        class Ctx:
            async def __aenter__(self):
                await vault._lock.acquire()

            async def __aexit__(self, *a):
                vault._lock.release()

        return Ctx()


SPEC = OAuth2Spec(authorize_url="https://login.test/authorize", token_url="https://login.test/token", scopes=("read",))


def token_server(state):
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/token":
            form = parse_qs(request.content.decode())
            refresh = form["refresh_token"][0]
            if refresh not in state["valid_refresh"]:
                return httpx.Response(400, json={"error": "invalid_grant", "error_description": "refresh token used"})
            state["valid_refresh"].discard(refresh)  # single-use
            n = state["n"] = state["n"] + 1
            state["valid_refresh"].add(f"r{n}")
            state["valid_access"] = f"a{n}"
            # expires_in as a string, as Exact sends it
            return httpx.Response(200, json={"access_token": f"a{n}", "refresh_token": f"r{n}", "expires_in": "600"})
        if request.headers.get("Authorization") != f"Bearer {state['valid_access']}":
            return httpx.Response(401, json={"error": "expired"})
        return httpx.Response(200, json={"ok": True})

    return handler


def tokens(access, refresh, minutes):
    return TokenSet(access_token=SecretStr(access), refresh_token=SecretStr(refresh),
                    expires_at=dt.datetime(2026, 1, 15, 2, 0, tzinfo=dt.UTC) + dt.timedelta(minutes=minutes))


class YieldingTransport(httpx.AsyncBaseTransport):
    """A transport that yields to the event loop before it answers, as a real network call does,
    so concurrent requests interleave at every request (MockTransport answers without an await)."""

    def __init__(self, handler):
        self.handler = handler

    async def handle_async_request(self, request):
        for _ in range(3):
            await asyncio.sleep(0)
        await request.aread()
        return self.handler(request)


def test_refresh_rotates_and_saves_before_use():
    """The rotated refresh token is in the vault before the new access token is sent: a process
    killed while that request is on the wire resumes with a refresh token that still works."""
    clock = FakeClock()
    state = {"n": 0, "valid_refresh": {"r0"}, "valid_access": "stale"}
    vault = Vault(tokens("a0", "r0", 30))
    server = token_server(state)
    held_when_used = []

    def handler(request):
        if request.url.path != "/token" and request.headers.get("Authorization") == "Bearer a1":
            held_when_used.append(vault.tokens.refresh_token.get_secret_value())
            if len(held_when_used) == 1:
                raise httpx.ConnectError("the process died with the request on the wire", request=request)
        return server(request)

    async def go(auth):
        async with httpx.AsyncClient(transport=YieldingTransport(handler), auth=auth) as client:
            return await client.get("https://api.test/data")

    with pytest.raises(httpx.ConnectError):  # 401 -> refresh -> retry, killed on the wire
        asyncio.run(go(OAuth2Auth(SPEC, vault, client_id="id", client_secret="secret", clock=clock)))
    assert held_when_used == ["r1"], "the new access token was used before the rotated refresh token was saved"
    # A fresh process, from what the vault holds: the spent r0 would be refused.
    restarted = asyncio.run(go(OAuth2Auth(SPEC, vault, client_id="id", client_secret="secret", clock=clock)))
    assert restarted.status_code == 200
    assert [t.refresh_token.get_secret_value() for t in vault.saved] == ["r1"]
    assert vault.tokens.expires_at == clock.now() + dt.timedelta(seconds=600)


def test_concurrent_requests_spend_a_refresh_token_once():
    """Five requests find the token expired at once and interleave at every network call: one
    refreshes under the lock, the others wait and use what it saved."""
    clock = FakeClock()
    state = {"n": 0, "valid_refresh": {"r0"}, "valid_access": "stale"}
    vault = Vault(tokens("a0", "r0", 0))  # expired: every request wants a refresh
    server = token_server(state)
    refreshes = []

    def handler(request):
        if request.url.path == "/token":
            refreshes.append(parse_qs(request.content.decode())["refresh_token"][0])
        return server(request)

    async def go():
        auth = OAuth2Auth(SPEC, vault, client_id="id", client_secret=None, clock=clock)
        async with httpx.AsyncClient(transport=YieldingTransport(handler), auth=auth) as client:
            return await asyncio.gather(*(client.get("https://api.test/data") for _ in range(5)),
                                        return_exceptions=True)

    responses = asyncio.run(go())
    assert refreshes == ["r0"], f"refresh tokens sent: {refreshes}"
    assert all(isinstance(r, httpx.Response) and r.status_code == 200 for r in responses), responses
    assert len(vault.saved) == 1


def test_dead_refresh_token_needs_reconsent():
    clock = FakeClock()
    state = {"n": 0, "valid_refresh": set(), "valid_access": "x"}
    vault = Vault(tokens("a0", "r0", 0))

    async def go():
        auth = OAuth2Auth(SPEC, vault, client_id="id", client_secret=None, clock=clock)
        async with httpx.AsyncClient(transport=httpx.MockTransport(token_server(state)), auth=auth) as client:
            await client.get("https://api.test/data")

    with pytest.raises(NeedsReconsent, match="connect it again") as caught:
        asyncio.run(go())
    assert "r0" not in str(caught.value)


def test_authorize_url_has_state_and_pkce():
    pending = SPEC.start(client_id="cid", redirect_uri="http://127.0.0.1:8765/callback")
    query = parse_qs(pending.authorize_url.split("?", 1)[1])
    assert query["state"] == [pending.state] and query["code_challenge_method"] == ["S256"]
    assert pending.code_verifier and pending.code_verifier not in pending.authorize_url


def test_token_set_never_shows_its_secrets():
    token_set = tokens("access-secret-value", "refresh-secret-value", 5)
    assert "secret-value" not in repr(token_set) and "secret-value" not in token_set.model_dump_json()
    _ = json


def test_headers_govern_a_window_they_report_on_until_it_resets():
    from sfsync.http import WindowState

    backend = InMemoryLimiterBackend()
    windows = (RateWindow("minutely", 2, 60, fixed=True),)

    async def go():
        await backend.observe("k", [WindowState("minutely", 10, 105.0)], 100.0)
        # More than the declared 2: the package said 10 are left in its window.
        granted = [await backend.reserve("k", windows, 100.0 + i) for i in range(4)]
        # The window turned over at 105 with no newer report: a new window with the declared
        # budget (2) until 165, though the sliding log holds 4 calls of the last minute.
        after_reset = [await backend.reserve("k", windows, 106.0) for _ in range(3)]
        return granted, after_reset

    granted, after_reset = asyncio.run(go())
    assert granted == [0.0, 0.0, 0.0, 0.0]
    assert after_reset[:2] == [0.0, 0.0]
    assert after_reset[2] == pytest.approx(165.0 - 106.0)


def test_a_sliding_window_reset_frees_only_what_our_log_allows():
    from sfsync.http import WindowState

    backend = InMemoryLimiterBackend()
    windows = (RateWindow("minutely", 2, 60),)

    async def go():
        await backend.observe("k", [WindowState("minutely", 10, 105.0)], 100.0)
        granted = [await backend.reserve("k", windows, 100.0 + i) for i in range(4)]
        # The report has expired: for a sliding window our own log of the last minute governs.
        return granted, await backend.reserve("k", windows, 106.0)

    granted, after_reset = asyncio.run(go())
    assert granted == [0.0, 0.0, 0.0, 0.0]
    assert after_reset == pytest.approx(160.0 - 106.0)

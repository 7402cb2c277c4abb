"""Exact's OAuth2 (reference §2): each error body of §2.3 mapped to the core's errors, single-use
codes and refresh tokens, the 570 s early-refresh guard, and the rotated token saved before use."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from pydantic import SecretStr
from sfsync.clock import FakeClock
from sfsync.errors import AuthError, BudgetExhausted, NeedsReconsent, RetriableError
from sfsync_exact.auth import TooEarlyToRefresh, exact_oauth_spec
from sfsync_exact.client import ExactClient
from sfsync_exact.sandbox import ExactSandbox
from sfsync_exact.sandbox.harness import REDIRECT_URI, MemoryVault, connect, connector_for

SPEC = exact_oauth_spec("https://start.exactonline.be")


def _classify(
    status: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> Exception:
    return SPEC.classify_token_error(httpx.Response(status, json=body, headers=headers))


# --- the bodies of reference §2.3, as recorded -------------------------------------------------


def test_exact_old_refresh_token_used_needs_reconsent() -> None:
    error = _classify(
        401, {"error": "unauthorized_client", "error_description": "Old refresh token used."}
    )
    assert type(error) is NeedsReconsent and "already used" in str(error)


def test_exact_expired_refresh_token_needs_reconsent() -> None:
    error = _classify(
        400,
        {
            "error": "invalid_request",
            "error_description": "The refresh token expired at 10/11/2022 9:18:20 PM and it is now 10/28/2022 4:15:50 PM.",
        },
    )
    assert type(error) is NeedsReconsent and "30 days" in str(error)


def test_exact_too_early_refresh_is_waited_not_reconsented() -> None:
    current = _classify(
        400,
        {
            "error": "access_denied",
            "error_description": "Rate limit exceeded: access_token not expired",
        },
        {"Reason": "TooEarlyToRefreshTokens"},
    )
    legacy = _classify(
        401, {"error": "access_denied", "error_description": "Access Token not expired"}
    )
    for error in (current, legacy):
        assert isinstance(error, TooEarlyToRefresh) and not isinstance(error, AuthError)
        assert error.retry_after == 30


def test_exact_other_token_errors() -> None:
    assert (
        type(_classify(400, {"error": "invalid_client", "error_description": "bad"})) is AuthError
    )
    assert (
        type(
            _classify(
                400,
                {
                    "error": "invalid_grant",
                    "error_description": "The authorization code is invalid or has been used.",
                },
            )
        )
        is NeedsReconsent
    )
    assert isinstance(
        _classify(
            429,
            {
                "error": "access_denied",
                "error_description": "Rate limit exceeded: more than 200 token requests today.",
            },
        ),
        BudgetExhausted,
    )
    assert type(_classify(503, {})) is RetriableError


# --- against the sandbox ------------------------------------------------------------------------


def _token_post(sandbox: ExactSandbox, data: dict[str, str]) -> httpx.Response:
    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=next(iter(sandbox.transports().values()))) as client:
            return await client.post(f"{sandbox.base_urls[0]}/api/oauth2/token", data=data)

    return asyncio.run(go())


def _code(sandbox: ExactSandbox) -> str:
    spec = connector_for(sandbox.region).sfsync_auth()
    pending = spec.start(client_id=sandbox.client_id, redirect_uri=REDIRECT_URI)
    assert (
        "code_challenge" not in pending.authorize_url and "force_login=0" in pending.authorize_url
    )

    async def go() -> str:
        async with httpx.AsyncClient(transport=next(iter(sandbox.transports().values()))) as client:
            return await sandbox.authorize(client, pending.authorize_url)

    redirect = asyncio.run(go())
    assert "%21" in redirect  # the code's "!" arrives URL-encoded (reference §2.1)
    return parse_qs(urlsplit(redirect).query)["code"][0]


def _exchange(sandbox: ExactSandbox, code: str) -> httpx.Response:
    return _token_post(
        sandbox,
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "client_id": sandbox.client_id,
            "client_secret": sandbox.client_secret,
        },
    )


def test_exact_codes_are_single_use() -> None:
    sandbox = ExactSandbox("be", clock=FakeClock())
    code = _code(sandbox)
    first = _exchange(sandbox, code)
    assert first.status_code == 200 and first.json()["expires_in"] == "600"
    again = _exchange(sandbox, code)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    assert isinstance(SPEC.classify_token_error(again), NeedsReconsent)


def test_exact_codes_live_three_minutes() -> None:
    clock = FakeClock()
    sandbox = ExactSandbox("be", clock=clock)
    code = _code(sandbox)
    clock.advance(181)
    assert _exchange(sandbox, code).json()["error"] == "invalid_grant"


def test_exact_client_ids_are_bound_to_a_region() -> None:
    be, nl = ExactSandbox("be", clock=FakeClock()), ExactSandbox("nl", clock=FakeClock())
    code = _code(nl)
    answer = _token_post(
        nl,
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "client_id": be.client_id,
            "client_secret": be.client_secret,
        },
    )
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_client"
    assert type(SPEC.classify_token_error(answer)) is AuthError


def test_exact_wrong_client_secret_is_an_auth_error_without_the_secret() -> None:
    sandbox = ExactSandbox("fr", clock=FakeClock())
    with pytest.raises(AuthError) as caught:
        asyncio.run(connect(sandbox, secrets=sandbox.bad_connection_secrets()))
    assert type(caught.value) is AuthError
    assert sandbox.bad_connection_secrets()["client_secret"] not in str(caught.value)


def _divisions(ctx: Any, sandbox: ExactSandbox) -> list[dict[str, Any]]:
    return asyncio.run(
        ExactClient(ctx, sandbox.base_urls[0]).all(
            f"{sandbox.company_refs()[0]}/system/Divisions", {"$select": "Code"}
        )
    )


def test_exact_access_tokens_live_ten_minutes_and_refresh_rotates_saved_before_use() -> None:
    clock = FakeClock()
    sandbox = ExactSandbox("be", clock=clock)
    ctx = asyncio.run(connect(sandbox))
    vault = ctx.vault
    assert isinstance(vault, MemoryVault)
    first = vault.tokens
    assert first is not None and first.expires_at == clock.now() + dt.timedelta(seconds=600)
    used_at_save: list[bool] = []
    original_save = vault.save

    async def save(tokens: Any) -> None:
        used_at_save.append(tokens.access_token.get_secret_value() in sandbox.seen_bearers)
        await original_save(tokens)

    vault.save = save  # type: ignore[method-assign]
    clock.advance(590)  # within refresh_margin (25 s) but past the 570 s guard
    assert _divisions(ctx, sandbox)
    second = vault.tokens
    assert second is not None and second.refresh_token != first.refresh_token
    assert used_at_save == [False], "the rotated tokens must be saved before the API sees them"
    assert second.access_token.get_secret_value() in sandbox.seen_bearers
    # The spent refresh token is dead, as Exact enforces since 2018.
    assert first.refresh_token is not None
    stale = _token_post(
        sandbox,
        {
            "grant_type": "refresh_token",
            "refresh_token": first.refresh_token.get_secret_value(),
            "client_id": sandbox.client_id,
            "client_secret": sandbox.client_secret,
        },
    )
    assert (stale.status_code, stale.json()) == (
        401,
        {"error": "unauthorized_client", "error_description": "Old refresh token used."},
    )


def test_exact_an_old_refresh_token_in_the_vault_means_reconsent() -> None:
    clock = FakeClock()
    sandbox = ExactSandbox("be", clock=clock)
    ctx = asyncio.run(connect(sandbox))
    stale = ctx.vault.tokens  # type: ignore[union-attr]
    clock.advance(600)
    assert _divisions(ctx, sandbox)
    ctx.vault.tokens = stale  # type: ignore[union-attr]  # another worker's outdated copy
    clock.advance(600)
    with pytest.raises(NeedsReconsent, match="already used"):
        _divisions(ctx, sandbox)


def test_exact_refresh_token_unused_for_30_days_means_reconsent() -> None:
    clock = FakeClock()
    sandbox = ExactSandbox("nl", clock=clock)
    ctx = asyncio.run(connect(sandbox))
    clock.advance(31 * 86_400)
    with pytest.raises(NeedsReconsent, match="expired"):
        _divisions(ctx, sandbox)


def test_exact_revoked_grant_means_reconsent() -> None:
    clock = FakeClock()
    sandbox = ExactSandbox("fr", clock=clock)
    ctx = asyncio.run(connect(sandbox))
    sandbox.revoke()
    with pytest.raises(NeedsReconsent):
        _divisions(ctx, sandbox)


@pytest.mark.parametrize("status", [400, 401])
def test_exact_early_refresh_guard_waits_until_570_seconds(status: int) -> None:
    clock = FakeClock()
    sandbox = ExactSandbox("be", clock=clock, too_early_status=status)
    ctx = asyncio.run(connect(sandbox))
    tokens = ctx.vault.tokens  # type: ignore[union-attr]
    # The API stops accepting the access token although it is young (a 401 out of the blue): the
    # forced refresh hits Exact's guard, and the client waits until the token is 570 s old.
    ctx.vault.tokens = tokens.model_copy(update={"access_token": SecretStr("AAEAA-not-valid")})  # type: ignore[union-attr]
    refusals = []
    original = sandbox.oauth._refresh

    def spy(*args: Any) -> dict[str, Any]:
        try:
            return original(*args)
        except Exception as exc:
            refusals.append(exc)
            raise

    sandbox.oauth._refresh = spy  # type: ignore[method-assign]
    started = clock.now()
    rows = _divisions(ctx, sandbox)
    assert len(rows) == len(sandbox.company_refs())
    assert len(refusals) == 1 and "not expired" in str(refusals[0])
    assert (clock.now() - started).total_seconds() >= 570
    assert ctx.vault.tokens.refresh_token != tokens.refresh_token  # type: ignore[union-attr]


def test_exact_proactive_refresh_never_comes_before_570_seconds() -> None:
    clock = FakeClock()
    sandbox = ExactSandbox("be", clock=clock)
    ctx = asyncio.run(connect(sandbox))
    issued = ctx.vault.tokens  # type: ignore[union-attr]
    clock.advance(560)  # 40 s left: more than the 30 s Exact wants, so no refresh yet
    _divisions(ctx, sandbox)
    assert ctx.vault.tokens is issued  # type: ignore[union-attr]
    clock.advance(20)  # 20 s left: refresh now
    _divisions(ctx, sandbox)
    assert ctx.vault.tokens is not issued  # type: ignore[union-attr]


def test_exact_token_endpoint_daily_cap() -> None:
    sandbox = ExactSandbox("be", clock=FakeClock())
    sandbox.oauth.token_calls[(sandbox.client_id, sandbox.username, sandbox.clock.now().date())] = (
        200
    )
    answer = _exchange(sandbox, _code(sandbox))
    assert answer.status_code == 429
    assert isinstance(SPEC.classify_token_error(answer), BudgetExhausted)


class _Crash(Exception):
    pass


def test_exact_crash_right_after_the_rotation_keeps_the_connection() -> None:
    clock = FakeClock()
    sandbox = ExactSandbox("nl", clock=clock)
    ctx = asyncio.run(connect(sandbox))
    vault = ctx.vault
    assert isinstance(vault, MemoryVault)
    original_save = vault.save

    async def save_then_crash(tokens: Any) -> None:
        await original_save(tokens)
        raise _Crash("the worker died after saving the rotated tokens")

    vault.save = save_then_crash  # type: ignore[method-assign]
    clock.advance(600)
    with pytest.raises(_Crash):
        _divisions(ctx, sandbox)
    vault.save = original_save  # type: ignore[method-assign]
    # A new worker with the same vault goes on with the saved (rotated) refresh token.
    asyncio.run(ctx.aclose())
    fresh = asyncio.run(connect_again(ctx, sandbox))
    saved = vault.tokens
    clock.advance(600)  # so the new worker must refresh with the saved refresh token
    assert len(_divisions(fresh, sandbox)) == len(sandbox.company_refs())
    assert vault.tokens is not saved


async def connect_again(ctx: Any, sandbox: ExactSandbox) -> Any:
    from sfsync.context import ConnectorContext

    return ConnectorContext(
        connector=ctx.connector,
        connection_id=ctx.connection_id,
        auth_spec=ctx.auth_spec,
        config=ctx.config,
        secrets=ctx.secrets,
        vault=ctx.vault,
        transports=sandbox.transports(),
        rate_limits=ctx.rate_limits,
        clock=sandbox.clock,
    )

"""A Twinfield connection made through the real OAuth2 flow against the sandbox (fake clock)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sfsync.auth import TokenSet
from sfsync.clock import FakeClock
from sfsync.context import ConnectorContext, RoutingTransport, Secrets
from sfsync.http import RetryPolicy
from sfsync.models import Company
from sfsync.sandbox.vault import MemoryVault
from sfsync_twinfield.connector import twinfield
from sfsync_twinfield.sandbox import TwinfieldSandbox

REDIRECT = "http://127.0.0.1:8765/callback"




@dataclass
class Connected:
    sandbox: TwinfieldSandbox
    ctx: ConnectorContext
    clock: FakeClock
    vault: MemoryVault

    def company(self, ref: str = "001") -> Company:
        return Company(ref=ref, name=self.sandbox.books.offices[ref].name)

    def calls(self, **match: object) -> list[dict[str, object]]:
        return [c for c in self.sandbox.log if all(c.get(k) == v for k, v in match.items())]

    def new_context(self) -> ConnectorContext:
        """A context for a later run of the same connection (same state and tokens)."""
        return make_context(self.sandbox, self.clock, self.vault, state=dict(self.ctx.state))


def make_context(
    sandbox: TwinfieldSandbox,
    clock: FakeClock,
    vault: MemoryVault,
    *,
    state: dict[str, object] | None = None,
    secrets: dict[str, str] | None = None,
    transports: dict[str, httpx.AsyncBaseTransport] | None = None,
) -> ConnectorContext:
    return ConnectorContext(
        connector="twinfield",
        connection_id="c1",
        auth_spec=twinfield.sfsync_auth(),
        config=sandbox.connection_config(),
        secrets=Secrets(secrets or sandbox.connection_secrets()),
        state=dict(state or {}),
        vault=vault,
        rate_limits=twinfield.sfsync_connector_info().rate_limits,
        clock=clock,
        retry=RetryPolicy(attempts=4, wait_initial=0.001, wait_max=0.002),
        transports=sandbox.transports() if transports is None else transports,
    )


async def login(sandbox: TwinfieldSandbox, ctx: ConnectorContext) -> TokenSet:
    """The OAuth2 code flow as the core runs it: authorize page, code exchange."""
    spec = twinfield.sfsync_auth()
    pending = spec.start(client_id=sandbox.client_id, redirect_uri=REDIRECT)
    async with httpx.AsyncClient(transport=RoutingTransport(dict(ctx.transports))) as client:
        callback = await sandbox.authorize(client, pending.authorize_url)
        query = parse_qs(urlsplit(callback).query)
        assert query["state"] == [pending.state]
        data = {
            "grant_type": "authorization_code",
            "code": query["code"][0],
            "redirect_uri": REDIRECT,
        }
        if pending.code_verifier:
            data["code_verifier"] = pending.code_verifier
        request = spec.token_request(
            data, client_id=sandbox.client_id, client_secret=ctx.secrets.get("client_secret")
        )
        response = await client.send(request)
    if response.status_code != 200:
        raise spec.classify_token_error(response)
    return spec.parse_token_response(response, now=ctx.clock.now())


def connect(
    sandbox: TwinfieldSandbox,
    clock: FakeClock,
    transports: dict[str, httpx.AsyncBaseTransport] | None = None,
) -> Connected:
    vault = MemoryVault()
    ctx = make_context(sandbox, clock, vault, transports=transports)

    async def flow() -> None:
        vault.tokens = await login(sandbox, ctx)
        await twinfield.sfsync_check_connection(ctx=ctx)

    asyncio.run(flow())
    return Connected(sandbox, ctx, clock, vault)


def run(coroutine):  # type: ignore[no-untyped-def]
    return asyncio.run(coroutine)


async def collect(iterator: AsyncIterator[object]) -> list[object]:
    return [item async for item in iterator]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(dt.datetime(2026, 3, 14, 9, 30, tzinfo=dt.UTC))


@pytest.fixture
def connected(clock: FakeClock) -> Connected:
    return connect(TwinfieldSandbox(clock), clock)


@pytest.fixture
def helpers() -> SimpleNamespace:
    """Connection helpers for tests that build their own (tests cannot import conftest)."""
    return SimpleNamespace(
        connect=connect, make_context=make_context, login=login, MemoryVault=MemoryVault
    )

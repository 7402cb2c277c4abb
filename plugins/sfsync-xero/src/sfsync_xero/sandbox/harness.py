"""Connecting to the sandbox as the core will: for tests, the benchmark and the demo.

An in-memory token vault, the OAuth2 flow through the sandbox's login page (state checked, PKCE),
and a :class:`~sfsync.context.ConnectorContext` wired to the sandbox's transports.
"""

from __future__ import annotations

import dataclasses
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from sfsync.auth import OAuth2Spec, TokenSet
from sfsync.clock import Clock
from sfsync.context import ConnectorContext, Secrets
from sfsync.http.transport import RetryPolicy
from sfsync.sandbox.vault import MemoryVault

from sfsync_xero.connector import XeroConnector, XeroTBConnector, xero, xerotb
from sfsync_xero.sandbox import XeroSandbox

CONNECTORS: dict[str, XeroConnector | XeroTBConnector] = {"xero": xero, "xerotb": xerotb}


async def login(
    sandbox: XeroSandbox,
    spec: OAuth2Spec,
    *,
    client_id: str,
    client_secret: str | None,
    clock: Clock,
    redirect_uri: str = "http://localhost:8765/callback",
    tenants: list[str] | None = None,
    verifier_override: str | None = None,
) -> TokenSet:
    """Authorize at the sandbox's login page and exchange the code, as the core's flow does."""
    pending = spec.start(client_id=client_id, redirect_uri=redirect_uri)
    transport = httpx.ASGITransport(app=sandbox.app)
    async with httpx.AsyncClient(transport=transport, base_url="https://login.xero.com") as client:
        redirect = await sandbox.authorize(client, pending.authorize_url, tenants=tenants)
        query = parse_qs(urlsplit(redirect).query)
        if "error" in query:
            raise PermissionError(query["error"][0])
        if query.get("state", [""])[0] != pending.state:
            raise PermissionError("state does not match")
        data = {"grant_type": "authorization_code", "code": query["code"][0], "redirect_uri": redirect_uri}
        verifier = verifier_override or pending.code_verifier
        if verifier:
            data["code_verifier"] = verifier
        request = spec.token_request(data, client_id=client_id, client_secret=client_secret)
        response = await client.send(request)
        await response.aread()
        if response.status_code != 200:
            raise spec.classify_token_error(response)
        return spec.parse_token_response(response, now=clock.now())


async def connect(
    sandbox: XeroSandbox,
    connector: str = "xero",
    *,
    clock: Clock | None = None,
    tenants: list[str] | None = None,
    retry: RetryPolicy | None = None,
    scopes: tuple[str, ...] | None = None,
    **context: Any,
) -> ConnectorContext:
    """Log in and return a context for ``connector`` on the sandbox, its connection checked."""
    clock = clock or sandbox.clock
    plugin = CONNECTORS[connector]
    spec = plugin.sfsync_auth()
    if scopes is not None:  # an older consent, with other scopes than the connector asks today
        spec = dataclasses.replace(spec, scopes=scopes)
    config = sandbox.connection_config()
    secrets = sandbox.connection_secrets()
    tokens = await login(sandbox, spec, client_id=config["client_id"], client_secret=secrets["client_secret"],
                         clock=clock, tenants=tenants)
    ctx = ConnectorContext(
        connector=connector,
        connection_id=f"{connector}-c1",
        auth_spec=spec,
        config=config,
        secrets=Secrets(secrets),
        vault=MemoryVault(tokens),
        transports=sandbox.transports(),
        rate_limits=plugin.sfsync_connector_info().rate_limits,
        clock=clock,
        retry=retry or RetryPolicy(attempts=4, wait_initial=0.0, wait_max=0.0),
        **context,
    )
    await plugin.sfsync_check_connection(ctx=ctx)
    return ctx


def next_run(ctx: ConnectorContext) -> ConnectorContext:
    """A context for the connection's next run: same tokens and state, fresh clients and counts."""
    from sfsync.http.transport import RequestStats

    return dataclasses.replace(ctx, stats=RequestStats(), warnings=[], _clients={}, _router=None)

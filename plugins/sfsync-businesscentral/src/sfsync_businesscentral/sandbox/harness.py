"""Driving the sandbox directly, for tests and benchmarks: a user's tokens without the browser
flow, and API calls in-process."""

from __future__ import annotations

import asyncio
import base64
import secrets
from typing import Any

import httpx
from sfsync.sandbox.oauth import Grant

from sfsync_businesscentral.bocount_names import API_PATH, SANDBOX_BASE
from sfsync_businesscentral.facts import api_base

__all__ = ["api_get", "bocount_get", "issue_tokens", "send"]


def issue_tokens(sandbox: Any, *, tenant: str | None = None) -> dict[str, Any]:
    """Tokens of a fresh consent of the sandbox's user (as after a sign-in), for ``tenant``
    (default: the user's own)."""
    server = sandbox.oauth_server
    grant = Grant(id=secrets.token_hex(8), client=next(iter(server.clients.values())),
                  user=next(iter(server.users.values())),
                  scopes=frozenset({"https://api.businesscentral.dynamics.com/.default", "offline_access", "openid"}),
                  consented_at=sandbox.clock.now(), extra={"tenant": tenant or sandbox.tenant.id})
    server.grants.append(grant)
    tokens: dict[str, Any] = server.issue(grant)
    return tokens


def send(sandbox: Any, method: str, url: str, **kwargs: Any) -> httpx.Response:
    """One request to the sandbox's app, in-process."""

    async def call() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox.app)) as client:
            return await client.request(method, url, **kwargs)

    return asyncio.run(call())


def api_get(sandbox: Any, path: str, *, environment: str = "Production", token: str | None = None,
            params: dict[str, str] | None = None, headers: dict[str, str] | None = None) -> httpx.Response:
    """One GET on an environment's API v2.0 (path relative to ``api/v2.0``)."""
    auth = {"Authorization": f"Bearer {token or issue_tokens(sandbox)['access_token']}"}
    url = f"{api_base(sandbox.tenant.id, environment)}/{path.lstrip('/')}"
    return send(sandbox, "GET", url, params=params, headers={**auth, **(headers or {})})


def bocount_get(sandbox: Any, path: str, *, params: dict[str, str] | None = None,
                headers: dict[str, str] | None = None, key: str | None = None) -> httpx.Response:
    """One GET on BoCount's endpoint with the web-service credentials."""
    raw = f"{sandbox.bocount_user}:{key or sandbox.bocount_key}".encode()
    auth = {"Authorization": "Basic " + base64.b64encode(raw).decode()}
    return send(sandbox, "GET", f"{SANDBOX_BASE}{API_PATH}/{path.lstrip('/')}", params=params,
                headers={**auth, **(headers or {})})

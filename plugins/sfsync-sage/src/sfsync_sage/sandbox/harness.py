"""Driving the sandbox directly, for tests and benchmarks: a login without the browser flow, token
requests and API calls, in-process."""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

import httpx
from sfsync.sandbox.oauth import Grant

from sfsync_sage.facts import API_BASE, TOKEN_URL

__all__ = ["api_get", "issue_tokens", "post_token"]


def issue_tokens(sandbox: Any) -> dict[str, Any]:
    """Tokens of a fresh consent of the sandbox's user (as after a login), without the login."""
    server = sandbox.oauth_server
    grant = Grant(id=secrets.token_hex(8), client=next(iter(server.clients.values())),
                  user=next(iter(server.users.values())), scopes=frozenset({"full_access"}),
                  consented_at=sandbox.clock.now())
    server.grants.append(grant)
    tokens: dict[str, Any] = server.issue(grant)
    return tokens


def _run(sandbox: Any, send: Any) -> httpx.Response:
    async def call() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox.app)) as client:
            return await send(client)  # type: ignore[no-any-return]

    return asyncio.run(call())


def post_token(sandbox: Any, form: dict[str, str]) -> httpx.Response:
    """One POST to the sandbox's token endpoint (the client's id and secret added)."""
    data = {"client_id": sandbox.client_id, "client_secret": sandbox.client_secret, **form}
    return _run(sandbox, lambda client: client.post(TOKEN_URL, data=data))


def api_get(sandbox: Any, path: str, *, token: str | None = None, business: str | None = None,
            params: dict[str, str] | None = None) -> httpx.Response:
    """One GET on the sandbox's API (``/v3.1`` + path)."""
    headers = {"Authorization": f"Bearer {token or issue_tokens(sandbox)['access_token']}"}
    if business:
        headers["X-Business"] = business
    return _run(sandbox, lambda client: client.get(f"{API_BASE}{path}", params=params, headers=headers))

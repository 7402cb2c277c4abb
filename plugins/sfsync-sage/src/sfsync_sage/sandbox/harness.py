"""Driving the sandbox directly, for tests and benchmarks: a login without the browser flow, and
one API call in-process."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from sfsync_sage.facts import API_BASE

__all__ = ["api_get", "issue_tokens"]


def issue_tokens(sandbox: Any) -> dict[str, Any]:
    """Log in at the sandbox's OAuth server directly (code, then tokens)."""
    now = sandbox.clock.now()
    code = sandbox.oauth.issue_code(client_id=sandbox.client_id, redirect_uri="http://x/cb", user=sandbox.user_id,
                                    scope="full_access", now=now)
    tokens: dict[str, Any] = sandbox.oauth.token({"client_id": sandbox.client_id, "client_secret": sandbox.client_secret,
                                "grant_type": "authorization_code", "code": code, "redirect_uri": "http://x/cb"}, now)
    return tokens


def api_get(sandbox: Any, path: str, *, token: str | None = None, business: str | None = None,
            params: dict[str, str] | None = None) -> Any:
    """One GET on the sandbox's API (``/v3.1`` + path), in-process."""
    headers = {"Authorization": f"Bearer {token or issue_tokens(sandbox)['access_token']}"}
    if business:
        headers["X-Business"] = business

    async def call() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox.app),
                                     base_url=API_BASE) as client:
            return await client.get(path, params=params, headers=headers)

    return asyncio.run(call())

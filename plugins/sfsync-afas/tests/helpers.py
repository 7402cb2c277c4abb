"""Calling the AFAS sandbox directly, as a client on the wire would."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import httpx
from sfsync.context import RoutingTransport
from sfsync_afas.facts import base_url
from sfsync_afas.sandbox import AfasSandbox


def header(token: str) -> dict[str, str]:
    return {"Authorization": "AfasToken " + base64.b64encode(token.encode()).decode(), "Accept": "application/json"}


def call(sandbox: AfasSandbox, method: str, path: str, *, params: Any = None, token: str | None = None,
         kind: str = "production", json: Any = None, headers: dict[str, str] | None = None) -> httpx.Response:
    """One request to the sandbox's environment host of ``kind`` (the sandbox's token by default)."""

    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=RoutingTransport(sandbox.transports())) as client:
            sent = header(sandbox.token if token is None else token) if headers is None else headers
            return await client.request(method, base_url(sandbox.environment, kind) + path, params=params,
                                        json=json, headers=sent)

    return asyncio.run(go())


def rows(sandbox: AfasSandbox, connector: str, **params: str) -> list[dict[str, Any]]:
    response = call(sandbox, "GET", f"/connectors/{connector}", params=params)
    assert response.status_code == 200, response.text
    return list(response.json()["rows"])

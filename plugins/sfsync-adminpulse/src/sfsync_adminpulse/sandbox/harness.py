"""Driving the sandbox directly, for tests and benchmarks: one API call, in-process."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import httpx

from sfsync_adminpulse.facts import API_BASE

if TYPE_CHECKING:
    from sfsync_adminpulse.sandbox import AdminPulseSandbox

__all__ = ["api_get"]


def api_get(sandbox: AdminPulseSandbox, path: str, *, key: str | None = None, **params: Any) -> httpx.Response:
    """One GET on the sandbox with the office's API key (or ``key``) as Bearer."""

    async def call() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox.app), base_url=API_BASE) as client:
            return await client.get(path, params=params, headers={"Authorization": f"Bearer {key or sandbox.api_key}"})

    return asyncio.run(call())

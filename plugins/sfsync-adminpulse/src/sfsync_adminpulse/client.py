"""Calls to AdminPulse's API: the office's API key as a Bearer token, JSON answers, its errors
turned into sfsync's, and ``/relations`` read page by page (``page`` from 0, ``pageSize`` 400)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
from sfsync.context import ConnectorContext
from sfsync.errors import FatalError, MalformedResponse, NeedsReconsent, NotFound

from sfsync_adminpulse.facts import API_BASE, PAGE_MAX

__all__ = ["get", "relations"]


def _client(ctx: ConnectorContext) -> httpx.AsyncClient:
    return ctx.http(str(ctx.config.get("base_url") or API_BASE).rstrip("/"),
                    headers={"Authorization": f"Bearer {ctx.secrets['api_key']}", "Accept": "application/json"})


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    text = body.get("message") if isinstance(body, dict) else None
    return f": {str(text)[:200]}" if text else ""


async def get(ctx: ConnectorContext, path: str, **params: Any) -> Any:
    """GET a JSON document. 429 and 5xx are retried by the core's transport (Retry-After
    honoured) before they get here."""
    response = await _client(ctx).get(path, params={k: v for k, v in params.items() if v is not None})
    status = response.status_code
    if status == 401:
        # A key that worked and is refused now was deleted or replaced in AdminPulse: only a
        # person can give the new one.
        raise NeedsReconsent("AdminPulse refused the API key (401); enter the office's current key", response=response)
    if status == 404:
        raise NotFound(f"AdminPulse has no {path} (404): the relation was removed or the key's office is another",
                       response=response)
    if status == 400:
        raise FatalError(f"AdminPulse refused the request {path} as invalid (400){_message(response)}", response=response)
    if status != 200:
        raise FatalError(f"AdminPulse answered {status} to {path}{_message(response)}", response=response)
    try:
        return json.loads(response.content)
    except ValueError as exc:
        raise MalformedResponse(f"AdminPulse sent something that is not JSON for {path}", response=response) from exc


async def relations(ctx: ConnectorContext, **filters: Any) -> AsyncIterator[dict[str, Any]]:
    """Every relation the office holds (matching ``filters``), page by page."""
    page = 0
    while True:
        body = await get(ctx, "/relations", page=page, pageSize=PAGE_MAX, **filters)
        results = body.get("results") if isinstance(body, dict) else None
        count = body.get("pageCount") if isinstance(body, dict) else None
        if not isinstance(results, list) or not isinstance(count, int):
            raise MalformedResponse("AdminPulse's /relations answer has no results list and pageCount")
        for row in results:
            if not isinstance(row, dict):
                raise MalformedResponse("AdminPulse's /relations holds a result that is not an object")
            yield row
        page += 1
        # pageCount bounds the loop: a page that keeps coming full is not read forever.
        if page >= count or not results:
            return

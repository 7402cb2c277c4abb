"""The Accounting API v3 calls for one company (realm): ``minorversion=75`` on every call, JSON
with Decimal amounts, the query language paged by STARTPOSITION/MAXRESULTS, CDC, reports, and
Intuit's Fault bodies (also inside a 200) turned into the core's errors."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
from sfsync.context import ConnectorContext
from sfsync.errors import FatalError, MalformedResponse, NeedsReconsent, NotFound

from sfsync_quickbooks.ratelimits import concurrency_gate

API_URL = "https://quickbooks.api.intuit.com/v3"
MINOR_VERSION = "75"
QUERY_PAGE = 1000
"""MAXRESULTS is at most 1,000; a shorter page is the last one."""


class QuickbooksFault(FatalError):
    """QuickBooks refused the call with a Fault (a ValidationFault names what it refused)."""


def _fault_text(body: Any) -> str | None:
    fault = body.get("Fault") if isinstance(body, dict) else None
    if not isinstance(fault, dict):
        return None
    errors = fault.get("Error") or [{}]
    first = errors[0] if isinstance(errors, list) and errors else {}
    parts = [str(fault.get("type") or "Fault"), str(first.get("code") or "")]
    text = f"{parts[0]} {parts[1]}: {first.get('Message') or ''}"
    if first.get("Detail"):
        text += f" ({str(first['Detail'])[:200]})"
    return text


def decode(response: httpx.Response) -> Any:
    """The JSON body with every number as Decimal."""
    if "json" not in response.headers.get("content-type", ""):
        raise MalformedResponse(
            f"QuickBooks answered {response.headers.get('content-type') or 'without a content type'} "
            "instead of JSON", response=response,
        )
    try:
        return json.loads(response.content, parse_float=Decimal)
    except ValueError as exc:
        raise MalformedResponse("QuickBooks sent a body that is not JSON", response=response) from exc


class QuickbooksClient:
    """Calls for one company of a connection."""

    def __init__(self, ctx: ConnectorContext, realm: str) -> None:
        self.ctx = ctx
        self.realm = realm
        self.api_url = str(ctx.config.get("api_url", API_URL)).rstrip("/")
        # Intuit counts per company and app, whichever dossier calls.
        self.limit_key = f"quickbooks/{ctx.config.get('client_id', '')}/{realm}"

    async def get(self, path: str, params: dict[str, str] | None = None) -> dict[str, Any]:
        client = self.ctx.http(self.api_url, limit_key=self.limit_key, headers={"Accept": "application/json"})
        query = {**(params or {}), "minorversion": MINOR_VERSION}
        async with concurrency_gate(self.limit_key):
            response = await client.get(f"/company/{self.realm}{path}", params=query)
        body: Any = {}
        if response.content:
            try:
                body = decode(response)
            except MalformedResponse:
                if response.status_code == 200:
                    raise
        problem = _fault_text(body)
        if response.status_code == 200 and problem is None:
            if not isinstance(body, dict):
                raise MalformedResponse(f"QuickBooks' {path} answer is not an object", response=response)
            return body
        self._raise(response, problem)
        raise AssertionError("unreachable")  # pragma: no cover

    def _raise(self, response: httpx.Response, problem: str | None) -> None:
        status = response.status_code
        detail = problem or f"HTTP {status}"
        if status == 401:
            # The core already refreshed once: the login itself is gone.
            raise NeedsReconsent(
                f"QuickBooks refused the dossier's login ({detail}); log in to QuickBooks again "
                "from the dossier's link", response=response,
            )
        if status == 403:
            raise NeedsReconsent(
                f"QuickBooks refused access to company {self.realm} ({detail}): the login is for "
                "another company or lost its accounting permission; log in again from the "
                "dossier's link", response=response,
            )
        if status == 404:
            raise NotFound(f"QuickBooks has no {response.request.url.path}", response=response)
        if status == 200:
            raise QuickbooksFault(f"QuickBooks answered 200 with a Fault: {detail}", response=response)
        raise QuickbooksFault(f"QuickBooks answered {status}: {detail}", response=response)

    # --- the calls -----------------------------------------------------------------------------

    async def query(self, statement: str) -> AsyncIterator[list[dict[str, Any]]]:
        """Pages of a ``SELECT * FROM <Entity> …`` statement, 1,000 objects each."""
        entity = statement.split()[3]
        start = 1
        while True:
            body = await self.get(
                "/query", {"query": f"{statement} STARTPOSITION {start} MAXRESULTS {QUERY_PAGE}"}
            )
            answer = body.get("QueryResponse")
            if not isinstance(answer, dict):
                raise MalformedResponse(f"QuickBooks' query of {entity} has no QueryResponse")
            items = list(answer.get(entity) or [])
            if items and int(answer.get("startPosition", start)) != start:
                raise MalformedResponse(
                    f"QuickBooks answered a {entity} query from {answer.get('startPosition')} "
                    f"when asked from {start}"
                )
            yield items
            if len(items) < QUERY_PAGE:
                return
            start += len(items)

    async def query_all(self, statement: str) -> list[dict[str, Any]]:
        return [item async for page in self.query(statement) for item in page]

    async def company_info(self) -> dict[str, Any]:
        body = await self.get("/companyinfo/1")
        info = body.get("CompanyInfo")
        if not isinstance(info, dict):
            raise MalformedResponse("QuickBooks' CompanyInfo answer holds no CompanyInfo")
        return info

    async def preferences(self) -> dict[str, Any]:
        body = await self.get("/preferences")
        prefs = body.get("Preferences")
        if not isinstance(prefs, dict):
            raise MalformedResponse("QuickBooks' Preferences answer holds no Preferences")
        return prefs

    async def cdc(self, entities: tuple[str, ...], since: dt.datetime) -> dict[str, list[dict[str, Any]]]:
        """Objects of ``entities`` changed (or deleted) since ``since``, per entity."""
        body = await self.get(
            "/cdc", {"entities": ",".join(entities), "changedSince": since.isoformat(timespec="seconds")}
        )
        out: dict[str, list[dict[str, Any]]] = {}
        for block in body.get("CDCResponse") or []:
            for answer in block.get("QueryResponse") or []:
                for entity in entities:
                    out.setdefault(entity, []).extend(answer.get(entity) or [])
        return out

    async def report(self, name: str, params: dict[str, str]) -> dict[str, Any]:
        return await self.get(f"/reports/{name}", {"accounting_method": "Accrual", **params})

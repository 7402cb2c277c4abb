"""The Accounting and Identity API calls: ``xero-tenant-id`` on every call, JSON (Xero answers
XML unless asked), Decimal amounts, ``/Journals`` paged by ``offset``, ``If-Modified-Since``, and
Xero's error bodies turned into the core's errors."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import httpx
from sfsync.context import ConnectorContext
from sfsync.errors import (
    AuthError,
    FatalError,
    MalformedResponse,
    NeedsReconsent,
    NotFound,
    RetriableError,
)

from sfsync_xero.dates import format_if_modified_since
from sfsync_xero.ratelimits import concurrency_gate

API_URL = "https://api.xero.com/api.xro/2.0"
CONNECTIONS_URL = "https://api.xero.com"
JOURNALS_PAGE = 100
"""Xero returns at most 100 journals per call; a shorter page is the last one."""


class XeroUnauthorized(AuthError):
    """``401 AuthorizationUnsuccessful``: the login lacks the endpoint's scope, or the app's Xero
    plan does not include the endpoint (``/Journals`` below the Advanced tier)."""


class JournalsNotAvailable(AuthError):
    """The app's Xero plan does not give access to ``/Journals``: use ``xerotb`` instead."""


def _problem_detail(response: httpx.Response) -> str:
    try:
        body = json.loads(response.content)
    except ValueError:
        return ""
    if isinstance(body, dict):
        for key in ("Detail", "Message", "detail", "title"):
            if body.get(key):
                return str(body[key])[:200]
    return ""


def decode(response: httpx.Response) -> Any:
    """The JSON body with every number as Decimal; Xero's XML (sent when Accept was not honoured)
    or any other body is refused."""
    kind = response.headers.get("content-type", "")
    if "json" not in kind:
        raise MalformedResponse(
            f"Xero answered {kind or 'without a content type'} instead of JSON", response=response
        )
    try:
        return json.loads(response.content, parse_float=Decimal)
    except ValueError as exc:
        raise MalformedResponse("Xero sent a body that is not JSON", response=response) from exc


class XeroClient:
    """Calls for one organisation (tenant) of a connection."""

    def __init__(self, ctx: ConnectorContext, tenant_id: str | None = None) -> None:
        self.ctx = ctx
        self.tenant_id = tenant_id
        self.api_url = str(ctx.config.get("api_url", API_URL)).rstrip("/")
        self.connections_url = str(ctx.config.get("connections_url", CONNECTIONS_URL)).rstrip("/")
        client_id = str(ctx.config.get("client_id", ""))
        # Xero counts per app and organisation, whichever dossier or connection calls.
        self.limit_key = f"xero/{client_id}/{tenant_id}" if tenant_id else None

    def _http(self, base_url: str) -> httpx.AsyncClient:
        return self.ctx.http(
            base_url, limit_key=self.limit_key, headers={"Accept": "application/json"}
        )

    async def _send(
        self,
        base_url: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        client = self._http(base_url)
        if self.tenant_id is None:
            return await client.get(path, params=params, headers=headers)
        async with concurrency_gate(self.tenant_id):
            return await client.get(path, params=params, headers=headers)

    async def connections(self) -> list[dict[str, Any]]:
        """``GET /connections``: the organisations this login was granted."""
        response = await self._send(self.connections_url, "/connections")
        self._raise_for_status(response)
        body = decode(response)
        if not isinstance(body, list):
            raise MalformedResponse("Xero's /connections is not a list", response=response)
        return body

    async def get(
        self,
        path: str,
        params: dict[str, str] | None = None,
        *,
        if_modified_since: dt.datetime | None = None,
    ) -> dict[str, Any]:
        """An Accounting API call for this tenant; ``{}`` when Xero says nothing changed (304)."""
        if self.tenant_id is None:
            raise FatalError("an Accounting API call needs an organisation (xero-tenant-id)")
        headers = {"xero-tenant-id": self.tenant_id}
        if if_modified_since is not None:
            # Xero documents yyyy-MM-ddTHH:mm:ss in UTC; the trailing Z keeps it RFC 3339.
            headers["If-Modified-Since"] = format_if_modified_since(if_modified_since) + "Z"
        response = await self._send(self.api_url, path, params=params, headers=headers)
        if response.status_code == 304:
            return {}
        self._raise_for_status(response)
        body = decode(response)
        if not isinstance(body, dict) or body.get("Status", "OK") != "OK":
            raise MalformedResponse(f"Xero's {path} answer is not an OK envelope", response=response)
        return body

    def _raise_for_status(self, response: httpx.Response) -> None:
        status = response.status_code
        if status < 300:
            return
        detail = _problem_detail(response)
        if status == 401:
            raise XeroUnauthorized(
                f"Xero refused the call ({detail or 'Unauthorized'}): the login lacks the scope for "
                "it, or the app's Xero plan does not include it",
                response=response,
            )
        if status == 403:
            raise NeedsReconsent(
                f"Xero refused access to the organisation ({detail or 'Forbidden'}): it was "
                "disconnected from the app or the user lost access; log in to Xero again from the "
                "dossier's link",
                response=response,
            )
        if status == 404:
            raise NotFound(f"Xero has no {response.request.url.path}", response=response)
        if status == 429 or status >= 500:  # what the transport did not retry (501, 505…) is still Xero's outage
            raise RetriableError(f"Xero answered {status}: {detail or 'no detail'}", response=response)
        raise FatalError(f"Xero answered {status}: {detail or 'no detail'}", response=response)

    # --- the endpoints -------------------------------------------------------------------------

    async def organisation(self) -> dict[str, Any]:
        body = await self.get("/Organisation")
        orgs = body.get("Organisations") or []
        if not orgs:
            raise MalformedResponse("Xero's /Organisation answer holds no organisation")
        return dict(orgs[0])

    async def accounts(self) -> list[dict[str, Any]]:
        body = await self.get("/Accounts")
        return list(body.get("Accounts") or [])

    async def journals(
        self, offset: int, *, if_modified_since: dt.datetime | None = None
    ) -> list[dict[str, Any]]:
        """Up to 100 journals with a JournalNumber above ``offset``, oldest first."""
        try:
            body = await self.get(
                "/Journals", {"offset": str(offset)}, if_modified_since=if_modified_since
            )
        except XeroUnauthorized as exc:
            raise await self._journals_refusal(exc) from exc
        return list(body.get("Journals") or [])

    async def _journals_refusal(self, exc: XeroUnauthorized) -> AuthError:
        granted = None
        if self.ctx.vault is not None:
            tokens = await self.ctx.vault.load()
            granted = tokens.scope if tokens is not None else None
        if granted is not None and "accounting.journals.read" not in granted.split():
            return NeedsReconsent(
                "the Xero login did not grant accounting.journals.read; log in to Xero again "
                "from the dossier's link and allow access to journals",
                response=exc.response,
            )
        return JournalsNotAvailable(
            "Xero refuses /Journals for this app: since 2 March 2026 journals are only available "
            "on Xero's Advanced developer tier. Link the dossier with the 'xerotb' connector "
            "(trial balances per period) instead",
            response=exc.response,
        )

    async def trial_balance(self, day: dt.date) -> dict[str, Any]:
        """The Trial Balance report as at ``day``."""
        body = await self.get("/Reports/TrialBalance", {"date": day.isoformat()})
        reports = body.get("Reports") or []
        if not reports:
            raise MalformedResponse(f"Xero's trial balance at {day} holds no report")
        return dict(reports[0])

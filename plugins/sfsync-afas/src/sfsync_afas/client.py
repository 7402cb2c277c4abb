"""Talking to AFAS Profit's GetConnectors: the token header, ``skip``/``take`` paging in a fixed
order, filters, AFAS's error body, the query-length limit and five calls at a time.

* Every read names ``orderbyfieldids``: without it AFAS does not guarantee the order between
  pages (get-connector.md), so rows could be missed or doubled.
* Pages are ``take`` rows; a page with fewer rows is the last one.
* A query string over 2,049 characters would be answered 404; the client refuses to send one.
* AFAS answers errors with ``{externalMessage, errorNumber, profitLogReference}``; the message and
  the logbook reference go into the error a person reads (the administrator finds the full error
  in the environment's logbook by that reference). 401 is a refused token, 403 an IP restriction.
* A 500 with AFAS's error body is functional (retrying it gives the same answer), except the
  15-minute timeout and an answer too large: those pages are read again with half the ``take``. A
  500 without it (a proxy's page) is retried like 502–504.
* At most five calls run at once per environment and process (AFAS's advice).
* Bodies are decoded with ``parse_float=Decimal``: amounts never pass through a float.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator, Mapping, Sequence
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

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

from sfsync_afas.auth import environment_base, token_header
from sfsync_afas.facts import MAX_QUERY_CHARS, MAX_SIMULTANEOUS
from sfsync_afas.filters import Condition, filter_params

__all__ = ["AfasClient", "afas_answer", "afas_error_text"]

_SLOTS: dict[tuple[int, str], asyncio.Semaphore] = {}
SHRINKING = ("maximale tijdsduur", "maximum duration", "out of memory", "out of string space")
"""500 messages that mean "ask for less" (troubleshooting.md, get-connector.md)."""
MIN_TAKE = 25


def afas_error_text(response: httpx.Response) -> str:
    """``externalMessage`` with the logbook reference, or the status when the body has none."""
    try:
        body = json.loads(response.content or b"null")
    except ValueError:
        body = None
    if isinstance(body, dict) and body.get("externalMessage"):
        reference = body.get("profitLogReference")
        return str(body["externalMessage"]) + (f" (logbook reference {reference})" if reference else "")
    return f"HTTP {response.status_code}"


def afas_answer(response: httpx.Response) -> bool:
    """Whether an error response is AFAS's own (``{externalMessage, …}``), not a gateway's."""
    try:
        body = json.loads(response.content or b"null")
    except ValueError:
        return False
    return isinstance(body, dict) and "externalMessage" in body


def _slots(key: str) -> asyncio.Semaphore:
    loop = id(asyncio.get_running_loop())
    slot = _SLOTS.get((loop, key))
    if slot is None:
        slot = _SLOTS[loop, key] = asyncio.Semaphore(MAX_SIMULTANEOUS)
    return slot


class AfasClient:
    """One connection's calls to its environment."""

    def __init__(self, ctx: ConnectorContext, *, take: int = 1000) -> None:
        self.ctx = ctx
        self.base_url = environment_base(ctx)
        self.take = take
        self._authorization = token_header(ctx)
        # One budget per environment and user: the token is both (hashed, never kept in clear).
        self.limit_key = "afas:" + hashlib.sha256(self._authorization.encode()).hexdigest()[:16]

    @property
    def http(self) -> httpx.AsyncClient:
        # A 500 with AFAS's error body is its functional answer and comes back to be read; a 500
        # without it (a proxy's page, a crash) is transient and retried, as are 502-504.
        return self.ctx.http(
            self.base_url, limit_key=self.limit_key, retry_statuses=frozenset({500, 502, 503, 504}), keeps=afas_answer,
            headers={"Accept": "application/json", "Authorization": self._authorization}, timeout=900.0,
        )

    async def request(self, method: str, path: str, params: Mapping[str, str] | None = None, **kwargs: Any) -> httpx.Response:
        """One call, within the five-at-once limit; refuses a query string AFAS would 404."""
        query = "?" + urlencode(params) if params else ""
        if len(query) > MAX_QUERY_CHARS:
            raise FatalError(
                f"the AFAS request {path} would carry a {len(query)}-character query string; AFAS "
                f"answers 404 beyond {MAX_QUERY_CHARS}"
            )
        async with _slots(self.limit_key):
            return await self.http.request(method, f"{self.base_url}{path}", params=params, **kwargs)

    async def get_json(self, path: str, params: Mapping[str, str] | None = None) -> Any:
        """GET and decode, raising AFAS's errors as the core's."""
        response = await self.request("GET", path, params)
        if response.status_code != 200:
            raise self.error(response, path)
        return self.decode(response)

    @staticmethod
    def decode(response: httpx.Response) -> Any:
        try:
            return json.loads(response.content, parse_float=Decimal)
        except ValueError as exc:
            raise MalformedResponse("AFAS's answer is not valid JSON", response=response) from exc

    def error(self, response: httpx.Response, path: str) -> Exception:
        text, status = afas_error_text(response), response.status_code
        if status == 401:
            return NeedsReconsent(
                f"AFAS refused the connection's token ({text}): it was deleted or belongs to another "
                "environment; support must enter a new token", response=response)
        if status == 403:
            return AuthError(
                f"AFAS refused the call from this address ({text}): the App Connector has an IP "
                "restriction; the environment's AFAS administrator must allow sfsync's address",
                response=response)
        if status == 404:
            return NotFound(
                f"AFAS does not serve {path} for this token ({text}): the GetConnector is not in the "
                "App Connector or the query is too long", response=response)
        if status in (429, 502, 503, 504):
            return RetriableError(f"AFAS is busy ({status}): {text}", response=response)
        return FatalError(f"AFAS refused {path} ({status}): {text}", response=response)

    async def pages(
        self,
        connector: str,
        *,
        order: Sequence[str],
        where: Sequence[Sequence[Condition]] = (),
        skip: int = 0,
        take: int | None = None,
    ) -> AsyncIterator[tuple[int, list[dict[str, Any]]]]:
        """Yield ``(skip after this page, rows)`` of a GetConnector, in ``order``, from ``skip``."""
        if not order:
            raise ValueError("AFAS pages reliably only in a fixed order: give orderbyfieldids")
        take = take or self.take
        path = f"/connectors/{connector}"
        while True:
            params = {"skip": str(skip), "take": str(take), "orderbyfieldids": ",".join(order),
                      **filter_params(where)}
            response = await self.request("GET", path, params)
            if response.status_code == 413 or (
                response.status_code == 500 and any(m in afas_error_text(response).lower() for m in SHRINKING)
            ):
                if take <= MIN_TAKE:
                    raise RetriableError(f"AFAS could not answer {connector} even {take} rows at a time: "
                                         f"{afas_error_text(response)}", response=response)
                take = max(MIN_TAKE, take // 2)  # the same rows, in smaller pages
                continue
            if response.status_code != 200:
                raise self.error(response, path)
            body = self.decode(response)
            rows = body.get("rows") if isinstance(body, dict) else None
            if not isinstance(rows, list):
                raise MalformedResponse(f"AFAS answered {connector} without its rows", response=response)
            skip += len(rows)
            yield skip, rows
            if len(rows) < take:
                return

    async def first(self, connector: str, *, order: Sequence[str], where: Sequence[Sequence[Condition]] = (),
                    take: int) -> list[dict[str, Any]]:
        """The first ``take`` rows of a GetConnector in ``order``: one request."""
        pages = self.pages(connector, order=order, where=where, take=take)
        try:
            async for _, rows in pages:
                return rows
        finally:
            await pages.aclose()  # type: ignore[attr-defined]
        return []

    async def all(self, connector: str, *, order: Sequence[str], where: Sequence[Sequence[Condition]] = ()) -> list[dict[str, Any]]:
        """Every row of a GetConnector."""
        rows: list[dict[str, Any]] = []
        async for _, page in self.pages(connector, order=order, where=where):
            rows.extend(page)
        return rows

"""Talking to one OData v4 service root of Business Central (an environment's ``api/v2.0``, or a
firm's BoCount endpoint), on the core's OData toolkit (:mod:`sfsync.odata`).

* Collections are read with ``Prefer: odata.maxpagesize`` and followed through
  ``@odata.nextLink`` (a link seen twice or leaving the host is refused).
* Refusals are the OData error body; its ``code`` and ``message`` go into the error message
  (they name a property or a company, never a secret).
* 408 (operation timeout), 429 (with or without ``Retry-After``), 503 (queued too long) and other
  5xx are retried by the core's transport, then raised as retriable.
* At most five requests of one user are in flight from this process (the service queues more and
  answers 503 when they wait too long, or 429 when the queue is full).
"""

from __future__ import annotations

import asyncio
import base64
import weakref
from collections.abc import AsyncIterator, Mapping
from typing import Any

import httpx
from sfsync.context import ConnectorContext
from sfsync.errors import AuthError, FatalError, NeedsReconsent, NotFound, RetriableError
from sfsync.odata import ODataPage, ODataQuery, max_page_size_header, odata_error, read_collection
from sfsync.odata.paging import decode

from sfsync_businesscentral.facts import CONCURRENT, PAGE_SIZE

__all__ = ["ODataClient"]

RETRY = frozenset({408, 500, 502, 503, 504})
_SLOTS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Semaphore]] = weakref.WeakKeyDictionary()


def _slot(user: str) -> asyncio.Semaphore:
    per_loop = _SLOTS.setdefault(asyncio.get_running_loop(), {})
    return per_loop.setdefault(user, asyncio.Semaphore(CONCURRENT))


class ODataClient:
    """One service root's calls. ``basic``: (user, key) for BoCount; ``auth``: an app's
    client-credentials flow; otherwise the connection's OAuth2 tokens."""

    def __init__(self, ctx: ConnectorContext, root: str, *, user: str, basic: tuple[str, str] | None = None,
                 auth: httpx.Auth | None = None, package: str = "Business Central", page_size: int = PAGE_SIZE) -> None:
        self.ctx, self.root, self.user, self.package, self.page_size = ctx, root.rstrip("/"), user, package, page_size
        self.auth = auth
        headers = {"Accept": "application/json", "OData-MaxVersion": "4.0", "OData-Version": "4.0"}
        if basic is not None:
            raw = f"{basic[0]}:{basic[1]}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(raw).decode()
        self.basic = basic is not None
        self._http = ctx.http(self.root, authenticated=basic is None and auth is None, limit_key=f"bc:{user}",
                              headers=headers, retry_statuses=RETRY)

    def __repr__(self) -> str:
        return f"ODataClient({self.root!r})"

    def url(self, path: str) -> str:
        """``path`` under the service root."""
        return path if path.startswith("http") else f"{self.root}/{path.lstrip('/')}"

    async def send(self, url: str, params: Mapping[str, str] | None = None, *, page: bool = True) -> httpx.Response:
        """GET ``url``; raise the package's refusal as the core's error."""
        headers = max_page_size_header(self.page_size) if page else {}
        async with _slot(self.user):
            if self.auth is not None:  # client credentials: this request's own flow
                response = await self._http.get(self.url(url), params=params, headers=headers, auth=self.auth)
            else:
                response = await self._http.get(self.url(url), params=params, headers=headers)
        if response.status_code == 200:
            return response
        raise self.error(response)

    def error(self, response: httpx.Response) -> Exception:
        """The core's error for a refusal."""
        body = odata_error(response)
        text = str(body) if body else f"HTTP {response.status_code}"
        status = response.status_code
        if status == 401:
            if self.basic:
                return NeedsReconsent(f"{self.package} refused the web-service user name or access key ({text}); "
                                      "an admin must enter the current key", response=response)
            return AuthError(f"{self.package} refused the access token even after a refresh ({text})", response=response)
        if status == 403:
            return AuthError(f"{self.package} refused access ({text}): the user needs the API permission sets "
                             "(D365 BUS FULL ACCESS or D365 READ) in this company", response=response)
        if status == 404:
            return NotFound(f"{self.package} does not know this company, environment or resource ({text})", response=response)
        if status in RETRY or status == 429:
            return RetriableError(f"{self.package} answered {status} ({text})", response=response)
        if status == 413:
            return FatalError(f"{self.package} refused the page size ({text}): at most 20,000 entities a page",
                              response=response)
        return FatalError(f"{self.package} refused the request ({status}): {text}", response=response)

    async def get(self, path: str, params: Mapping[str, str] | None = None) -> Any:
        """GET one document and decode it."""
        return decode(await self.send(path, params, page=False), f"{self.package}'s {path}")

    async def pages(self, path: str, query: ODataQuery | None = None) -> AsyncIterator[ODataPage]:
        """Each page of a collection."""
        async for page in read_collection(self.send, self.url(path), (query or ODataQuery()).params(),
                                          what=f"{self.package}'s {path.rsplit('/', 1)[-1]}"):
            yield page

    async def all(self, path: str, query: ODataQuery | None = None) -> list[dict[str, Any]]:
        """Every entity of a collection."""
        out: list[dict[str, Any]] = []
        async for page in self.pages(path, query):
            out.extend(page.value)
        return out

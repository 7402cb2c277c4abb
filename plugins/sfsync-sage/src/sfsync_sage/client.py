"""Talking to Sage's Accounts API v3.1: ``X-Business``, the ``$items`` envelope, Sage's errors.

* Every call but ``/businesses`` names its business in ``X-Business``.
* Lists are read with ``items_per_page=200`` (the cap) and followed through ``$next`` until it
  is null; a ``$next`` seen before is a loop. ``$next`` may be relative to ``/v3.1`` or absolute
  on the API host; anything else is refused.
* Bodies are read with ``parse_float=Decimal``: an amount never passes through a float.
* Errors are Sage's array of ``{$severity, $dataCode, $message, $source}``; their text goes into
  the error message (it names a field, never a secret).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import httpx
from sfsync.context import ConnectorContext
from sfsync.errors import AuthError, FatalError, MalformedResponse, NotFound, RetriableError
from sfsync.http.pagination import check_next_token

from sfsync_sage.facts import API_BASE, PAGE_MAX

__all__ = ["SageClient", "sage_error_text"]


def sage_error_text(response: httpx.Response) -> str:
    """The messages of Sage's error array (``RecordInvalid: … (line_items.tax_rate_id)``)."""
    try:
        body = json.loads(response.content or b"null")
    except ValueError:
        return f"HTTP {response.status_code}"
    items = body if isinstance(body, list) else [body] if isinstance(body, dict) else []
    parts = []
    for item in items:
        if not isinstance(item, dict):
            continue
        code, message, source = (str(item.get(k) or "") for k in ("$dataCode", "$message", "$source"))
        text = f"{code}: {message}" if code and message else code or message
        if source:
            text = f"{text} ({source})"
        if text:
            parts.append(text)
    return "; ".join(parts) or f"HTTP {response.status_code}"


class SageClient:
    """One connection's calls to the API."""

    def __init__(self, ctx: ConnectorContext, base_url: str = API_BASE) -> None:
        self.ctx = ctx
        self.base_url = base_url.rstrip("/")
        client_id = str(ctx.config.get("client_id", "")) or ctx.connection_id
        # Sage counts calls per app and business: key the limiter the same way (ratelimits.py).
        self.limit_key = f"sage:{client_id}"
        self.charts: dict[str, dict[str, Any]] = {}
        """Ledger accounts by business, as read by this run (the ledger maps ids to codes)."""

    @property
    def http(self) -> httpx.AsyncClient:
        return self.ctx.http(self.base_url, limit_key=self.limit_key, headers={"Accept": "application/json"})

    def _target(self, path: str) -> str:
        if path.startswith("http"):
            link, base = urlsplit(path), urlsplit(self.base_url)
            if (link.scheme, link.netloc) != (base.scheme, base.netloc):
                raise MalformedResponse(f"Sage's $next link leaves the API host ({link.scheme}://{link.netloc})")
            return path
        return f"{self.base_url}/{path.lstrip('/')}"

    async def get(self, path: str, params: Mapping[str, str] | None = None, *, business: str | None = None) -> Any:
        """GET a path (relative to ``/v3.1``, or a ``$next`` link) and decode it."""
        headers = {"X-Business": business} if business else {}
        response = await self.http.get(self._target(path), params=params, headers=headers)
        if response.status_code == 200:
            try:
                return json.loads(response.content, parse_float=Decimal)
            except ValueError as exc:
                raise MalformedResponse("Sage's answer is not valid JSON", response=response) from exc
        raise self._error(response)

    def _error(self, response: httpx.Response) -> Exception:
        text = sage_error_text(response)
        status = response.status_code
        if status == 401:
            return AuthError(f"Sage refused the access token even after a refresh ({text})", response=response)
        if status == 403:
            return AuthError(
                f"Sage refused access ({text}): the user who connected needs Read Only or Full Access "
                "to this area of the business",
                response=response,
            )
        if status == 404:
            return NotFound(f"Sage does not know this resource or business ({text})", response=response)
        if status == 429 or status >= 500:
            return RetriableError(f"Sage answered {status} ({text})", response=response)
        return FatalError(f"Sage refused the request ({status}): {text}", response=response)

    async def pages(
        self,
        path: str,
        params: Mapping[str, str] | None = None,
        *,
        business: str | None = None,
        sized: bool = True,
    ) -> AsyncIterator[dict[str, Any]]:
        """Yield each page's envelope, following ``$next`` until it is null. ``sized``: ask for
        200 a page (``/businesses`` declares no paging parameters)."""
        seen: set[str] = set()
        previous: str | None = None
        query = {**({"items_per_page": str(PAGE_MAX)} if sized else {}), **(params or {})}
        body = await self.get(path, query, business=business)
        while True:
            if not isinstance(body, dict) or not isinstance(body.get("$items"), list):
                raise MalformedResponse(f"Sage answered {path} without the $items envelope")
            following = body.get("$next")
            following = str(following) if following else None
            check_next_token(previous, following, seen=seen)
            yield body
            if following is None:
                return
            previous = following
            body = await self.get(following, business=business)

    async def all(
        self,
        path: str,
        params: Mapping[str, str] | None = None,
        *,
        business: str | None = None,
        sized: bool = True,
    ) -> list[dict[str, Any]]:
        """Every item of a list."""
        items: list[dict[str, Any]] = []
        async for page in self.pages(path, params, business=business, sized=sized):
            items.extend(page["$items"])
        return items

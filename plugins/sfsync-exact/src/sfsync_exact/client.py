"""Talking to Exact Online's REST API v1: OData query options, ``__next`` paging, the response
envelope, Exact's error bodies, and the per-endpoint error budget.

* Every request sends ``Accept: application/json`` (Exact's default is Atom XML) and reads the
  body with ``parse_float=Decimal``.
* Pages are followed through ``d.__next``, an absolute URL requested verbatim and sequentially
  (Exact warns that parallel pages may come in random order); a repeated link is a loop.
* Exact blocks an app for an hour after 10 error answers on one endpoint, so 400/403/404 are never
  retried, and the client stops before spending the budget.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx
from sfsync.context import ConnectorContext
from sfsync.errors import AuthError, FatalError, MalformedResponse, NotFound, RetriableError
from sfsync.http.pagination import check_next_token

from sfsync_exact.auth import ACCESS_TOKEN_SECONDS, EARLIEST_REFRESH_SECONDS, TooEarlyToRefresh
from sfsync_exact.wire import decode_json

__all__ = ["ERROR_BUDGET", "ExactClient", "exact_error_message", "unwrap"]

ERROR_BUDGET = 8
"""Error answers per endpoint a run allows itself (Exact blocks the app after 10 an hour)."""


def exact_error_message(response: httpx.Response) -> str:
    """The text of Exact's ``{"error": {"message": {"value": …}}}`` body (and ``Reason``)."""
    text = ""
    try:
        body = decode_json(response.content)
        message = body.get("error", {}).get("message", "")
        text = str(message.get("value", "")) if isinstance(message, dict) else str(message)
    except (ValueError, AttributeError):
        text = response.text[:200] if response.content else ""
    reason = response.headers.get("Reason")
    if reason:
        text = f"{text} ({reason})" if text else reason
    return text or f"HTTP {response.status_code}"


def unwrap(payload: Any) -> tuple[list[dict[str, Any]], str | None]:
    """Exact's envelope → (rows, next link): ``{"d": {"results": […], "__next": …}}``, or
    ``{"d": {…}}`` / ``{"d": […]}`` for single entities and functions."""
    if not isinstance(payload, dict) or "d" not in payload:
        raise MalformedResponse("Exact answered without the OData 'd' envelope")
    inner = payload["d"]
    if isinstance(inner, list):
        return inner, None
    if isinstance(inner, dict) and isinstance(inner.get("results"), list):
        following = inner.get("__next")
        return inner["results"], str(following) if following else None
    if isinstance(inner, dict):
        return [inner], None
    raise MalformedResponse("Exact's 'd' envelope holds neither rows nor an entity")


class ExactClient:
    """One connection's calls to one region's host."""

    def __init__(self, ctx: ConnectorContext, base_url: str) -> None:
        self.ctx = ctx
        self.base_url = base_url.rstrip("/")
        client_id = str(ctx.config.get("client_id", "")) or ctx.connection_id
        # Exact counts calls per app (client id) and division: key the limiter the same way.
        self.limit_key = f"exact:{urlsplit(self.base_url).hostname}:{client_id}"
        self.errors: dict[str, int] = {}

    @property
    def http(self) -> httpx.AsyncClient:
        """The context's managed client (asked each time: the context owns and closes it)."""
        return self.ctx.http(
            self.base_url, limit_key=self.limit_key, headers={"Accept": "application/json"}
        )

    def _endpoint(self, url: str) -> str:
        return urlsplit(url).path

    async def get(self, url: str, params: Mapping[str, str] | None = None) -> Any:
        """GET one URL (relative to the API root, or an absolute ``__next``) and decode it."""
        if url.startswith("http"):
            link, base = urlsplit(url), urlsplit(self.base_url)
            if (link.scheme, link.netloc) != (base.scheme, base.netloc):
                raise MalformedResponse(
                    f"Exact's next-page link leaves the API host ({link.scheme}://{link.netloc})"
                )
            target = url
        else:
            target = f"{self.base_url}/api/v1/{url.lstrip('/')}"
        endpoint = self._endpoint(target)
        if self.errors.get(endpoint, 0) >= ERROR_BUDGET:
            raise FatalError(
                f"stopped calling {endpoint}: it answered with errors {ERROR_BUDGET} times, and Exact "
                "blocks an app for an hour after 10; fix the cause and sync again"
            )
        for attempt in range(3):
            try:
                response = await self.http.get(target, params=params)
                break
            except TooEarlyToRefresh:
                # A forced refresh (after an unexpected 401) came before Exact's 570 s: wait until
                # the access token is old enough, then try once more.
                if attempt == 2:
                    raise
                await self.ctx.clock.sleep(await self._until_refresh_allowed())
        if response.status_code == 200:
            content_type = response.headers.get("Content-Type", "")
            if "json" not in content_type:
                raise MalformedResponse(
                    f"Exact answered {content_type or 'without a content type'} instead of JSON",
                    response=response,
                )
            try:
                return decode_json(response.content)
            except ValueError as exc:
                raise MalformedResponse(
                    "Exact's answer is not valid JSON", response=response
                ) from exc
        self.errors[endpoint] = self.errors.get(endpoint, 0) + 1
        raise self._error(response)

    async def _until_refresh_allowed(self) -> float:
        tokens = await self.ctx.vault.load() if self.ctx.vault is not None else None
        issued = tokens.extra.get("issued_at") if tokens is not None else None
        if not issued:
            return float(ACCESS_TOKEN_SECONDS - EARLIEST_REFRESH_SECONDS)
        allowed = dt.datetime.fromisoformat(issued) + dt.timedelta(
            seconds=EARLIEST_REFRESH_SECONDS + 1
        )
        return max(1.0, (allowed - self.ctx.clock.now()).total_seconds())

    def _error(self, response: httpx.Response) -> Exception:
        text = exact_error_message(response)
        status = response.status_code
        if status == 401:
            return AuthError(
                "Exact refused the access token even after a refresh; an admin may need to "
                "connect Exact again",
                response=response,
            )
        if status == 403:
            if "scope" in text.lower():
                return AuthError(
                    f"Exact refused the call: {text}. Enable the app scope for this data in Exact's "
                    "App Center",
                    response=response,
                )
            return AuthError(
                f"Exact refused access ({text}); the user may lack rights or the division was not "
                "selected when the app was authorised",
                response=response,
            )
        if status == 404:
            return NotFound(f"Exact does not know this resource ({text})", response=response)
        if status == 429:
            return RetriableError(f"Exact keeps answering 429 ({text})", response=response)
        if status >= 500:
            return RetriableError(f"Exact answered {status}: {text}", response=response)
        return FatalError(f"Exact refused the request ({status}): {text}", response=response)

    async def pages(
        self, url: str, params: Mapping[str, str] | None = None
    ) -> AsyncIterator[tuple[list[dict[str, Any]], str | None]]:
        """Yield (rows, next link) for each page, following ``__next`` until it is absent."""
        seen: set[str] = set()
        previous: str | None = None
        payload = await self.get(url, params)
        while True:
            rows, following = unwrap(payload)
            check_next_token(previous, following, seen=seen)
            yield rows, following
            if not following:
                return
            previous = following
            payload = await self.get(following)

    async def all(self, url: str, params: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
        """Every row of a collection."""
        rows: list[dict[str, Any]] = []
        async for page, _ in self.pages(url, params):
            rows.extend(page)
        return rows

"""Server-driven paging in OData v4 (OData v4.01 Protocol §11.2.6.7; Business Central's
"Server-Driven Paging in OData Web Services").

The client asks for a page size with ``Prefer: odata.maxpagesize=N``; the service answers at
most that many entities and, when more remain, an ``@odata.nextLink``: an opaque URL (with a
``$skiptoken``) to GET as it is, with the same ``Prefer``. The last page has no link.
:func:`read_collection` follows the links, refusing one it saw before (a loop) and one that
leaves the service's scheme and host (a forged or misrouted link would send the credentials
elsewhere). Bodies are read with ``parse_float=Decimal``: an amount never passes through a float.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from sfsync.errors import MalformedResponse
from sfsync.http.pagination import check_next_token

__all__ = ["ODataPage", "max_page_size_header", "read_collection"]

NEXT_LINK = "@odata.nextLink"


def max_page_size_header(size: int) -> dict[str, str]:
    """The ``Prefer`` header asking for pages of at most ``size`` entities."""
    if size < 1:
        raise ValueError(f"odata.maxpagesize must be at least 1, not {size}")
    return {"Prefer": f"odata.maxpagesize={size}"}


@dataclass(frozen=True)
class ODataPage:
    """One page of a collection: its entities and the link to the next (``None`` on the last)."""

    value: list[dict[str, Any]]
    next_link: str | None
    url: str


def decode(response: httpx.Response, what: str) -> Any:
    """The JSON body of ``response``, numbers with a fraction as ``Decimal``."""
    try:
        return json.loads(response.content, parse_float=Decimal)
    except ValueError as exc:
        raise MalformedResponse(f"{what} is not valid JSON", response=response) from exc


async def read_collection(
    send: Callable[[str, Mapping[str, str] | None], Awaitable[httpx.Response]],
    url: str,
    params: Mapping[str, str] | None = None,
    *,
    what: str = "the OData collection",
) -> AsyncIterator[ODataPage]:
    """Yield each page of a collection, following ``@odata.nextLink`` to the end.

    Args:
        send: Sends a GET of a URL with parameters (``None`` for a next link, which carries its
            own) and returns the response; it raises for anything but 200 (the caller's errors).
        url: The collection's URL.
        params: The first request's query options (:meth:`ODataQuery.params`).
        what: How error messages name the collection.
    """
    base = urlsplit(url)
    seen: set[str] = set()
    previous: str | None = None
    current, current_params = url, params
    while True:
        body = decode(await send(current, current_params), what)
        if not isinstance(body, dict) or not isinstance(body.get("value"), list):
            raise MalformedResponse(f"{what} came without a value array")
        following = body.get(NEXT_LINK)
        if following is not None:
            if not isinstance(following, str) or not following:
                raise MalformedResponse(f"{what} has an @odata.nextLink that is not a URL: {following!r}")
            following = urljoin(current, following)
            link = urlsplit(following)
            if (link.scheme, link.netloc) != (base.scheme, base.netloc):
                raise MalformedResponse(f"{what}'s @odata.nextLink leaves the service ({link.scheme}://{link.netloc})")
        check_next_token(previous, following, seen=seen)
        yield ODataPage(value=body["value"], next_link=following, url=current)
        if following is None:
            return
        previous, current, current_params = following, following, None

"""The sandboxes' login pages, reachable from a browser (``sfsync web --sandbox`` and the demo).

A package's authorize page lives at its own address (``https://start.exactonline.be/...``),
which in sandbox mode only the host can reach (in-process). So the host sends the person to
``/_sandbox/<host>/<path>`` instead, and passes the request on to the sandbox answering that
host, as a browser would reach the real page: the person logs in on the sandbox's page, and its
redirect brings them back to the host's OAuth callback like the real package's would.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import httpx
from starlette.requests import Request
from starlette.responses import Response

from sfsync.context import RoutingTransport

__all__ = ["PREFIX", "gateway", "through_gateway"]

PREFIX = "/_sandbox"
_PASSED_ON = ("content-type", "location", "cache-control")


def through_gateway(url: str) -> str:
    """``url`` of a package as the browser reaches it through the host's gateway."""
    parts = urlsplit(url)
    return urlunsplit(("", "", f"{PREFIX}/{parts.hostname}{parts.path}", parts.query, ""))


def gateway(transports: dict[str, httpx.AsyncBaseTransport]) -> object:
    """The gateway's endpoint over the host's in-process sandbox ``transports``."""

    hosts = {urlsplit(url).hostname for url in transports}

    async def endpoint(request: Request) -> Response:
        host = request.path_params["host"]
        if host not in hosts:  # never a way out to the network
            return Response("no sandbox answers for this host", status_code=404, media_type="text/plain")
        target = f"https://{host}/{request.path_params['path']}"
        if request.url.query:
            target += f"?{request.url.query}"
        body = await request.body()
        headers = {k: v for k, v in request.headers.items() if k in ("content-type", "accept")}
        async with httpx.AsyncClient(transport=RoutingTransport(transports)) as client:
            answer = await client.request(request.method, target, content=body, headers=headers)
        content = answer.content
        if "text/html" in answer.headers.get("content-type", ""):
            # The page's form posts to its own path: keep it going through the gateway.
            content = content.replace(b'action="/', f'action="{PREFIX}/{host}/'.encode())
        kept = {k: v for k, v in answer.headers.items() if k in _PASSED_ON}
        return Response(content, status_code=answer.status_code, headers=kept)

    return endpoint

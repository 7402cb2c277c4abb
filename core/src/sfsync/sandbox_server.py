"""Every installed sandbox behind one HTTP port, and the transport that sends a package's URLs there.

``sfsync sandbox serve`` runs :func:`dispatcher` under uvicorn: one process keeps the sandboxes'
state (issued tokens, data changes) across many ``sfsync`` commands. A command run with
``--sandbox-url http://127.0.0.1:8800`` mounts a :class:`ForwardingTransport` for every sandbox's
base URL: the request goes to the served port with its original ``Host``, by which the dispatcher
picks the sandbox.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import httpx

from sfsync.sandbox import ASGIApp, Receive, Sandbox, Scope, Send

__all__ = ["ForwardingTransport", "dispatcher", "forwarding_mounts"]


def _host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def dispatcher(sandboxes: list[Sandbox]) -> ASGIApp:
    """An ASGI app that sends each request to the sandbox whose base URL has the request's host."""
    routes: dict[str, ASGIApp] = {}
    for sandbox in sandboxes:
        for url in sandbox.base_urls:
            routes.setdefault(_host_of(url), sandbox.app)
    only = sandboxes[0].app if len(sandboxes) == 1 else None

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        headers = {k.decode().lower(): v.decode() for k, v in scope.get("headers", [])}
        host = headers.get("x-sfsync-sandbox-host") or headers.get("host", "").split(":")[0].lower()
        target = routes.get(host, only)
        if target is None:
            body = f"no sandbox answers for host {host!r}; it serves {sorted(routes)}".encode()
            await send({"type": "http.response.start", "status": 404,
                        "headers": [(b"content-type", b"text/plain; charset=utf-8")]})
            await send({"type": "http.response.body", "body": body})
            return
        if "x-sfsync-sandbox-host" in headers:
            # Present the request as the package's own host saw it, so links the sandbox builds
            # (Exact's __next) point at the package's URL, which the client forwards here again.
            scheme = headers.get("x-sfsync-sandbox-scheme", "https")
            port = 443 if scheme == "https" else 80
            raw = [(k, v) for k, v in scope.get("headers", []) if k.lower() not in (b"host",)]
            raw.append((b"host", host.encode()))
            scope = {**scope, "scheme": scheme, "server": (host, port), "headers": raw}
        await target(scope, receive, send)

    return app


class ForwardingTransport(httpx.AsyncBaseTransport):
    """Sends requests to ``target`` (a served dispatcher), keeping the original host in a header."""

    def __init__(self, target: str) -> None:
        self.target = httpx.URL(target)
        self._inner: httpx.AsyncHTTPTransport | None = None
        self._loop: object = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        loop = asyncio.get_running_loop()
        if self._inner is None or self._loop is not loop:
            # A command runs several event loops in turn; a pool belongs to the loop that made it.
            self._inner, self._loop = httpx.AsyncHTTPTransport(), loop
        original = request.url
        request.url = original.copy_with(scheme=self.target.scheme, host=self.target.host, port=self.target.port)
        request.headers["X-Sfsync-Sandbox-Host"] = original.host
        request.headers["X-Sfsync-Sandbox-Scheme"] = original.scheme
        try:
            return await self._inner.handle_async_request(request)
        finally:
            request.url = original

    async def aclose(self) -> None:
        if self._inner is not None:
            await self._inner.aclose()
            self._inner = None


def forwarding_mounts(sandboxes: list[Sandbox], target: str) -> dict[str, httpx.AsyncBaseTransport]:
    """Mounts that forward every sandbox's base URLs to ``target``."""
    transport = ForwardingTransport(target)
    return {url: transport for sandbox in sandboxes for url in sandbox.base_urls}

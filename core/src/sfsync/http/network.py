"""The network side of sfsync's HTTP: one TLS context per process, one connection pool per loop.

Building an ``httpx.AsyncHTTPTransport`` loads the certificate authorities into a new TLS context
(about 35 ms of CPU, whether the URL is ``https`` or not), and a transport per run opens a new TCP
(and TLS) connection per run. A process that syncs many dossiers (a Celery worker, the web host)
gives its :class:`~sfsync.runner.Runner` a :class:`SharedNetwork`: every run's requests that no
sandbox takes go through one pool per event loop, kept alive between runs.
"""

from __future__ import annotations

import asyncio
import functools
import ssl
import weakref

import httpx

__all__ = ["SharedNetwork", "default_ssl_context"]


@functools.cache
def default_ssl_context() -> ssl.SSLContext:
    """The TLS context httpx builds for ``verify=True`` (``SSL_CERT_FILE``/``SSL_CERT_DIR`` or
    certifi's authorities), built once per process: a context is safe to share between
    connections and threads."""
    return httpx.create_ssl_context()


class SharedNetwork(httpx.AsyncBaseTransport):
    """A transport to the network shared by many runs: one ``httpx.AsyncHTTPTransport`` (its own
    pool of kept-alive connections) per event loop, since a pool's connections belong to the loop
    that opened them.

    The contexts that use it never close it (:class:`~sfsync.context.RoutingTransport` leaves a
    shared network alone); its owner calls :meth:`aclose` in each loop before that loop ends.

    Args:
        verify: How servers' certificates are checked (default: :func:`default_ssl_context`).
        limits: The pools' connection limits (httpx's defaults when not given: 100 connections,
            20 of them kept alive).
    """

    def __init__(self, *, verify: ssl.SSLContext | None = None, limits: httpx.Limits | None = None) -> None:
        self._verify = verify
        self._limits = limits
        self._pools: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncHTTPTransport] = (
            weakref.WeakKeyDictionary()
        )

    def __repr__(self) -> str:
        return f"SharedNetwork(loops={len(self._pools)})"

    def pool(self) -> httpx.AsyncHTTPTransport:
        """The running loop's transport, opened on first use."""
        loop = asyncio.get_running_loop()
        transport = self._pools.get(loop)
        if transport is None:
            transport = httpx.AsyncHTTPTransport(
                verify=self._verify or default_ssl_context(),
                limits=self._limits if self._limits is not None else httpx.Limits(max_connections=100,
                                                                                   max_keepalive_connections=20),
            )
            self._pools[loop] = transport
        return transport

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` through the running loop's pool."""
        return await self.pool().handle_async_request(request)

    async def aclose(self) -> None:
        """Close the running loop's pool (its kept-alive connections); another loop's stays."""
        transport = self._pools.pop(asyncio.get_running_loop(), None)
        if transport is not None:
            await transport.aclose()

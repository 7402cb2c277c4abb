"""The network side of the HTTP stack: one TLS context per process, and a shared pool that keeps
connections alive from one run's context to the next (a Celery worker's runs)."""

from __future__ import annotations

import asyncio
import ssl

import httpx
import pytest
from sfsync.context import ConnectorContext, RoutingTransport
from sfsync.http import network
from sfsync.http.network import SharedNetwork, default_ssl_context


class _KeepAliveServer:
    """A tiny HTTP/1.1 server on loopback that answers every request with keep-alive and counts
    the TCP connections it was given."""

    def __init__(self) -> None:
        self.connections = 0
        self.requests = 0
        self.server: asyncio.Server | None = None

    async def __aenter__(self) -> str:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                if not head:
                    break
                self.requests += 1
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


def _context(shared: SharedNetwork | None) -> ConnectorContext:
    return ConnectorContext(connector="probe", connection_id="conn_probe", network=shared)


async def _one_run(base_url: str, shared: SharedNetwork | None) -> None:
    ctx = _context(shared)
    try:
        response = await ctx.http(base_url, authenticated=False).get("/ping")
        assert response.status_code == 200
    finally:
        await ctx.aclose()  # a run's end: its own clients close, a shared network stays open


def test_runs_sharing_a_network_reuse_one_kept_alive_connection():
    server = _KeepAliveServer()

    async def go() -> None:
        shared = SharedNetwork()
        async with server as base_url:
            for _ in range(3):
                await _one_run(base_url, shared)
            await shared.aclose()

    asyncio.run(go())
    assert (server.requests, server.connections) == (3, 1)


def test_runs_without_a_shared_network_each_open_their_own_connection():
    server = _KeepAliveServer()

    async def go() -> None:
        async with server as base_url:
            for _ in range(3):
                await _one_run(base_url, None)

    asyncio.run(go())
    assert (server.requests, server.connections) == (3, 3)


def test_each_event_loop_gets_its_own_pool_and_closing_one_leaves_the_other():
    shared = SharedNetwork()
    pools: list[httpx.AsyncHTTPTransport] = []

    async def take() -> None:
        pools.append(shared.pool())
        assert shared.pool() is pools[-1]  # the same loop: the same pool

    asyncio.run(take())
    asyncio.run(take())
    assert pools[0] is not pools[1]

    async def close_in_a_new_loop() -> None:
        await shared.aclose()  # this loop never opened a pool: nothing to close, nothing breaks

    asyncio.run(close_in_a_new_loop())


def test_the_certificate_authorities_are_loaded_once_per_process(monkeypatch):
    loads: list[object] = []
    real = ssl.SSLContext.load_verify_locations

    def counting(self: ssl.SSLContext, *args: object, **kwargs: object) -> None:
        loads.append(args or kwargs)
        real(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ssl.SSLContext, "load_verify_locations", counting)
    default_ssl_context.cache_clear()
    server = _KeepAliveServer()

    async def go() -> None:
        async with server as base_url:
            for _ in range(3):  # three runs, each with its own transport (no shared network)
                await _one_run(base_url, None)

    try:
        asyncio.run(go())
        assert len(loads) == 1
        assert RoutingTransport({})._verify is True  # the default still verifies certificates
    finally:
        default_ssl_context.cache_clear()


def test_a_transport_told_not_to_verify_does_not_get_the_shared_context():
    async def go() -> None:
        router = RoutingTransport({}, verify=False)
        with pytest.raises(httpx.ConnectError):  # nothing listens on port 9 of loopback
            await router.handle_async_request(httpx.Request("GET", "https://127.0.0.1:9/"))
        pool = router._network
        assert isinstance(pool, httpx.AsyncHTTPTransport)
        assert pool._pool._ssl_context is not network.default_ssl_context()
        assert pool._pool._ssl_context.verify_mode == ssl.CERT_NONE
        await router.aclose()

    asyncio.run(go())

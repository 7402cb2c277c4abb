"""The sync service over real HTTP once (uvicorn on 127.0.0.1, a free port), and its command."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator

import click
import pytest
import uvicorn
from click.testing import CliRunner
from sfsync.auth import AgentSpec
from sfsync.context import ConnectorContext, Secrets
from sfsync.errors import AuthError
from sfsync.models import Company
from sfsync.plugins import get_registry
from sfsync_onprem.agent import AgentApp
from sfsync_onprem.commands import plugin
from sfsync_onprem.connector import OnpremFields, onprem
from sfsync_onprem.sandbox import OnpremSandbox


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[OnpremSandbox, str]]:
    sandbox = OnpremSandbox()
    port = _free_port()
    config = uvicorn.Config(AgentApp(sandbox.root, sandbox.token), host="127.0.0.1", port=port,
                            log_level="warning", ws="none", lifespan="on", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start within 15 s"
    try:
        yield sandbox, f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _ctx(url: str, token: str) -> ConnectorContext:
    return ConnectorContext(connector="onprem", connection_id="c1", auth_spec=AgentSpec(fields=OnpremFields),
                            config={"url": url}, secrets=Secrets({"token": token}))


def test_onprem_agent_over_real_http(served: tuple[OnpremSandbox, str]) -> None:
    sandbox, url = served

    async def go() -> tuple[list[str], int, str | None]:
        ctx = _ctx(url, sandbox.token)
        try:
            await onprem.sfsync_check_connection(ctx=ctx)
            companies = await onprem.sfsync_list_companies(ctx=ctx)
            count = 0
            cursor = None
            async for batch in onprem.sfsync_fetch_ledger(ctx=ctx, company=Company(ref="PARFILUX"),
                                                          since=None, cursor=None):
                count += len(batch.lines)
                cursor = batch.cursor
            return [c.ref for c in companies], count, cursor
        finally:
            await ctx.aclose()

    refs, count, cursor = asyncio.run(go())
    assert set(sandbox.company_refs()) <= set(refs)
    assert count == 500  # the Winbooks fixture's lines of the open book year, streamed as NDJSON
    assert cursor and "PARFILUX" in cursor


def test_onprem_agent_over_real_http_refuses_a_wrong_token(served: tuple[OnpremSandbox, str]) -> None:
    _sandbox, url = served

    async def go() -> None:
        ctx = _ctx(url, "wrong-token-1234")
        try:
            await onprem.sfsync_list_companies(ctx=ctx)
        finally:
            await ctx.aclose()

    with pytest.raises(AuthError):
        asyncio.run(go())


def test_onprem_agent_command_is_registered() -> None:
    cli = click.Group("sfsync")
    plugin.sfsync_register_commands(cli=cli)
    result = CliRunner().invoke(cli, ["agent", "serve", "--help"])
    assert result.exit_code == 0 and "--root" in result.output and "--token" in result.output
    refused = CliRunner().invoke(cli, ["agent", "serve", "--root", ".", "--token", "short"])
    assert refused.exit_code != 0 and "at least 8 characters" in refused.output
    assert "onprem-agent" in get_registry().others

"""The sandbox over real HTTP (uvicorn on localhost), as ``sfsync sandbox serve`` runs it."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
import uvicorn
from sfsync.clock import Clock
from sfsync.sandbox_server import dispatcher, forwarding_mounts
from sfsync_twinfield.connector import twinfield
from sfsync_twinfield.sandbox import TwinfieldSandbox

pytestmark = pytest.mark.slow


@pytest.fixture
def served():
    sandbox = TwinfieldSandbox(Clock())
    config = uvicorn.Config(
        dispatcher([sandbox]), host="127.0.0.1", port=0, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield sandbox, f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def test_twinfield_syncs_over_real_http(served, helpers):
    sandbox, url = served
    clock = Clock()

    async def scenario():
        mounts = forwarding_mounts([sandbox], url)
        vault = helpers.MemoryVault()
        ctx = helpers.make_context(sandbox, clock, vault, transports=mounts)
        try:
            vault.tokens = await helpers.login(sandbox, ctx)
            await twinfield.sfsync_check_connection(ctx=ctx)
            company = (await twinfield.sfsync_list_companies(ctx=ctx))[0]
            years = await twinfield.sfsync_fetch_fiscal_years(ctx=ctx, company=company)
            lines = [
                line
                async for batch in twinfield.sfsync_fetch_ledger(
                    ctx=ctx, company=company, since=None, cursor=None, fiscal_years=years
                )
                for line in batch.lines
            ]
            return ctx, company, lines
        finally:
            await ctx.aclose()
            for transport in {id(t): t for t in mounts.values()}.values():
                await transport.aclose()

    ctx, company, lines = asyncio.run(scenario())
    books = sandbox.books.offices[company.ref]
    assert {line.id for line in lines} == {
        f"{t.code}/{t.number}/{x.line}" for t in books.transactions.values() for x in t.lines
    }
    assert ctx.state["cluster_url"] == sandbox.cluster_url
    assert ctx.stats.requests >= 1 + len(books.years)

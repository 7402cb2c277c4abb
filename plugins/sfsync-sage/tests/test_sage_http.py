"""The sandbox over real HTTP (uvicorn on localhost behind the dispatcher of ``sfsync sandbox
serve``): the connector connects through the sign-in page, links and syncs a dossier with every
request on the wire."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
import uvicorn
from sfsync.api import Sfsync
from sfsync.clock import Clock
from sfsync.models import SyncMode
from sfsync.plugins import PluginRegistry
from sfsync.sandbox import connect_sandbox
from sfsync.sandbox_server import dispatcher, forwarding_mounts
from sfsync.secrets import SecretBox, generate_key
from sfsync.store.sqlite import SQLiteStore
from sfsync_sage.connector import SageConnector
from sfsync_sage.sandbox import SageSandbox

pytestmark = pytest.mark.slow


@pytest.fixture
def served():
    sandbox = SageSandbox(clock=Clock())
    server = uvicorn.Server(uvicorn.Config(dispatcher([sandbox]), host="127.0.0.1", port=0, log_level="warning",
                                           lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield sandbox, f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    server.should_exit = True
    thread.join(timeout=10)


def test_a_dossier_syncs_over_real_http(served, tmp_path):
    sandbox, url = served
    registry = PluginRegistry()
    registry.register(SageConnector(), "sage-accounting")
    mounts = forwarding_mounts([sandbox], url)
    app = Sfsync(SQLiteStore(tmp_path / "s.sqlite3"), SecretBox(generate_key()), registry=registry, transports=mounts)
    admin = app.add_user(app.create_firm("Fiduciaire").id, "admin@f.test", "admin")
    ref = sandbox.company_refs()[1]

    async def scenario():
        connection = await connect_sandbox(app, admin, "sage-accounting", sandbox)
        dossier = app.create_dossier(admin, "Lambert")
        await app.link(admin, dossier.id, connection.id, ref, mode=SyncMode.REPLACE)
        first = await app.sync(dossier.id)
        second = await app.sync(dossier.id)
        for transport in {id(t): t for t in mounts.values()}.values():
            await transport.aclose()
        return dossier, first, second

    dossier, first, second = asyncio.run(scenario())
    assert first.status == "ok", first.error
    assert app.store.count_ledger_lines(dossier.id) == len(sandbox.business(ref).live_entries())
    assert second.requests == 3
    # Every API call went over the wire: the sandbox saw them with the business they named.
    assert {business for _p, _q, business in sandbox.requests if _p != "/v3.1/businesses"} == {ref}
    app.store.close()

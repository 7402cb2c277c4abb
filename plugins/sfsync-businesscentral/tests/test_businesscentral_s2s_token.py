"""Service to service keeps its client-credentials token with the connection: a tenant's other
dossiers and later runs use it while it lives, and a new one is fetched once it has expired."""

from __future__ import annotations

from sfsync.clock import FakeClock
from sfsync.testing.harness import ContractHarness
from sfsync_businesscentral.connector import APP_TOKEN
from sfsync_businesscentral.sandbox import BusinessCentralAppSandbox


def _harness(tmp_path):  # type: ignore[no-untyped-def]
    clock = FakeClock()
    sandbox = BusinessCentralAppSandbox(clock=clock)
    harness = ContractHarness.create("businesscentral-s2s", tmp_path, sandbox=sandbox)
    harness.connect()
    return clock, sandbox, harness


def test_the_tenant_s_dossiers_share_one_token_while_it_lives(tmp_path):  # type: ignore[no-untyped-def]
    _clock, sandbox, harness = _harness(tmp_path)
    try:
        first, second = (harness.new_dossier(company_ref=ref) for ref in sandbox.company_refs()[:2])
        assert harness.sync(first).status == "ok"
        assert harness.sync(second).status == "ok"
        night = harness.sync(first)
        assert night.status == "ok", night.error
        assert sandbox.oauth_server.app_tokens == 1  # the connection check's, kept since
        sealed = harness.app.store.get_connection(harness.connection.id).sealed
        assert APP_TOKEN in harness.app.box.open(sealed)["state"]
        assert "access_token" not in repr(harness.connection)
    finally:
        harness.close()


def test_an_expired_token_is_fetched_again(tmp_path):  # type: ignore[no-untyped-def]
    clock, sandbox, harness = _harness(tmp_path)
    try:
        dossier = harness.new_dossier()
        assert harness.sync(dossier).status == "ok"
        fetched = sandbox.oauth_server.app_tokens
        clock.advance(2 * 3600)  # a night later: the kept token is long expired
        night = harness.sync(dossier)
        assert night.status == "ok", night.error
        assert sandbox.oauth_server.app_tokens == fetched + 1
    finally:
        harness.close()

"""OAuth2 flows through the sfsync command with real plugins: the loopback callback, the Xero
dossier-level login inside `link`, re-consent, and a session against `sfsync sandbox serve`."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sfsync.demo
from click.testing import CliRunner
from sfsync.cli import cli
from sfsync.plugins import get_registry
from sfsync.store.sqlite import SQLiteStore


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def cli_run(tmp_path, monkeypatch):
    """Invoke the CLI in-process with --sandbox; the sandboxes persist across invocations of one
    test, as they would in one `sfsync sandbox serve` process."""
    monkeypatch.delenv("SFSYNC_SECRET_KEY", raising=False)
    kept = sfsync.demo.start_sandboxes(get_registry())
    monkeypatch.setattr(sfsync.demo, "start_sandboxes", lambda registry: kept)
    db = str(tmp_path / "cli.sqlite3")

    def invoke(*args: str):
        return CliRunner().invoke(cli, ["--db", db, "--sandbox", *args], catch_exceptions=False)

    invoke.sandboxes = kept[0]  # type: ignore[attr-defined]
    invoke.db = db  # type: ignore[attr-defined]
    return invoke


def ok(result):
    assert result.exit_code == 0, result.output
    return result.output


def test_oauth_connect_through_the_loopback_then_sync(cli_run):
    ok(cli_run("firm", "create", "Dupont", "--admin", "anne@dupont.be"))
    out = ok(cli_run("connect", "exact-be", "--port", str(free_port())))
    assert "Log in at the package" in out and "state=" in out and "connected" in out
    store = SQLiteStore(cli_run.db)
    connection = store.list_connections(store.list_firms()[0].id)[0]
    opened_tokens = connection.sealed
    assert b"access_token" not in opened_tokens  # sealed, not clear
    ref = cli_run.sandboxes["exact-be"].company_refs()[0]
    out = ok(cli_run("link", "Jansen", "--connection", "exact-be", "--company", ref, "--replace"))
    assert "ok" in out


def test_xero_link_is_the_login(cli_run):
    ok(cli_run("firm", "create", "Dupont", "--admin", "anne@dupont.be"))
    ref = cli_run.sandboxes["xero"].company_refs()[0]
    out = ok(cli_run("link", "Acme", "--connection", "xero", "--company", ref, "--replace", "--port", str(free_port())))
    assert "Log in at the package" in out and "linked Acme" in out
    store = SQLiteStore(cli_run.db)
    connections = store.list_connections(store.list_firms()[0].id)
    assert [c.level for c in connections] == ["dossier"]


def test_revoked_consent_then_reconnect_resumes(cli_run):
    ok(cli_run("firm", "create", "Dupont", "--admin", "anne@dupont.be"))
    ok(cli_run("connect", "exact-be", "--port", str(free_port())))
    sandbox = cli_run.sandboxes["exact-be"]
    ref = sandbox.company_refs()[0]
    ok(cli_run("link", "Jansen", "--connection", "exact-be", "--company", ref, "--replace"))
    sandbox.revoke()
    sandbox.expire_tokens()
    result = cli_run("sync", "Jansen")
    assert result.exit_code == 1 and "again" in result.output
    assert "needs re-consent" in ok(cli_run("status"))
    assert "nothing to sync" in ok(cli_run("sync", "--due"))
    out = ok(cli_run("reconnect", "exact-be", "--port", str(free_port())))
    assert "re-consented" in out
    ok(cli_run("sync", "Jansen"))
    store = SQLiteStore(cli_run.db)
    dossier = store.list_dossiers()[0]
    last = store.last_run(dossier.id)
    assert last.status in ("ok", "warning") and last.counts.get("lines_fetched", 0) == 0  # it resumed


@pytest.mark.slow
def test_a_session_against_a_served_sandbox(tmp_path):
    port = free_port()
    env = {**os.environ, "SFSYNC_DB": str(tmp_path / "s.sqlite3"), "SFSYNC_SANDBOX_URL": f"http://127.0.0.1:{port}"}
    env.pop("SFSYNC_SECRET_KEY", None)
    sfsync_cmd = [sys.executable, "-m", "sfsync.cli"]
    server = subprocess.Popen([*sfsync_cmd, "sandbox", "serve", "exact-be", "--port", str(port)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.2)

        def run(*args: str) -> str:
            done = subprocess.run([*sfsync_cmd, *args], env=env, capture_output=True, text=True, timeout=120)
            assert done.returncode == 0, done.stdout + done.stderr
            return done.stdout + done.stderr  # the login's instructions are on stderr, the result on stdout

        run("firm", "create", "Dupont", "--admin", "anne@dupont.be")
        # The CLI logs in at the served sandbox's page itself and gets the redirect on its loopback.
        out = run("connect", "exact-be", "--port", str(free_port()))
        assert "Log in at the package" in out and "connected" in out
        box = get_registry().call("exact-be", "sfsync_sandbox")  # same seed: same company refs
        ref = box.company_refs()[0]
        assert "ok" in run("link", "Jansen", "--connection", "exact-be", "--company", ref, "--replace")
        out = run("sync", "Jansen")
        assert " 0 " in out or "ok" in out
        assert "Jansen" in run("status")
    finally:
        server.terminate()
        server.wait(timeout=10)
        if server.stdout:
            server.stdout.close()
    _ = Path


def test_two_quickbooks_dossiers_each_log_in_to_their_own_company(cli_run):
    """QuickBooks connects inside the dossier: each dossier's `link` is its own login, to its own
    company, and the trial balance each stores equals that company's TrialBalance report."""
    import datetime as dt
    from decimal import Decimal

    sandbox = cli_run.sandboxes["quickbooks"]
    ok(cli_run("firm", "create", "Dupont", "--admin", "anne@dupont.be"))
    realms = dict(zip(("Acme", "Bolt"), sandbox.all_company_refs()[:2], strict=True))
    for name, realm in realms.items():
        sandbox.pick_company(realm)  # the company this login picks at Intuit's sign-in page
        # Intuit accepts only a registered redirect URI: the sandbox registers the CLI's default
        # callback (port 8765), as a firm registers it in its Intuit app.
        out = ok(cli_run("link", name, "--connection", "quickbooks", "--company", realm, "--replace",
                         "--trial-balance"))
        assert "Log in at the package" in out and f"linked {name}" in out
    store = SQLiteStore(cli_run.db)
    firm = store.list_firms()[0]
    connections = store.list_connections(firm.id)
    assert len(connections) == 2 and {c.level for c in connections} == {"dossier"}
    owners = {c.owner_dossier_id for c in connections}
    for dossier in store.list_dossiers(firm.id):
        assert dossier.id in owners  # each login belongs to its own dossier
        years = store.fiscal_years(dossier.id)
        stored: dict[tuple[str, dt.date, int | None], Decimal] = {}
        for total in store.trial_balance(dossier.id):
            start = next(y.start for y in years if y.contains(total.period_end))
            key = (total.account, start, total.period)
            stored[key] = stored.get(key, Decimal(0)) + total.debit - total.credit
        truth = sandbox.truth(realms[dossier.name])
        expected = {k: v for k, v in truth.movements.items() if v}
        assert {k: v for k, v in stored.items() if v} == expected and expected


def test_a_dossier_login_whose_link_fails_leaves_no_dossier_and_no_login(cli_run):
    """The QuickBooks login inside `link` succeeds but the company is not the one logged in to:
    the command removes the new dossier and its fresh dossier-level connection again."""
    sandbox = cli_run.sandboxes["quickbooks"]
    ok(cli_run("firm", "create", "Dupont", "--admin", "anne@dupont.be"))
    first, second = sandbox.all_company_refs()[:2]
    sandbox.pick_company(first)
    failed = cli_run("link", "Acme", "--connection", "quickbooks", "--company", second, "--replace")
    assert failed.exit_code == 2 and "Log in at the package" in failed.output, failed.output
    store = SQLiteStore(cli_run.db)
    firm = store.list_firms()[0]
    assert store.list_dossiers(firm.id) == [] and store.list_connections(firm.id) == []

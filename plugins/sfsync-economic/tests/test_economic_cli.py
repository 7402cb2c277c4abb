"""The `sfsync link` of an e-conomic dossier is its approval: the request URL is printed, the
grant comes back on the loopback callback, and the first sync runs; a revoked grant stops the
dossier until its user approves again."""

from __future__ import annotations

import socket

import pytest
import sfsync.demo
from click.testing import CliRunner
from sfsync.cli import cli
from sfsync.store.sqlite import SQLiteStore
from sfsync_economic.sandbox import EconomicSandbox


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def cli_run(tmp_path, monkeypatch):
    monkeypatch.delenv("SFSYNC_SECRET_KEY", raising=False)
    sandbox = EconomicSandbox(time_scale=20)
    monkeypatch.setattr(sfsync.demo, "start_sandboxes", lambda registry: ({"economic": sandbox}, {}))
    db = str(tmp_path / "cli.sqlite3")

    def invoke(*args: str):
        return CliRunner().invoke(cli, ["--db", db, "--sandbox", *args], catch_exceptions=False)

    invoke.sandbox = sandbox  # type: ignore[attr-defined]
    invoke.db = db  # type: ignore[attr-defined]
    return invoke


def ok(result):
    assert result.exit_code == 0, result.output
    return result.output


def test_link_is_the_approval_and_each_dossier_gets_its_own_agreement(cli_run):
    sandbox: EconomicSandbox = cli_run.sandbox
    ok(cli_run("firm", "create", "Dupont", "--admin", "anne@dupont.be"))
    refs = dict(zip(("Janssens", "Van Dijk"), sandbox.all_company_refs()[:2], strict=True))
    for name, ref in refs.items():
        sandbox.pick_company(ref)  # the agreement this user approves the app for
        out = ok(cli_run("link", name, "--connection", "economic", "--company", ref, "--replace",
                         "--port", str(free_port())))
        assert "Log in at the package" in out and "requestaccess.aspx" in out and f"linked {name}" in out
    store = SQLiteStore(cli_run.db)
    firm = store.list_firms()[0]
    connections = store.list_connections(firm.id)
    assert len(connections) == 2 and {c.level for c in connections} == {"dossier"}
    for dossier in store.list_dossiers(firm.id):
        stored = {line.id for line in store.ledger_lines(dossier.id)}
        assert stored == set(sandbox.truth(refs[dossier.name]).line_places)


def test_a_revoked_grant_stops_the_dossier_until_it_is_approved_again(cli_run):
    sandbox: EconomicSandbox = cli_run.sandbox
    ok(cli_run("firm", "create", "Dupont", "--admin", "anne@dupont.be"))
    ref = sandbox.company_refs()[0]
    ok(cli_run("link", "Janssens", "--connection", "economic", "--company", ref, "--replace", "--port", str(free_port())))
    sandbox.revoke()
    result = cli_run("sync", "Janssens")
    assert result.exit_code == 1 and "approve the app again" in result.output
    assert "needs re-consent" in ok(cli_run("status"))
    out = ok(cli_run("link", "Janssens", "--connection", "economic", "--company", ref, "--replace",
                     "--port", str(free_port())))
    assert "linked Janssens" in out
    store = SQLiteStore(cli_run.db)
    assert [c.status for c in store.list_connections(store.list_firms()[0].id)] == ["ok"]

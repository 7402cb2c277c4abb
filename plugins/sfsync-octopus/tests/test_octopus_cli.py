"""The support-level flow through the ``sfsync`` command: an admin is refused, support staff connect
Octopus for the firm with the credentials it sent (secrets from ``SFSYNC_FIELD_*``, never the
command line), the admin links a dossier and it syncs."""

from __future__ import annotations

from click.testing import CliRunner
from sfsync.cli import cli
from sfsync.store.sqlite import SQLiteStore


def test_support_staff_connect_octopus_and_the_firm_links_and_syncs(tmp_path, monkeypatch):
    from sfsync_octopus.sandbox import OctopusSandbox

    sandbox = OctopusSandbox()
    monkeypatch.delenv("SFSYNC_SECRET_KEY", raising=False)
    monkeypatch.setenv("SFSYNC_FIELD_PASSWORD", sandbox.password)
    monkeypatch.setenv("SFSYNC_FIELD_SOFTWARE_HOUSE_UUID", sandbox.software_house)
    db = str(tmp_path / "cli.sqlite3")

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        return CliRunner().invoke(cli, ["--db", db, "--sandbox", *args], catch_exceptions=False)

    assert invoke("firm", "create", "Dupont", "--admin", "anne@dupont.be").exit_code == 0
    refused = invoke("connect", "octopus", "--field", f"user={sandbox.user}")
    assert refused.exit_code != 0 and "support" in refused.output
    assert invoke("support", "add", "help@host.test").exit_code == 0
    made = invoke("--as", "help@host.test", "support", "connect", "Dupont", "octopus", "--field", f"user={sandbox.user}")
    assert made.exit_code == 0, made.output
    assert sandbox.password not in made.output
    linked = invoke("link", "Korenaar", "--connection", "octopus", "--company", "1001", "--replace")
    assert linked.exit_code == 0 and "ok" in linked.output, linked.output
    store = SQLiteStore(db)
    try:
        dossier = next(d for d in store.list_dossiers() if d.name == "Korenaar")
        assert store.count_ledger_lines(dossier.id) > 0
        connection = store.list_connections(store.list_firms()[0].id)[0]
        assert connection.level == "support" and sandbox.password.encode() not in connection.sealed
    finally:
        store.close()

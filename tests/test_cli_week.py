"""A whole firm's week through the ``sfsync`` command only, its ``--json`` output parsed and
validated against the documented schema (``sfsync/cli/output.schema.json``).

Two firms connect the echo package and link dossiers; a night fails because the package revoked
one firm's key; ``runs`` and ``status`` say why; the admin re-consents; ``sync --due`` covers every
firm; a dossier is switched to another company only when that is said explicitly; it is unlinked
and a CSV balance is imported by hand; a connection is removed. The package's world (one echo
sandbox, kept across commands like ``sfsync sandbox serve``) is the only thing the test touches
directly: it revokes the key, as the package would.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner
from sfsync import demo, plugins
from sfsync.cli import cli
from sfsync.echo import connector as echo_connector
from sfsync.echo.sandbox import EchoSandbox
from sfsync.plugins import PluginRegistry

SCHEMA = json.loads(resources.files("sfsync.cli").joinpath("output.schema.json").read_text(encoding="utf-8"))


@pytest.fixture
def sfsync(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    from sfsync_onprem.connector import onprem

    registry = PluginRegistry()
    registry.register(echo_connector, "echo")
    registry.register(onprem, "onprem")  # its readers load the manual import
    monkeypatch.setattr(plugins, "_registry", registry)
    monkeypatch.delenv("SFSYNC_SECRET_KEY", raising=False)
    box = EchoSandbox()
    monkeypatch.setattr(demo, "start_sandboxes", lambda registry: ({"echo": box}, {}))
    db = str(tmp_path / "week.sqlite3")

    def invoke(*args: str, code: int = 0, input: str | None = None) -> Any:
        result = CliRunner().invoke(cli, ["--db", db, "--sandbox", *args], input=input, catch_exceptions=False)
        assert result.exit_code == code, (args, result.output)
        if "--json" in args and result.stdout.strip():
            data = json.loads(result.stdout)
            jsonschema.validate(data, SCHEMA)
            return data
        return result

    invoke.box = box  # type: ignore[attr-defined]
    invoke.tmp = tmp_path  # type: ignore[attr-defined]
    return invoke


def test_a_firms_week_through_the_command(sfsync: Any) -> None:
    box = sfsync.box
    # Monday: two firms; a firm name is taken once.
    assert sfsync("firm", "create", "Dupont", "--admin", "anne@dupont.be", "--json")["firm"]["name"] == "Dupont"
    sfsync("firm", "create", "Maes", "--admin", "marc@maes.be")
    refused = sfsync("firm", "create", "dupont", "--admin", "x@y.be", code=2)
    assert "already a firm named 'Dupont'" in refused.stderr
    assert [f["name"] for f in sfsync("firm", "list", "--json")["firms"]] == ["Dupont", "Maes"]
    sfsync("--firm", "Dupont", "user", "add", "bob@dupont.be")
    assert {u["email"] for u in sfsync("--firm", "Dupont", "user", "list", "--json")["users"]} == {
        "anne@dupont.be", "bob@dupont.be"}

    # Each firm connects the package and links a dossier; a company is named by its code too.
    key = box.connection_secrets()["api_key"]
    made = sfsync("--firm", "Dupont", "connect", "echo", "--field", f"api_key={key}", "--json")
    assert made["connection"]["connector"] == "echo" and {c["ref"] for c in made["companies"]} >= {"C1", "C2"}
    sfsync("--firm", "Maes", "connect", "echo", "--field", f"api_key={key}")
    sfsync("--firm", "Dupont", "link", "Jansen", "--connection", "echo", "--company", "C1", "--replace", "--no-sync")
    code_of_c2 = next(c["code"] for c in made["companies"] if c["ref"] == "C2")
    sfsync("--firm", "Maes", "link", "Peeters", "--connection", "echo", "--company", code_of_c2, "--replace",
           "--no-sync")

    # The night: the package revoked Dupont's key. The nightly job covers both firms and says so.
    box.revoke()
    night = sfsync("sync", "--due", "--json", code=1)
    outcome = {r["dossier"]: r for r in night["runs"]}
    assert set(outcome) == {"Jansen", "Peeters"}
    assert outcome["Jansen"]["status"] == "failed" and outcome["Peeters"]["status"] == "failed"

    # In the morning `runs` and `status` say why.
    history = sfsync("--firm", "Dupont", "runs", "Jansen", "--json")["runs"]
    assert history[0]["status"] == "failed" and "refused" in history[0]["error"]
    assert history[0]["error_kind"] in ("AuthError", "NeedsReconsent") and history[0]["duration"] is not None
    [jansen] = sfsync("--firm", "Dupont", "status", "--json")["dossiers"]
    assert jansen["last_error"] == history[0]["error"] and jansen["granularity"] == "transactions"
    assert "refused" in sfsync("--firm", "Dupont", "status").stdout
    check = sfsync("--firm", "Dupont", "check", "echo", "--json", code=3)
    assert check["ok"] is False

    # Re-consent both firms with the new key: the stopped dossiers are due at once, in both firms.
    new_key = box.connection_secrets()["api_key"]
    for firm in ("Dupont", "Maes"):
        sfsync("--firm", firm, "reconnect", "echo", input=f"{new_key}\n")
    assert sfsync("--firm", "Dupont", "check", "echo", "--json")["ok"] is True
    again = sfsync("sync", "--due", "--json")
    assert {r["dossier"]: r["status"] for r in again["runs"]} == {"Jansen": "ok", "Peeters": "ok"}
    assert sfsync("sync", "--due", "--json")["runs"] == []  # nothing due until the next night

    # Switching Jansen to another company is refused unless said explicitly, naming both sources.
    silent = sfsync("--firm", "Dupont", "link", "Jansen", "--connection", "echo", "--company", "C2", "--replace",
                    "--no-sync", code=2)
    assert "switching moves it from echo (" in silent.stderr and "company Acme Trading BV to echo (" in silent.stderr
    assert "Bruxelles Services SRL" in silent.stderr and "--switch" in silent.stderr
    switched = sfsync("--firm", "Dupont", "link", "Jansen", "--connection", "echo", "--company", "C2", "--replace",
                      "--switch", "--json")
    assert switched["link"]["company_ref"] == "C2" and switched["runs"][0]["status"] == "ok"
    tb = sfsync("--firm", "Dupont", "show", "Jansen", "--trial-balance", "--json")
    assert tb["rows"] and tb["balanced"] and tb["rows"][0]["source"] == "lines" and tb["rows"][0]["account_name"]

    # Back to manual: unlink, then import a CSV balance with its columns and fiscal year given.
    sfsync("--firm", "Dupont", "unlink", "Jansen")
    export = sfsync.tmp / "balans.txt"
    export.write_text("Cpt\tLib\tSld\n550000\tBank\t1.000,10\n100000\tKapitaal\t-1.000,10\n", encoding="utf-8")
    imported = sfsync("--firm", "Dupont", "import", "Jansen", str(export), "--columns", "account=Cpt,name=Lib,balance=Sld",
                      "--decimal", ",", "--fiscal-year", "2024-07-01:2025-06-30:2024-2025", "--json")
    assert imported["run"]["status"] in ("ok", "warning") and imported["run"]["counts"]["trial_balance_lines"] == 2
    [jansen] = sfsync("--firm", "Dupont", "status", "--json")["dossiers"]
    assert jansen["granularity"] == "manual" and jansen["connector"] is None

    # A failed import of a new dossier leaves no dossier behind.
    junk = sfsync.tmp / "notes.txt"
    junk.write_text("hello")
    sfsync("--firm", "Dupont", "import", "Nobody", str(junk), code=1)
    assert [d["dossier"] for d in sfsync("--firm", "Dupont", "dossier", "list", "--json")["dossiers"]] == ["Jansen"]

    # Maes removes its connection: Peeters is unlinked and keeps its figures.
    sfsync("--firm", "Maes", "disconnect", "echo", "--yes")
    assert sfsync("--firm", "Maes", "connections", "--json")["connections"] == []
    [peeters] = sfsync("--firm", "Maes", "status", "--json")["dossiers"]
    assert peeters["granularity"] == "manual" and peeters["stored"] > 0

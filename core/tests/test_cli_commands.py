"""The command's newer pieces: every --json shape against the schema, `spec`, a failed `link`
that leaves nothing behind, `--no-wait`, logging, and OAuth logins from a terminal."""

from __future__ import annotations

import json
import logging
import threading
from importlib import resources
from types import SimpleNamespace
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner
from sfsync import demo
from sfsync import plugins as plugins_module
from sfsync.cli import cli
from sfsync.cli.logs import configure_logging
from sfsync.cli.oauth_login import CallbackServer, oauth_login, wants_paste
from sfsync.echo.sandbox import EchoSandbox
from sfsync.errors import ConfigurationError

SCHEMA = json.loads(resources.files("sfsync.cli").joinpath("output.schema.json").read_text(encoding="utf-8"))


@pytest.fixture
def run(tmp_path, monkeypatch, registry):
    monkeypatch.setattr(plugins_module, "_registry", registry)
    monkeypatch.delenv("SFSYNC_SECRET_KEY", raising=False)
    box = EchoSandbox()  # one sandbox for every command, as `sandbox serve` keeps one
    monkeypatch.setattr(demo, "start_sandboxes", lambda registry: ({"echo": box}, {}))
    db = str(tmp_path / "cli.sqlite3")

    def invoke(*args: str, code: int = 0, input: str | None = None) -> Any:
        result = CliRunner().invoke(cli, ["--db", db, "--sandbox", *args], input=input, catch_exceptions=False)
        assert result.exit_code == code, (args, result.output)
        if "--json" in args:
            data = json.loads(result.stdout)
            jsonschema.validate(data, SCHEMA)
            return data
        return result

    invoke.box = box
    invoke("firm", "create", "Dupont", "--admin", "anne@dupont.be")
    invoke("connect", "echo", "--field", f"api_key={box.connection_secrets()['api_key']}")
    return invoke


def test_every_read_command_prints_its_documented_shape(run):
    assert run("plugins", "--json")["kind"] == "plugins"
    assert run("connections", "--json")["connections"][0]["connector"] == "echo"
    assert {c["ref"] for c in run("companies", "echo", "--json")["companies"]} >= {"C1", "C2"}
    linked = run("link", "Jansen", "--connection", "echo", "--company", "Acme Trading BV", "--since", "2025-01-01",
                 "--json")
    assert linked["link"]["company_ref"] == "C1" and linked["runs"][0]["status"] == "ok"
    ledger = run("show", "Jansen", "--ledger", "--limit", "3", "--json")
    assert len(ledger["lines"]) == 3 and ledger["balanced"] and isinstance(ledger["total_debit"], str)
    assert run("show", "Jansen", "--trial-balance", "--year", "2025", "--json")["rows"]
    run("link", "Jansen", "--connection", "echo", "--company", "C1", "--details", "--json")
    assert run("show", "Jansen", "--details", "--json")["details"]["name"]
    assert run("runs", "--json")["runs"][0]["dossier"] == "Jansen"
    assert run("sync", "Jansen", "--json")["runs"][0]["status"] == "ok"
    assert run("firm", "list", "--json")["firms"][0]["name"] == "Dupont"
    assert run("user", "list", "--json")["users"][0]["role"] == "admin"
    assert run("dossier", "list", "--json")["dossiers"][0]["granularity"] == "transactions"
    assert run("check", "echo", "--json")["ok"] is True


def test_the_schema_refuses_a_shape_it_does_not_document(run):
    data = run("runs", "--json")
    data["kind"] = "runs"
    data["runs"] = [{"status": "fine"}]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, SCHEMA)


def test_spec_is_json_schema_with_the_secrets_marked(run):
    result = CliRunner().invoke(cli, ["spec", "echo"])
    schema = json.loads(result.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    key = schema["properties"]["api_key"]
    assert key["writeOnly"] is True and key["airbyte_secret"] is True and "api_key" in schema["required"]
    assert schema["x-sfsync"]["flavour"] == "form" and "--field api_key=-" in schema["x-sfsync"]["command"]
    unknown = CliRunner().invoke(cli, ["spec", "ecoh"])
    assert unknown.exit_code == 2 and "did you mean echo" in unknown.stderr


def test_a_link_that_fails_leaves_no_new_dossier(run):
    failed = run("link", "Nieuw", "--connection", "echo", "--company", "C9", "--replace", code=2)
    assert "no company 'C9'" in failed.stderr and failed.stdout == ""
    assert run("dossier", "list", "--json")["dossiers"] == []
    run("link", "Nieuw", "--connection", "echo", "--company", "C1", "--since", "2031-01-01", code=2)
    assert run("dossier", "list", "--json")["dossiers"] == []


def test_delete_a_dossier_and_its_figures(run):
    run("link", "Weg", "--connection", "echo", "--company", "C1", "--replace")
    run("dossier", "delete", "Weg", code=2, input="n\n")
    run("dossier", "delete", "Weg", "--yes")
    assert run("status", "--json")["dossiers"] == []


def test_no_wait_fails_fast_instead_of_waiting_to_resume(run, monkeypatch):
    from sfsync.runner import Runner

    run("link", "Jansen", "--connection", "echo", "--company", "C1", "--replace", "--no-sync")
    seen: list[tuple[float, ...]] = []
    real = Runner.run

    async def watching(self, dossier_id, **kwargs):
        seen.append((self.resume_waits, self.retry.attempts))
        return await real(self, dossier_id, **kwargs)

    monkeypatch.setattr(Runner, "run", watching)
    run("sync", "Jansen", "--no-wait")
    run("sync", "--due")  # nothing due: no run
    run("sync", "Jansen")
    assert seen[0] == ((), 2)
    assert seen[1][0] == Runner.resume_waits and seen[1][1] > 2  # without it: the resume waits stay


def test_logging_is_quiet_by_default_and_json_on_request(capsys):
    root = logging.getLogger()
    level = root.level
    try:
        configure_logging(0, "text")
        logging.getLogger("stamina").warning("stamina.retry_scheduled")
        assert capsys.readouterr().err == ""
        configure_logging(1, "json")
        logging.getLogger("stamina").warning("stamina.retry_scheduled")
        record = json.loads(capsys.readouterr().err.strip())
        assert record["logger"] == "stamina" and record["level"] == "warning"
    finally:
        for handler in [h for h in root.handlers if getattr(h, "sfsync_cli", False)]:
            root.removeHandler(handler)
        root.setLevel(level)


class _FakeApp:
    def __init__(self) -> None:
        self.finished: list[str] = []

    def start_oauth(self, actor, connector, **kwargs):
        return SimpleNamespace(authorize_url="https://login.example/authorize?state=abc")

    async def finish_oauth(self, actor, callback):
        self.finished.append(callback)
        return SimpleNamespace(id="conn_1", label="x")


def test_paste_the_redirect_url_when_no_browser_can_reach_the_port(monkeypatch):
    state = SimpleNamespace(sandboxes={}, app=_FakeApp(), use_sandbox=False, sandbox_url=None)
    monkeypatch.setattr("webbrowser.open", lambda url: pytest.fail("no browser in paste mode"))
    pasted = "http://127.0.0.1:8765/callback?code=the-code&state=abc"
    with CliRunner().isolation(input=pasted + "\n") as (out, err, _):
        oauth_login(state, None, "x", values={}, label=None, client_id="cid", client_secret=None, port=8765,
                    paste=True)
    assert state.app.finished == [pasted]
    # What the person reads goes to stderr, so that `connect --json` keeps stdout to its JSON.
    assert b"login.example/authorize" in err.getvalue() and b"login.example" not in out.getvalue()


def test_paste_is_the_default_over_ssh_without_a_display(monkeypatch):
    monkeypatch.setenv("SSH_CONNECTION", "10.0.0.1 5000 10.0.0.2 22")
    monkeypatch.delenv("DISPLAY", raising=False)
    assert wants_paste(None) and not wants_paste(False)
    monkeypatch.setenv("DISPLAY", ":0")
    assert not wants_paste(None)
    monkeypatch.delenv("SSH_CONNECTION")
    monkeypatch.delenv("DISPLAY")
    assert not wants_paste(None) and wants_paste(True)


def test_a_failed_login_ends_the_wait_with_its_error():
    server = CallbackServer(0)
    threading.Timer(0.2, server.fail, args=(RuntimeError("the sign-in page answered 400"),)).start()
    # Unheeded, the failure would leave the wait to run out, with "no login came back".
    with pytest.raises(ConfigurationError, match="the login did not complete: the sign-in page answered 400"):
        server.wait(timeout=30)


def test_status_counts_what_a_trial_balance_dossier_stores(run):
    run("link", "Totals", "--connection", "echo", "--company", "C2", "--replace", "--trial-balance")
    [row] = run("status", "--json")["dossiers"]
    assert row["granularity"] == "trial_balance" and row["stored"] > 0
    assert "trial_balance, replace" in run("status").stdout

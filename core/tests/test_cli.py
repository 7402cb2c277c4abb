"""The sfsync command, driven in-process through click's test runner."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from sfsync import plugins as plugins_module
from sfsync.cli import cli


@pytest.fixture
def run(tmp_path, monkeypatch, registry):
    monkeypatch.setattr(plugins_module, "_registry", registry)
    monkeypatch.delenv("SFSYNC_SECRET_KEY", raising=False)
    db = str(tmp_path / "cli.sqlite3")

    def invoke(*args: str, user: str | None = None, input: str | None = None):
        base = ["--db", db, "--sandbox"] + (["--as", user] if user else [])
        return CliRunner().invoke(cli, [*base, *args], input=input, catch_exceptions=False)

    return invoke


def ok(result):
    assert result.exit_code == 0, result.output
    return result.output


def test_the_whole_flow(run):
    ok(run("firm", "create", "Dupont", "--admin", "anne@dupont.be"))
    ok(run("user", "add", "bob@dupont.be", "--role", "member"))
    out = ok(run("connect", "echo", "--field", "api_key=echo-key-123"))
    assert "Acme Trading BV" in out and "echo-key-123" not in out
    assert "Bruxelles" in ok(run("companies", "echo", "--search", "brux"))
    assert "Acme" not in ok(run("companies", "echo", "--search", "BRUX"))
    out = ok(run("link", "Jansen", "--connection", "echo", "--company", "C1", "--since", "2025-01-01"))
    assert "FY2025" in out and "ok" in out
    out = ok(run("link", "Peeters", "--connection", "echo", "--company", "C2", "--replace", "--trial-balance", "--no-sync"))
    ok(run("sync", "--all"))
    out = ok(run("status"))
    assert "Jansen" in out and "since 2025-01-01" in out and "ok" in out
    out = ok(run("show", "Jansen", "--year", "2025", "--ledger"))
    assert "balanced" in out
    assert "balanced" in ok(run("show", "Peeters", "--trial-balance"))
    assert "nothing to sync" in ok(run("sync", "--due"))


def test_a_member_may_not_add_a_connection(run):
    ok(run("firm", "create", "Dupont", "--admin", "anne@dupont.be"))
    ok(run("user", "add", "bob@dupont.be"))
    result = run("connect", "echo", "--field", "api_key=echo-key-123", user="bob@dupont.be")
    assert result.exit_code != 0 and "only an admin may add a connection" in result.output
    assert "Traceback" not in result.output


def test_wrong_credentials_are_one_clear_line(run):
    ok(run("firm", "create", "Dupont", "--admin", "anne@dupont.be"))
    result = run("connect", "echo", "--field", "api_key=nope-wrong")
    assert result.exit_code == 3 and "refused the API key" in result.output and "nope-wrong" not in result.output


def test_unknown_connector_suggests_and_says_how_to_install(run):
    ok(run("firm", "create", "Dupont", "--admin", "anne@dupont.be"))
    result = run("connect", "ecoh")
    assert result.exit_code == 2 and "did you mean echo" in result.output
    assert "pip install" not in result.output  # sfsync-ecoh is no published plugin: anyone could register it
    result = run("connect", "exakt-be")
    assert result.exit_code == 2 and "exact-be (pip install sfsync-exact)" in result.output
    assert "sfsync-exakt" not in result.output


def test_unknown_company_lists_what_exists(run):
    ok(run("firm", "create", "Dupont", "--admin", "anne@dupont.be"))
    ok(run("connect", "echo", "--field", "api_key=echo-key-123"))
    result = run("link", "X", "--connection", "echo", "--company", "C9", "--replace")
    assert result.exit_code != 0 and "no company 'C9'" in result.output and "C1" in result.output


def test_a_dossier_already_running_is_refused(run, tmp_path):
    ok(run("firm", "create", "Dupont", "--admin", "anne@dupont.be"))
    ok(run("connect", "echo", "--field", "api_key=echo-key-123"))
    ok(run("link", "Jansen", "--connection", "echo", "--company", "C1", "--replace", "--no-sync"))
    from sfsync.store.sqlite import SQLiteStore

    store = SQLiteStore(tmp_path / "cli.sqlite3")
    dossier = store.list_dossiers()[0]
    store.try_lock(dossier.id, "other-run", ttl=600)
    result = run("sync", "Jansen")
    assert result.exit_code == 1 and "already being synced" in result.output


def test_plugins_json_lists_connectors(run):
    data = json.loads(ok(run("plugins", "--json")))
    echo = next(c for c in data["connectors"] if c["connector"] == "echo")
    assert echo["auth"] == "form" and echo["level"] == "firm" and "fetch_ledger" in echo["capabilities"]


def test_import_without_a_reader_says_what_to_do(run, tmp_path):
    ok(run("firm", "create", "Dupont", "--admin", "anne@dupont.be"))
    f = tmp_path / "notes.txt"
    f.write_text("hello")
    result = run("import", "Manual", str(f))
    assert result.exit_code == 2 and "no installed reader recognises notes.txt" in result.output


def test_an_unknown_dossier_names_the_commands_that_list_and_create_one(run):
    ok(run("firm", "create", "Dupont", "--admin", "anne@dupont.be"))
    result = run("sync", "Nobody")
    assert result.exit_code == 2 and "no dossier 'Nobody'" in result.stderr
    assert "`sfsync dossier list`" in result.stderr and "`sfsync link`" in result.stderr


def test_errors_go_to_stderr_and_tables_to_stdout(run):
    ok(run("firm", "create", "Dupont", "--admin", "anne@dupont.be"))
    result = run("connect", "echo", "--field", "api_key=nope-wrong")
    assert result.stdout == "" and "\nerror: " in result.stderr
    assert "sandbox serve" not in result.stderr  # the OAuth2 hint is for OAuth2 packages only

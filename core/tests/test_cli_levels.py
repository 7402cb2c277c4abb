"""The connection levels through the sfsync command: support staff, re-entering a form's secrets
in place, the administrative link and `show --details`, unlinking."""

from __future__ import annotations

import dataclasses

import pytest
from click.testing import CliRunner

from sfsync import plugins as plugins_module
from sfsync.auth import ConnectionLevel, FormSpec
from sfsync.cli import cli
from sfsync.echo.connector import EchoConnector, EchoFields
from sfsync.hookspecs import hookimpl
from sfsync.metadata import ConnectorInfo
from sfsync.store.sqlite import SQLiteStore


class SupportEcho(EchoConnector):
    """Echo declared support-level for these tests (no support-level plugin exists yet)."""

    @hookimpl
    def sfsync_connector_info(self) -> ConnectorInfo:
        return dataclasses.replace(super().sfsync_connector_info(), name="echo-support")

    @hookimpl
    def sfsync_auth(self) -> FormSpec:
        return FormSpec(fields=EchoFields, level=ConnectionLevel.SUPPORT)


@pytest.fixture
def run(tmp_path, monkeypatch, registry):
    registry.register(SupportEcho(), "echo-support")
    monkeypatch.setattr(plugins_module, "_registry", registry)
    monkeypatch.delenv("SFSYNC_SECRET_KEY", raising=False)
    db = str(tmp_path / "cli.sqlite3")

    def invoke(*args: str, user: str | None = None, input: str | None = None):
        base = ["--db", db, "--sandbox"] + (["--as", user] if user else [])
        return CliRunner().invoke(cli, [*base, *args], input=input, catch_exceptions=False)

    invoke.db = db  # type: ignore[attr-defined]
    ok(invoke("firm", "create", "Dupont", "--admin", "anne@dupont.be"))
    return invoke


def ok(result):
    assert result.exit_code == 0, result.output
    return result.output


def test_support_staff_connect_a_support_level_package_for_a_firm(run):
    refused = run("connect", "echo-support", "--field", "api_key=echo-key-123")
    assert refused.exit_code == 2 and "send the credentials to support" in refused.output
    assert "Traceback" not in refused.output
    ok(run("support", "add", "help@host.test"))
    unknown = run("support", "connect", "Dupont", "echo-support", "--field", "api_key=echo-key-123",
                  user="anne@dupont.be")
    assert unknown.exit_code != 0 and "not support staff" in unknown.output
    # The secret is asked without echo when it is not given.
    out = ok(run("support", "connect", "Dupont", "echo-support", user="help@host.test", input="echo-key-123\n"))
    assert "connected" in out and "for Dupont" in out and "echo-key-123" not in out
    out = ok(run("connections"))  # the firm's admin sees it, and who made it
    assert "echo-support" in out and "help@host.test (support)" in out
    out = ok(run("link", "Octo", "--connection", "echo-support", "--company", "C1", "--replace"))
    assert "linked Octo" in out
    changed = run("reconnect", "echo-support", input="echo-key-123\n")
    assert changed.exit_code == 2 and "support" in changed.output
    out = ok(run("support", "connect", "Dupont", "echo-support", "--connection", "echo-support",
                 user="help@host.test", input="echo-key-123\n"))
    assert "changed" in out


def test_reconnect_asks_a_forms_secrets_again_in_place(run):
    ok(run("connect", "echo", "--field", "api_key=echo-key-123"))
    ok(run("link", "Jansen", "--connection", "echo", "--company", "C1", "--replace"))
    store = SQLiteStore(run.db)
    [before] = store.list_connections(store.list_firms()[0].id)
    store.close()
    wrong = run("reconnect", "echo", input="not-the-key\n")
    assert wrong.exit_code == 3 and "refused" in wrong.output
    out = ok(run("reconnect", "echo", input="echo-key-123\n"))
    assert "re-consented" in out and "echo-key-123" not in out
    store = SQLiteStore(run.db)
    [after] = store.list_connections(store.list_firms()[0].id)
    assert after.id == before.id and after.sealed != before.sealed and store.get_link(
        store.list_dossiers()[0].id).connection_id == before.id
    store.close()


def test_show_details_and_an_administrative_link(run):
    ok(run("connect", "echo", "--field", "api_key=echo-key-123"))
    ok(run("link", "Jansen", "--connection", "echo", "--company", "C1", "--replace"))
    out = ok(run("show", "Jansen", "--details"))
    assert "legal name" in out and "Acme Trading" in out and "1 version(s) kept" in out
    out = ok(run("link", "Jansen", "--connection", "echo", "--company", "C2", "--details"))
    assert "for its company details" in out
    out = ok(run("show", "Jansen", "--details"))
    assert "Bruxelles" in out and "2 version(s) kept" in out
    ok(run("unlink", "Jansen", "--details"))
    out = ok(run("status"))
    assert "Jansen" in out and "echo" in out  # the accounting link stays

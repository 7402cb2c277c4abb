"""AFAS is a support-level connection (issue 24): a firm admin is refused and told to contact
support; support staff create it with the token the firm's AFAS administrator made, or through
AFAS's one-time-password flow (support asks for the code, AFAS mails it, support enters it and the
connection gets the user's token). All through the public ``Sfsync`` API, and the CLI."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from click.testing import CliRunner
from sfsync.api import Sfsync
from sfsync.errors import AuthError, ConfigurationError, PermissionDenied
from sfsync.secrets import SecretBox, generate_key
from sfsync.store.sqlite import SQLiteStore
from sfsync_afas.sandbox import AfasSandbox


@pytest.fixture
def world(tmp_path: Path):  # type: ignore[no-untyped-def]
    sandbox = AfasSandbox()
    app = Sfsync(SQLiteStore(tmp_path / "afas.sqlite3"), SecretBox(generate_key()), transports=sandbox.transports())
    firm = app.create_firm("Fiduciaire Dupont")
    admin = app.add_user(firm.id, "anne@dupont.be", "admin")
    staff = app.add_support_user("help@host.test")
    yield sandbox, app, firm, admin, staff
    app.store.close()


def run(coroutine):  # type: ignore[no-untyped-def]
    return asyncio.run(coroutine)


OTP_FIELDS = {"environment": "12345", "user_id": AfasSandbox.otp_user, "api_key": AfasSandbox.api_key,
              "api_token": AfasSandbox.api_token}


def test_a_firm_admin_is_refused_and_support_staff_create_it(world):
    sandbox, app, firm, admin, staff = world
    values = {**sandbox.connection_config(), **sandbox.connection_secrets()}
    with pytest.raises(PermissionDenied, match="send the credentials to support"):
        run(app.connect_form(admin, "afas", values))
    with pytest.raises(PermissionDenied, match="send the credentials to support"):
        run(app.send_code(admin, "afas", OTP_FIELDS))
    assert app.connections(admin) == []
    record = run(app.connect_form(staff, "afas", values, firm_id=firm.id))
    assert record.level == "support" and record.created_by == staff.id
    assert [c.id for c in app.connections(admin)] == [record.id]  # the firm sees it on its Syncs page
    companies = run(app.list_companies(admin, record.id))
    assert {(c.ref, c.code) for c in companies} == {("1", "JANSEN"), ("2", "VDAMME"), ("3", "DESMET")}


def test_support_asks_for_a_one_time_code_enters_it_and_the_connection_gets_the_token(world):
    sandbox, app, firm, admin, staff = world
    told = run(app.send_code(staff, "afas", OTP_FIELDS, firm_id=firm.id))
    assert AfasSandbox.otp_user in told
    (user, code), = sandbox.otp.mailbox
    assert user == AfasSandbox.otp_user
    with pytest.raises(AuthError, match="one-time password is not valid"):
        run(app.connect_form(staff, "afas", {**OTP_FIELDS, "otp": "00000000" if code != "00000000" else "11111111"},
                             firm_id=firm.id))
    assert app.connections(admin) == []  # nothing saved
    record = run(app.connect_form(staff, "afas", {**OTP_FIELDS, "otp": code}, firm_id=firm.id))
    opened = app.box.open(app.store.get_connection(record.id).sealed)
    assert opened["state"]["token"] == sandbox.token  # kept encrypted with the connection
    assert sandbox.token not in repr(record) and code not in repr(record)
    dossier = app.create_dossier(admin, "Bakkerij Jansen")
    run(app.link(admin, dossier.id, record.id, "1", mode="replace"))
    assert run(app.sync(dossier.id)).status in ("ok", "warning")
    # A code is good once.
    with pytest.raises(AuthError):
        run(app.connect_form(staff, "afas", {**OTP_FIELDS, "otp": code}, firm_id=firm.id))


def test_the_otp_request_is_refused_for_a_wrong_app_connector_key(world):
    sandbox, app, firm, _, staff = world
    with pytest.raises(AuthError, match="API key or environment key is not valid"):
        run(app.send_code(staff, "afas", {**OTP_FIELDS, "api_token": "0" * 32}, firm_id=firm.id))
    assert sandbox.otp.mailbox == []


def test_the_form_says_what_is_missing(world):
    _, app, firm, _, staff = world
    with pytest.raises(ConfigurationError, match="give the token, or for a one-time code"):
        run(app.connect_form(staff, "afas", {"environment": "12345"}, firm_id=firm.id))
    with pytest.raises(ConfigurationError, match="5 digits"):
        run(app.connect_form(staff, "afas", {"environment": "acme", "token": AfasSandbox.token}, firm_id=firm.id))
    with pytest.raises(AuthError, match="one-time code first"):
        run(app.connect_form(staff, "afas", OTP_FIELDS, firm_id=firm.id))


def test_a_token_of_the_test_environment_reaches_the_test_host(world):
    sandbox, app, firm, _, staff = world
    values = {"environment": "12345", "environment_type": "test", "token": sandbox.test_token}
    assert run(app.connect_form(staff, "afas", values, firm_id=firm.id)).config["environment_type"] == "test"
    with pytest.raises(AuthError, match="refused the connection's token"):
        run(app.connect_form(staff, "afas", {**values, "token": sandbox.token}, firm_id=firm.id))


def test_support_connect_with_send_code_through_the_command(tmp_path, monkeypatch):
    import sfsync.demo
    from sfsync.cli import cli
    from sfsync.plugins import get_registry

    monkeypatch.delenv("SFSYNC_SECRET_KEY", raising=False)
    kept = sfsync.demo.start_sandboxes(get_registry())
    monkeypatch.setattr(sfsync.demo, "start_sandboxes", lambda registry: kept)
    sandbox = kept[0]["afas"]
    db = str(tmp_path / "cli.sqlite3")

    def invoke(*args: str, input: str | None = None) -> str:
        result = CliRunner().invoke(cli, ["--db", db, "--sandbox", *args], input=input, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    invoke("firm", "create", "Fiduciaire Dupont", "--admin", "anne@dupont.be")
    invoke("support", "add", "help@host.test")
    # The code is typed when asked: the sandbox's mailbox has it by then.
    monkeypatch.setattr("click.prompt", lambda text, **kw: sandbox.otp.mailbox[-1][1])
    # Secrets come from the environment, never the command line.
    monkeypatch.setenv("SFSYNC_FIELD_API_KEY", AfasSandbox.api_key)
    monkeypatch.setenv("SFSYNC_FIELD_API_TOKEN", AfasSandbox.api_token)
    out = invoke("--as", "help@host.test", "support", "connect", "Fiduciaire Dupont", "afas", "--send-code",
                 "--field", "environment=12345", "--field", f"user_id={AfasSandbox.otp_user}")
    assert "mailed a one-time code" in out and "connected" in out

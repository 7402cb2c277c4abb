"""The four connection levels end to end, against the real plugins' sandboxes (issue 18's "How we
will know"): a firm admin connects Exact; a member links two dossiers to Xero, each through its
own login; an admin is refused a support-level connection and support staff create it; an agent
connection syncs a folder and its token is rotated. Then, through the sfsync command: a revoked
Yuki key re-entered in place, `sync --due` resuming every affected dossier in that run, and
`show --details` for an Odoo, a Xero and a Yuki dossier."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest
import sfsync.demo
from click.testing import CliRunner
from sfsync.api import Sfsync
from sfsync.auth import ConnectionLevel, FormSpec
from sfsync.cli import cli
from sfsync.errors import AuthError, ConfigurationError, PermissionDenied
from sfsync.hookspecs import hookimpl
from sfsync.plugins import PluginRegistry, get_registry
from sfsync.sandbox import REDIRECT_URI, connect_sandbox
from sfsync.secrets import SecretBox, generate_key
from sfsync.store.sqlite import SQLiteStore

pytest.importorskip("sfsync_odoo")
from sfsync_odoo.connector import OdooConnector, OdooFields  # after the skip


class SupportOdoo(OdooConnector):
    """Odoo declared support-level for this test only: no support-level plugin exists yet
    (Octopus, AFAS and Winbooks on Web come later), and the rule is the core's, not a plugin's."""

    @hookimpl
    def sfsync_auth(self) -> FormSpec:
        return FormSpec(fields=OdooFields, level=ConnectionLevel.SUPPORT)


@pytest.fixture
def app(tmp_path):
    installed = get_registry()
    registry = PluginRegistry()
    for name in ("exact-be", "xero", "onprem", "yuki"):
        loaded = installed.connector(name)
        registry.register(loaded.plugin, name, distribution=loaded.distribution, version=loaded.version)
    registry.register(SupportOdoo(), "odoo")
    assert not registry.broken, registry.broken
    sandboxes, failures = sfsync.demo.start_sandboxes(registry)
    assert not failures, failures
    made = Sfsync(SQLiteStore(tmp_path / "levels.sqlite3"), SecretBox(generate_key()), registry=registry)
    for box in {id(s): s for s in sandboxes.values()}.values():
        made.mount(box.transports())
    made.sandboxes = sandboxes  # type: ignore[attr-defined]
    yield made
    made.store.close()


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def test_the_four_levels_end_to_end(app):
    sandboxes = app.sandboxes
    firm = app.create_firm("Fiduciaire Dupont")
    admin = app.add_user(firm.id, "anne@dupont.be", "admin")
    member = app.add_user(firm.id, "bram@dupont.be", "member")

    # Firm level: the admin connects Exact once; a member may not.
    exact = run(connect_sandbox(app, admin, "exact-be", sandboxes["exact-be"]))
    with pytest.raises(PermissionDenied):
        run(connect_sandbox(app, member, "exact-be", sandboxes["exact-be"]))
    jansen = app.create_dossier(member, "Jansen")
    run(app.link(member, jansen.id, exact.id, sandboxes["exact-be"].company_refs()[0], mode="replace"))

    # Dossier level: each dossier logs in itself; the second cannot reuse the first's login.
    xero = sandboxes["xero"]
    with pytest.raises(ConfigurationError, match="connects per dossier"):
        app.start_oauth(member, "xero", redirect_uri=REDIRECT_URI, client_id="x")
    acme, bolt = app.create_dossier(member, "Acme"), app.create_dossier(member, "Bolt")
    acme_login = run(connect_sandbox(app, member, "xero", xero, dossier=acme))
    assert acme_login.owner_dossier_id == acme.id and acme_login.created_by == member.id
    run(app.link(member, acme.id, acme_login.id, xero.company_refs()[0], mode="replace"))
    with pytest.raises(PermissionDenied, match="another dossier's own login"):
        run(app.link(member, bolt.id, acme_login.id, xero.company_refs()[0], mode="replace"))
    bolt_login = run(connect_sandbox(app, member, "xero", xero, dossier=bolt))
    assert bolt_login.id != acme_login.id
    run(app.link(member, bolt.id, bolt_login.id, xero.company_refs()[-1], mode="replace"))
    assert [c.id for c in app.connections(admin)] == [exact.id]  # logins sit under their dossiers
    # Logging in again for Acme re-consents its own connection instead of adding one.
    assert run(connect_sandbox(app, member, "xero", xero, dossier=acme)).id == acme_login.id

    # Support level: the admin is refused and told to contact support; support staff create it.
    odoo = sandboxes["odoo"]
    with pytest.raises(PermissionDenied, match="send the credentials to support"):
        run(connect_sandbox(app, admin, "odoo", odoo))
    staff = app.add_support_user("help@host.test")
    odoo_values = {**odoo.connection_config(), **odoo.connection_secrets()}
    provisioned = run(app.connect_form(staff, "odoo", odoo_values, firm_id=firm.id))
    assert provisioned.created_by == staff.id and provisioned.id in [c.id for c in app.connections(admin)]
    books = app.create_dossier(admin, "Books")
    run(app.link(admin, books.id, provisioned.id, odoo.company_refs()[0], mode="replace"))

    # Agent level: the on-premise sync service; its token rotated in place.
    onprem = sandboxes["onprem"]
    agent = run(connect_sandbox(app, admin, "onprem", onprem))
    folder = app.create_dossier(admin, "Demo BV")
    run(app.link(admin, folder.id, agent.id, "DEMOBV", mode="replace"))

    runs = {r.dossier_id: r for r in run(app.sync_due())}
    assert set(runs) == {jansen.id, acme.id, bolt.id, books.id, folder.id}
    assert {d: r.status for d, r in runs.items() if r.status not in ("ok", "warning")} == {}
    assert app.store.count_ledger_lines(folder.id) > 0 and app.store.count_ledger_lines(acme.id) > 0
    assert app.company_details(member, acme.id) is not None  # the administrative stream came along

    old_token = onprem.connection_secrets()["token"]
    new_token = onprem.rotate_token()
    with pytest.raises(AuthError):
        run(app.reconnect_form(admin, agent.id, {"token": old_token}))
    rotated = run(app.reconnect_form(admin, agent.id, {"token": new_token}))  # the address is kept
    assert rotated.id == agent.id and rotated.config["url"] == agent.config["url"]
    assert run(app.sync(folder.id)).status in ("ok", "warning")


# --- through the sfsync command ----------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def cli_run(tmp_path, monkeypatch):
    """The command in-process with --sandbox; the sandboxes persist across one test's commands."""
    monkeypatch.delenv("SFSYNC_SECRET_KEY", raising=False)
    kept = sfsync.demo.start_sandboxes(get_registry())
    monkeypatch.setattr(sfsync.demo, "start_sandboxes", lambda registry: kept)
    db = str(tmp_path / "cli.sqlite3")

    def invoke(*args: str, input: str | None = None) -> str:
        result = CliRunner().invoke(cli, ["--db", db, "--sandbox", *args], input=input, catch_exceptions=False)
        invoke.last_exit = result.exit_code  # type: ignore[attr-defined]
        return result.output

    invoke.sandboxes = kept[0]  # type: ignore[attr-defined]
    invoke.db = db  # type: ignore[attr-defined]
    return invoke


def test_a_revoked_yuki_key_reentered_in_place_resumes_every_dossier_on_sync_due(cli_run):
    yuki = cli_run.sandboxes["yuki"]
    cli_run("firm", "create", "Dupont", "--admin", "anne@dupont.be")
    out = cli_run("connect", "yuki", "--field", f"access_key={yuki.connection_secrets()['access_key']}")
    assert cli_run.last_exit == 0, out
    refs = yuki.company_refs()[:3]
    for n, ref in enumerate(refs):
        out = cli_run("link", f"Klant {n}", "--connection", "yuki", "--company", ref, "--replace", "--no-sync")
        assert cli_run.last_exit == 0, out
    # The key is revoked at Yuki: the night's run stops every dossier, and the connection says why.
    domain = yuki.keys[yuki.connection_secrets()["access_key"]]
    yuki.revoke()
    out = cli_run("sync", "--due")
    assert cli_run.last_exit == 1 and "needs re-consent" in out
    out = cli_run("connections")
    assert "needs re-consent" in out and "3" in out
    # The admin re-enters a new key in place (asked without echo, as a person would type it).
    yuki.keys["NEW-KEY-0001"] = domain
    yuki.key_scopes["NEW-KEY-0001"] = set(yuki.key_scopes.get(next(iter(yuki.key_scopes)), {domain}))
    out = cli_run("reconnect", "yuki", input="NEW-KEY-0001\n")
    assert cli_run.last_exit == 0, out
    assert "re-consented" in out and "3 due now" in out
    out = cli_run("sync", "--due")
    assert cli_run.last_exit == 0, out
    for n in range(len(refs)):
        assert f"Klant {n}" in out
    assert "nothing to sync" in cli_run("sync", "--due")


def test_show_details_prints_the_administrative_data_of_odoo_xero_and_yuki_dossiers(cli_run):
    sandboxes = cli_run.sandboxes
    cli_run("firm", "create", "Dupont", "--admin", "anne@dupont.be")
    odoo = sandboxes["odoo"]
    fields = [f"--field={k}={v}" for k, v in {**odoo.connection_config(), **odoo.connection_secrets()}.items()]
    assert "connected" in cli_run("connect", "odoo", *fields), cli_run.last_exit
    yuki = sandboxes["yuki"]
    cli_run("connect", "yuki", "--field", f"access_key={yuki.connection_secrets()['access_key']}")
    cli_run("link", "Odoo client", "--connection", "odoo", "--company", odoo.company_refs()[0], "--replace")
    cli_run("link", "Yuki client", "--connection", "yuki", "--company", yuki.company_refs()[0], "--replace")
    out = cli_run("link", "Xero client", "--connection", "xero", "--company", sandboxes["xero"].company_refs()[0],
                  "--replace", "--port", str(_free_port()))
    assert cli_run.last_exit == 0, out
    store = SQLiteStore(cli_run.db)
    # What each package has beyond name, VAT and address: Odoo its registry number and fiscal-year
    # end, Yuki the KvK number and start date, Xero the fiscal-year end.
    extras = {"Odoo client": ("enterprise_number", "fiscal_year_end"), "Yuki client": ("enterprise_number",),
              "Xero client": ("fiscal_year_end",)}
    for dossier, fields in extras.items():
        out = cli_run("show", dossier, "--details")
        assert cli_run.last_exit == 0, out
        kept = store.company_details(store.find_dossier(store.list_firms()[0].id, dossier).id)
        assert kept is not None
        details = kept.details
        for value in (details.name, details.vat_number, details.city, *(getattr(details, f) for f in fields)):
            assert value and str(value) in out, (dossier, value, out)
        assert "legal name" in out and "registered address" in out and "1 version(s) kept" in out
    store.close()
    cli_run("link", "Not yet", "--connection", "odoo", "--company", odoo.company_refs()[0], "--replace", "--no-sync")
    assert "no company details yet" in cli_run("show", "Not yet", "--details") and cli_run.last_exit == 2

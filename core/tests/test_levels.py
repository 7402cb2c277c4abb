"""The four connection levels in the core API: support-provisioned connections, dossier-bound
connections, re-consent in place for forms with the stopped dossiers due at once, and the
administrative (company details) stream. Every rule is checked here, not only in the CLI."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest
import sfsync.echo.sandbox as echo_sandbox
from sfsync.auth import ConnectionLevel, FormSpec
from sfsync.echo.connector import EchoConnector, EchoFields
from sfsync.errors import AuthError, ConfigurationError, NotFound, PermissionDenied
from sfsync.hookspecs import hookimpl
from sfsync.metadata import ConnectorInfo
from sfsync.models import Company, CompanyDetails, Granularity, Person
from sfsync.partial_runs import PARTIAL
from sfsync.store.base import ConnectionRecord

ECHO_KEY = {"api_key": echo_sandbox.API_KEY}


class SupportEcho(EchoConnector):
    """Echo declared support-level, as Octopus or AFAS are: only support staff set it up."""

    @hookimpl
    def sfsync_connector_info(self) -> ConnectorInfo:
        return dataclasses.replace(super().sfsync_connector_info(), name="echo-support")

    @hookimpl
    def sfsync_auth(self) -> FormSpec:
        return FormSpec(fields=EchoFields, level=ConnectionLevel.SUPPORT)


class DetailsEcho(EchoConnector):
    """Echo that also brings company details, answering None ("unchanged") when told to."""

    def __init__(self) -> None:
        self.details = CompanyDetails(name="Acme Trading BV", legal_form="BV", vat_number="BE0123456789",
                                      enterprise_number="0123.456.789", city="Gent",
                                      people=(Person(name="An Peeters", role="zaakvoerder"),))
        self.calls: list[CompanyDetails | None] = []
        self.can_tell = False

    @hookimpl
    def sfsync_connector_info(self) -> ConnectorInfo:
        return dataclasses.replace(super().sfsync_connector_info(), name="echo-details")

    @hookimpl
    async def sfsync_fetch_company_details(
        self, ctx: Any, company: Company, previous: CompanyDetails | None
    ) -> CompanyDetails | None:
        self.calls.append(previous)
        if self.can_tell and previous == self.details:
            return None
        return self.details


class AdminOnly:
    """An administrative-only package (as AdminPulse): companies and their details, no ledger."""

    def __init__(self) -> None:
        self.echo = EchoConnector()
        self.fail: bool | Exception = False

    @hookimpl
    def sfsync_connector_info(self) -> ConnectorInfo:
        return ConnectorInfo(name="echo-admin", title="Echo administration", granularities=(Granularity.DETAILS,),
                             default_granularity=Granularity.DETAILS)

    @hookimpl
    def sfsync_auth(self) -> FormSpec:
        return FormSpec(fields=EchoFields)

    @hookimpl
    async def sfsync_list_companies(self, ctx: Any) -> list[Company]:
        return await self.echo.sfsync_list_companies(ctx)

    @hookimpl
    async def sfsync_fetch_company_details(self, ctx: Any, company: Company) -> CompanyDetails:
        if isinstance(self.fail, Exception):  # a bug of the connector's
            raise self.fail
        if self.fail:
            from sfsync.errors import MalformedResponse

            raise MalformedResponse("the administration answered nonsense")
        return CompanyDetails(name=f"{company.ref} NV (from the administration)", fiscal_year_end="06-30")


class NoDetails:
    """A package that sees companies but brings no company details."""

    @hookimpl
    def sfsync_connector_info(self) -> ConnectorInfo:
        return ConnectorInfo(name="echo-bare", title="Echo without details")

    @hookimpl
    def sfsync_auth(self) -> FormSpec:
        return FormSpec(fields=EchoFields)

    @hookimpl
    async def sfsync_list_companies(self, ctx: Any) -> list[Company]:
        return await EchoConnector().sfsync_list_companies(ctx)


@pytest.fixture
def plugins(registry):
    made = {"support": SupportEcho(), "details": DetailsEcho(), "admin": AdminOnly()}
    registry.register(made["support"], "echo-support")
    registry.register(made["details"], "echo-details")
    registry.register(made["admin"], "echo-admin")
    registry.register(NoDetails(), "echo-bare")
    assert not registry.broken, registry.broken
    return made


def _form(env: Any, user: Any, connector: str, **kwargs: Any) -> ConnectionRecord:
    return env.run(env.app.connect_form(user, connector, {**env.sandbox.connection_config(), **ECHO_KEY}, **kwargs))


# --- support level -------------------------------------------------------------------------------


def test_only_support_staff_create_and_change_a_support_level_connection(env, plugins):
    with pytest.raises(PermissionDenied, match="send the credentials to support"):
        _form(env, env.admin, "echo-support")
    with pytest.raises(PermissionDenied, match="support"):
        _form(env, env.member, "echo-support")
    staff = env.app.add_support_user("help@host.test")
    with pytest.raises(ConfigurationError, match="for which firm"):
        _form(env, staff, "echo-support")
    made = _form(env, staff, "echo-support", firm_id=env.firm.id)
    assert made.firm_id == env.firm.id and made.level == "support"
    assert made.created_by == staff.id and made.created_at is not None
    # The firm's admin sees it on the Syncs page and links dossiers to it, but cannot change it.
    assert made.id in [c.id for c in env.app.connections(env.admin)]
    dossier = env.app.create_dossier(env.admin, "Octo")
    env.run(env.app.link(env.admin, dossier.id, made.id, "C1", mode="replace"))
    assert env.sync(dossier).status == "ok"
    with pytest.raises(PermissionDenied, match="contact support|send the credentials"):
        env.run(env.app.reconnect_form(env.admin, made.id, ECHO_KEY))
    with pytest.raises(PermissionDenied):
        env.app.remove_connection(env.admin, made.id)
    changed = env.run(env.app.reconnect_form(staff, made.id, ECHO_KEY))
    assert changed.id == made.id and changed.status == "ok"


def test_support_staff_set_up_only_support_level_connections(env, plugins):
    staff = env.app.add_support_user("help@host.test")
    with pytest.raises(PermissionDenied, match="only support-level"):
        _form(env, staff, "echo", firm_id=env.firm.id)
    with pytest.raises(ConfigurationError, match="add_support_user"):
        env.app.add_user(env.firm.id, "x@firm.test", "support")


def test_only_support_staff_list_every_firm(env):
    other = env.app.create_firm("Cabinet Martin")
    staff = env.app.add_support_user("help@host.test")
    listed = env.app.firms(staff)
    assert [f.id for f in listed] == [f.id for f in sorted((other, env.firm), key=lambda f: f.name.casefold())]
    for user in (env.admin, env.member):
        with pytest.raises(PermissionDenied, match="only the host's support staff list every firm"):
            env.app.firms(user)


# --- dossier-bound connections -----------------------------------------------------------------


def _own_login(env: Any, dossier: Any) -> ConnectionRecord:
    """A connection as finish_oauth stores a dossier's own login to a dossier-level package."""
    record = ConnectionRecord(id=f"conn_own_{dossier.id}", firm_id=env.firm.id, connector="echo",
                              label=f"echo for {dossier.name}", level="dossier", config=env.sandbox.connection_config(),
                              sealed=env.app.box.seal({"secrets": ECHO_KEY, "tokens": None, "state": {}}),
                              owner_dossier_id=dossier.id, created_by=env.member.id)
    env.app.store.add_connection(record)
    return env.app.store.get_connection(record.id)


def test_a_dossier_login_belongs_to_its_dossier(env):
    d1 = env.app.create_dossier(env.member, "D1")
    d2 = env.app.create_dossier(env.member, "D2")
    own = _own_login(env, d1)
    env.run(env.app.link(env.member, d1.id, own.id, "C1", mode="replace"))
    with pytest.raises(PermissionDenied, match="another dossier's own login"):
        env.run(env.app.link(env.member, d2.id, own.id, "C1", mode="replace"))
    # Shown under its dossier, not on the firm's Syncs page.
    assert own.id not in [c.id for c in env.app.connections(env.admin)]
    assert [c.id for c in env.app.dossier_connections(env.member, d1.id)] == [own.id]
    assert env.app.dossier_connections(env.member, d2.id) == []
    # Unlinking removes the login, once confirmed.
    with pytest.raises(ConfigurationError, match="confirm"):
        env.app.unlink(env.member, d1.id)
    assert env.app.store.get_link(d1.id) is not None
    env.app.unlink(env.member, d1.id, remove_connection=True)
    assert env.app.store.get_link(d1.id) is None
    with pytest.raises(NotFound):
        env.app.store.get_connection(own.id)


def test_unlinking_from_a_firm_connection_keeps_the_connection(env):
    dossier = env.dossier("d1")
    env.app.unlink(env.admin, dossier.id)
    assert env.app.store.get_connection(env.connection.id).status == "ok"


# --- re-consent in place -------------------------------------------------------------------------


def test_a_revoked_key_reentered_in_place_makes_every_stopped_dossier_due_at_once(env):
    d2, d3 = env.dossier("d2"), env.dossier("d3", ref="C2")
    assert {r.status for r in env.run(env.app.sync_many([d2.id, d3.id]))} == {"ok"}
    d1 = env.dossier("d1")
    # The key is refused in the middle of d1's first ledger read: what was committed stays.
    env.sandbox.faults.add(401, times=1, path_contains="/lines", after=2, body={"error": "invalid_api_key"})
    first = env.sync(d1)
    assert first.status == "failed" and first.error_kind == "NeedsReconsent"
    state = env.app.connection_state(env.admin, env.connection.id)
    assert state.status == "needs_reconsent" and "refused the API key" in (state.cause or "")
    # The others stop before asking the package anything, and say what to do.
    for dossier in (d2, d3):
        run = env.sync(dossier)
        assert run.status == "failed" and "needs re-consent" in run.error and "log in" in run.error
    assert env.app.connection_state(env.admin, env.connection.id).waiting == 3
    # The Syncs page's call (every connection in one pass) says the same.
    assert {s.connection.id: s.waiting for s in env.app.connection_states(env.admin)}[env.connection.id] == 3
    assert env.app.due_dossiers() == []
    # The package revoked the key; the admin enters the new one in place (a wrong one saves nothing).
    env.sandbox.revoke()
    with pytest.raises(AuthError, match="refused"):
        env.run(env.app.reconnect_form(env.admin, env.connection.id, ECHO_KEY))
    assert env.app.store.get_connection(env.connection.id).status == "needs_reconsent"
    again = env.run(env.app.reconnect_form(env.admin, env.connection.id, env.sandbox.connection_secrets()))
    assert again.id == env.connection.id and again.status == "ok" and again.status_cause is None
    assert again.config == env.connection.config  # the fields not given keep their stored value
    assert env.app.connection_state(env.admin, env.connection.id).waiting == 3
    assert set(env.app.due_dossiers()) == {d1.id, d2.id, d3.id}  # at once, not 20 h after the failure
    runs = {r.dossier_id: r for r in env.run(env.app.sync_due())}
    assert {r.status for r in runs.values()} == {"ok"}
    assert runs[d1.id].counts["lines_fetched"] < len(env.sandbox.companies["C1"].lines)  # resumed
    assert set(env.lines(d1)) == {line.id for line in env.sandbox.companies["C1"].lines}
    assert env.app.connection_state(env.admin, env.connection.id).waiting == 0
    assert env.app.due_dossiers() == []


def test_a_member_cannot_reenter_a_firm_connections_credentials(env):
    with pytest.raises(PermissionDenied, match="only an admin"):
        env.run(env.app.reconnect_form(env.member, env.connection.id, ECHO_KEY))


def test_another_firms_connection_cannot_be_reconsented(env):
    other = env.app.create_firm("Other")
    stranger = env.app.add_user(other.id, "admin@other.test", "admin")
    with pytest.raises(NotFound):
        env.run(env.app.reconnect_form(stranger, env.connection.id, ECHO_KEY))


# --- administrative stream --------------------------------------------------------------------


def test_company_details_are_kept_per_dossier_with_history(env, plugins):
    connector = plugins["details"]
    connection = _form(env, env.admin, "echo-details")
    dossier = env.app.create_dossier(env.admin, "Acme")
    env.run(env.app.link(env.admin, dossier.id, connection.id, "C1", mode="replace"))
    assert env.sync(dossier).status == "ok"
    kept = env.app.company_details(env.admin, dossier.id)
    assert kept is not None and kept.details == connector.details and kept.source == connection.id
    assert kept.details.people[0].role == "zaakvoerder"
    # A second "sync now" soon after costs no details request.
    assert env.sync(dossier).status == "ok" and len(connector.calls) == 1
    env.app.runner.details_interval = dt.timedelta(0)
    # Unchanged: nothing new is kept; the connector is given what it brought last.
    env.sync(dossier)
    assert connector.calls[-1] == connector.details
    assert len(env.app.company_details_history(env.admin, dossier.id)) == 1
    # A package that can tell answers None: nothing is kept either.
    connector.can_tell = True
    assert env.sync(dossier).counts["details_changed"] == 0
    connector.details = connector.details.model_copy(update={"city": "Antwerpen"})
    assert env.sync(dossier).counts["details_changed"] == 1
    history = env.app.company_details_history(env.admin, dossier.id)
    assert [h.details.city for h in history] == ["Antwerpen", "Gent"]
    other = env.app.create_firm("Other")
    with pytest.raises(NotFound):
        env.app.company_details(env.app.add_user(other.id, "a@o.test", "admin"), dossier.id)


def test_an_administrative_only_connector_links_with_details_and_syncs_alone(env, plugins):
    connection = _form(env, env.admin, "echo-admin")
    dossier = env.app.create_dossier(env.admin, "Client")
    with pytest.raises(ConfigurationError, match="offers details, not transactions"):
        env.run(env.app.link(env.admin, dossier.id, connection.id, "C1", mode="replace", granularity="transactions"))
    with pytest.raises(ConfigurationError, match="takes no mode"):
        env.run(env.app.link(env.admin, dossier.id, connection.id, "C1", mode="replace", granularity="details"))
    link = env.run(env.app.link(env.admin, dossier.id, connection.id, "C1"))
    assert link.granularity is Granularity.DETAILS and env.app.store.get_link(dossier.id) is None
    assert dossier.id in env.app.due_dossiers()
    run = env.sync(dossier)
    assert run.status == "ok" and run.counts == {"details_changed": 1}
    assert env.app.company_details(env.admin, dossier.id).details.fiscal_year_end == "06-30"
    plugins["admin"].fail = True
    env.app.runner.details_interval = dt.timedelta(0)
    assert env.sync(dossier).status == "failed"  # on its own, its failure is the run's


def test_a_dossier_has_an_accounting_and_an_administrative_link(env, plugins):
    dossier = env.dossier("d1")  # figures from echo; its details give way to the administrative link
    admin = _form(env, env.admin, "echo-admin")
    env.run(env.app.link(env.admin, dossier.id, admin.id, "C1", granularity="details"))
    assert env.app.store.get_link(dossier.id).connection_id == env.connection.id
    run = env.sync(dossier)
    assert run.status == "ok" and run.counts["lines_fetched"] > 0 and run.counts["details_changed"] == 1
    assert env.app.company_details(env.admin, dossier.id).details.name.startswith("C1 NV")
    # Beside the figures, an administrative failure is a warning: the figures were synced.
    plugins["admin"].fail = True
    env.app.runner.details_interval = dt.timedelta(0)
    run = env.sync(dossier)
    assert run.status == "warning" and any("company details from echo-admin" in w for w in run.warnings)
    env.app.unlink(env.admin, dossier.id, administrative=True)
    assert env.app.store.get_admin_link(dossier.id) is None and env.app.store.get_link(dossier.id) is not None


def test_a_bug_in_the_details_after_a_full_sync_leaves_the_figures_live_and_says_so(env, plugins):
    dossier = env.dossier("d1")  # a replace link: its first run builds a generation and swaps it in
    admin = _form(env, env.admin, "echo-admin")
    env.run(env.app.link(env.admin, dossier.id, admin.id, "C1", granularity="details"))
    plugins["admin"].fail = RuntimeError("a bug in the details mapping")
    run = env.sync(dossier)
    assert run.status == "failed" and run.error_kind == "InternalError"
    assert env.app.store.active_generation(dossier.id) is not None and env.lines(dossier)  # the figures are live
    assert run.counts.get(PARTIAL) and "partly updated" in run.error  # and the run says it changed the dossier
    assert env.app.dossier_status(env.admin, dossier.id).incomplete


def test_a_connector_without_details_cannot_make_an_administrative_link(env, plugins):
    bare = _form(env, env.admin, "echo-bare")
    dossier = env.app.create_dossier(env.admin, "x")
    with pytest.raises(ConfigurationError, match="brings no company details"):
        env.run(env.app.link(env.admin, dossier.id, bare.id, "C1", granularity="details"))

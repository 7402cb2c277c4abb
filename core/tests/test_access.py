"""Cross-firm access: every public ``Sfsync`` method, walked with another firm's ids.

Two firms share one store. Each firm-scoped method is called by firm A with firm B's ids and with
ids that do not exist: both must be refused the same way (so B's ids are not even confirmed), the
same call with A's own ids must get past the check, and B's data must be exactly as it was. The
walk enumerates the methods with ``inspect``: a public method added later without a case here, or
without being declared an operator method, fails :func:`test_every_public_method_has_a_case`.
"""

from __future__ import annotations

import asyncio
import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from sfsync.access import OPERATOR_METHODS, is_scoped
from sfsync.api import Sfsync
from sfsync.auth import ConnectionLevel, OAuth2Spec
from sfsync.context import ConnectorContext
from sfsync.echo import EchoSandbox
from sfsync.errors import AuthError, NotFound, PermissionDenied, SfsyncError
from sfsync.hookspecs import hookimpl
from sfsync.http.transport import RetryPolicy
from sfsync.metadata import ConnectorInfo
from sfsync.models import Company
from sfsync.plugins import PluginRegistry
from sfsync.sandbox import connect_sandbox
from sfsync.secrets import SecretBox, generate_key
from sfsync.store.base import LinkRecord, User
from sfsync.testing.harness import RecordingClock

REDIRECT = "http://127.0.0.1:8765/callback"
OAUTH = "https://oauth.test"


class _OAuthConnector:
    """An inline OAuth2 connector: its token endpoint is a mock, it sees one company."""

    def __init__(self, name: str, level: ConnectionLevel) -> None:
        self.name, self.level = name, level

    @hookimpl
    def sfsync_connector_info(self) -> ConnectorInfo:
        return ConnectorInfo(name=self.name, title=f"OAuth test ({self.level.value})")

    @hookimpl
    def sfsync_auth(self) -> OAuth2Spec:
        return OAuth2Spec(authorize_url=f"{OAUTH}/authorize", token_url=f"{OAUTH}/token", level=self.level)

    @hookimpl
    async def sfsync_list_companies(self, ctx: ConnectorContext) -> list[Company]:
        return [Company(ref="C1", code="1", name="One")]


def _token_endpoint(request: httpx.Request) -> httpx.Response:
    code = dict(httpx.QueryParams(request.content.decode()))["code"]
    return httpx.Response(200, json={"access_token": f"at-{code}", "refresh_token": f"rt-{code}", "expires_in": 3600})


@dataclass
class Ids:
    """The ids one firm owns."""

    connection: str  # echo, firm level
    oauth: str  # firm-level OAuth2
    dossier_conn: str  # dossier-level OAuth2, linked to ``dossier``
    dossier: str
    dossier_name: str
    state: str  # a pending OAuth2 login of the firm's admin
    firm: str = ""  # the firm itself (what support staff name; a firm's users may name only their own)


MISSING = Ids(
    connection="conn_000000000000", oauth="conn_111111111111", dossier_conn="conn_222222222222",
    dossier="dos_000000000000", dossier_name="No Such Dossier", state="no-such-state", firm="firm_000000000000",
)


class World:
    """Firms A and B on one store, each with an admin, a member, connections, dossiers, a run."""

    def __init__(self, store: Any, tmp_path: Path) -> None:
        registry = PluginRegistry()
        from sfsync.echo import connector

        registry.register(connector, "echo")
        registry.register(_OAuthConnector("oauth-firm", ConnectionLevel.FIRM), "oauth-firm")
        registry.register(_OAuthConnector("oauth-dossier", ConnectionLevel.DOSSIER), "oauth-dossier")
        self.sandbox = EchoSandbox()
        self.app = Sfsync(
            store, SecretBox(generate_key()), registry=registry, clock=RecordingClock(),
            transports={**self.sandbox.transports(), OAUTH: httpx.MockTransport(_token_endpoint)},
            retry=RetryPolicy(attempts=2, wait_initial=0.01, wait_max=0.02), resume_waits=(),
        )
        self.file = tmp_path / "books.csv"
        self.file.write_text("not an export\n")
        self.admin_a, self.member_a, self.a = self._firm("A")
        self.admin_b, self.member_b, self.b = self._firm("B")

    def run(self, coroutine: Any) -> Any:
        return asyncio.run(coroutine)

    def oauth(self, user: User, connector: str, *, code: str, **kwargs: Any) -> Any:
        pending = self.app.start_oauth(user, connector, redirect_uri=REDIRECT, client_id="client", **kwargs)
        return self.run(self.app.finish_oauth(user, f"{REDIRECT}?code={code}&state={pending.state}"))

    def _firm(self, name: str) -> tuple[User, User, Ids]:
        app = self.app
        firm = app.create_firm(f"Firm {name}")
        admin = app.add_user(firm.id, f"admin@{name}.test", "admin")
        member = app.add_user(firm.id, f"member@{name}.test", "member")
        echo = self.run(connect_sandbox(app, admin, "echo", self.sandbox))
        oauth = self.oauth(admin, "oauth-firm", code=f"{name}-firm")
        dossier = app.create_dossier(admin, f"Bakkerij {name}")
        self.run(app.link(admin, dossier.id, echo.id, "C1", mode="replace"))
        self.run(app.sync_now(admin, dossier.id))
        own = app.create_dossier(member, f"Xero client {name}")
        dossier_conn = self.oauth(member, "oauth-dossier", code=f"{name}-dossier", dossier_id=own.id)
        self.run(app.link(member, own.id, dossier_conn.id, "C1", mode="replace"))
        app.create_dossier(admin, "Shared name")
        state = app.start_oauth(admin, "oauth-firm", redirect_uri=REDIRECT, client_id="client").state
        return admin, member, Ids(echo.id, oauth.id, dossier_conn.id, dossier.id, dossier.name, state, firm.id)

    def snapshot(self, firm_id: str) -> Any:
        """Everything firm ``firm_id`` has, to compare before and after."""
        store = self.app.store
        dossiers = store.list_dossiers(firm_id)
        return (
            [(c.id, c.connector, c.label, c.status, c.sealed) for c in store.list_connections(firm_id)],
            [(d, store.get_link(d.id), [r.id for r in store.list_runs(d.id)], store.count_ledger_lines(d.id)
              if store.active_generation(d.id) is not None else 0) for d in dossiers],
            sorted(state for state, p in self.app._pending.items() if p.firm_id == firm_id),
        )


# --- the cases: method -> what A calls with a firm's ids -------------------------------------------

Call = Callable[[World, User, Ids], Any]


def _redirect(world: World, user: User, ids: Ids) -> str:
    return f"{REDIRECT}?code=stolen&state={ids.state}"


CASES: dict[str, dict[str, Call]] = {
    "add_colleague": {"": lambda w, u, i: w.app.add_colleague(u, "new@a.test")},
    "connect_form": {
        "": lambda w, u, i: w.run(connect_sandbox(w.app, u, "echo", w.sandbox)),
        "re-consent": lambda w, u, i: w.run(connect_sandbox(w.app, u, "echo", w.sandbox, connection_id=i.connection)),
    },
    "start_oauth": {
        "re-consent a firm connection": lambda w, u, i: w.app.start_oauth(
            u, "oauth-firm", redirect_uri=REDIRECT, client_id="client", connection_id=i.oauth),
        "log in for a dossier": lambda w, u, i: w.app.start_oauth(
            u, "oauth-dossier", redirect_uri=REDIRECT, client_id="client", dossier_id=i.dossier),
        "re-consent a dossier connection": lambda w, u, i: w.app.start_oauth(
            u, "oauth-dossier", redirect_uri=REDIRECT, client_id="client", connection_id=i.dossier_conn),
    },
    "finish_oauth": {"state": lambda w, u, i: w.run(w.app.finish_oauth(u, _redirect(w, u, i)))},
    "connections": {
        "": lambda w, u, i: w.app.connections(u),
        "firm": lambda w, u, i: w.app.connections(u, firm_id=i.firm),
    },
    "remove_connection": {"connection": lambda w, u, i: w.app.remove_connection(u, i.connection)},
    "list_companies": {"connection": lambda w, u, i: w.run(w.app.list_companies(u, i.connection))},
    "fiscal_years": {"connection": lambda w, u, i: w.run(w.app.fiscal_years(u, i.connection, "C1"))},
    "create_dossier": {"": lambda w, u, i: w.app.create_dossier(u, "New client")},
    "dossier": {
        "by id": lambda w, u, i: w.app.dossier(u, i.dossier),
        "by name": lambda w, u, i: w.app.dossier(u, i.dossier_name),
    },
    "link": {
        "dossier": lambda w, u, i: w.run(w.app.link(u, i.dossier, _own(w).connection, "C1", mode="replace")),
        "connection": lambda w, u, i: w.run(w.app.link(u, _own(w).dossier, i.connection, "C1", mode="replace")),
    },
    "unlink": {"dossier": lambda w, u, i: w.app.unlink(u, i.dossier)},
    "sync_now": {"dossier": lambda w, u, i: w.run(w.app.sync_now(u, i.dossier))},
    "status": {"": lambda w, u, i: w.app.status(u)},
    "dossier_status": {
        "by id": lambda w, u, i: w.app.dossier_status(u, i.dossier),
        "by name": lambda w, u, i: w.app.dossier_status(u, i.dossier_name),
    },
    "runs": {"dossier": lambda w, u, i: w.app.runs(u, i.dossier), "": lambda w, u, i: w.app.runs(u)},
    "import_file": {"dossier": lambda w, u, i: w.app.import_file(u, i.dossier, w.file)},
    "send_code": {"connection": lambda w, u, i: w.run(w.app.send_code(u, "echo", {}, connection_id=i.connection))},
    "reconnect_form": {"connection": lambda w, u, i: w.run(w.app.reconnect_form(u, i.connection, w.sandbox.connection_secrets()))},
    "connection_state": {"connection": lambda w, u, i: w.app.connection_state(u, i.connection)},
    "connection_states": {
        "": lambda w, u, i: w.app.connection_states(u, dossier_logins=True),
        "firm": lambda w, u, i: w.app.connection_states(u, firm_id=i.firm, dossier_logins=True),
    },
    "dossier_connections": {"dossier": lambda w, u, i: w.app.dossier_connections(u, i.dossier)},
    "company_details": {"dossier": lambda w, u, i: w.app.company_details(u, i.dossier)},
    "company_details_history": {"dossier": lambda w, u, i: w.app.company_details_history(u, i.dossier)},
    "users": {"": lambda w, u, i: w.app.users(u)},
    "firms": {"": lambda w, u, i: w.app.firms(u)},
    "check_connection": {"connection": lambda w, u, i: w.run(w.app.check_connection(u, i.connection))},
    "dossiers_of_connection": {"connection": lambda w, u, i: w.app.dossiers_of_connection(u, i.connection)},
    "delete_dossier": {"dossier": lambda w, u, i: w.app.delete_dossier(u, i.dossier)},
    "find_company": {"connection": lambda w, u, i: w.run(w.app.find_company(u, i.connection, "C1"))},
    "trial_balance": {"dossier": lambda w, u, i: w.app.trial_balance(u, i.dossier)},
    "figures": {"dossier": lambda w, u, i: w.app.figures(u, i.dossier).fiscal_years()},
}
"""A case labelled ``""`` passes no id (``connections``, ``status``…): it must show nothing of the
other firm. Every other case passes the firm's ids it is given."""

SUPPORT_ONLY = frozenset({"firms"})
"""Methods only the host's support staff may call: a firm's admin is refused outright."""


def _own(world: World) -> Ids:
    return world.a


def _outcome(call: Call, world: World, user: User, ids: Ids) -> tuple[str, str]:
    try:
        result = call(world, user, ids)
    except SfsyncError as exc:
        text = str(exc)
        for value in (*vars(ids).values(),):
            text = text.replace(repr(value), "<id>").replace(value, "<id>")
        return type(exc).__name__, text
    return "ok", repr(result)


@pytest.fixture
def world(store: Any, tmp_path: Path) -> World:
    return World(store, tmp_path)


def test_every_public_method_has_a_case() -> None:
    public = {name for name, member in inspect.getmembers(Sfsync) if not name.startswith("_") and callable(member)}
    assert public == set(CASES) | OPERATOR_METHODS, "a public Sfsync method needs a cross-firm case here"
    for name in CASES:
        assert is_scoped(getattr(Sfsync, name)), f"Sfsync.{name} is not resolved through sfsync.access"
        parameters = list(inspect.signature(getattr(Sfsync, name)).parameters)
        assert parameters[1] == "user"
        takes_ids = [p for p in parameters if p.endswith("_id") or p == "name_or_id"]
        assert not takes_ids or any(CASES[name]), f"Sfsync.{name} takes {takes_ids} but no case passes them"
    for name in OPERATOR_METHODS:
        assert "user" not in inspect.signature(getattr(Sfsync, name)).parameters


@pytest.mark.parametrize(
    ("method", "label"), [(m, label) for m, labels in CASES.items() for label in labels]
)
def test_another_firms_ids_are_refused_like_missing_ones(world: World, method: str, label: str) -> None:
    call = CASES[method][label]
    before = world.snapshot(world.admin_b.firm_id)
    if label:
        theirs = _outcome(call, world, world.admin_a, world.b)
        missing = _outcome(call, world, world.admin_a, MISSING)
        assert theirs[0] in ("NotFound", "AuthError"), theirs
        assert theirs == missing
        # the same call with A's own ids gets past the check (so the case exercises it)
        kind, text = _outcome(call, world, world.admin_a, world.a)
        assert "in this firm" not in text and "unknown or reused state" not in text, (kind, text)
    else:
        kind, text = _outcome(call, world, world.admin_a, world.b)
        assert kind == ("PermissionDenied" if method in SUPPORT_ONLY else "ok"), text
        for value in (world.b.connection, world.b.oauth, world.b.dossier_conn, world.b.dossier, world.b.state):
            assert value not in text
    assert world.snapshot(world.admin_b.firm_id) == before


@pytest.mark.parametrize(("method", "label"), [(m, next(iter(labels))) for m, labels in CASES.items()])
def test_a_forged_user_is_refused(world: World, method: str, label: str) -> None:
    """A ``User`` object is not a credential: its firm and role are read from the store."""
    before = world.snapshot(world.admin_b.firm_id)
    call = CASES[method][label]
    forged = [
        replace(world.admin_a, firm_id=world.admin_b.firm_id),  # A's admin claiming B's firm
        replace(world.admin_b, id="user_000000000000"),  # nobody
    ]
    for user in forged:
        with pytest.raises(NotFound, match="no user"):
            call(world, user, world.b)
    assert world.snapshot(world.admin_b.firm_id) == before


def test_a_role_is_read_from_the_store(world: World) -> None:
    promoted = replace(world.member_a, role="admin")
    with pytest.raises(PermissionDenied):
        world.app.remove_connection(promoted, world.a.connection)
    with pytest.raises(PermissionDenied):
        world.app.add_colleague(promoted, "x@a.test", "admin")


def test_the_reported_attack_replaces_nothing(world: World) -> None:
    """Issue 15, finding 1: A's admin re-consents B's connection with A's grant."""
    before = world.snapshot(world.admin_b.firm_id)
    with pytest.raises(NotFound):
        world.oauth(world.admin_a, "oauth-firm", code="stolen", connection_id=world.b.oauth)
    # a member of A, with their own dossier, aiming at B's dossier-level connection
    with pytest.raises(NotFound):
        world.oauth(world.member_a, "oauth-dossier", code="stolen", connection_id=world.b.dossier_conn,
                    dossier_id=world.a.dossier)
    assert world.snapshot(world.admin_b.firm_id) == before


def test_a_member_reconsents_only_their_dossiers_connection(world: World) -> None:
    app, member = world.app, world.member_a
    own = app.dossier(member, "Xero client A")
    # the firm's own firm-level connection is an admin's
    with pytest.raises(PermissionDenied):
        app.start_oauth(member, "oauth-firm", redirect_uri=REDIRECT, client_id="c", connection_id=world.a.oauth,
                        dossier_id=own.id)
    # a dossier-level connection of *another* dossier of the firm, too
    other = app.create_dossier(member, "Other client A")
    with pytest.raises(PermissionDenied):
        app.start_oauth(member, "oauth-dossier", redirect_uri=REDIRECT, client_id="c",
                        connection_id=world.a.dossier_conn, dossier_id=other.id)
    # the connection of a different connector cannot be re-consented with this one
    with pytest.raises(SfsyncError, match="cannot be re-consented"):
        app.start_oauth(world.admin_a, "oauth-firm", redirect_uri=REDIRECT, client_id="c",
                        connection_id=world.a.dossier_conn)
    # their own dossier's connection: yes, and the tokens are replaced in place
    sealed = app.store.get_connection(world.a.dossier_conn).sealed
    again = world.oauth(member, "oauth-dossier", code="again", connection_id=world.a.dossier_conn, dossier_id=own.id)
    assert again.id == world.a.dossier_conn and app.store.get_connection(again.id).sealed != sealed


def test_another_users_state_is_refused_and_not_spoilt(world: World) -> None:
    state = world.b.state
    with pytest.raises(AuthError, match="unknown or reused state"):
        world.run(world.app.finish_oauth(world.member_b, f"{REDIRECT}?code=x&state={state}"))
    record = world.run(world.app.finish_oauth(world.admin_b, f"{REDIRECT}?code=b2&state={state}"))
    assert record.firm_id == world.admin_b.firm_id


def test_a_connection_removed_during_the_login_is_not_brought_back(world: World) -> None:
    app, admin = world.app, world.admin_a
    pending = app.start_oauth(admin, "oauth-firm", redirect_uri=REDIRECT, client_id="c", connection_id=world.a.oauth)
    app.remove_connection(admin, world.a.oauth)
    with pytest.raises(NotFound):
        world.run(app.finish_oauth(admin, f"{REDIRECT}?code=late&state={pending.state}"))
    assert world.a.oauth not in {c.id for c in app.connections(admin)}


def test_a_link_across_firms_in_the_store_is_refused_by_the_runner(world: World) -> None:
    """Defence in depth for the operator's ``sync``: a link the API would never make."""
    store = world.app.store
    link = store.get_link(world.a.dossier)
    assert isinstance(link, LinkRecord)
    store.save_link(replace(link, connection_id=world.b.connection))
    run = world.run(world.app.sync(world.a.dossier))
    assert run.status == "failed" and re.search("connection of another firm", run.error or "")

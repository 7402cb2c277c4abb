"""The Python API for host applications: firms, users, connections, links, runs and figures.

>>> app = Sfsync.open("sfsync.sqlite3")            # the embedded default  # doctest: +SKIP
>>> firm = app.create_firm("Fiduciaire Dupont")    # doctest: +SKIP

Every action is taken *as a user*: only an admin adds or removes a connection; a dossier links only
to a connection of its own firm. Every id a user passes is resolved within their firm and role by
:mod:`sfsync.access`; another firm's id is refused like one that does not exist. The few methods
that take no user (setup, the scheduler, the worker) are the host's own: see
:data:`~sfsync.access.OPERATOR_METHODS`. Async methods talk to a package; the rest only touch the
store.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast
from urllib.parse import parse_qs, urlparse

import httpx
from pydantic import BaseModel, SecretStr, ValidationError

from sfsync.access import Access, scoped
from sfsync.auth import (
    AgentSpec,
    ConnectionLevel,
    FormSpec,
    OAuth2Spec,
    PendingAuthorization,
    secret_field_names,
)
from sfsync.clock import Clock
from sfsync.context import ConnectorContext, Secrets
from sfsync.errors import (
    AuthError,
    ConfigurationError,
    NotFound,
    PermissionDenied,
    SfsyncError,
)
from sfsync.figures import DossierFigures
from sfsync.fiscal_years import check_years, effective_years, merge_years, span
from sfsync.http.ratelimit import InMemoryLimiterBackend, LimiterBackend
from sfsync.http.transport import RetryPolicy
from sfsync.levels import require_may_manage
from sfsync.link_switch import refuse_silent_switch
from sfsync.models import (
    Company,
    FiscalYear,
    Granularity,
    LedgerBatch,
    LedgerColumns,
    LedgerLine,
    SyncMode,
    TrialBalanceBatch,
)
from sfsync.partial_runs import incomplete
from sfsync.plugins import DeferredRegistry, PluginRegistry
from sfsync.runner import Runner, RunObserver, balance_warnings
from sfsync.secrets import SecretBox
from sfsync.store.base import (
    CompanyDetailsRecord,
    ConnectionRecord,
    DossierRecord,
    Firm,
    LinkRecord,
    RunRecord,
    Store,
    User,
)
from sfsync.store.planning_rows import NightlyRow, PlansNights
from sfsync.store.sqlite import SQLiteStore
from sfsync.trial_balance_view import TrialBalanceRow, trial_balance_rows

__all__ = ["ConnectionState", "DossierStatus", "Sfsync"]

REFUSED = ("AuthError", "NeedsReconsent")
"""The ``error_kind`` of a run stopped by a refused credential: due at once after re-consent."""

NIGHTLY_INTERVAL = dt.timedelta(hours=20)
"""A dossier is due when its last run started longer ago than this (so once a night)."""


@dataclass(frozen=True)
class DossierStatus:
    """One line of ``sfsync status``.

    ``incomplete``: a run failed after saving part of its changes and none has finished since, so
    the dossier is partly updated until the next run resumes (see :mod:`sfsync.partial_runs`).
    """

    dossier: DossierRecord
    link: LinkRecord | None
    connector: str | None
    connection_status: str | None
    last_run: RunRecord | None
    next_due: dt.datetime | None
    incomplete: bool = False
    admin_link: LinkRecord | None = None
    """The administrative link (granularity ``details``), when the dossier has one."""

    @property
    def granularity(self) -> str:
        """What the dossier syncs: ``transactions``, ``trial_balance``, ``details`` (only the
        administrative link) or ``manual``."""
        chosen = self.link or self.admin_link
        return chosen.granularity.value if chosen is not None else "manual"

    @property
    def last_error(self) -> str | None:
        """Why the last run failed (or waits, or was skipped), else ``None``."""
        if self.last_run is None or self.last_run.status in ("ok", "warning", "running"):
            return None
        return self.last_run.error

@dataclass(frozen=True)
class ConnectionState:
    """A connection as its Syncs page shows it: status, why, and how many dossiers wait for it.

    Attributes:
        connection: The connection.
        status: ``ok`` or ``needs_reconsent``.
        cause: Why it needs re-consent (the package's refusal), else ``None``.
        waiting: Dossiers of this connection whose last run stopped because the package refused
            the credentials. Before re-consent they wait; after it they are due at once.
    """

    connection: ConnectionRecord
    status: str
    cause: str | None
    waiting: int



@dataclass
class _Pending:
    firm_id: str
    user_id: str
    connector: str
    pending: PendingAuthorization
    config: dict[str, Any]
    secrets: dict[str, str]
    label: str
    connection_id: str | None
    dossier_id: str | None


def _stopped_by_refusal(run: RunRecord | None) -> bool:
    return run is not None and run.status == "failed" and run.error_kind in REFUSED


def _unfinished(run: RunRecord | None) -> bool:
    """Whether a dossier's last run did not finish (so it may have left the dossier partly updated)."""
    return run is not None and run.status not in ("ok", "warning")


def _next_due(row: NightlyRow) -> dt.datetime | None:
    """When a dossier is next due (``None``: at once, or never synced)."""
    chosen, connection, last = row.link or row.admin_link, row.connection, row.last_run
    if chosen is None or last is None or chosen.needs_full_sync:
        return None
    if _stopped_by_refusal(last) and connection is not None and connection.status == "ok":
        return None  # re-consented since: due at once, resuming from its checkpoint
    if last.status == "waiting" and last.resume_at is not None:
        return last.resume_at
    return last.started_at + NIGHTLY_INTERVAL


def _is_due(row: NightlyRow, now: dt.datetime) -> bool:
    """Whether a linked dossier is due for its nightly sync at ``now`` (never while its
    connection needs re-consent)."""
    if (row.link is None and row.admin_link is None) or (
            row.connection is not None and row.connection.status == "needs_reconsent"):
        return False
    next_due = _next_due(row)
    return next_due is None or next_due <= now


class Sfsync:
    """The host's entry point: wires a store, the plugins, encryption and the runner.

    Args:
        store: Where everything is kept (:class:`~sfsync.store.SQLiteStore` by default).
        secret_box: Encrypts credentials at rest.
        registry: The plugins (the installed ones by default).
        clock: Time (scaled or fake in tests and demos).
        transports: URL prefix → transport, to mount sandboxes in-process.
        limiter: Where rate-limit state lives (shared across workers in production).
        retry: Retry policy for transient faults (each HTTP request).
        concurrency: How many dossiers sync at once.
        resume_waits: Seconds to wait before resuming a run from its last checkpoint when a
            transient fault outlasts the HTTP retries, one entry per resume (default 30 s, then
            120 s); ``()`` fails such a run at once.
    """

    def __init__(
        self,
        store: Store,
        secret_box: SecretBox,
        *,
        registry: PluginRegistry | None = None,
        clock: Clock | None = None,
        transports: Mapping[str, httpx.AsyncBaseTransport] | None = None,
        limiter: LimiterBackend | None = None,
        retry: RetryPolicy | None = None,
        concurrency: int = 8,
        lock_factory: Any = None,
        resume_waits: tuple[float, ...] | None = None,
    ) -> None:
        self.store = store
        self.access = Access(store)
        self.box = secret_box
        # The installed plugins are loaded when first needed (DeferredRegistry), not here.
        self.registry: PluginRegistry = registry or cast(PluginRegistry, DeferredRegistry())
        self.clock = clock or Clock()
        self.transports: dict[str, httpx.AsyncBaseTransport] = dict(transports or {})
        self.concurrency = concurrency
        self.runner = Runner(
            store=store,
            registry=self.registry,
            box=secret_box,
            clock=self.clock,
            transports=self.transports,
            limiter=limiter or InMemoryLimiterBackend(),
            retry=retry or RetryPolicy(),
            lock_factory=lock_factory,
        )
        if resume_waits is not None:
            self.runner.resume_waits = tuple(resume_waits)
        self._pending: dict[str, _Pending] = {}

    @classmethod
    def open(cls, path: str | Path = "sfsync.sqlite3", **kwargs: Any) -> Sfsync:
        """The embedded default: a SQLite file, and a key file beside it unless
        ``SFSYNC_SECRET_KEY`` is set."""
        path = Path(path)
        store = SQLiteStore(path)
        box = SecretBox.from_environment(path.with_name(path.name + ".key"))
        return cls(store, box, **kwargs)

    def mount(self, transports: Mapping[str, httpx.AsyncBaseTransport]) -> None:
        """Route URL prefixes to transports (sandboxes) from now on."""
        self.transports.update(transports)

    # --- firms and users ----------------------------------------------------------------------------

    def create_firm(self, name: str) -> Firm:
        """Create a firm; its name must be new in the store (ignoring case), so it can be named."""
        if not name.strip():
            raise ConfigurationError("a firm needs a name")
        clash = next((f for f in self.store.list_firms() if f.name.casefold() == name.strip().casefold()), None)
        if clash is not None:
            raise ConfigurationError(f"there is already a firm named {clash.name!r} ({clash.id}); firm names are unique")
        return self.store.create_firm(name.strip())

    def add_user(self, firm_id: str, email: str, role: str = "member") -> User:
        """Add a user to a firm as ``admin`` or ``member`` (the host's own call, e.g. a firm's
        first admin; an admin adding a colleague goes through :meth:`add_colleague`)."""
        if role not in ("admin", "member"):
            raise ConfigurationError(f"role must be admin or member, not {role!r} (support staff: add_support_user)")
        self.store.get_firm(firm_id)
        return self.store.add_user(firm_id, email, role)  # type: ignore[arg-type]

    def add_support_user(self, email: str) -> User:
        """Add a member of the host's support staff: no firm, acts across firms, and the only
        role that creates or changes a support-level connection (Octopus, AFAS…)."""
        if self.store.find_support_user(email) is not None:
            raise ConfigurationError(f"{email} is already support staff")
        return self.store.add_support_user(email)

    @scoped
    def add_colleague(self, user: User, email: str, role: str = "member") -> User:
        """Add a user to the acting admin's firm as ``admin`` or ``member``."""
        self.access.require_admin(user, "add users")
        if self.store.find_user(user.firm_id, email) is not None:
            raise ConfigurationError(f"{email} is already a user of the firm")
        return self.add_user(user.firm_id, email, role)

    @scoped
    def users(self, user: User) -> list[User]:
        """The users of the acting user's firm: admins first, then members, each by email."""
        return self.store.list_users(user.firm_id)

    @scoped
    def firms(self, user: User) -> list[Firm]:
        """Every firm of the host, by name: the support staff's list (they set up support-level
        connections for any firm). A firm's own admins and members are refused: they see only
        their firm.

        .. versionadded:: 0.2
        """
        if user.role != "support":
            raise PermissionDenied(f"{user.email} works for one firm; only the host's support staff list every firm")
        return sorted(self.store.list_firms(), key=lambda firm: firm.name.casefold())

    # --- connections ------------------------------------------------------------------------------

    def _save_connection(
        self,
        user: User,
        connector: str,
        *,
        config: dict[str, Any],
        secrets: dict[str, str],
        tokens: dict[str, Any] | None,
        state: dict[str, Any],
        label: str,
        connection_id: str | None = None,
        firm_id: str | None = None,
        owner_dossier_id: str | None = None,
    ) -> ConnectionRecord:
        loaded = self.registry.connector(connector)
        sealed = self.box.seal({"secrets": secrets, "tokens": tokens, "state": state})
        if connection_id is not None:
            self.access.connection(user, connection_id)
            # Re-consent in place: the same connection, so every dossier linked to it stays linked.
            self.store.update_connection(connection_id, sealed=sealed, status="ok", cause=None, config=config)
            return self.store.get_connection(connection_id)
        record = ConnectionRecord(
            id=f"conn_{uuid.uuid4().hex[:12]}",
            firm_id=firm_id or user.firm_id,
            connector=connector,
            label=label,
            level=loaded.auth.level.value,
            config=config,
            sealed=sealed,
            owner_dossier_id=owner_dossier_id,
            created_by=user.id,
        )
        self.store.add_connection(record)
        return self.store.get_connection(record.id)

    def _firm_for(self, user: User, firm_id: str | None) -> str:
        """The firm an action is for: the user's own, or for support staff the one they name."""
        if user.role == "support":
            if not firm_id:
                raise ConfigurationError(f"{user.email} is support staff: say for which firm (firm_id)")
            return self.store.get_firm(firm_id).id
        if firm_id is not None and firm_id != user.firm_id:
            raise NotFound(f"no firm {firm_id!r} for {user.email}")
        return user.firm_id

    def _split_fields(self, model: type[BaseModel], values: Mapping[str, Any], connector: str) -> tuple[dict[str, Any], dict[str, str]]:
        try:
            parsed = model.model_validate(dict(values))
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise ConfigurationError(f"connector {connector}: the connection form is not valid ({problems})") from None
        secret_names = secret_field_names(model)
        config: dict[str, Any] = {}
        secrets: dict[str, str] = {}
        for name in model.model_fields:
            value = getattr(parsed, name)
            if name in secret_names:
                if value is not None:
                    secrets[name] = value.get_secret_value() if isinstance(value, SecretStr) else str(value)
            else:
                config[name] = value.isoformat() if hasattr(value, "isoformat") else value
        return config, secrets

    @scoped
    async def connect_form(
        self,
        user: User,
        connector: str,
        values: Mapping[str, Any],
        *,
        label: str | None = None,
        connection_id: str | None = None,
        firm_id: str | None = None,
    ) -> ConnectionRecord:
        """Connect a package whose credentials are a form (or an agent's address and token).

        The connector checks the credentials first (``sfsync_check_connection``, else by listing
        companies); wrong ones raise :class:`~sfsync.errors.AuthError` and nothing is saved.

        Pass ``connection_id`` to replace the credentials of an existing connection in place (a
        revoked Yuki key, an agent's rotated token): fields not given keep their stored value, the
        dossiers stay linked, and those stopped by the refused credential are due at once.

        Who may: an admin of the firm for firm- and agent-level connectors; only support staff
        (``firm_id`` says for which firm) for support-level ones.
        """
        loaded = self.registry.connector(connector)
        if not isinstance(loaded.auth, FormSpec | AgentSpec):
            raise ConfigurationError(f"connector {connector} connects with {loaded.auth.flavour}, not a form")
        values = dict(values)
        if connection_id is not None:
            record = self.access.connection(user, connection_id)
            if record.connector != connector:
                raise ConfigurationError(f"connection {record.label} is a {record.connector} connection, not {connector}")
            require_may_manage(user, record.level, connector, "change this connection")
            values = {**record.config, **values}
            target_firm = record.firm_id
        else:
            if loaded.auth.level is ConnectionLevel.DOSSIER:
                raise ConfigurationError(f"connector {connector} connects per dossier: link the dossier to connect it")
            require_may_manage(user, loaded.auth.level, connector, "add a connection")
            target_firm = self._firm_for(user, firm_id)
        config, secrets = self._split_fields(loaded.auth.fields, values, connector)
        ctx = self._bare_context(connector, config, secrets, {})
        try:
            await self._check(connector, ctx)
        finally:
            await ctx.aclose()
        state = ctx.state
        if connection_id is not None:
            state = {**self.box.open(self.store.get_connection(connection_id).sealed).get("state", {}), **state}
        return self._save_connection(
            user, connector, config=config, secrets=secrets, tokens=None, state=state,
            label=label or loaded.info.title, connection_id=connection_id, firm_id=target_firm,
        )

    @scoped
    async def send_code(
        self,
        user: User,
        connector: str,
        values: Mapping[str, Any],
        *,
        firm_id: str | None = None,
        connection_id: str | None = None,
    ) -> str:
        """Have the package send the one-time code a form connection is set up with (AFAS's OTP).

        For connectors whose :class:`~sfsync.auth.FormSpec` names a ``code_field``: give the form
        without the code; the package sends it to the person (AFAS mails it) and this returns
        where it went. Then call :meth:`connect_form` with the same values plus the code. Who may:
        whoever may create (or, with ``connection_id``, change) the connection. Nothing is saved.

        .. versionadded:: 0.2
        """
        record = self.access.connection(user, connection_id) if connection_id is not None else None
        spec = self.registry.connector(connector).auth
        if not isinstance(spec, FormSpec) or spec.code_field is None:
            raise ConfigurationError(f"connector {connector} is not set up with a one-time code")
        values = {k: v for k, v in values.items() if k != spec.code_field}
        if record is not None:
            if record.connector != connector:
                raise ConfigurationError(f"connection {record.label} is a {record.connector} connection, not {connector}")
            require_may_manage(user, record.level, connector, "change this connection")
            values = {**record.config, **values}
        else:
            require_may_manage(user, spec.level, connector, "add a connection")
            self._firm_for(user, firm_id)
        config, secrets = self._split_fields(spec.fields, values, connector)
        ctx = self._bare_context(connector, config, secrets, {})
        try:
            sent = await self.runner._call(connector, "sfsync_send_code", ctx=ctx)
        except SfsyncError as exc:
            raise exc.with_context(connector=connector) from exc.__cause__
        finally:
            await ctx.aclose()
        return str(sent)

    @scoped
    async def reconnect_form(self, user: User, connection_id: str, values: Mapping[str, Any]) -> ConnectionRecord:
        """Re-enter a form connection's credentials in place (see :meth:`connect_form`)."""
        record = self.access.connection(user, connection_id)
        return await self.connect_form(user, record.connector, values, connection_id=record.id)

    @scoped
    def start_oauth(
        self,
        user: User,
        connector: str,
        *,
        redirect_uri: str,
        client_id: str,
        client_secret: str | None = None,
        config: Mapping[str, Any] | None = None,
        label: str | None = None,
        connection_id: str | None = None,
        dossier_id: str | None = None,
        firm_id: str | None = None,
    ) -> PendingAuthorization:
        """Begin an OAuth2 connection: returns the authorize URL to send the user to.

        Firm-level connections need an admin. For dossier-level packages (Xero) linking a dossier
        *is* this login: any user of the firm starts it with ``dossier_id``, and
        :meth:`finish_oauth` creates (or re-consents) the connection bound to that dossier.
        Support-level connections are started by support staff for ``firm_id``. Pass
        ``connection_id`` to re-consent an existing connection (an admin's, or a member's for the
        dossier-level connection their ``dossier_id`` is linked to).
        """
        loaded = self.registry.connector(connector)
        spec = loaded.auth
        if not isinstance(spec, OAuth2Spec):
            raise ConfigurationError(f"connector {connector} connects with {spec.flavour}, not OAuth2")
        per_dossier = spec.level is ConnectionLevel.DOSSIER
        if per_dossier and dossier_id is None and connection_id is None:
            raise ConfigurationError(
                f"connector {connector} connects per dossier: start its login from the dossier (dossier_id)"
            )
        record, _ = self.access.consent_target(
            user, connector, spec.level.value, connection_id=connection_id, dossier_id=dossier_id
        )
        target_firm = record.firm_id if record is not None else self._firm_for(user, firm_id)
        if per_dossier:
            if dossier_id is None and record is not None:  # re-consenting a dossier's own login
                dossier_id = record.owner_dossier_id
            if record is not None and record.owner_dossier_id not in (None, dossier_id):
                raise PermissionDenied(f"connection {record.label} belongs to another dossier; log in from that dossier")
        elif dossier_id is not None:
            raise ConfigurationError(f"connector {connector} is {spec.level.value}-level: it is not bound to a dossier")
        pending = spec.start(client_id=client_id, redirect_uri=redirect_uri)
        self._pending[pending.state] = _Pending(
            firm_id=target_firm, user_id=user.id, connector=connector, pending=pending,
            config={**dict(config or {}), "client_id": client_id},
            secrets={"client_secret": client_secret} if client_secret else {},
            label=label or loaded.info.title, connection_id=connection_id, dossier_id=dossier_id,
        )
        return pending

    @scoped
    async def finish_oauth(self, user: User, callback_url: str) -> ConnectionRecord:
        """Finish an OAuth2 connection from the URL the package redirected the user to.

        Checks ``state``, exchanges the code (with the PKCE verifier) or takes the grant the
        callback hands back (:meth:`~sfsync.auth.OAuth2Spec.tokens_from_callback`), saves the
        tokens encrypted, and lets the connector finish its setup.
        """
        query = parse_qs(urlparse(callback_url).query)
        state = (query.get("state") or [""])[0]
        pending = self.access.pending(user, self._pending, state, lambda p: p.user_id)
        if "error" in query:
            raise AuthError(f"the package refused the login: {query['error'][0]} {query.get('error_description', [''])[0]}")
        loaded = self.registry.connector(pending.connector)
        spec = loaded.auth
        assert isinstance(spec, OAuth2Spec)
        # A package whose consent hands back the grant itself (e-conomic) has no code to exchange.
        handed = spec.tokens_from_callback(query, now=self.clock.now())
        code = (query.get("code") or [""])[0]
        if handed is None and not code:
            raise AuthError("the login came back without a code; start the connection again")
        # Checked again: the connection may have gone, or the user's role changed, meanwhile.
        self.access.consent_target(
            user, pending.connector, spec.level.value, connection_id=pending.connection_id,
            dossier_id=pending.dossier_id,
        )
        data = {"grant_type": "authorization_code", "code": code, "redirect_uri": pending.pending.redirect_uri}
        if pending.pending.code_verifier:
            data["code_verifier"] = pending.pending.code_verifier
        # What the connector asked to keep of the callback (QuickBooks' realmId), as non-secret state.
        kept = {name: query[name][0] for name in spec.callback_params if query.get(name)}
        ctx = self._bare_context(pending.connector, pending.config, pending.secrets, {"callback": kept} if kept else {})
        try:
            if handed is not None:
                tokens = handed
            else:
                client = ctx.http(spec.token_url, authenticated=False)
                request = spec.token_request(
                    data, client_id=pending.config["client_id"], client_secret=pending.secrets.get("client_secret")
                )
                response = await client.send(request)
                if response.status_code != 200:
                    raise spec.classify_token_error(response).with_context(connector=pending.connector)
                tokens = spec.parse_token_response(response, now=self.clock.now())
            ctx.vault = _MemoryVault(tokens)
            await self._check(pending.connector, ctx)
            tokens = ctx.vault.tokens  # the check may have refreshed them
        finally:
            await ctx.aclose()
        connection_id = pending.connection_id
        if connection_id is None and pending.dossier_id is not None:
            # A dossier logging in again re-consents its own connection instead of adding another.
            owned = self.store.get_link(pending.dossier_id)
            if owned is not None:
                current = self.store.get_connection(owned.connection_id)
                if current.owner_dossier_id == pending.dossier_id and current.connector == pending.connector:
                    connection_id = current.id
        return self._save_connection(
            user, pending.connector, config=pending.config, secrets=pending.secrets, tokens=tokens.reveal(),
            state=ctx.state, label=pending.label, connection_id=connection_id, firm_id=pending.firm_id,
            owner_dossier_id=pending.dossier_id,
        )


    def _bare_context(
        self, connector: str, config: dict[str, Any], secrets: dict[str, str], state: dict[str, Any]
    ) -> ConnectorContext:
        loaded = self.registry.connector(connector)
        return ConnectorContext(
            connector=connector, connection_id=f"new-{connector}", auth_spec=loaded.auth, config=config,
            secrets=Secrets(secrets), state=dict(state), rate_limits=loaded.info.rate_limits, clock=self.clock,
            limiter=self.runner.limiter, retry=self.runner.retry, transports=self.transports,
        )

    async def _check(self, connector: str, ctx: ConnectorContext) -> None:
        try:
            if self.registry.supports(connector, "sfsync_check_connection"):
                await self.runner._call(connector, "sfsync_check_connection", ctx=ctx)
            else:
                await self.runner._call(connector, "sfsync_list_companies", ctx=ctx)
        except SfsyncError as exc:
            raise exc.with_context(connector=connector) from exc.__cause__

    @scoped
    def connections(self, user: User, *, firm_id: str | None = None) -> list[ConnectionRecord]:
        """The firm's connections (its Syncs page): firm-, support- and agent-level ones.

        A dossier's own login (a dossier-level connection) is not here but under its dossier
        (:meth:`dossier_connections`). Support staff say which firm with ``firm_id``.
        """
        shown = [c for c in self.store.list_connections(self._firm_for(user, firm_id)) if c.owner_dossier_id is None]
        return [c for c in shown if user.role != "support" or c.level == ConnectionLevel.SUPPORT.value]

    @scoped
    def dossier_connections(self, user: User, dossier_id: str) -> list[ConnectionRecord]:
        """The connections a dossier's own login made (dossier-level packages such as Xero)."""
        dossier = self.access.dossier(user, dossier_id)
        return [c for c in self.store.list_connections(dossier.firm_id) if c.owner_dossier_id == dossier.id]

    @scoped
    def connection_state(self, user: User, connection_id: str) -> ConnectionState:
        """The connection's status, the cause of a needed re-consent, and how many of its dossiers
        stopped because the package refused the credentials."""
        return self._states([self.access.connection(user, connection_id)])[0]

    @scoped
    def connection_states(
        self, user: User, *, firm_id: str | None = None, dossier_logins: bool = False
    ) -> list[ConnectionState]:
        """:meth:`connection_state` of each of :meth:`connections` (with ``dossier_logins`` the
        dossiers' own logins too, after them), reading the firm's dossiers once for all."""
        records = [c for c in self.store.list_connections(self._firm_for(user, firm_id))
                   if user.role != "support" or c.level == ConnectionLevel.SUPPORT.value]
        shown = [c for c in records if c.owner_dossier_id is None]
        if dossier_logins:
            shown += [c for c in records if c.owner_dossier_id is not None]
        return self._states(shown)

    def _states(self, records: Sequence[ConnectionRecord]) -> list[ConnectionState]:
        # One set-based read of each firm's dossiers (not one per connection, nor one per
        # dossier): a Syncs page of a large firm would otherwise read every link one by one.
        wanted = {r.id for r in records}
        waiting: dict[str, int] = dict.fromkeys(wanted, 0)
        for firm_id in {r.firm_id for r in records}:
            for row in self._firm_rows(firm_id):
                linked = {link.connection_id for link in (row.link, row.admin_link) if link is not None} & wanted
                if linked and _stopped_by_refusal(row.last_run):
                    for connection_id in linked:
                        waiting[connection_id] += 1
        return [ConnectionState(connection=r, status=r.status, cause=r.status_cause, waiting=waiting[r.id])
                for r in records]

    @scoped
    async def check_connection(self, user: User, connection_id: str) -> None:
        """Check that an existing connection's credentials still work (the connector's
        ``sfsync_check_connection``, else listing companies); raises the package's refusal."""
        record = self.access.connection(user, connection_id)
        ctx = self.runner.context_for(record)
        try:
            await self._check(record.connector, ctx)
        finally:
            await ctx.aclose()

    @scoped
    def dossiers_of_connection(self, user: User, connection_id: str) -> list[DossierRecord]:
        """The dossiers linked (for accounting or details) to the connection."""
        record = self.access.connection(user, connection_id)
        return [d for d in self.store.list_dossiers(record.firm_id)
                if any(link is not None and link.connection_id == record.id
                       for link in (self.store.get_link(d.id), self.store.get_admin_link(d.id)))]

    @scoped
    def remove_connection(self, user: User, connection_id: str) -> None:
        """Remove a connection (admins; support staff for a support-level one); its dossiers keep
        what was synced."""
        record = self.access.connection(user, connection_id)
        if record.level == ConnectionLevel.DOSSIER.value:
            self.access.require_admin(user, "remove a connection")  # a dossier's own: unlink removes it too
        else:
            require_may_manage(user, record.level, record.connector, "remove this connection")
        for dossier in self.store.list_dossiers(record.firm_id):
            link = self.store.get_link(dossier.id)
            if link is not None and link.connection_id == connection_id:
                self.store.delete_link(dossier.id)
            admin = self.store.get_admin_link(dossier.id)
            if admin is not None and admin.connection_id == connection_id:
                self.store.delete_admin_link(dossier.id)
        self.store.delete_connection(connection_id)

    @scoped
    async def list_companies(self, user: User, connection_id: str, *, search: str | None = None) -> list[Company]:
        """What the connection can see, filtered by name or code (case-insensitive)."""
        record = self.access.connection(user, connection_id)
        ctx = self.runner.context_for(record)
        try:
            companies: list[Company] = await self.runner._call(record.connector, "sfsync_list_companies", ctx=ctx)
        except SfsyncError as exc:
            raise exc.with_context(connector=record.connector) from exc.__cause__
        finally:
            await ctx.aclose()
        if search:
            needle = search.casefold()
            companies = [c for c in companies if needle in c.name.casefold() or needle in c.code.casefold() or needle in c.ref.casefold()]
        return sorted(companies, key=lambda c: (c.name.casefold(), c.code))

    @scoped
    async def fiscal_years(self, user: User, connection_id: str, company_ref: str) -> list[FiscalYear]:
        """The company's fiscal years as the package defines them (shown when linking)."""
        record = self.access.connection(user, connection_id)
        ctx = self.runner.context_for(record)
        try:
            years: list[FiscalYear] = await self.runner._call(
                record.connector, "sfsync_fetch_fiscal_years", ctx=ctx, company=Company(ref=company_ref)
            )
        except SfsyncError as exc:
            raise exc.with_context(connector=record.connector, company=company_ref) from exc.__cause__
        finally:
            await ctx.aclose()
        return sorted(years, key=lambda y: y.start)

    # --- dossiers and links -------------------------------------------------------------------------

    @scoped
    def create_dossier(self, user: User, name: str) -> DossierRecord:
        """Create a dossier in the user's firm."""
        if self.store.find_dossier(user.firm_id, name) is not None:
            raise ConfigurationError(f"the firm already has a dossier named {name!r}")
        return self.store.add_dossier(user.firm_id, name)

    @scoped
    def dossier(self, user: User, name_or_id: str) -> DossierRecord:
        """Find a dossier of the user's firm by name or id."""
        return self.access.dossier(user, name_or_id)

    @scoped
    def delete_dossier(self, user: User, dossier_id: str) -> None:
        """Delete a dossier with everything kept for it (its data, runs, links and its own
        dossier-level login). Admins only; firm-level connections stay."""
        dossier = self.access.dossier(user, dossier_id)
        self.access.require_admin(user, "delete a dossier")
        for record in self.store.list_connections(dossier.firm_id):
            if record.owner_dossier_id == dossier.id:
                self.store.delete_connection(record.id)
        self.store.delete_dossier(dossier.id)

    @scoped
    async def find_company(self, user: User, connection_id: str, key: str) -> Company:
        """The company of the connection that ``key`` names: its ref, else a unique code, else a
        unique name (ignoring case); an ambiguous or unknown key is refused with the choices."""
        record = self.access.connection(user, connection_id)
        companies = await self.list_companies(user, connection_id)
        for matches in (
            list({c.ref: c for c in companies if c.ref == key}.values()),  # a ref listed twice is one company
            [c for c in companies if c.code and c.code.casefold() == key.casefold()],
            [c for c in companies if c.name.casefold() == key.casefold()],
        ):
            if len(matches) == 1:
                return matches[0]
            if matches:
                listed = ", ".join(f"{c.ref} ({c.code} {c.name})" for c in matches)
                raise ConfigurationError(f"connector {record.connector}: {key!r} names several companies: {listed}; "
                                         "give the ref")
        close = ", ".join(f"{c.ref} ({c.name})" for c in companies[:8])
        raise NotFound(f"connector {record.connector}: no company {key!r} in this connection; "
                       f"it can see: {close or 'nothing'}")

    @scoped
    async def link(
        self,
        user: User,
        dossier_id: str,
        connection_id: str,
        company_ref: str,
        *,
        mode: SyncMode | str | None = None,
        since: dt.date | None = None,
        granularity: Granularity | str | None = None,
        first_year_end: dt.date | None = None,
        fiscal_years: Sequence[FiscalYear] | None = None,
        switch: bool = False,
    ) -> LinkRecord:
        """Link a dossier to a company of a connection.

        Linking does not sync: the dossier is due at once, for :meth:`sync_now` or the next
        :meth:`sync_due` (``sfsync link`` runs that first sync itself unless ``--no-sync``).

        A dossier already linked to another connection or company is switched only with
        ``switch=True``; without it the link is refused with a message naming the old and the
        new source and what happens to the data (:mod:`sfsync.link_switch`).

        ``mode="since"`` needs ``since`` to be the first day of one of the link's fiscal years
        (anything else is refused with the valid choices); ``mode="replace"`` replaces all data.
        Re-linking to another connection keeps what was synced before the date (*since*), or every
        year outside the new package's range (*replace*).

        ``first_year_end`` overrides the end of the first fiscal year (a long or short first
        year); ``fiscal_years`` replaces the package's years altogether (no overlaps, no gaps).
        The *since* date is checked against these effective years. See :mod:`sfsync.fiscal_years`.

        ``granularity="details"`` makes the dossier's *administrative* link (its master data, from
        any connector that brings company details; an administrative-only connector offers
        nothing else): it takes no mode and sits beside the accounting link.

        A dossier-level connection belongs to the dossier whose login made it: another dossier
        is refused and must log in itself.
        """
        dossier = self.access.dossier(user, dossier_id)
        record = self.access.connection(user, connection_id)
        if record.owner_dossier_id is not None and record.owner_dossier_id != dossier.id:
            raise PermissionDenied(
                f"dossier {dossier.name}: connection {record.label} is another dossier's own login to "
                f"{record.connector}; each dossier logs in itself (link it with its own login)"
            )
        loaded = self.registry.connector(record.connector)
        gran = Granularity(granularity) if granularity else loaded.info.default_granularity
        if gran is Granularity.DETAILS:
            if not self.registry.supports(record.connector, "sfsync_fetch_company_details"):
                raise ConfigurationError(f"connector {record.connector} brings no company details")
        elif gran not in loaded.info.granularities:
            raise ConfigurationError(
                f"connector {record.connector} offers {', '.join(g.value for g in loaded.info.granularities)}, "
                f"not {gran.value}"
            )
        company = await self.find_company(user, connection_id, company_ref)  # a ref, or a unique code or name
        company_ref = company.ref
        if gran is Granularity.DETAILS:
            if mode is not None or since is not None or first_year_end is not None or fiscal_years:
                if granularity is None:  # the connector's own default: it brings no figures at all
                    raise ConfigurationError(
                        f"dossier {dossier.name}: connector {record.connector} is administrative only (company "
                        "details, no figures); link it for the details (granularity 'details', `sfsync link "
                        "--details`) beside the dossier's accounting link"
                    )
                raise ConfigurationError("an administrative (details) link takes no mode, date or fiscal year")
            admin = LinkRecord(dossier_id=dossier.id, connection_id=record.id, company_ref=company.ref,
                               company_name=company.name, mode=SyncMode.REPLACE, granularity=gran,
                               needs_full_sync=False)
            self.store.save_admin_link(admin)
            return admin
        if mode is None:
            raise ConfigurationError("say how to link: mode='since' with a date, or mode='replace'")
        mode = SyncMode(mode)
        if first_year_end is not None and fiscal_years:
            raise ConfigurationError("give either a first fiscal-year end or the whole list of fiscal years, not both")
        override = check_years(fiscal_years, what=f"the fiscal years of dossier {dossier.name}") if fiscal_years else None
        if mode is SyncMode.SINCE and since is None:
            raise ConfigurationError("a *since* link needs a date: the first day of a fiscal year")
        if mode is SyncMode.SINCE or first_year_end is not None:
            years = effective_years(await self.fiscal_years(user, connection_id, company_ref),
                                    override=override, first_year_end=first_year_end)
        if mode is SyncMode.SINCE and since is not None:
            starts = [y.start for y in years]
            if since not in starts:
                choices = ", ".join(d.isoformat() for d in starts) or "none"
                raise ConfigurationError(
                    f"dossier {dossier.name}: {since.isoformat()} is not the first day of a fiscal year of "
                    f"{company.name or company_ref}; choose one of: {choices}"
                )
        elif since is not None:
            raise ConfigurationError("a *replace* link takes no date: it replaces all data")
        refuse_silent_switch(self.store, dossier, record, company.ref, company.name, mode, since, switch=switch)
        previous = self.store.get_link(dossier.id)
        link = LinkRecord(
            dossier_id=dossier.id, connection_id=record.id, company_ref=company.ref,
            company_name=company.name, mode=mode, granularity=gran, since=since,
            first_year_end=first_year_end, fiscal_years_override=override, needs_full_sync=True,
        )
        if previous and previous.since == since and previous.connection_id == record.id and mode is SyncMode.SINCE:
            # The same date from the same connection: the stored opening balances still hold.
            link.opening_balances_done = previous.opening_balances_done
            link.opening_balances_stamp = previous.opening_balances_stamp
        self.store.save_link(link)
        return link

    @scoped
    def unlink(
        self, user: User, dossier_id: str, *, administrative: bool = False, remove_connection: bool = False
    ) -> None:
        """Stop syncing a dossier (back to manual import); what was synced stays.

        ``administrative=True`` removes the administrative link instead. When the accounting link
        is the dossier's own login (a dossier-level connection), unlinking removes that connection
        too, and is refused unless ``remove_connection=True`` confirms it.
        """
        dossier = self.access.dossier(user, dossier_id)
        if administrative:
            self.store.delete_admin_link(dossier.id)
            return
        link = self.store.get_link(dossier.id)
        owned = self.store.get_connection(link.connection_id) if link is not None else None
        if owned is not None and owned.owner_dossier_id == dossier.id:
            if not remove_connection:
                raise ConfigurationError(
                    f"dossier {dossier.name}: unlinking removes its own {owned.connector} login ({owned.label}); "
                    "confirm to remove it (remove_connection=True, or --yes)"
                )
            self.store.delete_link(dossier.id)
            self.store.delete_connection(owned.id)
            return
        self.store.delete_link(dossier.id)

    # --- administrative data ---------------------------------------------------------------------

    @scoped
    def company_details(self, user: User, dossier_id: str) -> CompanyDetailsRecord | None:
        """The dossier's current company details (administrative sync), or ``None`` before any."""
        return self.store.company_details(self.access.dossier(user, dossier_id).id)

    @scoped
    def company_details_history(self, user: User, dossier_id: str, *, limit: int = 20) -> list[CompanyDetailsRecord]:
        """Every kept version of the dossier's company details, newest first."""
        return self.store.company_details_history(self.access.dossier(user, dossier_id).id, limit=limit)

    # --- figures -------------------------------------------------------------------------------

    @scoped
    def figures(self, user: User, dossier_id: str) -> DossierFigures:
        """The dossier's figures: fiscal years, accounts, trial balance per period and the lines
        behind it (see :mod:`sfsync.figures`)."""
        return DossierFigures(self.access.dossier(user, dossier_id), self.store)

    # --- runs ----------------------------------------------------------------------------------

    @scoped
    async def sync_now(self, user: User, dossier_id: str, *, observer: RunObserver | None = None) -> RunRecord:
        """Sync one dossier of the user's firm now (the *sync now* button)."""
        return await self.runner.run(self.access.dossier(user, dossier_id).id, observer=observer)

    async def sync(self, dossier_id: str, *, observer: RunObserver | None = None) -> RunRecord:
        """Sync one dossier (the worker's call; a person's *sync now* is :meth:`sync_now`).
        See :class:`~sfsync.runner.Runner`."""
        return await self.runner.run(dossier_id, observer=observer)

    async def sync_many(self, dossier_ids: Sequence[str], *, observer: RunObserver | None = None) -> list[RunRecord]:
        """Sync several dossiers concurrently (``concurrency`` at a time), within each package's
        rate limits (per credential). One dossier's failure does not stop the others."""
        gate = asyncio.Semaphore(self.concurrency)

        async def one(dossier_id: str) -> RunRecord:
            async with gate:
                try:
                    return await self.runner.run(dossier_id, observer=observer)
                except SfsyncError as exc:  # AlreadyRunning: recorded as skipped, not failed
                    now = self.clock.now()
                    return RunRecord(
                        id="skipped", dossier_id=dossier_id, started_at=now, finished_at=now,
                        status="skipped", error=str(exc), error_kind=type(exc).__name__,
                    )

        return list(await asyncio.gather(*(one(d) for d in dossier_ids)))

    def due_dossiers(self, now: dt.datetime | None = None) -> list[str]:
        """Linked dossiers due for their nightly sync (not synced in the last 20 hours, or
        waiting for a budget that is back), skipping connections that need re-consent. A dossier
        stopped by a refused credential is due at once when its connection is re-consented."""
        return [row.dossier.id for row in self.due_rows(now)]

    def due_rows(self, now: dt.datetime | None = None) -> list[NightlyRow]:
        """The due dossiers of :meth:`due_dossiers`, each with what was read to decide it (its
        links, connection and last run), so that the planner need not read them again.

        Read set-based, in a few statements for every firm, from a store that can
        (:class:`~sfsync.store.planning_rows.PlansNights`: both SQL stores); one dossier at a
        time from any other."""
        now = now or self.clock.now()
        return [row for row in self._firm_rows(None) if _is_due(row, now)]

    def _firm_rows(self, firm_id: str | None) -> list[NightlyRow]:
        """Every dossier's row (of the firm ``firm_id``, or of every firm with ``None``): read
        set-based from a store that can, one dossier at a time from any other."""
        if isinstance(self.store, PlansNights):
            return self.store.nightly_rows(firm_id)
        return [self._nightly_row(d) for d in self.store.list_dossiers(firm_id)]

    async def sync_due(self, *, observer: RunObserver | None = None, now: dt.datetime | None = None) -> list[RunRecord]:
        """Run every due dossier (the nightly job)."""
        return await self.sync_many(self.due_dossiers(now), observer=observer)

    def _nightly_row(self, dossier: DossierRecord) -> NightlyRow:
        """One dossier's planner row, read one record at a time."""
        link = self.store.get_link(dossier.id)
        admin = self.store.get_admin_link(dossier.id)
        chosen = link or admin
        connection = self.store.get_connection(chosen.connection_id) if chosen else None
        return NightlyRow(dossier, link, admin, connection, self.store.last_run(dossier.id))

    def _recent_runs(self, dossier_ids: Sequence[str], *, limit: int = 20) -> dict[str, list[RunRecord]]:
        """The last ``limit`` runs of each dossier (20 are enough to tell a partly updated one),
        in the order of ``dossier_ids``."""
        if isinstance(self.store, PlansNights):
            return self.store.recent_runs(dossier_ids, limit=limit)
        return {d: self.store.list_runs(d, limit=limit) for d in dossier_ids}

    @staticmethod
    def _status_of(row: NightlyRow, recent: Sequence[RunRecord]) -> DossierStatus:
        """A dossier's status line from its row and (when its last run did not finish) its
        recent runs, newest first."""
        connection, last = row.connection, row.last_run
        return DossierStatus(
            dossier=row.dossier, link=row.link, connector=connection.connector if connection else None,
            connection_status=connection.status if connection else None, last_run=last,
            next_due=_next_due(row), incomplete=_unfinished(last) and incomplete(recent), admin_link=row.admin_link,
        )

    @scoped
    def status(self, user: User) -> list[DossierStatus]:
        """Every dossier of the firm: link, last run, next due.

        Read set-based (a few statements for the whole firm) from both SQL stores."""
        rows = self._firm_rows(user.firm_id)
        recent = self._recent_runs([r.dossier.id for r in rows if _unfinished(r.last_run)])
        return [self._status_of(row, recent.get(row.dossier.id, ())) for row in rows]

    @scoped
    def dossier_status(self, user: User, dossier_id: str) -> DossierStatus:
        """One dossier's line of :meth:`status` (link, last run, next due), read for that dossier
        alone: what a page about one dossier shows.

        Raises:
            sfsync.errors.NotFound: The user sees no such dossier.
        """
        row = self._nightly_row(self.access.dossier(user, dossier_id))
        found = row.dossier.id
        recent = self._recent_runs([found]) if _unfinished(row.last_run) else {}
        return self._status_of(row, recent.get(found, ()))

    @scoped
    def runs(self, user: User, dossier_id: str | None = None, *, limit: int = 20) -> list[RunRecord]:
        """The run history, newest first: a dossier's, or (``dossier_id=None``) every dossier's
        of the firm. Each run has its status, counts, requests, rate-limit waits, warnings, error
        and duration."""
        if dossier_id is not None:
            return self.store.list_runs(self.access.dossier(user, dossier_id).id, limit=limit)
        # Every dossier's newest runs in one read (in dossier order, each newest first, as the
        # per-dossier reads gave them, so that runs started at the same instant keep their order).
        recent = self._recent_runs([d.id for d in self.store.list_dossiers(user.firm_id)], limit=limit)
        every = [r for runs in recent.values() for r in runs]
        return sorted(every, key=lambda r: r.started_at, reverse=True)[:limit]

    @scoped
    def trial_balance(
        self, user: User, dossier_id: str, *, start: dt.date | None = None, end: dt.date | None = None
    ) -> list[TrialBalanceRow]:
        """The dossier's trial balance by account and period, with account names: the package's
        totals for a trial-balance dossier, computed from the lines for one that syncs
        transactions (:mod:`sfsync.trial_balance_view`). Periods ending in ``start``..``end``."""
        return trial_balance_rows(self.store, self.access.dossier(user, dossier_id).id, start=start, end=end)

    # --- manual import ---------------------------------------------------------------------------

    @scoped
    def import_file(self, user: User, dossier_id: str, path: Path, *, replace: bool = False) -> RunRecord:
        """Load an export file (XAF, SAF-T, a balance) into a dossier that has no sync.

        The file's data replaces the dossier's for the fiscal years the file covers and keeps
        every other year (lines, trial balance, opening balances), so a dossier's history grows
        file by file, and a dossier unlinked from a package keeps what was synced. With
        ``replace=True`` the file's data replaces the whole dossier. Either way it is written
        into one new generation, swapped in only when the whole file was read: a truncated file
        leaves the stored data as it was.
        """
        dossier = self.access.dossier(user, dossier_id)
        if self.store.get_link(dossier.id) is not None:
            raise ConfigurationError(
                f"dossier {dossier.name} is synced from a package; unlink it before importing files"
            )
        if not path.is_file():
            raise NotFound(f"no file {path}")
        result = self.registry.pm.hook.sfsync_read_export(path=path)
        if result is None:
            raise ConfigurationError(
                f"dossier {dossier.name}: no installed reader recognises {path.name}; "
                "drop an XAF, a SAF-T file or a balance export (pip install sfsync-onprem)"
            )
        run = RunRecord(id=f"run_{uuid.uuid4().hex[:12]}", dossier_id=dossier.id, started_at=self.clock.now(), stage="import")
        self.store.start_run(run)
        covered = None if replace else (result.covers or span(result.fiscal_years))
        if not replace and covered is None:
            run.warnings.append(f"{path.name} names no fiscal year: its data replaces the whole dossier")
        active = self.store.active_generation(dossier.id)
        kept = self.store.fiscal_years(dossier.id, active) if covered is not None and active is not None else []
        generation = self.store.begin_generation(dossier.id, keep_before=None, keep_outside=covered)
        source = f"import:{path.name}"
        try:
            self.store.write_fiscal_years(dossier.id, generation, merge_years(kept, result.fiscal_years))
            self.store.write_accounts(dossier.id, generation, result.accounts)
            if result.opening_balances:
                self.store.write_opening_balances(dossier.id, generation, source, result.opening_balances)
            chunk: list[LedgerLine] = []
            count = 0

            def write(lines: LedgerColumns | list[LedgerLine]) -> int:
                self.store.write_ledger_batch(dossier.id, generation, source, LedgerBatch(lines=lines), stream="import")
                return len(lines)

            for item in result.ledger:
                if isinstance(item, LedgerColumns):  # a reader's own validated batch: written whole
                    if chunk:
                        count += write(chunk)
                        chunk = []
                    count += write(item)
                    continue
                chunk.append(item)
                if len(chunk) >= 5000:
                    count += write(chunk)
                    chunk = []
            if chunk:
                count += write(chunk)
            self.store.flush(dossier.id)  # a batch the store committed after its call: confirmed here
            if result.trial_balance:
                self.store.write_trial_balance_batch(
                    dossier.id, generation, source, TrialBalanceBatch(lines=result.trial_balance), stream="import"
                )
            run.warnings.extend(result.warnings)
            run.warnings.extend(balance_warnings(self.store, dossier.id, generation, source))
            self.store.swap_generation(dossier.id, generation)
            run.counts = {"accounts": len(result.accounts), "lines": count, "trial_balance_lines": len(result.trial_balance)}
            run.status = "warning" if run.warnings else "ok"
        except Exception as exc:
            self.store.discard_generation(dossier.id, generation)
            run.status = "failed"
            run.error = f"dossier {dossier.name}: {path.name} could not be imported: {exc}"
            run.error_kind = type(exc).__name__
            run.finished_at = self.clock.now()
            self.store.finish_run(run)
            if isinstance(exc, SfsyncError):
                raise exc.with_context(dossier=dossier.name) from exc
            raise ConfigurationError(run.error) from exc
        run.finished_at = self.clock.now()
        self.store.finish_run(run)
        return run


class _MemoryVault:
    """Tokens held in memory while a new connection is checked, before it is saved."""

    def __init__(self, tokens: Any) -> None:
        self.tokens = tokens
        import asyncio as _asyncio

        self._lock = _asyncio.Lock()

    async def load(self) -> Any:
        return self.tokens

    async def save(self, tokens: Any) -> None:
        self.tokens = tokens

    def lock(self) -> Any:
        from sfsync.runner import _AsyncLockContext

        return _AsyncLockContext(self._lock)

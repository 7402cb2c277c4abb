"""The ``sfsync`` command: connect, link, sync, status, show, and an offline demo.

Every command acts as a user of a firm (``--as EMAIL``, or ``SFSYNC_USER``; the firm's first admin
by default). Errors a person meets print one line that says what to do and exit non-zero; pass
``--debug`` for the traceback. The command holds no logic of its own: it calls :class:`Sfsync`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import http.server
import json
import os
import sys
import threading
import webbrowser
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from sfsync.api import Sfsync
from sfsync.auth import AgentSpec, FormSpec, OAuth2Spec, secret_field_names
from sfsync.errors import ConfigurationError, NotFound, SfsyncError
from sfsync.fiscal_years import effective_years, monthly_periods, read_fiscal_years_file
from sfsync.models import Granularity, SyncMode
from sfsync.plugins import get_registry
from sfsync.store.base import ConnectionRecord, RunRecord, User

__all__ = ["cli", "main"]

T = TypeVar("T")
console = Console(highlight=False, width=None if sys.stdout.isatty() else 160)


class _Table(Table):
    """A table whose text cells are shown as they are: names come from people and packages, and a
    dossier named ``[/]`` is a name, not rich markup (styled cells are given as ``Text``)."""

    def add_row(self, *renderables: Any, **kwargs: Any) -> None:
        super().add_row(*(Text(cell) if isinstance(cell, str) else cell for cell in renderables), **kwargs)


class _State:
    def __init__(
        self, db: Path, as_user: str | None, firm: str | None, sandbox: bool, sandbox_url: str | None, debug: bool
    ) -> None:
        self.db, self.as_user, self.firm, self.debug = db, as_user, firm, debug
        self.use_sandbox, self.sandbox_url = sandbox, sandbox_url
        self._app: Sfsync | None = None
        self.sandboxes: dict[str, Any] = {}

    @property
    def app(self) -> Sfsync:
        if self._app is None:
            self._app = Sfsync.open(self.db)
            if self.use_sandbox or self.sandbox_url:
                from sfsync.demo import start_sandboxes
                from sfsync.sandbox_server import forwarding_mounts

                sandboxes, _ = start_sandboxes(self._app.registry)
                distinct = list({id(s): s for s in sandboxes.values()}.values())
                if self.sandbox_url:
                    # The sandboxes' state lives in the `sfsync sandbox serve` process; these
                    # local instances only say which URLs to forward and how to log in.
                    self._app.mount(forwarding_mounts(distinct, self.sandbox_url))
                else:
                    for box in distinct:
                        self._app.mount(box.transports())
                self.sandboxes = sandboxes
        return self._app

    def user(self) -> User:
        store = self.app.store
        firms = store.list_firms()
        if self.firm:
            firms = [f for f in firms if self.firm in (f.id, f.name)]
        if not firms:
            raise NotFound("no firm yet: create one with `sfsync firm create NAME --admin EMAIL`")
        if len(firms) > 1:
            raise ConfigurationError("several firms here: say which with --firm NAME")
        firm = firms[0]
        if self.as_user:
            user = store.find_user(firm.id, self.as_user)
            if user is None:
                raise NotFound(f"no user {self.as_user} in firm {firm.name}; add one with `sfsync user add`")
            return user
        rows = store._all("SELECT id FROM users WHERE firm_id = ? AND role = 'admin' LIMIT 1", (firm.id,))  # type: ignore[attr-defined]
        if not rows:
            raise NotFound(f"firm {firm.name} has no admin; pass --as EMAIL")
        return store.get_user(rows[0][0])


def _run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


class _Group(click.Group):
    """Turns sfsync's errors into one clear line and a non-zero exit (``--debug``: traceback)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SfsyncError as exc:
            state = ctx.find_object(_State)
            if state is not None and state.debug:
                raise
            console.print(f"[red]error:[/red] {escape(str(exc))}", soft_wrap=True)
            sys.exit(2 if isinstance(exc, ConfigurationError) else 1)


@click.group(cls=_Group)
@click.option("--db", type=click.Path(path_type=Path), default="sfsync.sqlite3", envvar="SFSYNC_DB",
              show_default=True, help="The embedded store (a SQLite file).")
@click.option("--as", "as_user", envvar="SFSYNC_USER", help="Act as this user (email); default: the firm's admin.")
@click.option("--firm", envvar="SFSYNC_FIRM", help="The firm (name or id) when the store holds several.")
@click.option("--sandbox", is_flag=True, envvar="SFSYNC_SANDBOX",
              help="Route every package to an in-process offline sandbox (fresh for each command).")
@click.option("--sandbox-url", envvar="SFSYNC_SANDBOX_URL",
              help="Route every package to the sandboxes of a running `sfsync sandbox serve` (state kept across commands).")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
@click.version_option(package_name="sfsync")
@click.pass_context
def cli(
    ctx: click.Context, db: Path, as_user: str | None, firm: str | None, sandbox: bool, sandbox_url: str | None,
    debug: bool,
) -> None:
    """Keep accounting dossiers filled with the figures of accounting packages."""
    ctx.obj = _State(db, as_user, firm, sandbox, sandbox_url, debug)


pass_state = click.make_pass_decorator(_State)


# --- plugins ---------------------------------------------------------------------------------------


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def plugins(as_json: bool) -> None:
    """Installed plugins: connectors, auth, level, capabilities, and broken plugins."""
    registry = get_registry()
    rows: list[dict[str, Any]] = [
        {
            "connector": c.name, "title": c.info.title, "distribution": c.distribution, "version": c.version,
            "auth": c.auth.flavour, "level": c.auth.level.value, "capabilities": list(c.capabilities),
            "granularities": [g.value for g in c.info.granularities],
        }
        for c in sorted(registry.connectors.values(), key=lambda c: c.name)
    ]
    broken = [{"name": b.name, "distribution": b.distribution, "error": b.error} for b in registry.broken]
    if as_json:
        click.echo(json.dumps({"connectors": rows, "broken": broken}, indent=2))
        return
    table = _Table("connector", "package", "version", "auth", "level", "capabilities")
    for row in rows:
        table.add_row(row["connector"], row["title"], f"{row['distribution']} {row['version']}", row["auth"],
                      row["level"], ", ".join(c for c in row["capabilities"] if c.startswith("fetch_")))
    console.print(table)
    for item in broken:
        broken_text = f"{item['name']} ({item['distribution']}): {item['error']}"
        console.print(f"[red]broken:[/red] {escape(broken_text)}", soft_wrap=True)


# --- firms and users ---------------------------------------------------------------------------


@cli.group()
def firm() -> None:
    """Firms."""


@firm.command("create")
@click.argument("name")
@click.option("--admin", "admin_email", required=True, help="Email of the firm's first admin.")
@pass_state
def firm_create(state: _State, name: str, admin_email: str) -> None:
    """Create a firm with its first admin."""
    created = state.app.create_firm(name)
    state.app.add_user(created.id, admin_email, "admin")
    console.print(f"firm [bold]{escape(name)}[/bold] created ({created.id}); admin {escape(admin_email)}")


@cli.group()
def user() -> None:
    """Users of the firm."""


@user.command("add")
@click.argument("email")
@click.option("--role", type=click.Choice(["admin", "member"]), default="member", show_default=True)
@pass_state
def user_add(state: _State, email: str, role: str) -> None:
    """Add a user to the firm (as the acting admin)."""
    state.app.add_colleague(state.user(), email, role)
    console.print(f"{escape(email)} added as {role}")


# --- connections -----------------------------------------------------------------------------------


def _find_connection(state: _State, actor: User, key: str, *, firm_id: str | None = None) -> ConnectionRecord:
    for record in state.app.connections(actor, firm_id=firm_id):
        if key in (record.id, record.label, record.connector):
            return record
    if actor.role != "support":  # a dossier's own login, by its id
        for dossier in state.app.store.list_dossiers(actor.firm_id):
            for record in state.app.dossier_connections(actor, dossier.id):
                if key == record.id:
                    return record
    raise NotFound(f"no connection {key!r}; `sfsync connections` lists them")


def _form_values(spec: FormSpec | AgentSpec, fields: tuple[str, ...], url: str | None, token: str | None,
                 *, ask_all: bool = True) -> dict[str, Any]:
    """The form's values from --field (and --url/--token for an agent); what is missing is asked
    for, secrets without echo. ``ask_all=False`` (re-consent) asks only for the secrets: the rest
    keeps its stored value."""
    secret_names = secret_field_names(spec.fields)
    values: dict[str, Any] = {}
    for name, value in (f.split("=", 1) for f in fields if "=" in f):
        values[name] = _secret(value, f"the secret field {name}", on_command_line=name in secret_names)
    for name in spec.fields.model_fields:
        if name not in values and f"SFSYNC_FIELD_{name.upper()}" in os.environ:
            values[name] = os.environ[f"SFSYNC_FIELD_{name.upper()}"]
    if isinstance(spec, AgentSpec):
        if url:
            values.setdefault("url", url)
        if token:  # already read from stdin or the environment by the command
            values.setdefault("token", token)
    for name, info in spec.fields.model_fields.items():
        wanted = info.is_required() if ask_all else name in secret_names
        if name not in values and wanted:
            values[name] = click.prompt(info.description or name, hide_input=name in secret_names)
    return values


class _CallbackServer:
    """Listens on the loopback port (bound before the user is sent away) for the OAuth2 redirect."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.received: list[str] = []
        received = self.received

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                received.append(f"http://127.0.0.1:{port}{self.path}")
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.end_headers()
                self.wfile.write(b"sfsync: you may close this window.")

            def log_message(self, *args: Any) -> None:
                pass

        try:
            self.server = http.server.HTTPServer(("127.0.0.1", port), Handler)
        except OSError as exc:
            raise ConfigurationError(f"port {port} is taken; pass --port with a free one") from exc

    def wait(self, timeout: float) -> str:
        """Serve until the redirect arrives (or ``timeout`` seconds pass) and return its URL."""
        self.server.timeout = timeout
        try:
            self.server.handle_request()
        finally:
            self.server.server_close()
        if not self.received:
            raise ConfigurationError(f"no login came back on port {self.port} within {timeout:.0f} s; run it again")
        return self.received[0]


def _oauth_login(
    state: _State,
    actor: User,
    connector: str,
    *,
    values: dict[str, Any],
    label: str | None,
    client_id: str | None,
    client_secret: str | None,
    port: int,
    dossier_id: str | None = None,
    connection_id: str | None = None,
) -> ConnectionRecord:
    """The OAuth2 login: print the authorize URL, receive the redirect on a loopback port, check
    ``state`` and store the tokens. With ``--sandbox`` the login at the sandbox's page is done for you."""
    sandbox = state.sandboxes.get(connector)
    if sandbox is not None:
        defaults = dict(sandbox.connection_config())
        client_id = client_id or str(defaults.pop("client_id", ""))
        client_secret = client_secret or sandbox.connection_secrets().get("client_secret")
        values = {**defaults, **values}
    if not client_id:
        raise ConfigurationError("OAuth2 needs the app's --client-id (and --client-secret), or SFSYNC_CLIENT_ID")
    redirect = f"http://127.0.0.1:{port}/callback"
    pending = state.app.start_oauth(actor, connector, redirect_uri=redirect, client_id=client_id,
                                    client_secret=client_secret, config=values, label=label,
                                    dossier_id=dossier_id, connection_id=connection_id)
    server = _CallbackServer(port)
    console.print(f"Log in at the package to allow sfsync:\n{escape(pending.authorize_url)}", soft_wrap=True)
    if sandbox is not None:
        threading.Thread(target=_sandbox_login, args=(sandbox, pending.authorize_url, state.sandbox_url),
                         daemon=True).start()
    else:
        webbrowser.open(pending.authorize_url)
    callback = server.wait(timeout=300)
    return _run(state.app.finish_oauth(actor, callback))  # type: ignore[no-any-return]


def _sandbox_login(sandbox: Any, authorize_url: str, served_at: str | None) -> None:
    """Log in at a sandbox's authorize page as a person would, then follow its redirect to the
    loopback port, exactly as a browser would."""
    import httpx

    from sfsync.context import RoutingTransport
    from sfsync.sandbox_server import ForwardingTransport

    transport: httpx.AsyncBaseTransport = (
        ForwardingTransport(served_at) if served_at else RoutingTransport(sandbox.transports())
    )

    async def login() -> str:
        async with httpx.AsyncClient(transport=transport) as client:
            return await sandbox.authorize(client, authorize_url)  # type: ignore[no-any-return]

    callback = asyncio.run(login())
    httpx.get(callback, timeout=30)


@cli.command()
@click.argument("connection")
@click.option("--field", "fields", multiple=True, metavar="NAME=VALUE",
              help="Form: a field to change (repeatable); NAME=- reads it from stdin, a secret left out is asked for.")
@click.option("--token", envvar="SFSYNC_AGENT_TOKEN",
              help="Agent: the sync service's new token (- for stdin; or SFSYNC_AGENT_TOKEN; else asked for).")
@click.option("--client-id", envvar="SFSYNC_CLIENT_ID", help="OAuth2 app's client id.")
@click.option("--client-secret", envvar="SFSYNC_CLIENT_SECRET", help="OAuth2 app's client secret.")
@click.option("--port", default=8765, show_default=True, help="Loopback port for the OAuth2 callback.")
@pass_state
def reconnect(state: _State, connection: str, fields: tuple[str, ...], token: str | None, client_id: str | None,
              client_secret: str | None, port: int) -> None:
    """Re-consent a connection in place: log in again (OAuth2), re-enter the credentials (a form:
    the secrets are asked again) or an agent's new token. Its dossiers stay linked, and those stopped
    by the refused credential are due at once."""
    actor = state.user()
    record = _find_connection(state, actor, connection)
    spec = state.app.registry.connector(record.connector).auth
    if isinstance(spec, OAuth2Spec):
        values = {k: v for k, v in record.config.items() if k != "client_id"}
        _oauth_login(state, actor, record.connector, values=values, label=record.label,
                     client_id=client_id or record.config.get("client_id"), client_secret=client_secret, port=port,
                     connection_id=record.id, dossier_id=record.owner_dossier_id)
    else:
        values = _form_values(spec, fields, None, _secret(token, "--token", on_command_line=False), ask_all=False)
        _run(state.app.reconnect_form(actor, record.id, values))
    _print_reconsented(state, actor, record)


def _print_reconsented(state: _State, actor: User, record: ConnectionRecord) -> None:
    waiting = state.app.connection_state(actor, record.id).waiting
    console.print(f"{escape(record.label)} re-consented; its dossiers continue from where they stopped"
                  + (f" ({waiting} due now: `sfsync sync --due`)" if waiting else ""))


_SECRETS_HELP = (
    "Secrets (keys, passwords, tokens) are best not typed on the command line, where other users of "
    "the machine see them (ps): leave a secret field out to be asked for it without echo, give "
    "NAME=- to read it from stdin, or set SFSYNC_FIELD_<NAME> (SFSYNC_FIELD_API_KEY); --token and "
    "--client-secret take - for stdin and SFSYNC_AGENT_TOKEN / SFSYNC_CLIENT_SECRET."
)


def _secret(value: str | None, what: str, *, on_command_line: bool) -> str | None:
    """A secret given as ``-`` is read from stdin (one line); one typed on the command line is
    taken, with a warning that ``ps`` shows it."""
    if value == "-":
        return sys.stdin.readline().rstrip("\r\n")
    if value and on_command_line:
        click.echo(f"warning: {what} was given on the command line, where other users can see it (ps); "
                   "use the prompt, - (stdin) or the environment variable instead", err=True)
    return value


def _from_command_line(ctx: click.Context, name: str) -> bool:
    return ctx.get_parameter_source(name) is click.core.ParameterSource.COMMANDLINE


@cli.command(epilog=_SECRETS_HELP)
@click.argument("connector")
@click.option("--field", "fields", multiple=True, metavar="NAME=VALUE",
              help="A form field (repeatable); NAME=- reads the value from stdin.")
@click.option("--label", help="A name for the connection.")
@click.option("--client-id", envvar="SFSYNC_CLIENT_ID", help="OAuth2 app's client id.")
@click.option("--client-secret", envvar="SFSYNC_CLIENT_SECRET",
              help="OAuth2 app's client secret (- for stdin; or SFSYNC_CLIENT_SECRET).")
@click.option("--port", default=8765, show_default=True, help="Loopback port for the OAuth2 callback.")
@click.option("--url", help="Agent: the sync service's address.")
@click.option("--token", envvar="SFSYNC_AGENT_TOKEN",
              help="Agent: the sync service's token (- for stdin; or SFSYNC_AGENT_TOKEN; else asked for).")
@pass_state
@click.pass_context
def connect(ctx: click.Context, state: _State, connector: str, fields: tuple[str, ...], label: str | None,
            client_id: str | None, client_secret: str | None, port: int, url: str | None, token: str | None) -> None:
    """Connect a package at firm level, then list what the connection can see."""
    actor = state.user()
    loaded = state.app.registry.connector(connector)
    spec = loaded.auth
    client_secret = _secret(client_secret, "--client-secret", on_command_line=_from_command_line(ctx, "client_secret"))
    token = _secret(token, "--token", on_command_line=_from_command_line(ctx, "token"))
    if isinstance(spec, OAuth2Spec):
        values: dict[str, Any] = dict(f.split("=", 1) for f in fields if "=" in f)
        record = _oauth_login(state, actor, connector, values=values, label=label, client_id=client_id,
                              client_secret=client_secret, port=port)
    else:
        record = _run(state.app.connect_form(actor, connector, _form_values(spec, fields, url, token), label=label))
    console.print(f"connected [bold]{escape(record.label)}[/bold] ({record.id})")
    companies = _run(state.app.list_companies(actor, record.id))
    _print_companies(companies)


def _print_companies(companies: list[Any]) -> None:
    table = _Table("ref", "code", "name")
    for company in companies:
        table.add_row(company.ref, company.code, company.name)
    console.print(table)


@cli.command()
@click.option("--dossier", help="A dossier's own logins (dossier-level packages) instead of the firm's.")
@pass_state
def connections(state: _State, dossier: str | None) -> None:
    """The firm's connections (its Syncs page), with who created them and what waits for them."""
    actor = state.user()
    records = state.app.dossier_connections(actor, dossier) if dossier else state.app.connections(actor)
    table = _Table("id", "label", "connector", "level", "status", "waiting", "created")
    for record in records:
        shown = state.app.connection_state(actor, record.id)
        status = "needs re-consent" if shown.status == "needs_reconsent" else shown.status
        if shown.cause:
            status = f"{status}: {shown.cause}"
        created = record.created_at.strftime("%Y-%m-%d") if record.created_at else ""
        if record.created_by:
            creator = state.app.store.get_user(record.created_by)
            created = f"{created} by {creator.email}" + (" (support)" if creator.role == "support" else "")
        table.add_row(record.id, record.label, record.connector, record.level, status,
                      str(shown.waiting or ""), created)
    console.print(table)


@cli.command()
@click.argument("connection")
@click.option("--search", help="Part of a name or code.")
@pass_state
def companies(state: _State, connection: str, search: str | None) -> None:
    """Search the companies a connection can see, by name or code."""
    actor = state.user()
    record = _find_connection(state, actor, connection)
    _print_companies(_run(state.app.list_companies(actor, record.id, search=search)))


# --- dossiers --------------------------------------------------------------------------------------


def _date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None


@cli.command()
@click.argument("dossier")
@click.option("--connection", required=True,
              help="Connection id, label or connector; a dossier-level package (xero) runs its login here.")
@click.option("--company", help="The company ref (see `sfsync companies`).")
@click.option("--reference", help="On-premise: the dossier's folder name on the server.")
@click.option("--since", help="Sync from this date (the first day of a fiscal year).")
@click.option("--replace", is_flag=True, help="Replace all data by the package's.")
@click.option("--trial-balance", is_flag=True, help="Bring trial-balance totals instead of transactions.")
@click.option("--details", is_flag=True,
              help="The administrative link: the company's master data only, beside the accounting link.")
@click.option("--first-year-end", help="Override the end of the first fiscal year (a long or short first year).")
@click.option("--fiscal-years", "fiscal_years_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Override every fiscal year: a file of start,end[,label] lines (or a JSON list).")
@click.option("--no-sync", is_flag=True, help="Do not start the first sync.")
@click.option("--client-id", envvar="SFSYNC_CLIENT_ID", help="Dossier-level OAuth2: the app's client id.")
@click.option("--client-secret", envvar="SFSYNC_CLIENT_SECRET", help="Dossier-level OAuth2: the app's secret.")
@click.option("--port", default=8765, show_default=True, help="Dossier-level OAuth2: loopback callback port.")
@pass_state
def link(state: _State, dossier: str, connection: str, company: str | None, reference: str | None, since: str | None,
         replace: bool, trial_balance: bool, details: bool, first_year_end: str | None,
         fiscal_years_file: Path | None, no_sync: bool,
         client_id: str | None, client_secret: str | None, port: int) -> None:
    """Link a dossier (created if new) to a company, then start its first sync."""
    actor = state.user()
    if details:
        _link_details(state, actor, dossier, connection, company or reference, no_sync)
        return
    if (since is None) == (not replace):
        raise ConfigurationError("choose one of --since DATE or --replace")
    ref = company or reference
    if not ref:
        raise ConfigurationError("say which company: --company REF (or --reference FOLDER for on-premise)")
    try:
        target = state.app.dossier(actor, dossier)
    except NotFound:
        target = state.app.create_dossier(actor, dossier)
    registry = state.app.registry
    if connection in registry.connectors and registry.connector(connection).auth.level.value == "dossier":
        # Dossier-level packages (Xero): linking the dossier *is* the login.
        record = _oauth_login(state, actor, connection, values={}, label=f"{connection} for {target.name}",
                              client_id=client_id, client_secret=client_secret, port=port, dossier_id=target.id)
    else:
        record = _find_connection(state, actor, connection)
    saved = _run(state.app.link(
        actor, target.id, record.id, ref, mode=SyncMode.REPLACE if replace else SyncMode.SINCE, since=_date(since),
        granularity=Granularity.TRIAL_BALANCE if trial_balance else None, first_year_end=_date(first_year_end),
        fiscal_years=read_fiscal_years_file(fiscal_years_file) if fiscal_years_file else None,
    ))
    years = effective_years(_run(state.app.fiscal_years(actor, record.id, ref)),
                            override=saved.fiscal_years_override, first_year_end=saved.first_year_end)
    table = _Table("fiscal year", "start", "end", "closed")
    for year in years:
        table.add_row(year.label, year.start.isoformat(), year.end.isoformat(), "yes" if year.closed else "")
    console.print(table)
    first_end = saved.first_year_end or (years[0].end if years else None)
    console.print(escape(f"linked {target.name} to {saved.company_name or ref} ({saved.mode.value}, "
                         f"{saved.granularity.value}); first fiscal year ends {first_end}"))
    if not no_sync:
        _sync_and_report(state, [target.id])


def _link_details(state: _State, actor: User, dossier: str, connection: str, ref: str | None, no_sync: bool) -> None:
    if not ref:
        raise ConfigurationError("say which company: --company REF")
    try:
        target = state.app.dossier(actor, dossier)
    except NotFound:
        target = state.app.create_dossier(actor, dossier)
    record = _find_connection(state, actor, connection)
    saved = _run(state.app.link(actor, target.id, record.id, ref, granularity=Granularity.DETAILS))
    console.print(f"linked {target.name} to {saved.company_name or ref} for its company details ({record.connector})")
    if not no_sync:
        _sync_and_report(state, [target.id])


@cli.command()
@click.argument("dossier")
@click.option("--details", is_flag=True, help="Remove the administrative link instead.")
@click.option("--yes", is_flag=True, help="Confirm removing the dossier's own login (dossier-level packages).")
@pass_state
def unlink(state: _State, dossier: str, details: bool, yes: bool) -> None:
    """Stop syncing a dossier; what was synced stays. A dossier's own login goes with it."""
    actor = state.user()
    target = state.app.dossier(actor, dossier)
    link = state.app.store.get_link(target.id)
    owned = [c for c in state.app.dossier_connections(actor, target.id) if link and c.id == link.connection_id]
    if owned and not details and not yes:
        yes = click.confirm(f"this removes {target.name}'s own {owned[0].connector} login too; go on?", default=False)
        if not yes:
            raise ConfigurationError(f"{target.name} stays linked")
    state.app.unlink(actor, target.id, administrative=details, remove_connection=yes)
    console.print(f"{target.name} unlinked" + (" (administrative link)" if details else ""))


class _Bars:
    """The run observer behind the progress bars: per dossier its stage, lines, requests and waits."""

    def __init__(self, display: Progress) -> None:
        self.display = display
        self.tasks: dict[str, Any] = {}

    def _task(self, dossier: str) -> Any:
        if dossier not in self.tasks:
            self.tasks[dossier] = self.display.add_task(escape(dossier), total=None, stage="", lines=0, requests=0, waits=0)
        return self.tasks[dossier]

    def stage(self, dossier: str, stage: str) -> None:
        self.display.update(self._task(dossier), stage=stage)

    def progress(self, dossier: str, what: str, count: int) -> None:
        if what in ("lines", "requests", "waits"):
            self.display.update(self._task(dossier), **{what: count})  # type: ignore[arg-type]  # rich's task fields

    def batch_committed(self, dossier: str, batches: int) -> None:
        self.display.update(self._task(dossier), advance=1)


def _observer() -> tuple[Progress, _Bars]:
    display = Progress(
        TextColumn("{task.description:<18}"), BarColumn(), TextColumn("{task.fields[stage]:<15}"),
        TextColumn("{task.fields[lines]:>8} lines"), TextColumn("{task.fields[requests]:>5} requests"),
        TextColumn("{task.fields[waits]:>3} waits"), TimeElapsedColumn(), console=console, transient=False,
    )
    return display, _Bars(display)


def _sync_and_report(state: _State, dossier_ids: list[str], *, skipped_fails: bool = True) -> None:
    names = {d: state.app.store.get_dossier(d).name for d in dossier_ids}
    progress, observer = _observer()
    with progress:
        runs: list[RunRecord] = _run(state.app.sync_many(dossier_ids, observer=observer))
    table = _Table("dossier", "outcome", "lines", "deleted", "requests", "waits", "seconds")
    failed = []
    for run in runs:
        colour = {"ok": "green", "warning": "yellow", "waiting": "yellow", "skipped": "yellow"}.get(run.status, "red")
        table.add_row(names[run.dossier_id], Text(run.status, style=colour),
                      str(run.counts.get("lines_fetched", run.counts.get("trial_balance_lines", 0))),
                      str(run.counts.get("deletions", 0)), str(run.requests), str(run.rate_limit_waits),
                      f"{run.duration or 0:.1f}")
        if run.status == "failed" or (run.status == "skipped" and skipped_fails):
            failed.append(run)
    console.print(table)
    for run in runs:
        for warning in run.warnings[:5]:
            console.print(f"[yellow]warning:[/yellow] {escape(f'{names[run.dossier_id]}: {warning}')}", soft_wrap=True)
        if run.status in ("failed", "waiting", "skipped") and run.error:
            console.print(f"[red]{run.status}:[/red] {escape(run.error)}", soft_wrap=True)
    if failed:
        sys.exit(1)


@cli.command()
@click.argument("dossier", required=False)
@click.option("--due", is_flag=True, help="Every dossier due for its nightly sync.")
@click.option("--all", "all_", is_flag=True, help="Every linked dossier of the firm.")
@pass_state
def sync(state: _State, dossier: str | None, due: bool, all_: bool) -> None:
    """Sync a dossier now, the due ones, or all; exits 1 when a dossier failed."""
    actor = state.user()
    if sum(bool(x) for x in (dossier, due, all_)) != 1:
        raise ConfigurationError("say what to sync: a DOSSIER, --due or --all")
    if dossier:
        ids = [state.app.dossier(actor, dossier).id]
    elif due:
        ids = [d for d in state.app.due_dossiers() if state.app.store.get_dossier(d).firm_id == actor.firm_id]
    else:
        ids = [s.dossier.id for s in state.app.status(actor) if s.link is not None]
    if not ids:
        console.print("nothing to sync")
        return
    # A nightly or --all run skips a dossier that is already running; a named one is refused.
    _sync_and_report(state, ids, skipped_fails=bool(dossier))


@cli.command()
@pass_state
def status(state: _State) -> None:
    """Every dossier: connector, company, mode, last run, outcome, counts, next due."""
    table = _Table("dossier", "connector", "company", "mode", "last run", "outcome", "lines", "next due")
    for item in state.app.status(state.user()):
        link, last = item.link or item.admin_link, item.last_run  # an administrative-only dossier too
        outcome: str = last.status if last else ""
        if item.incomplete:
            outcome = f"{outcome}, partly updated"
        if item.connection_status == "needs_reconsent":
            outcome = "needs re-consent"
        table.add_row(
            item.dossier.name, item.connector or "", (link.company_name or link.company_ref) if link else "",
            ("details" if item.link is None else f"since {link.since}" if link.since else link.mode.value)
            if link else "manual",
            last.started_at.strftime("%Y-%m-%d %H:%M") if last else "", outcome,
            str(last.counts.get("lines_stored", last.counts.get("lines", ""))) if last else "",
            item.next_due.strftime("%Y-%m-%d %H:%M") if item.next_due else ("now" if link else ""),
        )
    console.print(table)


@cli.command()
@click.argument("dossier")
@click.option("--year", type=int, help="Only the fiscal year ending in this year.")
@click.option("--period", type=int, help="With --year: only this booking period of the year.")
@click.option("--trial-balance", "view", flag_value="tb", help="Show trial-balance totals.")
@click.option("--ledger", "view", flag_value="ledger", help="Show ledger lines.")
@click.option("--limit", default=50, show_default=True, help="Ledger lines to show.")
@click.option("--details", "view", flag_value="details", help="Show the company's administrative data.")
@pass_state
def show(state: _State, dossier: str, year: int | None, period: int | None, view: str | None, limit: int) -> None:
    """The synced figures, with totals that show debits equal credits (or, with --details, the
    company's administrative data).

    A line counts in its booking period when the package gives one, by its date otherwise."""
    actor = state.user()
    target = state.app.dossier(actor, dossier)
    if view == "details":
        _show_details(state, actor, target.id, target.name)
        return
    store = state.app.store
    years = store.fiscal_years(target.id)
    chosen = next((y for y in years if y.end.year == year), None) if year else None
    if year and chosen is None:
        raise NotFound(f"dossier {target.name} has no fiscal year ending in {year}; it has "
                       + ", ".join(str(y.end.year) for y in years))
    span: tuple[dt.date, dt.date] | None = (chosen.start, chosen.end) if chosen else None
    if period is not None:
        # A year the package gives without periods is taken month by month.
        periods = (chosen.periods or monthly_periods(chosen.start, chosen.end)) if chosen else ()
        found = next((p for p in periods if p.number == period), None)
        if chosen is None or found is None:
            raise ConfigurationError(
                "--period needs --year and a period of that year"
                + (f"; {chosen.label or year} has " + ", ".join(str(p.number) for p in periods) if chosen else "")
            )
        span = (found.start, found.end)
    if view == "tb" or (view is None and not store.count_ledger_lines(target.id)):
        lines = [t for t in store.trial_balance(target.id) if span is None or span[0] <= t.period_end <= span[1]]
        table = _Table("account", "period end", "opening", "debit", "credit", "closing")
        for t in lines:
            table.add_row(t.account, t.period_end.isoformat(), f"{t.opening:,.2f}", f"{t.debit:,.2f}",
                          f"{t.credit:,.2f}", f"{t.closing:,.2f}")
        debit = sum((t.debit for t in lines), Decimal(0))
        credit = sum((t.credit for t in lines), Decimal(0))
    else:
        start, end = span if span else (None, None)
        table = _Table("date", "period", "journal", "entry", "account", "description", "debit", "credit")
        debit = credit = Decimal(0)
        for count, line in enumerate(store.ledger_lines(target.id, start=start, end=end)):
            debit += line.debit
            credit += line.credit
            if count < limit:
                table.add_row(line.date.isoformat(), str(line.period or ""), line.journal or "", line.entry,
                              line.account, line.description[:40], f"{line.debit:,.2f}", f"{line.credit:,.2f}")
    console.print(table)
    verdict = "[green]balanced[/green]" if debit == credit else f"[red]off by {debit - credit:,.2f}[/red]"
    console.print(f"total debit {debit:,.2f}  total credit {credit:,.2f}  {verdict}")


def _show_details(state: _State, actor: User, dossier_id: str, name: str) -> None:
    kept = state.app.company_details(actor, dossier_id)
    if kept is None:
        raise NotFound(f"dossier {name} has no company details yet: sync it (its connector must bring them)")
    details = kept.details
    address = ", ".join(p for p in (details.street, " ".join(filter(None, (details.postal_code, details.city))),
                                    details.country) if p)
    table = Table("field", "value", title=f"{name}: company details", show_header=False)
    for label, value in (
        ("legal name", details.name), ("legal form", details.legal_form), ("VAT number", details.vat_number),
        ("enterprise number", details.enterprise_number), ("registered address", address or None),
        ("e-mail", details.email), ("phone", details.phone), ("fiscal year ends", details.fiscal_year_end),
        ("started", details.start_date.isoformat() if details.start_date else None),
    ):
        table.add_row(label, value or "")
    console.print(table)
    if details.people:
        people = Table("person", "role", "e-mail", "phone")
        for person in details.people:
            people.add_row(person.name, person.role or "", person.email or "", person.phone or "")
        console.print(people)
    source = state.app.store.get_connection(kept.source).connector if _exists(state, kept.source) else kept.source
    versions = len(state.app.company_details_history(actor, dossier_id))
    console.print(f"from {source}, {kept.fetched_at:%Y-%m-%d %H:%M}; {versions} version(s) kept")


def _exists(state: _State, connection_id: str) -> bool:
    try:
        state.app.store.get_connection(connection_id)
    except NotFound:
        return False
    return True


@cli.command("import")
@click.argument("dossier")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--replace", is_flag=True,
              help="Replace the whole dossier by the file (default: only the fiscal years the file covers).")
@pass_state
def import_(state: _State, dossier: str, file: Path, replace: bool) -> None:
    """Load an export (XAF, SAF-T, a balance) into a dossier that has no sync; other years stay."""
    actor = state.user()
    try:
        target = state.app.dossier(actor, dossier)
    except NotFound:
        target = state.app.create_dossier(actor, dossier)
    run = state.app.import_file(actor, target.id, file, replace=replace)
    console.print(escape(f"imported {file.name} into {target.name}: {run.counts}"))
    for warning in run.warnings[:10]:
        console.print(f"[yellow]warning:[/yellow] {escape(warning)}", soft_wrap=True)


# --- support staff ---------------------------------------------------------------------------------


@cli.group()
def support() -> None:
    """What the host's support staff do: set up support-level connections (Octopus, AFAS…)."""


@support.command("add")
@click.argument("email")
@pass_state
def support_add(state: _State, email: str) -> None:
    """Add a member of the host's support staff (across firms)."""
    state.app.add_support_user(email)
    console.print(f"{escape(email)} added as support staff")


def _support_user(state: _State) -> User:
    if not state.as_user:
        raise ConfigurationError("say which support staff member acts: --as EMAIL (or SFSYNC_USER)")
    staff = state.app.store.find_support_user(state.as_user)
    if staff is None:
        raise NotFound(f"{state.as_user} is not support staff; add them with `sfsync support add EMAIL`")
    return staff


@support.command("connect")
@click.argument("firm")
@click.argument("connector")
@click.option("--field", "fields", multiple=True, metavar="NAME=VALUE", help="A form field (repeatable).")
@click.option("--label", help="A name for the connection.")
@click.option("--connection", help="Replace the credentials of this existing connection instead.")
@pass_state
def support_connect(state: _State, firm: str, connector: str, fields: tuple[str, ...], label: str | None,
                    connection: str | None) -> None:
    """Create (or, with --connection, change) a support-level connection for FIRM with the
    credentials the firm sent."""
    staff = _support_user(state)
    found = [f for f in state.app.store.list_firms() if firm in (f.id, f.name)]
    if not found:
        raise NotFound(f"no firm {firm!r}")
    spec = state.app.registry.connector(connector).auth
    if not isinstance(spec, FormSpec | AgentSpec):
        raise ConfigurationError(f"connector {connector} connects with {spec.flavour}; support connects forms")
    existing = _find_connection(state, staff, connection, firm_id=found[0].id) if connection else None
    values = _form_values(spec, fields, None, None, ask_all=existing is None)
    record = _run(state.app.connect_form(staff, connector, values, label=label, firm_id=found[0].id,
                                         connection_id=existing.id if existing else None))
    console.print(f"{'changed' if existing else 'connected'} [bold]{escape(record.label)}[/bold] ({record.id}) "
                  f"for {escape(found[0].name)}")


# --- sandboxes and the demo -----------------------------------------------------------------------


@cli.group()
def sandbox() -> None:
    """The packages' offline sandboxes."""


@sandbox.command("serve")
@click.argument("connectors", nargs=-1)
@click.option("--port", default=8800, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--fault", "faults", multiple=True, metavar="KIND[:OPTION=VALUE,...]",
              help="Inject a fault into every served sandbox (repeatable), e.g. 'rate-limit:retry-after=30', "
                   "'503:times=3', 'timeout:times=3,path=/lines', 'truncate:fraction=0.6', 'html', "
                   "'wrong-types:fields=Amount', 'token-expiry:after=5', 'revoked-consent:after=5'.")
def sandbox_serve(connectors: tuple[str, ...], port: int, host: str, faults: tuple[str, ...]) -> None:
    """Serve sandboxes over real HTTP (uvicorn): the named connectors', or every installed one.

    Other commands reach them with --sandbox-url http://HOST:PORT, so their state (tokens, data
    changes) lasts across commands.
    """
    import uvicorn

    from sfsync.demo import start_sandboxes
    from sfsync.sandbox.faults import parse_fault
    from sfsync.sandbox_server import dispatcher

    for spec in faults:
        try:
            parse_fault(spec)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--fault") from None

    registry = get_registry()
    for name in connectors:
        registry.connector(name)
        if not registry.supports(name, "sfsync_sandbox"):
            raise ConfigurationError(f"connector {name} ships no sandbox")
    sandboxes, failures = start_sandboxes(registry)
    chosen = {n: s for n, s in sandboxes.items() if not connectors or n in connectors}
    for name, error in failures.items():
        console.print(f"[red]{escape(name)}:[/red] its sandbox failed to start: {escape(str(error))}", soft_wrap=True)
    distinct = list({id(s): s for s in chosen.values()}.values())
    for box in distinct:
        for spec in faults:
            box.faults.inject(parse_fault(spec))  # one fault object per sandbox: each counts its own
    for name, box in chosen.items():
        console.print(f"[bold]{escape(name)}[/bold]", soft_wrap=True)
        for label, value in box.credentials().items():
            console.print(f"  {escape(label)}: {escape(value)}", soft_wrap=True)
    for spec in faults:
        console.print(f"fault injected: {escape(spec)}", soft_wrap=True)
    console.print(f"serving on http://{host}:{port}; use --sandbox-url http://{host}:{port} in other commands")
    uvicorn.run(dispatcher(distinct), host=host, port=port, log_level="warning")


@cli.command()
@click.option("--folder", type=click.Path(path_type=Path), default="sfsync-demo", show_default=True,
              help="Where the demo's store goes (emptied first).")
@click.option("--web", "with_web", is_flag=True, help="Then serve the demo's data in sfsync web (pip install sfsync[web]).")
@click.option("--port", default=8000, show_default=True, help="With --web: the port to serve on.")
def demo(folder: Path, with_web: bool, port: int) -> None:
    """Run every installed connector against its sandbox, offline, and print a summary."""
    from sfsync.demo import run_demo

    if with_web:
        from sfsync.web.cli import demo_web

        demo_web(folder, "127.0.0.1", port)
        return

    console.print("[bold]sfsync demo[/bold]: every installed package, offline, through its sandbox")
    progress, observer = _observer()
    with progress:
        rows = _run(run_demo(folder, observer=observer, say=lambda text: progress.console.print(text)))
    table = _Table("dossier", "package", "mode", "fiscal years", "accounts", "lines", "balanced",
                  "requests", "2nd run", "seconds", "outcome", title="sfsync demo: summary")
    for row in rows:
        balanced = {True: "[green]yes[/green]", False: "[red]no[/red]", None: ""}[row.balanced]
        colour = "green" if row.status in ("ok", "warning") else "red"
        table.add_row(row.dossier, row.connector, row.mode, str(row.fiscal_years), str(row.accounts), str(row.lines),
                      balanced, str(row.requests_first),
                      f"{row.requests_second} req, {row.fetched_second} fetched", f"{row.seconds:.1f}",
                      f"[{colour}]{row.status}[/{colour}]")
    console.print(table)
    for row in rows:
        if row.error:
            console.print(f"[red]{escape(row.dossier)}:[/red] {escape(str(row.error))}", soft_wrap=True)
    if any(row.status not in ("ok", "warning") for row in rows):
        sys.exit(1)


@cli.command("secret-key")
def secret_key() -> None:
    """Print a new key for SFSYNC_SECRET_KEY."""
    from sfsync.secrets import generate_key

    click.echo(generate_key())


def _add_web_command() -> None:
    try:
        from sfsync.web.cli import web
    except ImportError:  # the web extra is not installed: `sfsync web` says how to get it
        @cli.command("web", context_settings={"ignore_unknown_options": True})
        @click.argument("args", nargs=-1, type=click.UNPROCESSED)
        def web(args: tuple[str, ...]) -> None:
            """Serve the reference host (needs pip install sfsync[web])."""
            raise click.ClickException("sfsync web needs its extra: pip install 'sfsync[web]'")
    else:
        cli.add_command(web)


_add_web_command()


def _register_plugin_commands() -> None:
    registry = get_registry()
    try:
        registry.pm.hook.sfsync_register_commands(cli=cli)
    except Exception as exc:  # a plugin's broken command must not break the others
        console.print(f"[red]a plugin failed to add its commands:[/red] {escape(str(exc))}", soft_wrap=True)


_registered = False


def main(argv: list[str] | None = None) -> Any:
    """Entry point of the ``sfsync`` command."""
    global _registered
    if not _registered:
        _register_plugin_commands()
        _registered = True
    return cli.main(args=argv, prog_name="sfsync")




if __name__ == "__main__":
    main()

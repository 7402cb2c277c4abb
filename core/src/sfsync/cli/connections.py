"""Connections: ``connect``, ``reconnect``, ``connections``, ``companies``, ``check`` and
``disconnect``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from sfsync.cli.coroutines import run_coroutine
from sfsync.cli.forms import SECRETS_HELP, form_values, from_command_line, secret
from sfsync.cli.oauth_login import oauth_login, oauth_options
from sfsync.cli.output import console, emit_json, json_option, say, table
from sfsync.cli.state import State, pass_state

if TYPE_CHECKING:
    from sfsync.models import Company
    from sfsync.store.base import ConnectionRecord, User

__all__ = ["check", "companies", "connect", "connections", "disconnect", "find_connection", "reconnect"]


def find_connection(state: State, actor: User, key: str, *, firm_id: str | None = None) -> ConnectionRecord:
    """The connection ``key`` names (id, label or connector), a dossier's own login by its id."""
    from sfsync.errors import ConfigurationError, NotFound

    found = [r for r in state.app.connections(actor, firm_id=firm_id) if key in (r.id, r.label, r.connector)]
    exact = [r for r in found if r.id == key]
    if exact or len(found) == 1:
        return (exact or found)[0]
    if found:
        ids = ", ".join(f"{r.id} ({r.label})" for r in found)
        raise ConfigurationError(f"{key!r} names several connections: {ids}; give the id")
    if actor.role != "support":  # a dossier's own login, by its id
        for dossier in state.app.store.list_dossiers(actor.firm_id):
            for record in state.app.dossier_connections(actor, dossier.id):
                if key == record.id:
                    return record
    raise NotFound(f"no connection {key!r}; `sfsync connections` lists them")


def company_rows(companies: list[Company]) -> list[dict[str, str]]:
    """Companies as ``--json`` rows."""
    return [{"ref": c.ref, "code": c.code, "name": c.name} for c in companies]


def print_companies(companies: list[Company]) -> None:
    """Companies as a table."""
    shown = table("ref", "code", "name")
    for company in companies:
        shown.add_row(company.ref, company.code, company.name)
    console().print(shown)


@click.command(epilog=SECRETS_HELP)
@click.argument("connector")
@click.option("--field", "fields", multiple=True, metavar="NAME=VALUE",
              help="A form field (repeatable); NAME=- reads the value from stdin. `sfsync spec CONNECTOR` lists them.")
@click.option("--label", help="A name for the connection.")
@oauth_options
@click.option("--url", help="Agent: the sync service's address.")
@click.option("--token", envvar="SFSYNC_AGENT_TOKEN",
              help="Agent: the sync service's token (- for stdin; or SFSYNC_AGENT_TOKEN; else asked for).")
@json_option
@pass_state
@click.pass_context
def connect(ctx: click.Context, state: State, connector: str, fields: tuple[str, ...], label: str | None,
            client_id: str | None, client_secret: str | None, port: int, paste: bool | None, login_timeout: int,
            url: str | None, token: str | None, as_json: bool) -> None:
    """Connect a package at firm level, then list what the connection can see."""
    from sfsync.auth import OAuth2Spec

    actor = state.user()
    spec = state.app.registry.connector(connector).auth
    client_secret = secret(client_secret, "--client-secret", on_command_line=from_command_line(ctx, "client_secret"))
    token = secret(token, "--token", on_command_line=from_command_line(ctx, "token"))
    if isinstance(spec, OAuth2Spec):
        values: dict[str, Any] = dict(f.split("=", 1) for f in fields if "=" in f)
        record = oauth_login(state, actor, connector, values=values, label=label, client_id=client_id,
                             client_secret=client_secret, port=port, paste=paste, timeout=login_timeout)
    else:
        record = run_coroutine(state.app.connect_form(actor, connector, form_values(spec, fields, url, token),
                                                      label=label))
    found = run_coroutine(state.app.list_companies(actor, record.id))
    if as_json:
        emit_json("connection", connection=connection_row(state, actor, record), companies=company_rows(found))
        return
    say(f"connected {record.label} ({record.id})")
    print_companies(found)


@click.command()
@click.argument("connection")
@click.option("--field", "fields", multiple=True, metavar="NAME=VALUE",
              help="Form: a field to change (repeatable); NAME=- reads it from stdin, a secret left out is asked for.")
@click.option("--token", envvar="SFSYNC_AGENT_TOKEN",
              help="Agent: the sync service's new token (- for stdin; or SFSYNC_AGENT_TOKEN; else asked for).")
@oauth_options
@pass_state
def reconnect(state: State, connection: str, fields: tuple[str, ...], token: str | None, client_id: str | None,
              client_secret: str | None, port: int, paste: bool | None, login_timeout: int) -> None:
    """Re-consent a connection in place: log in again (OAuth2), re-enter the credentials (a form:
    the secrets are asked again) or an agent's new token. Its dossiers stay linked, and those stopped
    by the refused credential are due at once."""
    from sfsync.auth import OAuth2Spec

    actor = state.user()
    record = find_connection(state, actor, connection)
    spec = state.app.registry.connector(record.connector).auth
    if isinstance(spec, OAuth2Spec):
        values = {k: v for k, v in record.config.items() if k != "client_id"}
        oauth_login(state, actor, record.connector, values=values, label=record.label,
                    client_id=client_id or record.config.get("client_id"), client_secret=client_secret, port=port,
                    paste=paste, timeout=login_timeout, connection_id=record.id, dossier_id=record.owner_dossier_id)
    else:
        values = form_values(spec, fields, None, secret(token, "--token", on_command_line=False), ask_all=False)
        run_coroutine(state.app.reconnect_form(actor, record.id, values))
    waiting = state.app.connection_state(actor, record.id).waiting
    say(f"{record.label} re-consented; its dossiers continue from where they stopped"
        + (f" ({waiting} due now: `sfsync sync --due`)" if waiting else ""))


def connection_row(state: State, actor: User, record: ConnectionRecord) -> dict[str, Any]:
    """A connection as a ``--json`` row: what the Syncs page shows (never its secrets)."""
    shown = state.app.connection_state(actor, record.id)
    creator = state.app.store.get_user(record.created_by) if record.created_by else None
    return {
        "id": record.id, "label": record.label, "connector": record.connector, "level": record.level,
        "status": shown.status, "cause": shown.cause, "waiting": shown.waiting,
        "dossier_id": record.owner_dossier_id,
        "created_at": record.created_at, "created_by": creator.email if creator else None,
        "created_by_support": creator is not None and creator.role == "support",
    }


@click.command()
@click.option("--dossier", help="A dossier's own logins (dossier-level packages) instead of the firm's.")
@json_option
@pass_state
def connections(state: State, dossier: str | None, as_json: bool) -> None:
    """The firm's connections (its Syncs page), with who created them and what waits for them."""
    actor = state.user()
    records = state.app.dossier_connections(actor, dossier) if dossier else state.app.connections(actor)
    rows = [connection_row(state, actor, r) for r in records]
    if as_json:
        emit_json("connections", connections=rows)
        return
    shown = table("id", "label", "connector", "level", "status", "waiting", "created")
    for row in rows:
        status = "needs re-consent" if row["status"] == "needs_reconsent" else row["status"]
        if row["cause"]:
            status = f"{status}: {row['cause']}"
        created = row["created_at"].strftime("%Y-%m-%d") if row["created_at"] else ""
        if row["created_by"]:
            created = f"{created} by {row['created_by']}" + (" (support)" if row["created_by_support"] else "")
        shown.add_row(row["id"], row["label"], row["connector"], row["level"], status, str(row["waiting"] or ""),
                      created)
    console().print(shown)


@click.command()
@click.argument("connection")
@click.option("--search", help="Part of a name or code.")
@json_option
@pass_state
def companies(state: State, connection: str, search: str | None, as_json: bool) -> None:
    """Search the companies a connection can see, by name or code."""
    actor = state.user()
    record = find_connection(state, actor, connection)
    found = run_coroutine(state.app.list_companies(actor, record.id, search=search))
    if as_json:
        emit_json("companies", connection=record.id, companies=company_rows(found))
        return
    print_companies(found)


@click.command()
@click.argument("connection")
@json_option
@pass_state
def check(state: State, connection: str, as_json: bool) -> None:
    """Check that an existing connection's credentials still work (exit 3 when refused)."""
    from sfsync.errors import AuthError, SfsyncError

    actor = state.user()
    record = find_connection(state, actor, connection)
    try:
        run_coroutine(state.app.check_connection(actor, record.id))
    except SfsyncError as exc:
        if as_json:
            emit_json("check", connection=record.id, ok=False, error=str(exc), error_kind=type(exc).__name__)
            raise SystemExit(3 if isinstance(exc, AuthError) else 1) from None
        raise
    if as_json:
        emit_json("check", connection=record.id, ok=True, error=None, error_kind=None)
        return
    say(f"{record.label} ({record.connector}): the package accepts the credentials")


@click.command()
@click.argument("connection")
@click.option("--yes", is_flag=True, help="Do not ask: remove it and unlink its dossiers.")
@pass_state
def disconnect(state: State, connection: str, yes: bool) -> None:
    """Remove a connection. Its dossiers are unlinked and keep what was synced."""
    from sfsync.errors import ConfigurationError

    actor = state.user()
    record = find_connection(state, actor, connection)
    linked = state.app.dossiers_of_connection(actor, record.id)
    if not yes:
        names = ", ".join(d.name for d in linked) or "none"
        if not click.confirm(f"remove {record.label} ({record.connector})? dossiers unlinked: {names} "
                             "(they keep what was synced)", default=False):
            raise ConfigurationError(f"{record.label} stays")
    state.app.remove_connection(actor, record.id)
    say(f"{record.label} removed" + (f"; unlinked {', '.join(d.name for d in linked)}" if linked else ""))

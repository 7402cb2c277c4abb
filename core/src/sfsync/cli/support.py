"""``sfsync support``: what the host's support staff do (support-level connections)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from sfsync.cli.connections import find_connection
from sfsync.cli.coroutines import run_coroutine
from sfsync.cli.forms import form_values
from sfsync.cli.output import say
from sfsync.cli.state import State, pass_state

if TYPE_CHECKING:
    from sfsync.store.base import User

__all__ = ["support"]


@click.group()
def support() -> None:
    """What the host's support staff do: set up support-level connections (Octopus, AFAS…)."""


@support.command("add")
@click.argument("email")
@pass_state
def support_add(state: State, email: str) -> None:
    """Add a member of the host's support staff (across firms)."""
    state.app.add_support_user(email)
    say(f"{email} added as support staff")


def _support_user(state: State) -> User:
    from sfsync.errors import ConfigurationError, NotFound

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
@click.option("--send-code", is_flag=True,
              help="Have the package send its one-time code first (AFAS mails an OTP to the user), then ask for it.")
@pass_state
def support_connect(state: State, firm: str, connector: str, fields: tuple[str, ...], label: str | None,
                    connection: str | None, send_code: bool) -> None:
    """Create (or, with --connection, change) a support-level connection for FIRM with the
    credentials the firm sent."""
    from sfsync.auth import AgentSpec, FormSpec
    from sfsync.errors import ConfigurationError, NotFound

    staff = _support_user(state)
    found = [f for f in state.app.firms(staff) if firm in (f.id, f.name)]
    if not found:
        raise NotFound(f"no firm {firm!r}; `sfsync firm list` lists them")
    spec = state.app.registry.connector(connector).auth
    if not isinstance(spec, FormSpec | AgentSpec):
        raise ConfigurationError(f"connector {connector} connects with {spec.flavour}; support connects forms")
    existing = find_connection(state, staff, connection, firm_id=found[0].id) if connection else None
    values = form_values(spec, fields, None, None, ask_all=existing is None)
    if send_code:
        if not isinstance(spec, FormSpec) or spec.code_field is None:
            raise ConfigurationError(f"connector {connector} is not set up with a one-time code")
        say(run_coroutine(state.app.send_code(staff, connector, values, firm_id=found[0].id,
                                              connection_id=existing.id if existing else None)))
        values[spec.code_field] = click.prompt("the one-time code", hide_input=True)
    record = run_coroutine(state.app.connect_form(staff, connector, values, label=label, firm_id=found[0].id,
                                                  connection_id=existing.id if existing else None))
    say(f"{'changed' if existing else 'connected'} {record.label} ({record.id}) for {found[0].name}")

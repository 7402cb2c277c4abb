"""``sfsync firm`` and ``sfsync user``: firms and their users."""

from __future__ import annotations

import click

from sfsync.cli.output import console, emit_json, json_option, say, table
from sfsync.cli.state import State, pass_state

__all__ = ["firm", "user"]


@click.group()
def firm() -> None:
    """Firms (each name once per store)."""


@firm.command("create")
@click.argument("name")
@click.option("--admin", "admin_email", required=True, help="Email of the firm's first admin.")
@click.option("--json", "as_json", is_flag=True, help="Print the new firm as JSON.")
@pass_state
def firm_create(state: State, name: str, admin_email: str, as_json: bool) -> None:
    """Create a firm with its first admin."""
    created = state.app.create_firm(name)
    state.app.add_user(created.id, admin_email, "admin")
    if as_json:
        emit_json("firm", firm={"id": created.id, "name": created.name, "admin": admin_email})
        return
    say(f"firm {name} created ({created.id}); admin {admin_email}")


@firm.command("list")
@json_option
@pass_state
def firm_list(state: State, as_json: bool) -> None:
    """Every firm in the store."""
    firms = [{"id": f.id, "name": f.name} for f in state.app.store.list_firms()]
    if as_json:
        emit_json("firms", firms=firms)
        return
    shown = table("id", "name")
    for item in firms:
        shown.add_row(item["id"], item["name"])
    console().print(shown)


@click.group()
def user() -> None:
    """Users of the firm."""


@user.command("add")
@click.argument("email")
@click.option("--role", type=click.Choice(["admin", "member"]), default="member", show_default=True)
@pass_state
def user_add(state: State, email: str, role: str) -> None:
    """Add a user to the firm (as the acting admin)."""
    state.app.add_colleague(state.user(), email, role)
    say(f"{email} added as {role}")


@user.command("list")
@json_option
@pass_state
def user_list(state: State, as_json: bool) -> None:
    """The firm's users and their roles."""
    users = [{"id": u.id, "email": u.email, "role": u.role} for u in state.app.users(state.user())]
    if as_json:
        emit_json("users", users=users)
        return
    shown = table("email", "role", "id")
    for item in users:
        shown.add_row(item["email"], item["role"], item["id"])
    console().print(shown)

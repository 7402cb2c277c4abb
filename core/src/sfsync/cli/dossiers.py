"""Dossiers and their links: ``link`` (with an explicit ``--switch``), ``unlink`` and
``dossier list/delete``. A dossier made for a ``link`` that fails is removed again."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import click

from sfsync.cli.connections import find_connection
from sfsync.cli.coroutines import run_coroutine
from sfsync.cli.oauth_login import oauth_login, oauth_options
from sfsync.cli.output import console, emit_json, json_option, say, table
from sfsync.cli.state import State, pass_state
from sfsync.cli.syncing import sync_and_report

if TYPE_CHECKING:
    from sfsync.models import FiscalYear
    from sfsync.store.base import ConnectionRecord, DossierRecord, LinkRecord, User

__all__ = ["dossier", "link", "parse_date", "unlink"]


def parse_date(value: str | None) -> dt.date | None:
    """A ``YYYY-MM-DD`` option's date."""
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None


def _connection_for(state: State, actor: User, connection: str, target: DossierRecord, *, client_id: str | None,
                    client_secret: str | None, port: int, paste: bool | None, timeout: int) -> ConnectionRecord:
    registry = state.app.registry
    if connection in registry.connectors and registry.connector(connection).auth.level.value == "dossier":
        # Dossier-level packages (Xero): linking the dossier *is* the login.
        return oauth_login(state, actor, connection, values={}, label=f"{connection} for {target.name}",
                           client_id=client_id, client_secret=client_secret, port=port, paste=paste,
                           timeout=timeout, dossier_id=target.id)
    return find_connection(state, actor, connection)


def _confirm_switch(state: State, target: DossierRecord, record: ConnectionRecord, company: str, since: dt.date | None,
                    replace: bool) -> bool:
    """Ask (on a terminal) whether to switch a linked dossier to another source."""
    import sys

    from sfsync.link_switch import describe_switch
    from sfsync.models import SyncMode

    previous = state.app.store.get_link(target.id)
    if previous is None or (previous.connection_id == record.id and previous.company_ref == company):
        return False
    if not sys.stdin.isatty():
        return False  # a script must say --switch
    change = describe_switch(state.app.store, previous, record, company,
                             SyncMode.REPLACE if replace else SyncMode.SINCE, since)
    return click.confirm(f"{target.name} is linked to another source; switch it {change}?", default=False)


@click.command()
@click.argument("dossier")
@click.option("--connection", required=True,
              help="Connection id, label or connector; a dossier-level package (xero) runs its login here.")
@click.option("--company", help="The company: its ref, or a unique code or name (see `sfsync companies`).")
@click.option("--reference", help="On-premise: the dossier's folder name on the server.")
@click.option("--since", help="Sync from this date (the first day of a fiscal year).")
@click.option("--replace", is_flag=True, help="Replace all data by the package's.")
@click.option("--trial-balance", is_flag=True, help="Bring trial-balance totals instead of transactions.")
@click.option("--details", is_flag=True,
              help="The administrative link: the company's master data only, beside the accounting link.")
@click.option("--first-year-end", help="Override the end of the first fiscal year (a long or short first year).")
@click.option("--fiscal-years", "fiscal_years_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Override every fiscal year: a file of start,end[,label] lines (or a JSON list).")
@click.option("--switch", is_flag=True,
              help="Switch a dossier linked to another connection or company to this one (its data is replaced "
                   "from the date, or for the years the new source covers).")
@click.option("--no-sync", is_flag=True, help="Do not start the first sync (the dossier is then due at once).")
@oauth_options
@json_option
@pass_state
def link(state: State, dossier: str, connection: str, company: str | None, reference: str | None, since: str | None,
         replace: bool, trial_balance: bool, details: bool, first_year_end: str | None,
         fiscal_years_file: Path | None, switch: bool, no_sync: bool, client_id: str | None,
         client_secret: str | None, port: int, paste: bool | None, login_timeout: int, as_json: bool) -> None:
    """Link a dossier (created if new, and only if the link succeeds) to a company, then start its
    first sync. The API's ``link`` does not sync; this command does, unless --no-sync."""
    from sfsync.errors import ConfigurationError
    from sfsync.fiscal_years import effective_years, read_fiscal_years_file
    from sfsync.models import Granularity, SyncMode
    from sfsync.provisional import provisional_dossier

    actor = state.user()
    ref = company or reference
    if not ref:
        raise ConfigurationError("say which company: --company REF (or --reference FOLDER for on-premise)")
    if not details and (since is None) == (not replace):
        raise ConfigurationError("choose one of --since DATE or --replace")
    with provisional_dossier(state.app, actor, dossier) as target:
        record = _connection_for(state, actor, connection, target, client_id=client_id, client_secret=client_secret,
                                 port=port, paste=paste, timeout=login_timeout)
        if details:
            saved = run_coroutine(state.app.link(actor, target.id, record.id, ref, granularity=Granularity.DETAILS))
        else:
            chosen = run_coroutine(state.app.find_company(actor, record.id, ref))
            switch = switch or _confirm_switch(state, target, record, chosen.ref, parse_date(since), replace)
            saved = run_coroutine(state.app.link(
                actor, target.id, record.id, chosen.ref, mode=SyncMode.REPLACE if replace else SyncMode.SINCE,
                since=parse_date(since), granularity=Granularity.TRIAL_BALANCE if trial_balance else None,
                first_year_end=parse_date(first_year_end),
                fiscal_years=read_fiscal_years_file(fiscal_years_file) if fiscal_years_file else None, switch=switch,
            ))
    years = [] if details else effective_years(
        run_coroutine(state.app.fiscal_years(actor, record.id, saved.company_ref)),
        override=saved.fiscal_years_override, first_year_end=saved.first_year_end)
    document = {"link": link_row(target, record, saved), "fiscal_years": [
        {"label": y.label, "start": y.start, "end": y.end, "closed": y.closed} for y in years]}
    if not as_json:
        _print_link(target, record, saved, years)
    if no_sync:
        if as_json:
            emit_json("link", **document, runs=[])
        return
    sync_and_report(state, [target.id], as_json=as_json, json_extra=document, json_kind="link")


def link_row(target: DossierRecord, record: ConnectionRecord, saved: LinkRecord) -> dict[str, object]:
    """A link as a ``--json`` row."""
    return {"dossier": target.name, "dossier_id": target.id, "connection_id": record.id,
            "connector": record.connector, "company_ref": saved.company_ref, "company_name": saved.company_name,
            "mode": saved.mode.value, "since": saved.since, "granularity": saved.granularity.value}


def _print_link(target: DossierRecord, record: ConnectionRecord, saved: LinkRecord, years: list[FiscalYear]) -> None:
    from sfsync.models import Granularity

    if saved.granularity is Granularity.DETAILS:
        say(f"linked {target.name} to {saved.company_name or saved.company_ref} for its company details "
            f"({record.connector})")
        return
    shown = table("fiscal year", "start", "end", "closed")
    for year in years:
        shown.add_row(year.label, year.start.isoformat(), year.end.isoformat(), "yes" if year.closed else "")
    console().print(shown)
    first_end = saved.first_year_end or (years[0].end if years else None)
    say(f"linked {target.name} to {saved.company_name or saved.company_ref} ({saved.mode.value}, "
        f"{saved.granularity.value}); first fiscal year ends {first_end}")


@click.command()
@click.argument("dossier")
@click.option("--details", is_flag=True, help="Remove the administrative link instead.")
@click.option("--yes", is_flag=True, help="Confirm removing the dossier's own login (dossier-level packages).")
@pass_state
def unlink(state: State, dossier: str, details: bool, yes: bool) -> None:
    """Stop syncing a dossier (back to manual import); what was synced stays. A dossier's own login
    goes with it."""
    from sfsync.errors import ConfigurationError

    actor = state.user()
    target = state.app.dossier(actor, dossier)
    current = state.app.store.get_link(target.id)
    owned = [c for c in state.app.dossier_connections(actor, target.id) if current and c.id == current.connection_id]
    if owned and not details and not yes:
        yes = click.confirm(f"this removes {target.name}'s own {owned[0].connector} login too; go on?", default=False)
        if not yes:
            raise ConfigurationError(f"{target.name} stays linked")
    state.app.unlink(actor, target.id, administrative=details, remove_connection=yes)
    say(f"{target.name} unlinked" + (" (administrative link)" if details else "")
        + "; `sfsync import` now loads files into it")


@click.group()
def dossier() -> None:
    """The firm's dossiers."""


@dossier.command("list")
@json_option
@pass_state
def dossier_list(state: State, as_json: bool) -> None:
    """Every dossier of the firm and what it syncs from."""
    rows = []
    for item in state.app.status(state.user()):
        chosen = item.link or item.admin_link
        rows.append({"dossier": item.dossier.name, "dossier_id": item.dossier.id, "connector": item.connector,
                     "company_name": chosen.company_name if chosen else None, "granularity": item.granularity})
    if as_json:
        emit_json("dossiers", dossiers=rows)
        return
    shown = table("dossier", "id", "connector", "company", "syncs")
    for row in rows:
        shown.add_row(row["dossier"], row["dossier_id"], row["connector"] or "", row["company_name"] or "",
                      row["granularity"])
    console().print(shown)


@dossier.command("delete")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask.")
@pass_state
def dossier_delete(state: State, name: str, yes: bool) -> None:
    """Delete a dossier with all its data, runs and links (admins only; connections stay)."""
    from sfsync.errors import ConfigurationError

    actor = state.user()
    target = state.app.dossier(actor, name)
    if not yes and not click.confirm(f"delete {target.name} and everything stored for it?", default=False):
        raise ConfigurationError(f"{target.name} stays")
    state.app.delete_dossier(actor, target.id)
    say(f"{target.name} deleted")

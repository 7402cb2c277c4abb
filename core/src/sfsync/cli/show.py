"""``sfsync show``: a dossier's figures (trial balance, ledger) or its company details."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import click

from sfsync.cli.output import console, emit_json, json_option, say, table
from sfsync.cli.state import State, pass_state

if TYPE_CHECKING:
    from sfsync.store.base import DossierRecord, User

__all__ = ["show"]


def _span(state: State, target: DossierRecord, year: int | None, period: int | None) -> tuple[dt.date, dt.date] | None:
    from sfsync.errors import ConfigurationError, NotFound
    from sfsync.fiscal_years import monthly_periods

    years = state.app.store.fiscal_years(target.id)
    chosen = next((y for y in years if y.end.year == year), None) if year else None
    if year and chosen is None:
        raise NotFound(f"dossier {target.name} has no fiscal year ending in {year}; it has "
                       + (", ".join(str(y.end.year) for y in years) or "none"))
    span = (chosen.start, chosen.end) if chosen else None
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
    return span


def _verdict(debit: Decimal, credit: Decimal) -> str:
    return "balanced" if debit == credit else f"off by {debit - credit:,.2f}"


@click.command()
@click.argument("dossier")
@click.option("--year", type=int, help="Only the fiscal year ending in this year.")
@click.option("--period", type=int, help="With --year: only this booking period of the year.")
@click.option("--trial-balance", "view", flag_value="tb", help="Show the trial balance by account and period.")
@click.option("--ledger", "view", flag_value="ledger", help="Show ledger lines.")
@click.option("--limit", default=50, show_default=True, help="Ledger lines to show.")
@click.option("--details", "view", flag_value="details", help="Show the company's administrative data.")
@json_option
@pass_state
def show(state: State, dossier: str, year: int | None, period: int | None, view: str | None, limit: int,
         as_json: bool) -> None:
    """The synced figures, with totals that show debits equal credits (or, with --details, the
    company's administrative data).

    A line counts in its booking period when the package gives one, by its date otherwise. The
    trial balance of a dossier that syncs transactions is computed from its lines."""
    actor = state.user()
    target = state.app.dossier(actor, dossier)
    if view == "details":
        _show_details(state, actor, target, as_json)
        return
    span = _span(state, target, year, period)
    start, end = span if span else (None, None)
    if view == "tb" or (view is None and not state.app.store.count_ledger_lines(target.id)):
        _show_trial_balance(state, actor, target, start, end, as_json)
    else:
        _show_ledger(state, target, start, end, limit, as_json)


def _show_trial_balance(state: State, actor: User, target: DossierRecord, start: dt.date | None,
                        end: dt.date | None, as_json: bool) -> None:
    from sfsync.trial_balance_view import totals

    rows = state.app.trial_balance(actor, target.id, start=start, end=end)
    debit, credit = totals(rows)
    if as_json:
        emit_json("trial_balance", dossier=target.name, rows=[
            {"account": r.account, "account_name": r.account_name, "period_start": r.period_start,
             "period_end": r.period_end, "period": r.period, "fiscal_year": r.fiscal_year, "opening": r.opening,
             "debit": r.debit, "credit": r.credit, "closing": r.closing, "source": r.source} for r in rows],
            total_debit=debit, total_credit=credit, balanced=debit == credit)
        return
    shown = table("account", "name", "period end", "opening", "debit", "credit", "closing")
    for r in rows:
        shown.add_row(r.account, r.account_name[:30], r.period_end.isoformat(), f"{r.opening:,.2f}",
                      f"{r.debit:,.2f}", f"{r.credit:,.2f}", f"{r.closing:,.2f}")
    console().print(shown)
    if not rows:
        say(f"{target.name} has no figures here yet: `sfsync sync {target.name}` or `sfsync import`")
        return
    computed = " (computed from the ledger lines)" if rows[0].source == "lines" else ""
    say(f"total debit {debit:,.2f}  total credit {credit:,.2f}  {_verdict(debit, credit)}{computed}")


def _show_ledger(state: State, target: DossierRecord, start: dt.date | None, end: dt.date | None, limit: int,
                 as_json: bool) -> None:
    debit = credit = Decimal(0)
    rows: list[dict[str, Any]] = []
    shown = table("date", "period", "journal", "entry", "account", "description", "debit", "credit")
    for count, line in enumerate(state.app.store.ledger_lines(target.id, start=start, end=end)):
        debit += line.debit
        credit += line.credit
        if count >= limit:
            continue
        if as_json:
            rows.append({"id": line.id, "date": line.date, "period": line.period, "journal": line.journal,
                         "entry": line.entry, "account": line.account, "description": line.description,
                         "debit": line.debit, "credit": line.credit})
        else:
            shown.add_row(line.date.isoformat(), str(line.period or ""), line.journal or "", line.entry,
                          line.account, line.description[:40], f"{line.debit:,.2f}", f"{line.credit:,.2f}")
    if as_json:
        emit_json("ledger", dossier=target.name, lines=rows, total_debit=debit, total_credit=credit,
                  balanced=debit == credit)
        return
    console().print(shown)
    say(f"total debit {debit:,.2f}  total credit {credit:,.2f}  {_verdict(debit, credit)}")


def _show_details(state: State, actor: User, target: DossierRecord, as_json: bool) -> None:
    from sfsync.errors import NotFound

    kept = state.app.company_details(actor, target.id)
    if kept is None:
        raise NotFound(f"dossier {target.name} has no company details yet: sync it (its connector must bring them)")
    details = kept.details
    try:
        source = state.app.store.get_connection(kept.source).connector
    except NotFound:
        source = kept.source
    versions = len(state.app.company_details_history(actor, target.id))
    if as_json:
        emit_json("details", dossier=target.name, details=details.model_dump(mode="json"), source=source,
                  fetched_at=kept.fetched_at, versions=versions)
        return
    address = ", ".join(p for p in (details.street, " ".join(filter(None, (details.postal_code, details.city))),
                                    details.country) if p)
    shown = table("field", "value", title=f"{target.name}: company details", show_header=False)
    for label, value in (
        ("legal name", details.name), ("legal form", details.legal_form), ("VAT number", details.vat_number),
        ("enterprise number", details.enterprise_number), ("registered address", address or None),
        ("e-mail", details.email), ("phone", details.phone), ("fiscal year ends", details.fiscal_year_end),
        ("started", details.start_date.isoformat() if details.start_date else None),
    ):
        shown.add_row(label, value or "")
    console().print(shown)
    if details.people:
        people = table("person", "role", "e-mail", "phone")
        for person in details.people:
            people.add_row(person.name, person.role or "", person.email or "", person.phone or "")
        console().print(people)
    say(f"from {source}, {kept.fetched_at:%Y-%m-%d %H:%M}; {versions} version(s) kept")

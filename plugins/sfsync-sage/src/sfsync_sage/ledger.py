"""The ledger, the trial balance and opening balances from Sage.

**Ledger** (``/ledger_entries``): a first sync reads every entry (``from_date`` = the *since*
date), 200 a page; later syncs read only what changed, with ``updated_or_created_since`` (which
Sage applies inclusively) set ten minutes before the previous pass started, so an entry changed
while that pass ran, or stamped by a Sage clock a little behind ours, is read again rather than
missed. The cursor keeps the ``updated_at`` of the entries that pass saw in that window, and
entries unchanged since are left out: an unchanged night costs one request and reads nothing.
If ``$total`` moved while a pass paged (offsets shifted under it), the next pass reads the same
window again. Sage keeps a voided transaction's entries with ``deleted: true`` and a new
``updated_at``: they arrive through the same filter and become deletions. A pass resumes at its
page after a crash (the cursor holds the pass and the page).

**Trial balance** (Reporting API ``/trial_balance?from_date&to_date``, one call per month):
closed years are read once; open years are read again only when ``/ledger_entries`` shows an
entry changed since the previous pass began (one request on a quiet night: the same window of
changes as the pass saw, with the same ``updated_at``s).

**Opening balances**: at ``accounts_start_date`` they are the opening balance journal; at a later
year start, the trial balance's opening column for balance-sheet accounts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

from pydantic import ValidationError
from sfsync.context import ConnectorContext
from sfsync.errors import MalformedResponse
from sfsync.models import (
    AccountKind,
    Company,
    FiscalYear,
    LedgerBatch,
    LedgerColumns,
    OpeningBalance,
    TrialBalanceBatch,
    TrialBalanceLine,
)

from sfsync_sage.client import SageClient
from sfsync_sage.facts import TRIAL_BALANCE_PATH
from sfsync_sage.mapping import account_code, amount, nominal_code, to_account

__all__ = ["CHANGE_MARGIN", "history_stamp", "ledger_batches", "opening_balances", "read_chart", "trial_balance_batches"]

CHANGE_MARGIN = dt.timedelta(minutes=10)
"""How far before a pass's start the next pass looks for changes (clock skew and entries written
while the pass ran)."""

ENTRY_ATTRIBUTES = "date,debit,credit,ledger_account,transaction,contact,deleted,description,journal_code,updated_at"
CHART_ATTRIBUTES = "name,nominal_code,ledger_account_type"


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def read_chart(client: SageClient, company: Company) -> dict[str, Any]:
    """The business's ledger accounts by id (read once per run)."""
    chart = client.charts.get(company.ref)
    if chart is None:
        items = await client.all("ledger_accounts", {"attributes": CHART_ATTRIBUTES}, business=company.ref)
        chart = client.charts[company.ref] = {str(item["id"]): item for item in items}
    return chart


def _year_of(years: list[FiscalYear], day: dt.date) -> FiscalYear | None:
    return next((y for y in years if y.contains(day)), None)


def _record(item: dict[str, Any], chart: dict[str, Any], years: list[FiscalYear]) -> dict[str, Any]:
    ident = str(item.get("id") or "")
    try:
        account_id = str(item["ledger_account"]["id"])
        transaction = str(item["transaction"]["id"])
        day = dt.date.fromisoformat(str(item["date"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise MalformedResponse(f"Sage's ledger entry {ident or '(no id)'} lacks a ledger account, transaction or date ({exc})") from exc
    account = chart.get(account_id)
    if account is None:
        raise MalformedResponse(f"Sage's ledger entry {ident} books on ledger account {account_id}, which /ledger_accounts does not list")
    year = _year_of(years, day)
    period = next((p.number for p in year.periods if p.start <= day <= p.end), None) if year else None
    journal = item.get("journal_code") or {}
    contact = item.get("contact") or {}
    return {
        "id": ident,
        "entry": transaction,
        "journal": journal.get("displayed_as") if isinstance(journal, dict) else None,
        "date": day.isoformat(),
        "period": period,
        "fiscal_year": year.label if year else None,
        "account": account_code(account),
        "description": str(item.get("description") or item.get("displayed_as") or ""),
        "debit": amount(item.get("debit", 0), f"debit of ledger entry {ident}"),
        "credit": amount(item.get("credit", 0), f"credit of ledger entry {ident}"),
        "counterparty": contact.get("displayed_as") if isinstance(contact, dict) else None,
        "modified": _stamp(item["updated_at"], f"updated_at of ledger entry {ident}") if item.get("updated_at") else None,
    }


def _stamp(value: Any, what: str = "a change stamp") -> dt.datetime:
    if not isinstance(value, str):
        raise MalformedResponse(f"Sage sent {what} {value!r}, which is not a time")
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise MalformedResponse(f"Sage sent {what} {value!r}, which is not a time") from exc


def _recent(items: list[dict[str, Any]], since: dt.datetime) -> dict[str, str]:
    """(id → updated_at) of the items changed on or after ``since``."""
    return {str(i["id"]): str(i["updated_at"]) for i in items if i.get("updated_at") and _stamp(i["updated_at"]) >= since}


async def ledger_batches(
    ctx: ConnectorContext,
    client: SageClient,
    company: Company,
    since: dt.date | None,
    cursor: str | None,
    years: list[FiscalYear],
) -> AsyncIterator[LedgerBatch]:
    state: dict[str, Any] = json.loads(cursor) if cursor else {"since": None, "known": {}, "pass": None}
    known: dict[str, str] = state.get("known") or {}
    chart = await read_chart(client, company)
    started = ctx.clock.now()
    current = state.get("pass") or {
        "since": state.get("since"), "started": _iso(started), "page": 1, "total": None, "seen": {},
    }
    next_since = _stamp(current["started"]) - CHANGE_MARGIN
    params = {"attributes": ENTRY_ATTRIBUTES, "page": str(current["page"])}
    if current["since"]:
        params["updated_or_created_since"] = current["since"]
    if since is not None:
        params["from_date"] = since.isoformat()
    async for page in client.pages("ledger_entries", params, business=company.ref):
        # Sage's filter is inclusive and looks back CHANGE_MARGIN: what the previous pass read
        # unchanged since is left out, so an unchanged night reads nothing.
        items = [i for i in page["$items"] if known.get(str(i.get("id"))) != i.get("updated_at")]
        deleted = [str(i["id"]) for i in items if i.get("deleted") is True]
        live = [_record(i, chart, years) for i in items if i.get("deleted") is not True]
        seen = {**current["seen"], **_recent(page["$items"], next_since)}
        total = page.get("$total") if current["total"] is None else current["total"]
        if page.get("$next"):
            current = {**current, "page": int(page.get("$page") or current["page"]) + 1, "total": total, "seen": seen}
            state = {**state, "pass": current}
        elif page.get("$total") == total:
            state = {"since": _iso(next_since), "known": seen, "pass": None}
        else:
            # Entries changed while the pass paged (offsets moved): read the same window again
            # next time rather than risk an entry that slid past a page boundary.
            state = {"since": current["since"], "known": {**known, **seen}, "pass": None}
        yield LedgerBatch(lines=LedgerColumns.from_records(live), deleted=deleted, cursor=json.dumps(state))


async def _window(client: SageClient, company: Company, since: str) -> tuple[dict[str, str], bool]:
    """The entries changed since ``since`` (id → updated_at), from one page of 200; and whether
    that page held them all."""
    body = await client.get(
        "ledger_entries", {"updated_or_created_since": since, "items_per_page": "200", "attributes": "updated_at"},
        business=company.ref,
    )
    items = body.get("$items", []) if isinstance(body, dict) else []
    complete = isinstance(body, dict) and body.get("$total") == len(items)
    return {str(i["id"]): str(i.get("updated_at")) for i in items}, complete


def _net(side: Any, what: str) -> Decimal:
    if not isinstance(side, dict):
        raise MalformedResponse(f"Sage's trial balance has no {what}")
    return amount(side.get("debit", "0"), what) - amount(side.get("credit", "0"), what)


async def trial_balance_batches(
    ctx: ConnectorContext,
    client: SageClient,
    company: Company,
    fiscal_years: list[FiscalYear],
    cursor: str | None,
) -> AsyncIterator[TrialBalanceBatch]:
    state: dict[str, Any] = json.loads(cursor) if cursor else {"done": [], "since": None, "known": {}, "pass": None}
    done = set(state["done"])
    current = state.get("pass")
    if current is None:
        if state.get("since") and all(y.label in done for y in fiscal_years):
            window, complete = await _window(client, company, state["since"])
            if complete and window == state.get("known"):
                return  # a quiet night: one request
        # What changed shortly before this pass is read by it: the next night's look at the same
        # window tells a later change from these by their updated_at.
        since = _iso(ctx.clock.now() - CHANGE_MARGIN)
        window, complete = await _window(client, company, since)
        current = {"since": since, "known": window if complete else {"": "more than a page"}, "read": []}
    finished = False
    for index, year in enumerate(fiscal_years):
        if year.label in current["read"] or (year.closed and year.label in done):
            continue
        lines = []
        for period in year.periods or ():
            body = await client.get(
                TRIAL_BALANCE_PATH.lstrip("/"),
                {"from_date": period.start.isoformat(), "to_date": period.end.isoformat()},
                business=company.ref,
            )
            for row in body.get("ledger_accounts", []) if isinstance(body, dict) else []:
                code = nominal_code(row.get("nominal_code"), "a trial-balance row")
                try:
                    lines.append(TrialBalanceLine(
                        account=code, period_start=period.start, period_end=period.end, period=period.number,
                        fiscal_year=year.label, opening=_net(row.get("opening_balance"), f"opening balance of {code}"),
                        debit=amount(row.get("debit", "0"), f"debit of {code}"),
                        credit=amount(row.get("credit", "0"), f"credit of {code}"),
                        closing=_net(row.get("closing_balance"), f"closing balance of {code}"),
                    ))
                except ValidationError as exc:
                    raise MalformedResponse(
                        f"Sage's trial balance for account {code!r}, {period.start} to {period.end}, does not add up: "
                        f"{exc.errors()[0]['msg']}"
                    ) from exc
        done.add(year.label)
        current = {**current, "read": [*current["read"], year.label]}
        if index == len(fiscal_years) - 1:
            finished = True
            state = {"done": sorted(done), "since": current["since"], "known": current["known"], "pass": None}
        else:
            state = {**state, "done": sorted(done), "pass": current}
        yield TrialBalanceBatch(lines=lines, clear=(year.start, year.end), cursor=json.dumps(state))
    if not finished:
        # The last years were skipped (closed and done): close the pass with nothing to write.
        state = {"done": sorted(done), "since": current["since"], "known": current["known"], "pass": None}
        yield TrialBalanceBatch(cursor=json.dumps(state))


async def opening_balances(
    client: SageClient, company: Company, at: dt.date, accounts_start: dt.date
) -> list[OpeningBalance]:
    chart = await read_chart(client, company)
    balances: dict[str, Decimal] = {}
    if at <= accounts_start:
        for journal in await client.all("opening_balance_journals", {"attributes": "all"}, business=company.ref):
            for line in journal.get("journal_lines") or []:
                account = chart.get(str((line.get("ledger_account") or {}).get("id")))
                if account is None:
                    raise MalformedResponse("Sage's opening balance journal books on an account /ledger_accounts does not list")
                code = account_code(account)
                balances[code] = balances.get(code, Decimal(0)) + amount(line.get("debit", 0), "opening debit") - amount(
                    line.get("credit", 0), "opening credit")
    else:
        body = await client.get(TRIAL_BALANCE_PATH.lstrip("/"), {"from_date": at.isoformat(), "to_date": at.isoformat()},
                                business=company.ref)
        kinds = {account_code(a): to_account(a).kind for a in chart.values()}
        for row in body.get("ledger_accounts", []) if isinstance(body, dict) else []:
            code = nominal_code(row.get("nominal_code"), "a trial-balance row")
            if kinds.get(code) is AccountKind.BALANCE_SHEET:
                balances[code] = _net(row.get("opening_balance"), f"opening balance of {code}")
    return [OpeningBalance(account=code, date=at, amount=value) for code, value in sorted(balances.items()) if value]


async def history_stamp(client: SageClient, company: Company, before: dt.date) -> str | None:
    """A digest of every account's opening balance at ``before`` from one Trial Balance call
    (``from_date`` = ``to_date`` = the day): the ledger of a since link is read with
    ``from_date`` set, so an entry changed before the date shows only here."""
    body = await client.get(TRIAL_BALANCE_PATH.lstrip("/"), {"from_date": before.isoformat(), "to_date": before.isoformat()},
                            business=company.ref)
    rows = body.get("ledger_accounts") if isinstance(body, dict) else None
    if not isinstance(rows, list):
        return None
    text = "\n".join(sorted(f"{r.get('nominal_code')}|{r.get('opening_balance')}" for r in rows if isinstance(r, dict)))
    return hashlib.sha256(text.encode()).hexdigest()[:32]

"""The general ledger, the trial balance and opening balances from Business Central.

**Ledger** (``generalLedgerEntries``). A first pass reads every entry (``postingDate ge`` the
link's *since* date) in entry-number order, a page at a time, resuming after a crash from the
last entry number committed (``entryNumber gt N``). Later passes read only what changed:
``lastModifiedDateTime gt`` the previous pass's start less ten minutes (clock skew, entries
written while it ran); entries seen in that margin with the same stamp are left out, so an
unchanged night reads nothing.

**Deletions.** The API has no tombstones: a deleted G/L entry simply stops being served. So each
pass reconciles cheaply, in two steps:

1. *entry count*: one request, ``$count=true&$top=0`` over the synced range, against the number of
   entries the dossier holds (kept in the cursor, with each new entry counted once by its entry
   number: Business Central numbers rise, an entry at or below the highest seen is an edit);
2. only when the count differs, *totals*: the trial balance of each fiscal year in the range, then
   of each period of the years whose totals moved, against the debit and credit per account and
   period the cursor keeps; each period whose totals moved is read again whole and replaces what
   the dossier holds for it (``clear``). A reversed entry needs none of this: the reversal's
   entries are new and arrive through the change filter, the original keeps its place.

**Trial balance** (``trialBalances`` with ``dateFilter`` bounds: movements in the range and the
balance at its end): one request per period; closed years once; later passes read again only the
periods of changed entries, or every open year when the entry count moved.

**Opening balances** at a date: the balance-sheet accounts' ``balanceAtDate`` the day before.
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
    FiscalYear,
    LedgerBatch,
    LedgerColumns,
    OpeningBalance,
    TrialBalanceBatch,
    TrialBalanceLine,
)
from sfsync.odata import ODataQuery, filter_and, literal

from sfsync_businesscentral.client import ODataClient
from sfsync_businesscentral.mapping import amount, day, stamp

__all__ = ["CHANGE_MARGIN", "Scope", "history_stamp", "ledger_batches", "opening_balances", "trial_balance_batches"]

CHANGE_MARGIN = dt.timedelta(minutes=10)
ENTRY_FIELDS = ("id", "entryNumber", "postingDate", "documentNumber", "documentType", "accountNumber", "description",
                "debitAmount", "creditAmount", "additionalCurrencyDebitAmount", "additionalCurrencyCreditAmount",
                "lastModifiedDateTime")
CHANGE_FIELDS = ("id", "entryNumber", "postingDate", "lastModifiedDateTime")


class Scope:
    """What the ledger reads for one company: its service, its collections' paths and the
    names the connector (BoCount's assumed ones included) gives them."""

    def __init__(self, client: ODataClient, company_path: str, sets: dict[str, str]) -> None:
        self.client, self.company_path, self.sets = client, company_path, sets
        self._acy: str | bool | None = False

    def path(self, name: str) -> str:
        """The path of one of the company's collections (by its standard name)."""
        return f"{self.company_path}/{self.sets[name]}"

    async def reporting_currency(self) -> str | None:
        """The company's additional reporting currency (read once, when an entry has amounts in it)."""
        if self._acy is False:
            rows = await self.client.all(self.path("generalLedgerSetup"))
            code = str(rows[0].get("additionalReportingCurrency") or "") if rows else ""
            self._acy = code or None
        return self._acy if isinstance(self._acy, str) else None


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _place(years: list[FiscalYear], when: dt.date) -> tuple[FiscalYear, int] | None:
    for year in years:
        if year.contains(when):
            number = next((p.number for p in year.periods if p.start <= when <= p.end), None)
            return (year, number) if number is not None else None
    return None


def _period_key(years: list[FiscalYear], when: dt.date) -> str:
    place = _place(years, when)
    if place is None:
        return f"outside:{when.year}"
    year, number = place
    return year.periods[number - 1].start.isoformat()


async def _record(scope: Scope, item: dict[str, Any], years: list[FiscalYear]) -> dict[str, Any]:
    ident = str(item.get("id") or "")
    if not ident or item.get("accountNumber") in (None, ""):
        raise MalformedResponse(f"Business Central's G/L entry {ident or '(no id)'} has no id or account number")
    when = day(item.get("postingDate"), f"the postingDate of G/L entry {ident}")
    place = _place(years, when)
    acy_debit = amount(item.get("additionalCurrencyDebitAmount", 0), f"additionalCurrencyDebitAmount of {ident}")
    acy_credit = amount(item.get("additionalCurrencyCreditAmount", 0), f"additionalCurrencyCreditAmount of {ident}")
    currency = await scope.reporting_currency() if (acy_debit or acy_credit) else None
    number = item.get("entryNumber")
    return {
        "id": ident,
        "entry": str(item.get("documentNumber") or f"entry-{number}"),
        "journal": str(item.get("documentType") or "").replace("_x0020_", " ").strip() or None,
        "date": when.isoformat(),
        "period": place[1] if place else None,
        "fiscal_year": place[0].label if place else None,
        "account": str(item["accountNumber"]),
        "description": str(item.get("description") or ""),
        "debit": amount(item.get("debitAmount", 0), f"debitAmount of G/L entry {ident}"),
        "credit": amount(item.get("creditAmount", 0), f"creditAmount of G/L entry {ident}"),
        "currency": currency,
        "foreign_amount": (acy_debit - acy_credit) if currency else None,
        "modified": stamp(item["lastModifiedDateTime"], "lastModifiedDateTime") if item.get("lastModifiedDateTime") else None,
    }


def _add(totals: dict[str, dict[str, list[str]]], key: str, account: str, debit: Decimal, credit: Decimal) -> None:
    period = totals.setdefault(key, {})
    old = period.get(account, ["0", "0"])
    period[account] = [str(Decimal(old[0]) + debit), str(Decimal(old[1]) + credit)]


def _range_filter(since: dt.date | None, start: dt.date | None = None, end: dt.date | None = None) -> str | None:
    low = max(d for d in (since, start) if d is not None) if (since or start) else None
    return filter_and(f"postingDate ge {literal(low)}" if low else None, f"postingDate le {literal(end)}" if end else None)


async def _count(scope: Scope, since: dt.date | None) -> int:
    body = await scope.client.get(scope.path("generalLedgerEntries"), ODataQuery(
        filter=_range_filter(since), top=0, extra=(("$count", "true"),)).params())
    count = body.get("@odata.count") if isinstance(body, dict) else None
    if not isinstance(count, int):
        raise MalformedResponse("Business Central answered $count=true without @odata.count")
    return count


async def _changes(scope: Scope, state: dict[str, Any], since: dt.date | None, fields: tuple[str, ...],
                   started: dt.datetime) -> AsyncIterator[tuple[list[dict[str, Any]], dict[str, str]]]:
    """The entries changed since the previous pass, page by page, without those it saw with the
    same stamp; with the (id → stamp) of those this pass must remember for the next."""
    known: dict[str, str] = state.get("known") or {}
    next_since = started - CHANGE_MARGIN
    clause = f"lastModifiedDateTime gt {literal(stamp(state['since'], 'the cursor'))}"
    query = ODataQuery(filter=filter_and(clause, _range_filter(since)), select=fields)
    async for page in scope.client.pages(scope.path("generalLedgerEntries"), query):
        fresh = [i for i in page.value if known.get(str(i.get("id"))) != i.get("lastModifiedDateTime")]
        recent = {str(i["id"]): str(i["lastModifiedDateTime"]) for i in page.value
                  if i.get("lastModifiedDateTime") and stamp(i["lastModifiedDateTime"], "lastModifiedDateTime") >= next_since}
        yield fresh, recent


async def _tb(scope: Scope, start: dt.date | None, end: dt.date) -> list[dict[str, Any]]:
    clause = filter_and(f"dateFilter ge {literal(start)}" if start else None, f"dateFilter le {literal(end)}")
    return await scope.client.all(scope.path("trialBalances"), ODataQuery(filter=clause))


def _tb_totals(rows: list[dict[str, Any]]) -> dict[str, tuple[Decimal, Decimal]]:
    out = {}
    for row in rows:
        d, c = amount(row.get("totalDebit"), "totalDebit"), amount(row.get("totalCredit"), "totalCredit")
        if d or c:
            out[str(row.get("number"))] = (d, c)
    return out


def _held(totals: dict[str, dict[str, list[str]]], keys: list[str]) -> dict[str, tuple[Decimal, Decimal]]:
    out: dict[str, tuple[Decimal, Decimal]] = {}
    for key in keys:
        for account, (d, c) in totals.get(key, {}).items():
            old = out.get(account, (Decimal(0), Decimal(0)))
            out[account] = (old[0] + Decimal(d), old[1] + Decimal(c))
    return {a: v for a, v in out.items() if v[0] or v[1]}


async def _moved_periods(scope: Scope, years: list[FiscalYear], since: dt.date | None,
                         totals: dict[str, dict[str, list[str]]]) -> list[tuple[dt.date, dt.date]]:
    """The periods (in the synced range) whose totals differ from the package's trial balance:
    a year's trial balance first, then its periods only when the year moved."""
    moved = []
    for year in years:
        if since is not None and year.end < since:
            continue
        periods = [p for p in year.periods if since is None or p.start >= since]
        keys = [p.start.isoformat() for p in periods]
        if _tb_totals(await _tb(scope, periods[0].start, year.end)) == _held(totals, keys):
            continue
        for period in periods:
            if _tb_totals(await _tb(scope, period.start, period.end)) != _held(totals, [period.start.isoformat()]):
                moved.append((period.start, period.end))
    return moved


async def ledger_batches(
    ctx: ConnectorContext, scope: Scope, since: dt.date | None, cursor: str | None, years: list[FiscalYear],
) -> AsyncIterator[LedgerBatch]:
    """The ledger's batches (see the module docstring)."""
    state: dict[str, Any] = json.loads(cursor) if cursor else {}
    totals: dict[str, dict[str, list[str]]] = state.get("totals") or {}
    started = ctx.clock.now()
    current = state.get("pass") or {"started": _iso(started), "stage": "full" if not state.get("since") else "changes",
                                    "after": 0, "seen": {}}
    started = stamp(current["started"], "the cursor")
    max_number, count = int(state.get("max_number", 0)), int(state.get("count", 0))

    def saved(**changes: Any) -> str:
        return json.dumps({**state, "totals": totals, "max_number": max_number, "count": count, **changes})

    if current["stage"] == "full":
        seen_full: dict[str, str] = dict(current.get("seen") or {})
        query = ODataQuery(filter=filter_and(_range_filter(since), f"entryNumber gt {int(current['after'])}"),
                           select=ENTRY_FIELDS)
        async for page in scope.client.pages(scope.path("generalLedgerEntries"), query):
            records = [await _record(scope, i, years) for i in page.value]
            for item, record in zip(page.value, records, strict=True):
                _add(totals, _period_key(years, day(record["date"], "postingDate")), record["account"],
                     record["debit"], record["credit"])
                max_number = max(max_number, int(item.get("entryNumber") or 0))
                if record["modified"] is not None and record["modified"] >= started - CHANGE_MARGIN:
                    seen_full[record["id"]] = str(item["lastModifiedDateTime"])
            count += len(records)
            current = {**current, "after": max_number, "seen": seen_full}
            yield LedgerBatch(lines=LedgerColumns.from_records(records), cursor=saved(**{"pass": current}))
        # What changed shortly before this read began is looked at again next night, and left out
        # when its stamp is the one this read saw.
        state = {**state, "since": _iso(started - CHANGE_MARGIN), "known": seen_full}
        current = {**current, "stage": "count"}
    if current["stage"] == "changes":
        seen: dict[str, str] = dict(current.get("seen") or {})
        async for fresh, recent in _changes(scope, state, since, ENTRY_FIELDS, started):
            records = [await _record(scope, i, years) for i in fresh]
            for item, record in zip(fresh, records, strict=True):
                number = int(item.get("entryNumber") or 0)
                if number > max_number:  # new: counted once; an edit keeps its amounts
                    _add(totals, _period_key(years, day(record["date"], "postingDate")), record["account"],
                          record["debit"], record["credit"])
                    count += 1
            max_number = max([max_number, *(int(i.get("entryNumber") or 0) for i in fresh)])
            seen.update(recent)
            current = {**current, "seen": seen}
            if records:
                yield LedgerBatch(lines=LedgerColumns.from_records(records), cursor=saved(**{"pass": current}))
        state = {**state, "since": _iso(started - CHANGE_MARGIN), "known": seen}
        current = {**current, "stage": "count"}
    if current["stage"] == "count":
        held = await _count(scope, since)
        moved = [] if held == count else await _moved_periods(scope, years, since, totals)
        # After a reconciliation the package's count is the one held: the moved periods are read
        # again below, and a difference no period's totals show would otherwise be looked for
        # every night.
        count = held
        current = {**current, "stage": "reread", "moved": [[s.isoformat(), e.isoformat()] for s, e in moved]}
    for start_text, end_text in list(current.get("moved") or []):
        start, end = dt.date.fromisoformat(start_text), dt.date.fromisoformat(end_text)
        query = ODataQuery(filter=_range_filter(since, start, end), select=ENTRY_FIELDS)
        records = [await _record(scope, i, years) for i in await scope.client.all(scope.path("generalLedgerEntries"), query)]
        totals.pop(start.isoformat(), None)
        for record in records:
            _add(totals, start.isoformat(), record["account"], record["debit"], record["credit"])
        current = {**current, "moved": [m for m in current["moved"] if m != [start_text, end_text]]}
        yield LedgerBatch(lines=LedgerColumns.from_records(records), clear=(start, end), cursor=saved(**{"pass": current}))
    yield LedgerBatch(cursor=saved(**{"pass": None}))


# --- trial balance ---------------------------------------------------------------------------------


def _tb_lines(rows: list[dict[str, Any]], year: FiscalYear, number: int, start: dt.date, end: dt.date) -> list[TrialBalanceLine]:
    lines = []
    for row in rows:
        code = str(row.get("number") or "")
        debit, credit = amount(row.get("totalDebit"), f"totalDebit of {code}"), amount(row.get("totalCredit"), f"totalCredit of {code}")
        closing = amount(row.get("balanceAtDateDebit"), f"balanceAtDateDebit of {code}") - amount(
            row.get("balanceAtDateCredit"), f"balanceAtDateCredit of {code}")
        if not (debit or credit or closing):
            continue
        try:
            lines.append(TrialBalanceLine(account=code, period_start=start, period_end=end, period=number,
                                          fiscal_year=year.label, opening=closing - debit + credit, debit=debit,
                                          credit=credit, closing=closing))
        except ValidationError as exc:
            raise MalformedResponse(f"Business Central's trial balance for account {code!r}, {start} to {end}, "
                                    f"does not add up: {exc.errors()[0]['msg']}") from exc
    return lines


async def trial_balance_batches(
    ctx: ConnectorContext, scope: Scope, years: list[FiscalYear], cursor: str | None,
) -> AsyncIterator[TrialBalanceBatch]:
    """The trial balance's batches (see the module docstring)."""
    state: dict[str, Any] = json.loads(cursor) if cursor else {"done": []}
    done = set(state.get("done") or [])
    started = ctx.clock.now()
    todo: list[str] | None = state.get("todo")
    if todo is None:
        wanted: set[str] = set()
        if state.get("since"):
            seen: dict[str, str] = {}
            async for fresh, recent in _changes(scope, state, None, CHANGE_FIELDS, started):
                wanted |= {_period_key(years, day(i.get("postingDate"), "postingDate")) for i in fresh}
                seen.update(recent)
            count = await _count(scope, None)
            if count != state.get("count"):
                wanted |= {p.start.isoformat() for y in years if not y.closed for p in y.periods}
            state = {**state, "known": seen, "count": count}
        else:
            state = {**state, "count": await _count(scope, None)}
        todo = sorted(wanted | {p.start.isoformat() for y in years if not (y.closed and y.label in done) for p in y.periods
                                if y.label not in done})
        state = {**state, "since": _iso(started - CHANGE_MARGIN), "todo": todo}
    remaining = set(todo)
    for year in years:
        for period in year.periods:
            key = period.start.isoformat()
            if key not in remaining:
                continue
            rows = await _tb(scope, period.start, period.end)
            remaining.discard(key)
            if not any(p.start.isoformat() in remaining for p in year.periods):
                done.add(year.label)
            left = [t for t in todo if t in remaining]
            state = {**state, "done": sorted(done), "todo": left or None}
            yield TrialBalanceBatch(lines=_tb_lines(rows, year, period.number, period.start, period.end),
                                    clear=(period.start, period.end), cursor=json.dumps(state))
    if remaining or not todo:
        yield TrialBalanceBatch(cursor=json.dumps({**state, "todo": None}))


async def _balances(scope: Scope, at: dt.date) -> dict[str, Decimal]:
    clause = f"dateFilter eq {literal(at - dt.timedelta(days=1))}"
    rows = await scope.client.all(scope.path("trialBalances"), ODataQuery(filter=clause))
    return {str(r.get("number")): amount(r.get("balanceAtDateDebit"), "balanceAtDateDebit")
            - amount(r.get("balanceAtDateCredit"), "balanceAtDateCredit") for r in rows}


async def opening_balances(scope: Scope, at: dt.date, kinds: dict[str, AccountKind]) -> list[OpeningBalance]:
    """Every balance-sheet account's balance at the end of the day before ``at``."""
    balances = await _balances(scope, at)
    return [OpeningBalance(account=code, date=at, amount=value) for code, value in sorted(balances.items())
            if value and kinds.get(code) is AccountKind.BALANCE_SHEET]


async def history_stamp(scope: Scope, before: dt.date) -> str:
    """A digest of every account's balance the day before ``before`` (one trial-balance call):
    it moves when anything dated before a *since* link's date changed."""
    text = "\n".join(f"{code}|{value}" for code, value in sorted((await _balances(scope, before)).items()))
    return hashlib.sha256(text.encode()).hexdigest()[:32]

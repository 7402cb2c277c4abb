"""The general ledger: posted ``account.move.line`` records, first read whole, then followed.

First sync: ``search_read`` of posted lines paged by id (``id > last``, ``order='id asc'``).
Then, every sync:

1. a month summary of the posted lines (``read_group`` by ``date:month``: count, debit, credit)
   is taken *before* reading, so anything that changes while we read shows up next time;
2. a keyset scan on ``write_date`` from the last high-water mark minus an overlap window (Odoo
   stamps ``write_date`` with the *transaction start*, so a long transaction can commit rows
   older than the mark), ``order='write_date asc, id asc'`` with an id tie-break. PostgreSQL
   keeps microseconds in ``write_date`` while ``read`` sends whole seconds, so section 5's
   ``('write_date','=',wd)`` tie-break never matches and ``('write_date','>',wd)`` re-reads the
   same second forever when it holds more than a page: the keyset is kept per second instead
   (``write_date >= next second | (second of wd & id > last)``), a page is never cut inside a
   second, and a second bigger than a page is read by id. It reads lines in every state: posted
   ones are upserted, the others (reset to draft, cancelled) are deleted. Lines already seen with
   the same stamp inside the window (kept in the cursor) are skipped, so an unchanged company
   brings nothing;
3. months whose summary changed (a line hard-deleted after a reset to draft leaves no tombstone)
   are re-read whole with ``clear`` set to the month.

Odoo's ids are kept: ``LedgerLine.id`` is the line id, ``entry`` the move id.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

from pydantic import ValidationError
from sfsync.context import ConnectorContext
from sfsync.errors import FatalError, MalformedResponse
from sfsync.ledger_columns import LedgerColumns
from sfsync.models import Company, FiscalYear, LedgerBatch, LedgerLine

from sfsync_odoo import values
from sfsync_odoo.client import OdooClient, client_for
from sfsync_odoo.fiscal import period_of

__all__ = ["OVERLAP_SECONDS", "fetch_ledger", "month_summary"]

OVERLAP_SECONDS = 600
_FMT = "%Y-%m-%d %H:%M:%S"
_NOT_SECTION = ["display_type", "not in", ["line_section", "line_note"]]


def _minus(stamp: str, seconds: int) -> str:
    return (dt.datetime.strptime(stamp, _FMT) - dt.timedelta(seconds=seconds)).strftime(_FMT)


def _plus_second(stamp: str) -> str:
    return _minus(stamp, -1)


def _month_bounds(row: dict[str, Any]) -> tuple[str, str]:
    ranges = row.get("__range")
    if isinstance(ranges, dict) and isinstance(ranges.get("date:month"), dict):
        bounds = ranges["date:month"]
        return str(bounds["from"]), str(bounds["to"])
    start = end = None
    for term in row.get("__domain") or []:
        if isinstance(term, list) and len(term) == 3 and term[0] == "date":
            if term[1] == ">=":
                start = str(term[2])[:10]
            elif term[1] == "<":
                end = str(term[2])[:10]
    if start is None or end is None:
        raise MalformedResponse("Odoo's read_group by date:month answered a group without its date range")
    return start, end


async def month_summary(client: OdooClient, company: int, domain: list[Any]) -> dict[str, list[str]]:
    """``{"YYYY-MM-01": [count, debit, credit, end]}`` of the lines matching ``domain``."""
    rows = await client.call("account.move.line", "read_group", domain, company=company,
                             fields=["debit:sum", "credit:sum"], groupby=["date:month"], lazy=False)
    summary: dict[str, list[str]] = {}
    for row in rows or []:
        start, end = _month_bounds(row)
        count = row.get("__count", row.get("date_count", 0))
        summary[start] = [str(count), str(values.amount(row.get("debit"))), str(values.amount(row.get("credit"))), end]
    return summary


class _Maps:
    """Account codes and journal codes by id, read once per run when lines need them."""

    def __init__(self, client: OdooClient, company: int) -> None:
        self.client = client
        self.company = company
        self.accounts: dict[int, str] | None = None
        self.journals: dict[int, str] = {}

    async def ensure(self) -> None:
        if self.accounts is not None:
            return
        profile = await self.client.connect()
        rows = await self.client.search_read_all("account.account", profile.account_domain(self.company), ["code"],
                                                 company=self.company, archived=True)
        self.accounts = {int(r["id"]): str(r["code"]) for r in rows if values.text(r.get("code"))}
        journals = await self.client.search_read_all("account.journal", [["company_id", "=", self.company]], ["code"],
                                                     company=self.company, archived=True)
        self.journals = {int(r["id"]): str(r["code"]) for r in journals if values.text(r.get("code"))}


def _record(row: dict[str, Any], maps: _Maps, years: list[FiscalYear], warnings: list[str],
            periods: dict[dt.date, tuple[int | None, str | None]]) -> dict[str, Any] | None:
    """One journal item as a ledger record (keyed by ``LedgerLine``'s fields), or ``None`` when it
    is skipped with a warning. ``periods`` caches :func:`period_of` by day over a page."""
    assert maps.accounts is not None
    account_id = values.m2o_id(row.get("account_id"))
    code = maps.accounts.get(account_id) if account_id is not None else None
    if code is None:
        warnings.append(f"journal item {row['id']} has no account of this company ({row.get('account_id')!r}); skipped")
        return None
    day = values.date(row.get("date"))
    if day is None:
        raise MalformedResponse(f"journal item {row['id']} has no date")
    if (known := periods.get(day)) is None:
        known = periods[day] = period_of(day, years)
    period, year_label = known
    currency = values.m2o_id(row.get("currency_id"))
    company_currency = values.m2o_id(row.get("company_currency_id"))
    foreign = currency is not None and company_currency is not None and currency != company_currency
    journal = values.m2o_id(row.get("journal_id"))
    description = values.text(row.get("name")) or values.text(row.get("ref")) or values.m2o_name(row.get("move_id")) or ""
    return {
        "id": str(row["id"]),
        "entry": str(values.m2o_id(row.get("move_id"))),
        "journal": maps.journals.get(journal) if journal is not None else None,
        "date": day,
        "period": period,
        "fiscal_year": year_label,
        "account": code,
        "description": description,
        "debit": values.amount(row.get("debit")),
        "credit": values.amount(row.get("credit")),
        "currency": values.m2o_name(row.get("currency_id")) if foreign else None,
        "foreign_amount": values.amount(row.get("amount_currency")) if foreign else None,
        "counterparty": values.m2o_name(row.get("partner_id")),
        "modified": values.datetime(row.get("write_date")),
    }


def _columns(rows: list[dict[str, Any]], maps: _Maps, years: list[FiscalYear], warnings: list[str]) -> LedgerColumns:
    """A page of journal items as ledger lines, validated once for the whole page.

    A record ``LedgerLine`` refuses raises the same ``ValidationError`` as building that one line
    would (field and value, e.g. ``debit``), with a note naming the journal item.
    """
    periods: dict[dt.date, tuple[int | None, str | None]] = {}
    records = [record for row in rows if (record := _record(row, maps, years, warnings, periods)) is not None]
    try:
        return LedgerColumns.from_records(records)
    except ValidationError as exc:
        index = next((e["loc"][0] for e in exc.errors() if e["loc"] and isinstance(e["loc"][0], int)), None)
        if index is None:
            raise
        record = records[index]
        try:
            LedgerLine.model_validate(record)
        except ValidationError as line_error:
            line_error.add_note(f"Odoo journal item {record['id']} (move {record['entry']}) cannot be read as a ledger line")
            raise line_error from None
        raise


async def fetch_ledger(
    ctx: ConnectorContext,
    company: Company,
    since: dt.date | None,
    cursor: str | None,
    fiscal_years: list[FiscalYear],
) -> AsyncIterator[LedgerBatch]:
    client = client_for(ctx)
    profile = await client.connect()
    cid = int(company.ref)
    overlap = int(ctx.config.get("overlap_seconds") or OVERLAP_SECONDS)
    page = client.page_size
    state: dict[str, Any]
    if cursor:
        try:
            state = json.loads(cursor)
        except ValueError as exc:
            raise FatalError("the Odoo ledger cursor is unreadable; sync with 'replace' to start over") from exc
    else:
        state = {"v": 1, "phase": "full", "since": since.isoformat() if since else None, "last_id": 0,
                 "wm": None, "window": {}, "months": None, "scan": None}
    since_text = state.get("since")
    base: list[Any] = ["&", ["company_id", "=", cid], _NOT_SECTION]
    if since_text:
        base = ["&", ["date", ">=", since_text], *base]
    posted = ["&", ["parent_state", "=", "posted"], *base]
    fields = profile.line_fields()
    maps = _Maps(client, cid)
    years = sorted(fiscal_years, key=lambda y: y.start)

    def dump() -> str:
        return json.dumps(state, separators=(",", ":"))

    async def convert(rows: list[dict[str, Any]], warnings: list[str]) -> LedgerColumns:
        if not rows:
            return LedgerColumns.empty()
        await maps.ensure()
        return _columns(rows, maps, years, warnings)

    def remember(window: dict[str, str], mark: str | None, row_id: int, stamp: str) -> str:
        mark = stamp if mark is None or stamp > mark else mark
        window[str(row_id)] = stamp
        return mark

    def prune(window: dict[str, str], mark: str | None) -> dict[str, str]:
        if mark is None:
            return {}
        floor = _minus(mark, overlap)
        return {k: v for k, v in window.items() if v >= floor}

    # --- first sync: everything posted, by id ---------------------------------------------------
    if state["phase"] == "full":
        if state["months"] is None:
            state["months"] = await month_summary(client, cid, posted)
        while True:
            rows = await client.call("account.move.line", "search_read", ["&", ["id", ">", state["last_id"]], *posted],
                                     company=cid, fields=fields, order="id asc", limit=page)
            warnings: list[str] = []
            lines = await convert(rows, warnings)
            for row in rows:
                stamp = str(row.get("write_date") or "")
                if stamp:
                    state["wm"] = remember(state["window"], state["wm"], int(row["id"]), stamp)
            state["window"] = prune(state["window"], state["wm"])
            if rows:
                state["last_id"] = int(rows[-1]["id"])
            if len(rows) < page:
                state["phase"] = "incr"
            yield LedgerBatch(lines=lines, cursor=dump(), warnings=warnings)
            if state["phase"] == "incr":
                break

    # --- every sync after: the write_date scan, then months whose summary changed ---------------
    if state.get("scan") is None:
        now_months = await month_summary(client, cid, posted)
        start = _minus(state["wm"], overlap) if state["wm"] else "1970-01-01 00:00:00"
        # Position (wd, id): everything before second wd is done, and in second wd the ids up to
        # id (None: the whole second). Odoo keeps microseconds in write_date but reads whole
        # seconds, so the keyset works per second: a page never ends inside a second, and a
        # second with more rows than a page is read by id.
        state["scan"] = {"wd": start, "id": 0, "months": now_months, "wm": state["wm"], "window": {}}
    scan = state["scan"]

    def process(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[str]]:
        changed: list[dict[str, Any]] = []
        deleted: list[str] = []
        for row in rows:
            stamp = str(row.get("write_date") or "")
            row_id = int(row["id"])
            if state["window"].get(str(row_id)) != stamp:
                if row.get("parent_state") == "posted":
                    changed.append(row)
                else:
                    deleted.append(str(row_id))
            scan["wm"] = remember(scan["window"], scan["wm"], row_id, stamp)
        scan["window"] = prune(scan["window"], scan["wm"])
        return changed, deleted

    async def emit(rows: list[dict[str, Any]], *, force: bool) -> LedgerBatch | None:
        changed, deleted = process(rows)
        warnings: list[str] = []
        lines = await convert(changed, warnings)
        if not (lines or deleted or warnings or force):
            return None
        return LedgerBatch(lines=lines, deleted=deleted, cursor=dump(), warnings=warnings)

    while True:
        wd, done_id = scan["wd"], scan["id"]
        following = _plus_second(wd)
        keyset: list[Any] = [["write_date", ">=", following]]
        if done_id is not None:
            keyset = ["|", *keyset, "&", "&", ["write_date", ">=", wd], ["write_date", "<", following],
                      ["id", ">", done_id]]
        rows = await client.call("account.move.line", "search_read", ["&", *keyset, *base], company=cid,
                                 fields=fields, order="write_date asc, id asc", limit=page)
        if len(rows) < page:
            if rows:
                scan["wd"], scan["id"] = str(rows[-1]["write_date"]), None
            batch = await emit(rows, force=False)
            if batch is not None:
                yield batch
            break
        last_second = str(rows[-1]["write_date"])
        if str(rows[0]["write_date"]) != last_second:
            # Keep the last second whole for the next page: its rows are ordered by microsecond,
            # not by id, so it cannot be cut by an id.
            done = [r for r in rows if str(r["write_date"]) != last_second]
            scan["wd"], scan["id"] = last_second, 0
            batch = await emit(done, force=True)
            if batch is not None:
                yield batch
            continue
        # One second holds a whole page (a big entry posted in one transaction): read it by id.
        inner = done_id if (last_second == wd and done_id is not None) else 0
        while True:
            second_rows = await client.call(
                "account.move.line", "search_read",
                ["&", "&", "&", ["write_date", ">=", last_second], ["write_date", "<", _plus_second(last_second)],
                 ["id", ">", inner], *base],
                company=cid, fields=fields, order="id asc", limit=page)
            if second_rows:
                inner = int(second_rows[-1]["id"])
            finished = len(second_rows) < page
            scan["wd"], scan["id"] = last_second, (None if finished else inner)
            batch = await emit(second_rows, force=True)
            if batch is not None:
                yield batch
            if finished:
                break

    previous: dict[str, list[str]] = state["months"] or {}
    current: dict[str, list[str]] = scan["months"]
    for month in sorted(set(previous) | set(current)):
        if previous.get(month) == current.get(month):
            continue
        bounds = current.get(month) or previous[month]
        first = dt.date.fromisoformat(month)
        if since_text:
            first = max(first, dt.date.fromisoformat(since_text))
        last_day = dt.date.fromisoformat(bounds[3]) - dt.timedelta(days=1)
        in_month = ["&", "&", ["date", ">=", first.isoformat()], ["date", "<=", last_day.isoformat()], *posted]
        rows = await client.search_read_all("account.move.line", in_month, fields, company=cid)
        warnings = []
        lines = await convert(rows, warnings)
        for row in rows:
            scan["wm"] = remember(scan["window"], scan["wm"], int(row["id"]), str(row.get("write_date") or ""))
        scan["window"] = prune(scan["window"], scan["wm"])
        if month in current:
            previous[month] = current[month]
        else:
            previous.pop(month, None)
        state["months"] = previous
        yield LedgerBatch(lines=lines, clear=(first, last_day), cursor=dump(), warnings=warnings)

    state["months"] = current
    state["wm"] = scan["wm"]
    state["window"] = scan["window"]
    state["scan"] = None
    yield LedgerBatch(cursor=dump())


def summary_total(summary: dict[str, list[str]]) -> Decimal:
    """The debit total of a month summary (for tests and benchmarks)."""
    return sum((Decimal(v[1]) for v in summary.values()), Decimal(0))

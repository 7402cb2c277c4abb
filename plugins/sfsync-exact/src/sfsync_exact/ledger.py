"""The ledger and trial-balance streams of one division.

Ledger cursor (JSON): ``{"v": 1, "phase": "bulk"|"sync", "lines_ts": …, "deleted_ts": …,
"since": "YYYY-MM-DD"|null, "next": <bulk __next>|null, "move": …, "hr": …}``.

* First sync of a *replace* link: ``sync/Financial/TransactionLines`` from ``Timestamp gt 1L``.
* First sync of a *since* link: ``bulk/Financial/TransactionLines`` filtered on ``Date ge since``
  (1,000 a page; the ``__next`` link is the resume point), then the sync endpoint from the
  Timestamp that ``read/sync/Sync/SyncTimestamp`` gave for an hour before the start, so nothing
  changed while the bulk read ran is missed (re-reads upsert).
* Afterwards: ``Timestamp gt {lines_ts}L`` pages, then ``sync/Deleted`` from its own cursor
  (``EntityType`` 1 rows are deleted lines). The cursor moves after every page.
* Every run first reads the division's ``DivisionMoveDate``/``DivisionHRLinkUnlinkDate``: when
  either changed, Exact regenerated every Timestamp, so the cursor is void and
  :class:`~sfsync.errors.FullResyncRequired` is raised (reference §4.2, §7.3).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

from sfsync.context import ConnectorContext
from sfsync.errors import FullResyncRequired, MalformedResponse
from sfsync.ledger_columns import LedgerColumns
from sfsync.models import (
    Company,
    FiscalYear,
    LedgerBatch,
    OpeningBalance,
    TrialBalanceBatch,
    TrialBalanceLine,
)

from sfsync_exact.client import ExactClient, unwrap
from sfsync_exact.mapping import LINE_FIELDS, to_columns
from sfsync_exact.wire import (
    amsterdam_wall_clock,
    format_datetime_literal,
    parse_decimal,
    parse_int64,
    text,
)

__all__ = ["ledger_batches", "opening_balances", "trial_balance_batches"]

SINCE_MARGIN = dt.timedelta(hours=1)
DELETED_MARGIN = dt.timedelta(days=2)


async def _division_marks(client: ExactClient, division: int) -> dict[str, Any]:
    payload = await client.get(
        f"{division}/system/Divisions",
        {
            "$select": "Code,Currency,DivisionMoveDate,DivisionHRLinkUnlinkDate",
            "$filter": f"Code eq {division}",
        },
    )
    rows, _ = unwrap(payload)
    if not rows:
        raise FullResyncRequired(
            f"Exact no longer lists division {division} for this connection; it may have been moved "
            "or its access withdrawn"
        )
    return rows[0]


async def sync_timestamp(
    client: ExactClient, division: int, endpoint: str, moment: dt.datetime
) -> int:
    payload = await client.get(
        f"{division}/read/sync/Sync/SyncTimestamp",
        {
            "modified": format_datetime_literal(amsterdam_wall_clock(moment)),
            "endPoint": f"'{endpoint}'",
        },
    )
    rows, _ = unwrap(payload)
    value = parse_int64(rows[0].get("TimeStampAsBigInt")) if rows else None
    if value is None:
        raise MalformedResponse("Exact's SyncTimestamp answered without TimeStampAsBigInt")
    return value


def _lines(
    rows: list[dict[str, Any]], currency: str | None, since: dt.date | None
) -> LedgerColumns:
    """A page's lines, validated as one batch of columns; those dated before ``since`` dropped
    (after validation, so a bad line is reported wherever it is dated)."""
    lines = to_columns(rows, currency)
    return lines if since is None else lines.dated_from(since)


async def ledger_batches(
    ctx: ConnectorContext,
    client: ExactClient,
    company: Company,
    since: dt.date | None,
    cursor: str | None,
) -> AsyncIterator[LedgerBatch]:
    division = int(company.ref)
    marks = await _division_marks(client, division)
    move, hr = marks.get("DivisionMoveDate"), marks.get("DivisionHRLinkUnlinkDate")
    currency = text(marks.get("Currency")) or company.currency
    if cursor:
        try:
            state = json.loads(cursor)
            state["lines_ts"], state["deleted_ts"] = (
                int(state["lines_ts"]),
                int(state["deleted_ts"]),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise FullResyncRequired(
                "the Exact ledger cursor is unreadable; a full sync rebuilds it"
            ) from exc
        if state.get("move") != move or state.get("hr") != hr:
            raise FullResyncRequired(
                f"Exact moved division {division} (DivisionMoveDate or DivisionHRLinkUnlinkDate "
                "changed), which regenerates every sync Timestamp; the ledger is synced again in full"
            )
    else:
        now = ctx.clock.now()
        state = {
            "v": 1,
            "phase": "bulk" if since else "sync",
            "since": since.isoformat() if since else None,
            "lines_ts": await sync_timestamp(
                client, division, "TransactionLines", now - SINCE_MARGIN
            )
            if since
            else 1,
            "deleted_ts": await sync_timestamp(client, division, "Deleted", now - DELETED_MARGIN),
            "next": None,
            "move": move,
            "hr": hr,
        }
    link_since = dt.date.fromisoformat(state["since"]) if state.get("since") else None
    last = cursor

    def dump() -> str:
        return json.dumps(state, sort_keys=True)

    if state["phase"] == "bulk":
        if state["next"]:
            pages = client.pages(state["next"])
        else:
            pages = client.pages(
                f"{division}/bulk/Financial/TransactionLines",
                {
                    "$select": LINE_FIELDS,
                    "$filter": f"Date ge {format_datetime_literal(link_since or dt.date(1900, 1, 1))}",
                },
            )
        async for rows, following in pages:
            state["next"] = following
            if following is None:
                state["phase"] = "sync"
            lines = _lines(rows, currency, link_since)
            last = dump()
            yield LedgerBatch(lines=lines, cursor=last)

    async for rows, _ in client.pages(
        f"{division}/sync/Financial/TransactionLines",
        {"$select": LINE_FIELDS + ",Timestamp", "$filter": f"Timestamp gt {state['lines_ts']}L"},
    ):
        if not rows:
            continue
        stamps = [parse_int64(row.get("Timestamp")) or 0 for row in rows]
        state["lines_ts"] = max(state["lines_ts"], *stamps)
        lines = _lines(rows, currency, link_since)
        last = dump()
        yield LedgerBatch(lines=lines, cursor=last)

    async for rows, _ in client.pages(
        f"{division}/sync/Deleted",
        {
            "$select": "Timestamp,EntityKey,EntityType",
            "$filter": f"Timestamp gt {state['deleted_ts']}L",
        },
    ):
        if not rows:
            continue
        state["deleted_ts"] = max(
            state["deleted_ts"], *(parse_int64(r.get("Timestamp")) or 0 for r in rows)
        )
        deleted = [
            str(r["EntityKey"]) for r in rows if r.get("EntityType") == 1 and r.get("EntityKey")
        ]
        last = dump()
        yield LedgerBatch(deleted=deleted, cursor=last)

    if dump() != last:
        yield LedgerBatch(cursor=dump())


def _year_label(year: FiscalYear) -> int:
    return int(year.label) if year.label.isdigit() else year.end.year


async def trial_balance_batches(
    client: ExactClient, company: Company, fiscal_years: list[FiscalYear]
) -> AsyncIterator[TrialBalanceBatch]:
    """Per fiscal year, totals per account and period from ``financial/ReportingBalance``
    (whether to read them at all tonight: :mod:`sfsync_exact.trial_balance_gate`). Each batch's
    cursor is its year's label, for the gate to replace.

    Balance-sheet accounts carry their closing balance into the next year; profit-and-loss
    accounts start each year at zero and their result moves into the retained-earnings account
    (GL account type 52), so every period balances. The first year read starts at zero (Exact's
    opening balances before it are not read).
    """
    division = int(company.ref)
    carried: dict[str, Decimal] = defaultdict(Decimal)
    kinds: dict[str, str] = {}
    retained_code = await _retained_earnings(client, division)
    for year in sorted(fiscal_years, key=lambda y: y.start):
        rows = await client.all(
            f"{division}/financial/ReportingBalance",
            {
                "$select": "GLAccountCode,BalanceType,ReportingYear,ReportingPeriod,AmountDebit,AmountCredit",
                "$filter": f"ReportingYear eq {_year_label(year)}",
            },
        )
        moves: dict[tuple[str, int], list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
        for row in rows:
            code = text(row.get("GLAccountCode"))
            if code is None:
                continue
            kinds[code] = text(row.get("BalanceType")) or "W"
            move = moves[(code, int(row.get("ReportingPeriod") or 0))]
            move[0] += parse_decimal(row.get("AmountDebit")) or Decimal(0)
            move[1] += abs(parse_decimal(row.get("AmountCredit")) or Decimal(0))
        periods = sorted(year.periods, key=lambda p: p.number) or []
        spans = [(p.number, p.start, p.end) for p in periods] or [
            (n, year.start, year.end) for n in sorted({n for _, n in moves})
        ]
        balance = {code: amount for code, amount in carried.items() if kinds.get(code) == "B"}
        result = sum(
            (amount for code, amount in carried.items() if kinds.get(code) != "B"), Decimal(0)
        )
        warnings = []
        if result and retained_code is not None:
            kinds[retained_code] = "B"
            balance[retained_code] = balance.get(retained_code, Decimal(0)) + result
        elif result:
            warnings.append(
                f"division {division} has no retained-earnings account (type 52): the result of the "
                f"years before {year.label} is left out of its trial balance"
            )
        lines = []
        for number, start, end in spans:
            for code in sorted({c for c, _ in moves} | set(balance)):
                debit, credit = moves.get((code, number), [Decimal(0), Decimal(0)])
                opening = balance.get(code, Decimal(0))
                if not debit and not credit and not opening:
                    continue
                closing = opening + debit - credit
                balance[code] = closing
                lines.append(
                    TrialBalanceLine(
                        account=code,
                        period_start=start,
                        period_end=end,
                        period=number,
                        fiscal_year=year.label,
                        opening=opening,
                        debit=debit,
                        credit=credit,
                        closing=closing,
                    )
                )
        carried = defaultdict(Decimal, balance)
        yield TrialBalanceBatch(
            lines=lines, clear=(year.start, year.end), cursor=year.label, warnings=warnings
        )


async def _retained_earnings(client: ExactClient, division: int) -> str | None:
    chart = await client.all(f"{division}/bulk/Financial/GLAccounts", {"$select": "Code,Type"})
    retained = sorted(text(r.get("Code")) or "" for r in chart if r.get("Type") == 52)
    return retained[0] if retained else None


async def opening_balances(
    ctx: ConnectorContext, client: ExactClient, company: Company, at: dt.date
) -> list[OpeningBalance]:
    """Balance-sheet balances at ``at`` (the first day of a fiscal year) from the reporting
    balances of every earlier year; the earlier years' profit and loss goes to retained earnings."""
    division = int(company.ref)
    periods = await client.all(
        f"{division}/financial/FinancialPeriods",
        {
            "$select": "FinYear,FinPeriod,StartDate",
            "$filter": f"StartDate eq {format_datetime_literal(at)}",
        },
    )
    if not periods:
        ctx.warn(
            f"no fiscal period of division {division} starts on {at}; no opening balances read"
        )
        return []
    year = min(int(p["FinYear"]) for p in periods)
    rows = await client.all(
        f"{division}/financial/ReportingBalance",
        {"$select": "GLAccountCode,BalanceType,Amount", "$filter": f"ReportingYear lt {year}"},
    )
    balances: dict[str, Decimal] = defaultdict(Decimal)
    result = Decimal(0)
    for row in rows:
        code, amount = (
            text(row.get("GLAccountCode")),
            parse_decimal(row.get("Amount")) or Decimal(0),
        )
        if code is None:
            continue
        if text(row.get("BalanceType")) == "B":
            balances[code] += amount
        else:
            result += amount
    if result:
        retained = await _retained_earnings(client, division)
        if retained is None:
            ctx.warn(
                f"division {division} has no retained-earnings account: the result before {at} is left out"
            )
        else:
            balances[retained] += result
    return [
        OpeningBalance(account=code, date=at, amount=amount)
        for code, amount in sorted(balances.items())
        if amount
    ]

"""WinBooks on Web's ledger, incrementally: changed GLTransHeaders since the last ``Modified`` seen,
and deletions found by counting the headers and, when fewer are left than were seen, comparing
their Ids with those seen before.

The opening period's booking (Number 0) is not a movement: it is the year's opening balances
(:func:`opening_balances`). A header that comes back replaces all its lines (its entry is deleted, its lines written). The
first read brings everything; a *since* link skips bookyears that end before its date.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

from sfsync.models import LedgerBatch, LedgerColumns, OpeningBalance

from sfsync_winbooks_online.assumed import MODIFIED_FIELD
from sfsync_winbooks_online.client import WinbooksSession
from sfsync_winbooks_online.facts import (
    OPENING_PERIOD,
    OPERATOR_COUNT,
    OPERATOR_EQ,
    OPERATOR_GT,
    OPERATOR_SELECT,
)
from sfsync_winbooks_online.mapping import PeriodPlace, line_records, parse_date

__all__ = ["ledger_batches", "opening_balances"]


def _condition(operator: int, name: str, *values: object) -> dict[str, Any]:
    return {"Operator": operator, "PropertyName": name, "OtherPropertyName": "", "Values": list(values)}


async def ledger_batches(
    session: WinbooksSession, folder: str, places: dict[str, PeriodPlace], since: dt.date | None, cursor: str | None
) -> AsyncIterator[LedgerBatch]:
    state: dict[str, Any] = json.loads(cursor) if cursor else {"stamp": None, "ids": []}
    first_read = state["stamp"] is None
    conditions = [] if first_read else [_condition(OPERATOR_GT, MODIFIED_FIELD, state["stamp"])]
    known = set(state["ids"])
    async for page in session.criteria_pages(folder, conditions):
        records: list[dict[str, Any]] = []
        for header in page:
            place = places.get(str(header.get("BookPeriod_Id")))
            known.add(str(header["Id"]))
            if place is not None and place[1] == OPENING_PERIOD:
                continue  # the opening booking is the opening balances, not movements of the year
            if since is None or place is None or place[0].end >= since:
                records.extend(line_records(header, places))
        if page:
            latest = max(page, key=lambda h: parse_date(h[MODIFIED_FIELD]))
            state["stamp"] = latest[MODIFIED_FIELD]
        state["ids"] = sorted(known)
        yield LedgerBatch(lines=LedgerColumns.from_records(records),
                          deleted_entries=[] if first_read else [str(h["Id"]) for h in page], cursor=json.dumps(state))
    if first_read:
        return
    # Deleted headers simply disappear. Counting them costs one request; only when fewer are
    # left than were seen are their Ids listed, to find the ones that are gone.
    async for page in session.criteria_pages(folder, [], max_level=1,
                                             projections=[{"Operator": OPERATOR_COUNT, "PropertyName": "Id"}]):
        if page and int(page[0][0]) >= len(known):
            return
        break
    current: set[str] = set()
    async for page in session.criteria_pages(folder, [], max_level=1,
                                             projections=[{"Operator": OPERATOR_SELECT, "PropertyName": "Id"}]):
        current.update(str(row[0]) for row in page)
    gone = sorted(known - current)
    if gone:
        state["ids"] = sorted(current)
        yield LedgerBatch(deleted_entries=gone, cursor=json.dumps(state))


async def opening_balances(session: WinbooksSession, folder: str, places: dict[str, PeriodPlace], at: dt.date) -> list[OpeningBalance]:
    """The year's opening period (Number 0) booking, added up per account."""
    opening = [pid for pid, (year, number) in places.items() if number == OPENING_PERIOD and year.start == at]
    totals: dict[str, Decimal] = {}
    if opening:
        async for page in session.criteria_pages(folder, [_condition(OPERATOR_EQ, "BookPeriod_Id", *opening)]):
            for header in page:
                for line in line_records(header, places):
                    totals[line["account"]] = totals.get(line["account"], Decimal(0)) + line["amount"]
    return [OpeningBalance(account=a, date=at, amount=v) for a, v in sorted(totals.items()) if v]

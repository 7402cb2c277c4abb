"""The history stamp of an Exact division: whether anything dated before a *since* date changed.

Exact's ledger streams read a *since* link from its date on (bulk ``Date ge``, then the sync
endpoint's Timestamp), so an edit of an older line never reaches the runner through them. One
request tells instead: the transaction line dated before the date that was modified last, with
the count of such lines (``$inlinecount``). An edit or an addition moves the newest ``Modified``;
a deletion lowers the count.
"""

from __future__ import annotations

import datetime as dt

from sfsync.context import ConnectorContext
from sfsync.models import Company

from sfsync_exact.client import ExactClient, unwrap
from sfsync_exact.wire import format_datetime_literal

__all__ = ["history_stamp"]


async def history_stamp(
    ctx: ConnectorContext, client: ExactClient, company: Company, before: dt.date
) -> str | None:
    """``<count>:<newest Modified>:<its line ID>`` of the division's lines dated before
    ``before`` (``None`` when Exact answers without a count)."""
    payload = await client.get(
        f"{int(company.ref)}/financialtransaction/TransactionLines",
        {
            "$select": "ID,Modified",
            "$filter": f"Date lt {format_datetime_literal(before)}",
            "$orderby": "Modified desc",
            "$top": "1",
            "$inlinecount": "allpages",
        },
    )
    rows, _ = unwrap(payload)
    count = payload["d"].get("__count") if isinstance(payload["d"], dict) else None
    if count is None:
        return None
    newest = rows[0] if rows else {}
    return f"{count}:{newest.get('Modified', '')}:{newest.get('ID', '')}"

"""Whether a division's trial balance must be read again tonight: Exact's sync timestamps say.

``financial/ReportingBalance`` has no modified filter, so a trial-balance link used to read every
fiscal year again each night (10 requests and some 500 lines for a division with ten years). The
same sync timestamps that carry the ledger stream tell whether anything moved: a transaction line
changed or added since the last read shows in ``sync/Financial/TransactionLines`` after its
Timestamp, a deleted one in ``sync/Deleted`` (``EntityType`` 1). When neither has a row, the
stored totals stand and the night costs those two small requests and no line.

The cursor, its fallbacks and the years to read are :mod:`sfsync.trial_balance_gate`'s; here are
the marks (``lines_ts``, ``deleted_ts``) and the probe. Neither feed names the year a line is in,
and a year's closing balances open the next, so a change reads every year again, closed ones too
(``closed_final=False``). A first read takes the timestamps of an hour before it started (the
ledger's *since* margin), so nothing that changed while it ran is missed; a change inside that
hour costs one more full read the next night, never a missed change. (The ledger keeps two days
for deletions because it must *apply* each one; here a deletion before the read is already in
the totals it reads.)

Cursors written before the gate (``{"v": 2, "complete": bool, "years": [labels], "lines_ts": …,
"deleted_ts": …}``) are still read: a complete one is probed, an unfinished one resumes. The
first version's (a bare year label) gives a full read.
"""

from __future__ import annotations

from typing import Any

from sfsync.context import ConnectorContext
from sfsync.models import Company, FiscalYear
from sfsync.trial_balance_gate import TrialBalanceGate, TrialBalancePlan

from sfsync_exact.client import ExactClient
from sfsync_exact.ledger import SINCE_MARGIN, sync_timestamp
from sfsync_exact.wire import parse_int64

__all__ = ["open_gate"]

MARKS = {"lines_ts": int, "deleted_ts": int}


async def open_gate(
    ctx: ConnectorContext, client: ExactClient, company: Company, years: list[FiscalYear], cursor: str | None
) -> TrialBalanceGate:
    """The gate of tonight's read: probed from the cursor's timestamps, or with fresh ones."""
    division = int(company.ref)
    gate = TrialBalanceGate.load(cursor, years, marks=MARKS, upgrade=_cursor_before_the_gate, closed_final=False)
    if gate.plan is TrialBalancePlan.PROBE:
        lines_ts, lines_moved = await _newest(client, f"{division}/sync/Financial/TransactionLines",
                                              gate.marks["lines_ts"], deleted=False)
        deleted_ts, lines_gone = await _newest(client, f"{division}/sync/Deleted", gate.marks["deleted_ts"],
                                               deleted=True)
        gate.moved(None if lines_moved or lines_gone else (), {"lines_ts": lines_ts, "deleted_ts": deleted_ts})
    elif gate.plan is TrialBalancePlan.FULL:
        now = ctx.clock.now()
        gate.marks = {
            "lines_ts": await sync_timestamp(client, division, "TransactionLines", now - SINCE_MARGIN),
            "deleted_ts": await sync_timestamp(client, division, "Deleted", now - SINCE_MARGIN),
        }
    return gate


def _cursor_before_the_gate(raw: Any, labels: list[str]) -> dict[str, Any] | None:
    if not isinstance(raw, dict) or raw.get("v") != 2:
        return None
    try:
        marks = {"lines_ts": int(raw["lines_ts"]), "deleted_ts": int(raw["deleted_ts"])}
    except (KeyError, TypeError, ValueError):
        return None
    years = raw.get("years")
    return {"years": years, "pending": [] if raw.get("complete") is True else years, "done": [], "marks": marks}


async def _newest(client: ExactClient, path: str, after: int, *, deleted: bool) -> tuple[int, bool]:
    """The newest Timestamp after ``after`` and whether a ledger line is among the rows."""
    newest, moved = after, False
    select = "Timestamp,EntityType" if deleted else "Timestamp"
    async for rows, _ in client.pages(path, {"$select": select, "$filter": f"Timestamp gt {after}L"}):
        for row in rows:
            newest = max(newest, parse_int64(row.get("Timestamp")) or 0)
            moved = moved or not deleted or row.get("EntityType") == 1
    return newest, moved

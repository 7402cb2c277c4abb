"""Whether a division's trial balance must be read again tonight: Exact's sync timestamps say.

``financial/ReportingBalance`` has no modified filter, so a trial-balance link used to read every
fiscal year again each night (10 requests and some 500 lines for a division with ten years). The
same sync timestamps that carry the ledger stream tell whether anything moved: a transaction line
changed or added since the last read shows in ``sync/Financial/TransactionLines`` after its
Timestamp, a deleted one in ``sync/Deleted`` (``EntityType`` 1). When neither has a row, the
stored totals stand and the night costs those two small requests and no line.

Cursor (JSON): ``{"v": 2, "complete": bool, "years": [labels], "lines_ts": …, "deleted_ts": …}``.
``complete`` is set by the empty batch after the last year; a run cut off before it (or a cursor
of the first version, a bare year label) reads every year again, as does a change in the years.
The first read takes the timestamps of an hour before it started (the ledger's *since* margin),
so nothing that changed while it ran is missed; a change inside that hour costs one more full
read the next night, never a missed change. (The ledger keeps two days for deletions because it
must *apply* each one; here a deletion before the read is already in the totals it reads.)
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sfsync.context import ConnectorContext
from sfsync.models import Company, FiscalYear, TrialBalanceBatch

from sfsync_exact.client import ExactClient
from sfsync_exact.ledger import SINCE_MARGIN, sync_timestamp
from sfsync_exact.wire import parse_int64

__all__ = ["TrialBalanceGate"]


@dataclass
class TrialBalanceGate:
    """The change check before a trial-balance read, and the cursors of the read."""

    state: dict[str, Any] = field(default_factory=dict)
    unchanged: bool = False
    """True when nothing moved since the last complete read: the stream brings nothing."""

    @classmethod
    async def open(
        cls, ctx: ConnectorContext, client: ExactClient, company: Company, years: list[FiscalYear], cursor: str | None
    ) -> TrialBalanceGate:
        """Probe the division's changes since the cursor (or take fresh timestamps)."""
        division = int(company.ref)
        labels = sorted(y.label for y in years)
        last = _read(cursor)
        if last is not None and last.get("complete") and last.get("years") == labels:
            lines_ts, lines_moved = await _newest(client, f"{division}/sync/Financial/TransactionLines",
                                                  last["lines_ts"], deleted=False)
            deleted_ts, lines_gone = await _newest(client, f"{division}/sync/Deleted", last["deleted_ts"], deleted=True)
            state = {**last, "lines_ts": lines_ts, "deleted_ts": deleted_ts}
            return cls(state, unchanged=not (lines_moved or lines_gone))
        now = ctx.clock.now()
        return cls({
            "v": 2, "years": labels,
            "lines_ts": await sync_timestamp(client, division, "TransactionLines", now - SINCE_MARGIN),
            "deleted_ts": await sync_timestamp(client, division, "Deleted", now - SINCE_MARGIN),
        })

    def during(self, batch: TrialBalanceBatch) -> TrialBalanceBatch:
        """A year's batch with the read's cursor (not complete yet: a resume reads every year)."""
        return batch.model_copy(update={"cursor": self._dump(complete=False)})

    def finished(self) -> TrialBalanceBatch:
        """The empty batch after the last year, whose cursor says the read is complete."""
        return TrialBalanceBatch(cursor=self._dump(complete=True))

    def _dump(self, *, complete: bool) -> str:
        return json.dumps({**self.state, "complete": complete}, sort_keys=True)


def _read(cursor: str | None) -> dict[str, Any] | None:
    try:
        state = json.loads(cursor) if cursor else None
    except ValueError:
        return None  # the first version's cursor (a year label): read everything once more
    if not isinstance(state, dict) or state.get("v") != 2:
        return None
    try:
        state["lines_ts"], state["deleted_ts"] = int(state["lines_ts"]), int(state["deleted_ts"])
    except (KeyError, TypeError, ValueError):
        return None
    return state


async def _newest(client: ExactClient, path: str, after: int, *, deleted: bool) -> tuple[int, bool]:
    """The newest Timestamp after ``after`` and whether a ledger line is among the rows."""
    newest, moved = after, False
    select = "Timestamp,EntityType" if deleted else "Timestamp"
    async for rows, _ in client.pages(path, {"$select": select, "$filter": f"Timestamp gt {after}L"}):
        for row in rows:
            newest = max(newest, parse_int64(row.get("Timestamp")) or 0)
            moved = moved or not deleted or row.get("EntityType") == 1
    return newest, moved

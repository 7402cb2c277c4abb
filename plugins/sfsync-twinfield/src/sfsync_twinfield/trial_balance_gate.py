"""Whether an office's trial balance must be read again tonight, and which years.

Browse ``040_1`` (totals) has no modified filter, so a trial-balance link used to read every open
year again each night (about 150 lines for a small office). Two query calls tell what moved since
the last read instead: browse ``030_3`` filtered on ``fin.trs.head.modified`` (a transaction
edited or added since the marker, with its book year and date), and
``DeletedTransactionsService.svc`` (one deleted since, with its booking date). When neither has a
row, the stored totals stand: two requests and no line. Otherwise only the years those
transactions are in are read again: an edited or added one names its book year, a deleted one
only its date (so that year and its neighbours are read; every year when it has none).

The cursor, its fallbacks and the bookkeeping of the years are
:mod:`sfsync.trial_balance_gate`'s; here are the marks (``modified``, the newest stamp seen;
``deleted_from`` and ``deleted_seen``, where the deletions stand) and the probe. A first read, a
change in the years, or a cursor without the marks reads every year except closed ones already
done, with marks taken before it starts (three hours back, for skew and Twinfield's local-time
stamps), so nothing that changes while it runs is missed; a read cut off resumes with the years it
had left. Cursors written before the gate (``{"v": 2, "years": …, "pending": …, "done": …,
"modified": …, "deleted_from": …, "deleted_seen": …}``, and the first version's ``{"done": […]}``)
are still read.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from sfsync.context import ConnectorContext
from sfsync.models import FiscalYear
from sfsync.trial_balance_gate import TrialBalanceGate, TrialBalancePlan

from sfsync_twinfield.browse import browse, column
from sfsync_twinfield.deletions import deletions_since

__all__ = ["book_year", "open_gate"]

STAMP = "%Y%m%d%H%M%S"
OVERLAP = dt.timedelta(hours=3)
MARKS = {"modified": str, "deleted_from": str, "deleted_seen": list}


async def open_gate(
    ctx: ConnectorContext, office: str, years: list[FiscalYear], cursor: str | None
) -> TrialBalanceGate:
    """Probe the office's changes since the cursor, or plan a full read with fresh marks."""
    gate = TrialBalanceGate.load(cursor, years, marks=MARKS, upgrade=_cursor_before_the_gate)
    kept = gate.marks
    if gate.plan is TrialBalancePlan.PROBE and _stamp(kept["modified"]) is not None:
        marks = _Marks(kept["modified"], kept["deleted_from"], [str(seen) for seen in kept["deleted_seen"]])
        gate.moved(await marks.probe(ctx, office, years), asdict(marks))
    elif gate.plan is not TrialBalancePlan.RESUME:
        # A first read, or marks that cannot be read: every year, asked from before it starts.
        now = ctx.clock.now() - OVERLAP
        gate.moved(None, {"modified": now.strftime(STAMP), "deleted_from": now.strftime("%Y-%m-%dT%H:%M:%S"),
                          "deleted_seen": []})
    return gate


@dataclass
class _Marks:
    """Where the probe asks from, moved on by what it finds (also the deletions' marker)."""

    modified: str
    deleted_from: str
    deleted_seen: list[str] = field(default_factory=list)

    async def probe(self, ctx: ConnectorContext, office: str, years: list[FiscalYear]) -> set[str]:
        """The years with a transaction changed, added or deleted since the marks."""
        after = (_stamp(self.modified) or dt.datetime.min) + dt.timedelta(seconds=1)
        until = ctx.clock.now() + dt.timedelta(days=1)
        rows = await browse(
            ctx,
            office,
            "030_3",
            [
                column("fin.trs.head.office", "equal", office),
                column("fin.trs.head.status", "equal", "normal"),
                column("fin.trs.head.modified", "between", after.strftime(STAMP), until.strftime(STAMP)),
                column("fin.trs.head.year"),
                column("fin.trs.head.date"),
            ],
        )
        moved: set[str] = set()
        for row in rows:
            stamp = row["fin.trs.head.modified"]
            if stamp > self.modified:
                self.modified = stamp
            moved |= _years_of(years, row["fin.trs.head.year"], _day(row["fin.trs.head.date"]))
        for deletion in await deletions_since(ctx, office, self):
            moved |= _years_of(years, "", deletion.booked)
        return moved


def _years_of(years: list[FiscalYear], number: str, day: dt.date | None) -> set[str]:
    """The fiscal years whose totals a changed transaction is in: its book year when Twinfield
    names it, else the year of its date and the years either side (a transaction may be booked
    in a period of another year than its date, and a deletion names only the date); every
    year when neither is known, so that a change is never missed."""
    named = {year.label for year in years if number and number == book_year(year)}
    if named:
        return named
    if day is None:
        return {year.label for year in years}
    at = [index for index, year in enumerate(years) if year.start <= day <= year.end]
    if not at:
        return {year.label for year in years}
    return {year.label for year in years[max(at[0] - 1, 0) : at[0] + 2]}


def book_year(year: FiscalYear) -> str:
    """Twinfield's number of a book year: its label, or the calendar year it ends in."""
    return year.label if len(year.label) == 4 and year.label.isdigit() else str(year.end.year)


def _stamp(value: str) -> dt.datetime | None:
    try:
        return dt.datetime.strptime(value, STAMP)
    except ValueError:
        return None


def _day(value: str) -> dt.date | None:
    digits = value.strip().replace("-", "")[:8]
    try:
        return dt.datetime.strptime(digits, "%Y%m%d").date() if digits else None
    except ValueError:
        return None


def _cursor_before_the_gate(raw: Any, labels: list[str]) -> dict[str, Any] | None:
    """The gate's shape of a second-version cursor; a first-version one keeps its done years."""
    if not isinstance(raw, dict):
        return None
    if raw.get("v") != 2:
        return {"years": [], "pending": [], "done": raw.get("done"), "marks": {}}
    marks = {key: raw.get(key) for key in MARKS}
    return {"years": raw.get("years"), "pending": raw.get("pending"), "done": raw.get("done"), "marks": marks}

"""Whether an office's trial balance must be read again tonight, and which years.

Browse ``040_1`` (totals) has no modified filter, so a trial-balance link used to read every open
year again each night (about 150 lines for a small office). Two query calls tell what moved since
the last read instead: browse ``030_3`` filtered on ``fin.trs.head.modified`` (a transaction
edited or added since the marker, with its book year and date), and
``DeletedTransactionsService.svc`` (one deleted since, with its booking date). When neither has a
row, the stored totals stand: two requests and no line. Otherwise only the years those
transactions are in are read again: an edited or added one names its book year, a deleted one
only its date (so that year and its neighbours are read; every year when it has none).

Cursor (JSON): ``{"v": 2, "years": [labels], "pending": [labels], "done": [labels],
"modified": stamp, "deleted_from": …, "deleted_seen": […]}``. ``pending`` lists the years of
the read in progress (a resumed run reads only those); when empty, the read is complete. A first
read, a change in the years, or a cursor of the first version (``{"done": […]}``) reads every year
except closed ones already done, with markers taken before it starts (three hours back, for skew
and Twinfield's local-time stamps), so nothing that changes while it runs is missed.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from sfsync.context import ConnectorContext
from sfsync.models import FiscalYear

from sfsync_twinfield.browse import browse, column
from sfsync_twinfield.deletions import deletions_since

__all__ = ["TrialBalanceGate", "book_year"]

STAMP = "%Y%m%d%H%M%S"
OVERLAP = dt.timedelta(hours=3)


@dataclass
class TrialBalanceGate:
    """The change check before a trial-balance read, the years to read, and the read's cursor."""

    years: list[str]
    pending: list[str]
    done: list[str]
    modified: str
    deleted_from: str
    deleted_seen: list[str] = field(default_factory=list)

    @classmethod
    async def open(
        cls, ctx: ConnectorContext, office: str, years: list[FiscalYear], cursor: str | None
    ) -> TrialBalanceGate:
        """Probe the office's changes since the cursor, or plan a full read."""
        labels = [year.label for year in years]
        last = _read(cursor)
        if last is not None and last.years == labels:
            if not last.pending:
                await last._probe(ctx, office, years)
            return last  # a resumed read keeps its pending years
        now = ctx.clock.now() - OVERLAP
        done = [] if last is None else last.done
        closed_done = {year.label for year in years if year.closed and year.label in done}
        return cls(
            years=labels,
            pending=[label for label in labels if label not in closed_done],
            done=sorted(closed_done),
            modified=now.strftime(STAMP),
            deleted_from=now.strftime("%Y-%m-%dT%H:%M:%S"),
        )

    def to_read(self, years: list[FiscalYear]) -> list[FiscalYear]:
        """The fiscal years tonight's read covers (none when nothing moved)."""
        return [year for year in years if year.label in self.pending]

    def read(self, year: FiscalYear) -> str:
        """The cursor once ``year`` is read and stored."""
        self.pending = [label for label in self.pending if label != year.label]
        self.done = sorted(set(self.done) | {year.label})
        return self.dump()

    def dump(self) -> str:
        """The cursor as stored with a batch."""
        return json.dumps({"v": 2, **asdict(self)}, sort_keys=True)

    async def _probe(self, ctx: ConnectorContext, office: str, years: list[FiscalYear]) -> None:
        """Mark the years with a transaction changed, added or deleted since the markers."""
        after = dt.datetime.strptime(self.modified, STAMP) + dt.timedelta(seconds=1)
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
        self.pending = [year.label for year in years if year.label in moved]


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


def _day(value: str) -> dt.date | None:
    digits = value.strip().replace("-", "")[:8]
    try:
        return dt.datetime.strptime(digits, "%Y%m%d").date() if digits else None
    except ValueError:
        return None


def _read(cursor: str | None) -> TrialBalanceGate | None:
    """The stored gate, or None for a first read. A first-version cursor keeps its done years."""
    try:
        raw: Any = json.loads(cursor) if cursor else None
    except ValueError:
        return None
    if not isinstance(raw, dict):
        return None
    if raw.get("v") != 2:
        done = raw.get("done")
        if isinstance(done, list):
            return TrialBalanceGate(years=[], pending=[], done=[str(d) for d in done], modified="",
                                    deleted_from="")
        return None
    try:
        return TrialBalanceGate(
            years=list(raw["years"]), pending=list(raw["pending"]), done=list(raw["done"]),
            modified=str(raw["modified"]), deleted_from=str(raw["deleted_from"]),
            deleted_seen=list(raw["deleted_seen"]),
        )
    except (KeyError, TypeError):
        return None

"""Where a ledger line counts: in its booking period when the package gives one, else by date.

A line dated 2025-01-03 that the package books in period 12 of 2024 belongs to 2024: in the
year's figures, in a *since* link from 2025-01-01 (it stays with the history before the date), in
the period queries of the store and in ``sfsync show --year 2024``. A line's *place* is a day in
its booking period: its date when the date lies in that period, else the period's nearest end.
The stores keep it as ``placed_on`` (NULL when it is the date) and query by it.

The booking period is found from the line's ``period`` and ``fiscal_year``: the fiscal year named
by its label when the package gives one, else the year the date falls in or a neighbouring year,
whichever has that period nearest the date (a January line booked in period 12 belongs to the
December before). Period 0 (opening) counts at the year's first day, a period after the last
(13, closing) at its last day. A line whose named year has no such period counts in that year
(its date, or the nearest end of the year); a line with neither counts by its date.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Callable, Sequence

from sfsync.ledger_columns import LedgerColumns
from sfsync.models import FiscalYear

__all__ = ["Placer", "counted_from", "placed_days"]


class Placer:
    """Places lines in the booking periods of a set of fiscal years (build once per batch)."""

    def __init__(self, years: Sequence[FiscalYear]) -> None:
        self._years = sorted(years, key=lambda y: y.start)
        self._starts = [y.start for y in self._years]
        self._by_label = {y.label: i for i, y in enumerate(self._years) if y.label}
        self._periods = [{p.number: (p.start, p.end) for p in y.periods} for y in self._years]

    def _index_of(self, day: dt.date) -> int | None:
        i = bisect.bisect_right(self._starts, day) - 1
        if i >= 0 and self._years[i].contains(day):
            return i
        return None

    def _range(self, index: int, period: int) -> tuple[dt.date, dt.date] | None:
        periods, year = self._periods[index], self._years[index]
        if not periods:
            return None
        if period in periods:
            return periods[period]
        if period == 0:
            return year.start, year.start
        if period > max(periods):
            return year.end, year.end
        return None

    def place(self, day: dt.date, period: int | None, fiscal_year: str | None = None) -> dt.date | None:
        """The day a line counts on when that is not its date (``None``: its date)."""
        if not self._years:
            return None
        # By index, not by the year itself: comparing FiscalYear models costs more than placing.
        named = self._by_label.get(fiscal_year) if fiscal_year else None
        if named is not None and (period is None or self._range(named, period) is None):
            # The package names the year but no period of it: the line counts in that year.
            year = self._years[named]
            placed = min(max(day, year.start), year.end)
            return None if placed == day else placed
        if period is None:
            return None
        if named is not None:
            candidates = [named]
        else:
            here = self._index_of(day)
            if here is None:
                return None
            candidates = [i for i in (here, here - 1, here + 1) if 0 <= i < len(self._years)]
        best: tuple[int, dt.date] | None = None
        for index in candidates:
            found = self._range(index, period)
            if found is None:
                continue
            start, end = found
            placed = min(max(day, start), end)
            distance = abs((placed - day).days)
            if best is None or distance < best[0]:
                best = (distance, placed)
        if best is None or best[1] == day:
            return None
        return best[1]


def placed_days(
    lines: LedgerColumns, years: Sequence[FiscalYear] | Callable[[], Sequence[FiscalYear]]
) -> list[dt.date | None] | None:
    """Each line's place when it is not its date, or ``None`` when every line counts by date.

    ``years`` may be a callable (a store's query), called only when some line has a period or
    a fiscal year: a batch without either costs one pass over those columns."""
    periods, named = lines.column("period"), lines.column("fiscal_year")
    unnamed = named.count(None) == len(named)  # counted at C speed
    if unnamed and periods.count(None) == len(periods):
        return None
    given = years() if callable(years) else years
    if not given:
        return None
    if unnamed and not any(year.periods for year in given):
        return None  # a period number of a year without period dates places nothing: all by date
    placer = Placer(given)
    # Lines of one day and period share their place: most batches have few distinct keys, so
    # each key is placed once and the lines look theirs up at C speed.
    keys = list(zip(lines.column("date"), periods, named, strict=True))
    places = {key: placer.place(*key) for key in set(keys)}
    if not any(places.values()):
        return None
    return list(map(places.__getitem__, keys))


def counted_from(lines: LedgerColumns, day: dt.date, years: Sequence[FiscalYear]) -> LedgerColumns:
    """The lines that count on or after ``day`` (by booking period, else date): what a *since*
    link takes from a batch."""
    placed = placed_days(lines, years)
    if placed is None:
        return lines.dated_from(day)
    keep = [(p or d) >= day for p, d in zip(placed, lines.column("date"), strict=True)]
    return lines if all(keep) else lines.only(keep)

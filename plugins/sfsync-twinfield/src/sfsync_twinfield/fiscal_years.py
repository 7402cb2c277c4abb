"""Book years and their period tables (``PeriodService.svc``), read once and then checked.

``GetYears`` is one query; each year's table (``GetPeriods``) is one more, so reading them all
every night cost a request per book year. Period tables rarely change once set up, so the tables
are kept per office in the connection's state: a night asks ``GetYears`` only and reuses the
tables when the list of years is the same, reading every table again when it is not (a year
added or deleted) and at least once every :data:`REFRESH` (a period closed or an end date
changed shows within a week).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

from sfsync.clock import stamped_within
from sfsync.context import ConnectorContext

__all__ = ["REFRESH", "PeriodTable", "YearsCache"]

REFRESH = dt.timedelta(days=7)

PeriodTable = list[tuple[int, dt.date, bool]]
"""One book year's periods: number, end date, open."""


class YearsCache:
    """The period tables of one office, kept in the connection's state under ``periods``."""

    def __init__(self, ctx: ConnectorContext, office: str) -> None:
        self.ctx, self.office = ctx, office

    async def tables(
        self, years: list[int], read: Callable[[int], Awaitable[PeriodTable]]
    ) -> list[tuple[str, PeriodTable]]:
        """Each year's table: the kept ones when ``years`` is what they were read for and they
        are fresh enough, else every table read again with ``read`` (and kept)."""
        now = self.ctx.clock.now()
        kept = self.ctx.state.get("periods", {}).get(self.office)
        if kept and kept.get("years") == years and stamped_within(kept.get("read"), now, REFRESH):
            return [(label, _table(rows)) for label, rows in kept["tables"]]
        tables = [(str(year), await read(year)) for year in years]
        entry = {
            "years": years,
            "read": now.isoformat(),
            "tables": [
                [label, [[number, end.isoformat(), is_open] for number, end, is_open in table]]
                for label, table in tables
            ],
        }

        def keep(state: dict[str, Any]) -> None:
            # Merged into the latest stored state: dossiers of other offices share the connection.
            state.setdefault("periods", {})[self.office] = entry

        await self.ctx.update_state(keep)
        return tables



def _table(rows: list[list[Any]]) -> PeriodTable:
    return [(int(number), dt.date.fromisoformat(end), bool(is_open)) for number, end, is_open in rows]

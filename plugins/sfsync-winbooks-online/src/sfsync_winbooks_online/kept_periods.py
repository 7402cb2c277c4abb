"""A folder's book periods, read once and then kept in the connection's state.

WinBooks on Web's fiscal years need two lists: the BookYears (one Get All) and their
BookPeriods (another). Periods are made with their year and do not move after, so reading both
every night spent a request on a stream that does not change. A night reads the BookYears only
(their closed flag is what changes) and reuses the kept periods while the years are the same ones
(the same Ids); a year added or removed, or periods older than :data:`REFRESH`, reads them again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

from sfsync.clock import stamped_within
from sfsync.context import ConnectorContext

from sfsync_winbooks_online.assumed import PERIOD_YEAR_FIELD

__all__ = ["REFRESH", "STATE_KEY", "kept_periods"]

REFRESH = dt.timedelta(days=7)
STATE_KEY = "book_periods"
"""Where in the connection's state: folder code -> {years, read, rows}."""

_FIELDS = ("Id", PERIOD_YEAR_FIELD, "Number", "RelatedYear", "RelatedMonth")
"""What :func:`sfsync_winbooks_online.mapping.to_fiscal_years` reads of a BookPeriod: all that is kept."""


async def kept_periods(
    ctx: ConnectorContext, folder: str, years: list[dict[str, Any]], read: Callable[[], Awaitable[list[dict[str, Any]]]]
) -> list[dict[str, Any]]:
    """The folder's BookPeriods: the kept ones when they were read for these ``years`` and are
    fresh enough, else read again with ``read`` (and kept)."""
    ids = sorted(str(y.get("Id")) for y in years)
    now = ctx.clock.now()
    kept = ctx.state.get(STATE_KEY, {}).get(folder)
    if kept and kept.get("years") == ids and stamped_within(kept.get("read"), now, REFRESH):
        return list(kept["rows"])
    rows = [{name: row.get(name) for name in _FIELDS} for row in await read()]
    entry = {"years": ids, "read": now.isoformat(), "rows": rows}

    def keep(state: dict[str, Any]) -> None:
        # Merged into the latest stored state: other folders' dossiers share the connection.
        state.setdefault(STATE_KEY, {})[folder] = entry

    await ctx.update_state(keep)
    return rows


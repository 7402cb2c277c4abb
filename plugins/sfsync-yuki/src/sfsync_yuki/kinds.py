"""Account kinds (balance sheet or profit and loss) from ``GLAccountBalance``, kept between nights.

Yuki's chart (``GetGLAccountScheme``) does not say whether an account is a balance-sheet or a P&L
account; ``GLAccountBalance`` on the last closed year's end does (its ``BalanceType``). Those
balances only change when that year's transactions change, so the kinds are kept in the
connection's state with the year's modified stamp, and asked again only when:

- the day moves (another fiscal year closed),
- the chart's codes are not the ones the kinds were read with (an account added or removed), or
- the year's last seen modified stamp (``GetFinancialYearModifiedDate``, persisted by every stream
  that asks it) differs from the one the kinds were read at.

An unchanged night so costs the chart one request (the scheme) instead of two.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sfsync_yuki import books
from sfsync_yuki.client import YukiClient

__all__ = ["account_kinds"]


async def account_kinds(client: YukiClient, admin: books.AdminInfo, years: list[books.YukiYear],
                        codes: set[str]) -> dict[str, str]:
    """``BalanceType`` per account code, from the state when nothing it depends on has changed."""
    if not years:
        return {}
    today = client.ctx.clock.now().date()
    closed = [y for y in years if y.end < today]
    # With no closed year the balances are today's and change with every booking: always ask.
    year = closed[-1] if closed else None
    day = year.end if year else today
    kept: dict[str, Any] = client.ctx.state.setdefault("account_kinds", {}).get(admin.id) or {}
    stamp = books.last_seen_stamp(client, admin, year) if year else None
    if year and stamp is None:
        stamp = await books.modified_stamp(client, admin, year)
    chart = _digest(codes)
    if year and kept.get("day") == day.isoformat() and kept.get("stamp") == stamp and kept.get("chart") == chart:
        return dict(kept.get("kinds", {}))
    kinds = {code: kind for code, (_, kind, _) in (await books.balances(client, admin, day)).items()}
    if year:
        client.ctx.state["account_kinds"][admin.id] = {
            "day": day.isoformat(), "stamp": stamp, "chart": chart, "kinds": kinds,
        }
        await client.ctx.save_state()
    return kinds


def _digest(codes: set[str]) -> str:
    """The chart's codes in a few bytes: the connection state holds every administration of a
    firm, and is saved after every call."""
    return hashlib.sha256("\n".join(sorted(codes)).encode()).hexdigest()[:16]

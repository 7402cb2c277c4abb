"""Yuki's daily call budget: about 1,000 web-service calls a day per domain.

Calls are counted per domain in the connection's state, with the day they were made on (Yuki's
day: Europe/Amsterdam). Before a costly step the connector asks whether it fits in what is left;
when it does not, the run stops cleanly with :class:`~sfsync.errors.BudgetExhausted` saying when
it can continue (the next midnight in Amsterdam).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sfsync.context import ConnectorContext
from sfsync.errors import BudgetExhausted

from sfsync_yuki.soap import AMSTERDAM, next_reset

__all__ = ["DEFAULT_DAILY_LIMIT", "Budget"]

DEFAULT_DAILY_LIMIT = 1000
UNASSIGNED = "_unassigned"


class Budget:
    """Calls made today per domain, kept in ``ctx.state["budget"]``."""

    def __init__(self, ctx: ConnectorContext, limit: int | None = None) -> None:
        self.ctx = ctx
        self.limit = int(limit or ctx.config.get("daily_call_limit") or DEFAULT_DAILY_LIMIT)

    @property
    def _state(self) -> dict[str, Any]:
        state: dict[str, Any] = self.ctx.state.setdefault("budget", {})
        return state

    def today(self) -> str:
        return self.ctx.clock.now().astimezone(AMSTERDAM).date().isoformat()

    def used(self, domain: str | None) -> int:
        entry = self._state.get(domain or UNASSIGNED)
        if not entry or entry.get("day") != self.today():
            return 0
        return int(entry.get("calls", 0))

    def remaining(self, domain: str | None) -> int:
        return max(0, self.limit - self.used(domain))

    def resume_at(self) -> dt.datetime:
        return next_reset(self.ctx.clock.now())

    def charge(self, domain: str | None, calls: int = 1, *, what: str = "") -> None:
        """Count ``calls`` against ``domain``; refuse when today's budget is spent."""
        if self.remaining(domain) < calls:
            raise self.exhausted(domain, needed=calls, what=what)
        key = domain or UNASSIGNED
        today = self.today()
        entry = self._state.get(key)
        if not entry or entry.get("day") != today:
            entry = {"day": today, "calls": 0}
        entry["calls"] = int(entry["calls"]) + calls
        self._state[key] = entry

    def reassign(self, domain: str) -> None:
        """Move calls counted before the domain was known onto it."""
        pending = self.used(UNASSIGNED)
        self._state.pop(UNASSIGNED, None)
        if pending:
            today = self.today()
            entry = self._state.get(domain)
            if not entry or entry.get("day") != today:
                entry = {"day": today, "calls": 0}
            entry["calls"] = int(entry["calls"]) + pending
            self._state[domain] = entry

    def spent(self, domain: str | None) -> None:
        """Yuki said the limit is reached (other applications use the same domain's budget)."""
        self._state[domain or UNASSIGNED] = {"day": self.today(), "calls": max(self.limit, self.used(domain))}

    def require(self, domain: str | None, calls: int, *, what: str, done: str = "") -> None:
        """Stop cleanly, before starting ``what``, when its ``calls`` do not fit in today's budget."""
        if self.remaining(domain) < calls:
            raise self.exhausted(domain, needed=calls, what=what, done=done)

    def exhausted(self, domain: str | None, *, needed: int, what: str = "", done: str = "") -> BudgetExhausted:
        resume = self.resume_at()
        text = (
            f"Yuki's daily budget of {self.limit} web-service calls for domain {domain or '?'} is "
            f"spent ({self.used(domain)} used today, {self.remaining(domain)} left)"
        )
        if what:
            text += f"; {what} needs {needed} more"
        text += "."
        if done:
            text += f" Kept what was synced: {done}."
        text += (
            f" The sync must wait for the next day: it continues from its checkpoint after "
            f"{resume.astimezone(AMSTERDAM):%Y-%m-%d %H:%M} Europe/Amsterdam."
        )
        return BudgetExhausted(text, resume_at=resume, retry_after=(resume - self.ctx.clock.now()).total_seconds())

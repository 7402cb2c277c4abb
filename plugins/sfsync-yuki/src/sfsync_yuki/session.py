"""Yuki sessions: ``Authenticate(accessKey)`` gives a session id that lives 24 hours.

The id is kept in ``ctx.state["session"]`` with its expiry and the session's current domain, and
reused by every run until it is about to expire; a session fault (Yuki forgot it earlier) renews
it once. The access key itself only ever travels in the ``Authenticate`` envelope.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

__all__ = ["RENEW_MARGIN", "SESSION_LIFETIME", "SessionStore"]

SESSION_LIFETIME = dt.timedelta(hours=24)
RENEW_MARGIN = dt.timedelta(hours=1)
"""Renew a little early, so a long run does not lose its session half-way."""


class MaskedId(str):
    """A session id that prints as ``***``: the context's repr shows its state (see the report)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "'***'"


class SessionStore:
    """The session part of the connection state."""

    def __init__(self, state: dict[str, Any]) -> None:
        self.state = state
        session = state.get("session")
        if isinstance(session, dict) and isinstance(session.get("id"), str):
            session["id"] = MaskedId(session["id"])

    @property
    def _session(self) -> dict[str, Any]:
        session = self.state.get("session")
        return session if isinstance(session, dict) else {}

    def valid_id(self, now: dt.datetime) -> str | None:
        session = self._session
        if not session.get("id") or not session.get("expires_at"):
            return None
        expires = dt.datetime.fromisoformat(session["expires_at"])
        if now >= expires - RENEW_MARGIN:
            return None
        return str(session["id"])

    def store(self, session_id: str, now: dt.datetime, domain: str | None) -> None:
        self.state["session"] = {
            "id": MaskedId(session_id),
            "expires_at": (now + SESSION_LIFETIME).isoformat(),
            "domain": domain,
        }

    def forget(self) -> None:
        self.state.pop("session", None)

    @property
    def domain(self) -> str | None:
        value = self._session.get("domain")
        return str(value) if value else None

    @domain.setter
    def domain(self, value: str | None) -> None:
        if self.state.get("session"):
            self.state["session"]["domain"] = value

    @property
    def home_domain(self) -> str | None:
        value = self.state.get("home_domain")
        return str(value) if value else None

    @home_domain.setter
    def home_domain(self, value: str | None) -> None:
        self.state["home_domain"] = value

"""Forms waiting for their one-time code (AFAS's OTP): the second step of a support form.

Support staff fill in the package's form and click *send code*; the package mails the code to its
user, and the page asks for it. The filled-in form holds secrets (AFAS's API key and environment
key) that must never be rendered into the second page, so it waits here, in the host's memory,
under a random key that only the person who filled it in may use; the code step sends back just
that key and the code. A waiting form is dropped once its connection is made, or after
:data:`KEPT_FOR` (the code itself is good for minutes only).
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from typing import Any

__all__ = ["KEPT_FOR", "CodeWait", "WaitingForCodes"]

KEPT_FOR = dt.timedelta(minutes=15)
"""How long a filled-in form waits for its code."""


@dataclass(frozen=True)
class CodeWait:
    """One filled-in form waiting for its code.

    Attributes:
        user_id: Who filled it in (the only one who may finish it).
        connector: The package.
        firm_id: The firm the connection is for.
        values: The form as posted, without the code (secrets included: never render them).
        sent: What the package said about where the code went.
        until: When it is dropped.
    """

    user_id: str
    connector: str
    firm_id: str
    values: dict[str, Any] = field(repr=False)
    sent: str
    until: dt.datetime

    def shown(self, secret_names: set[str]) -> dict[str, Any]:
        """The values that may be shown again on the code step (none of the secret ones)."""
        return {k: v for k, v in self.values.items() if k not in secret_names and v not in ("", None)}


@dataclass
class WaitingForCodes:
    """The host's forms waiting for their one-time code, by their random key."""

    waiting: dict[str, CodeWait] = field(default_factory=dict)

    def keep(self, wait: CodeWait, now: dt.datetime) -> str:
        """Keep ``wait`` and answer its key (what the code step posts back)."""
        self.waiting = {k: w for k, w in self.waiting.items() if w.until > now}
        key = secrets.token_urlsafe(24)
        self.waiting[key] = wait
        return key

    def find(self, key: str, user_id: str, connector: str, firm_id: str, now: dt.datetime) -> CodeWait | None:
        """The form kept under ``key`` when it is this person's, for this package and firm, and
        still waiting; else ``None`` (another person's key is not even confirmed)."""
        wait = self.waiting.get(key)
        if wait is None or wait.until <= now:
            return None
        if (wait.user_id, wait.connector, wait.firm_id) != (user_id, connector, firm_id):
            return None
        return wait

    def drop(self, key: str) -> None:
        """Forget the form kept under ``key`` (its connection is made)."""
        self.waiting.pop(key, None)

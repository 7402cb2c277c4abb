"""Octopus's two tokens: the login token (``POST /authentication``) and the dossier token
(``POST /dossiers?dossierId=N``), each valid 10 minutes on the sandbox's clock (manual:
authentication.htm, dossiertoken.htm). A dossier token opens only its own dossier."""

from __future__ import annotations

import secrets

from sfsync.clock import Clock

from sfsync_octopus.facts import TOKEN_SECONDS

__all__ = ["Tokens"]


class Tokens:
    """The tokens the sandbox issued, with their expiry (epoch seconds)."""

    def __init__(self, clock: Clock, lifetime: float = TOKEN_SECONDS) -> None:
        self.clock = clock
        self.lifetime = lifetime
        self._logins: dict[str, float] = {}
        self._dossiers: dict[str, tuple[int, float]] = {}
        self.issued_logins = 0
        self.issued_dossier_tokens = 0

    def _now(self) -> float:
        return self.clock.now().timestamp()

    def login(self, user: str) -> str:
        token = secrets.token_urlsafe(24)
        self._logins[token] = self._now() + self.lifetime
        self.issued_logins += 1
        return token

    def login_valid(self, token: str) -> bool:
        return self._logins.get(token, 0.0) > self._now()

    def connect(self, dossier: int) -> str:
        token = secrets.token_urlsafe(24)
        self._dossiers[token] = (dossier, self._now() + self.lifetime)
        self.issued_dossier_tokens += 1
        return token

    def dossier_valid(self, token: str, dossier: int) -> bool:
        number, expires = self._dossiers.get(token, (None, 0.0))
        return number == dossier and expires > self._now()

    def expire_all(self) -> None:
        """Every token dies now (ten minutes passed in the middle of a sync)."""
        self._logins.clear()
        self._dossiers.clear()

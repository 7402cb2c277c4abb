"""An offline AdminPulse (client master data) for tests, the demo and benchmarks.

``AdminPulseSandbox()`` is one accounting office with its relations (:mod:`.relations`): Belgian
companies with valid enterprise and VAT numbers, Dutch and French addresses, contacts and fiscal
years, beside a private person and a prospect. It serves ``GET /relations`` and
``GET /relations/{id}`` (:mod:`.app`, written by :mod:`.wire`) behind the office's API key as a
Bearer token, and AdminPulse's 480 calls a minute per key with a 429 and ``Retry-After`` (on the
toolkit's :class:`~sfsync.sandbox.limits.RateLimits`). Facts and what is assumed:
:mod:`sfsync_adminpulse.facts`.

Knobs: ``clock`` (a ``ScaledClock`` or ``FakeClock``), ``seed``, ``extra`` (generated companies,
for benchmarks), ``per_minute`` and ``window_seconds`` (a shorter minute for tests), plus the
core's generic ``faults``. Between syncs, :meth:`AdminPulseSandbox.edit_company_details` moves a
company and renames its contact, as an office's staff would after the first sync.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sfsync.clock import Clock
from sfsync.sandbox import Sandbox
from sfsync.sandbox.limits import Quota, RateLimits, Verdict
from sfsync.sandbox.routing import BaseRoute, Request, Response
from sfsync.truth import PackageTruth

from sfsync_adminpulse.facts import API_BASE, MINUTE_LIMIT
from sfsync_adminpulse.sandbox.app import api_routes
from sfsync_adminpulse.sandbox.relations import Address, Contact, Relation, seed_relations
from sfsync_adminpulse.sandbox.truth import relation_truth
from sfsync_adminpulse.sandbox.wire import error_response

__all__ = ["AdminPulseSandbox"]


def _too_many(verdict: Verdict) -> Response:
    return error_response(429, "Too many requests: the rate limit is 480 calls/min",
                          {"Retry-After": str(verdict.retry_after)})


class AdminPulseSandbox(Sandbox):
    """AdminPulse, offline: one office, its relations, its API key."""

    connector = "adminpulse"
    base_urls = (API_BASE,)

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        seed: int = 25,
        extra: int = 0,
        per_minute: int = MINUTE_LIMIT,
        window_seconds: float = 60.0,
    ) -> None:
        self.clock = clock or Clock()
        self.api_key = f"ap-sandbox-{seed:02d}-5b1e0c7d9a4f4e21"
        self.live_keys = {self.api_key}
        self.relations: list[Relation] = seed_relations(self.clock.now(), seed, extra)
        self.by_id = {r.id: r for r in self.relations}
        self.observers: list[Callable[[str, list[dict[str, Any]]], None]] = []
        """Called with (route, relations served) for every answer (the spec tests check them)."""
        self.limits = RateLimits([Quota("minute", per_minute, window_seconds)], clock=self.clock, refused=_too_many)
        self._edits = 0
        super().__init__()

    def routes(self) -> list[BaseRoute]:
        return list(api_routes(self))

    def refusal(self, request: Request, status: int) -> Response:
        return error_response(status, "Resource not found" if status == 404 else "Method not allowed")

    def served(self, route: str, bodies: list[dict[str, Any]]) -> None:
        for observer in self.observers:
            observer(route, bodies)

    # --- connections ----------------------------------------------------------------------------

    def connection_config(self) -> dict[str, Any]:
        return {}

    def connection_secrets(self) -> dict[str, str]:
        return {"api_key": self.api_key}

    def bad_connection_secrets(self) -> dict[str, str]:
        return {"api_key": "ap-not-a-key-of-this-office"}

    def revoke(self) -> None:
        """The office replaces its API key: every call with the old one answers 401, and
        :meth:`connection_secrets` gives the new one (what a person re-enters)."""
        self.live_keys.clear()
        self._edits += 1
        self.api_key = f"ap-sandbox-renewed-{self._edits:02d}-e3a9c4b2"
        self.live_keys.add(self.api_key)

    def company_refs(self) -> list[str]:
        return [r.id for r in self.relations if r.is_company]

    def truth(self, company_ref: str) -> PackageTruth:
        return relation_truth(self.by_id[company_ref])

    # --- edits between syncs --------------------------------------------------------------------

    def edit_company_details(self, company_ref: str) -> None:
        """The company moves (a new registered address) and a contact gets another function."""
        relation = self.by_id[company_ref]
        self._edits += 1
        relation.address = Address("Nieuwstraat", str(100 + self._edits), "1000", "Brussel")
        relation.contacts = [Contact("An", "Peeters", "bestuurder"), *relation.contacts[1:]]
        relation.modified = self.clock.now().replace(microsecond=0).astimezone(dt.UTC)

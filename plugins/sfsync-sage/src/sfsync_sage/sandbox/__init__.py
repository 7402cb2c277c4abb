"""An offline Sage Business Cloud Accounting (API v3.1) for tests, the demo and benchmarks.

``SageSandbox()`` seeds three businesses (:mod:`.books`) behind one user login and serves what
the connector and third-party clients use, declared on the core's sandbox toolkit
(:mod:`sfsync.sandbox`): the OAuth2 authorization-code flow with 60-second codes, 5-minute access
tokens and single-use rotating refresh tokens whose reuse revokes the family (:mod:`.oauth`, on
the toolkit's server); ``X-Business`` per call; the ``$items`` envelope with ``items_per_page``
capped at 200 (:mod:`.wire`, on the toolkit's page numbers and exact JSON); Sage's error array;
limits per business with 429 and Retry-After (:mod:`.limits`, on the toolkit's quotas); the
Reporting API's trial balance. The route table is :mod:`.app`; its own figures :mod:`.truth`.

Knobs: ``clock`` (a ``ScaledClock`` or ``FakeClock``), ``seed``, ``main_entries`` (entries a month
in the first business, for benchmarks), ``latency`` (seconds a request takes, on the clock),
``limits`` (:class:`LimitConfig`), ``observers`` (see every answer), plus the core's generic
``faults``.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sfsync.clock import Clock
from sfsync.sandbox import Sandbox
from sfsync.sandbox.oauth import OAuthClient, OAuthUser
from sfsync.sandbox.routing import BaseRoute, Request, Response
from sfsync.truth import PackageTruth

from sfsync_sage.facts import API_HOST, AUTHORIZE_HOST, TOKEN_HOST
from sfsync_sage.sandbox.app import api_routes
from sfsync_sage.sandbox.books import Business, Entry, seed_businesses
from sfsync_sage.sandbox.limits import LimitConfig, sage_limits
from sfsync_sage.sandbox.oauth import SETTINGS, SageOAuthServer
from sfsync_sage.sandbox.truth import business_truth
from sfsync_sage.sandbox.wire import error_response

__all__ = ["LimitConfig", "SageSandbox"]


class SageSandbox(Sandbox):
    """Sage Business Cloud Accounting, offline."""

    connector = "sage-accounting"
    base_urls = (API_HOST, TOKEN_HOST, AUTHORIZE_HOST)
    username = "comptable@sandbox.example"
    password = "sandbox-password"

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        seed: int = 22,
        main_entries: int | None = None,
        latency: float = 0.0,
        limits: LimitConfig | None = None,
    ) -> None:
        self.clock = clock or Clock()
        self.latency = latency
        self.client_id = f"sandbox-{uuid.uuid5(uuid.NAMESPACE_URL, f'sfsync-sage:{seed}').hex[:24]}"
        self.client_secret = f"sandbox-secret-{seed}"
        self.user_id = uuid.uuid5(uuid.NAMESPACE_URL, "sfsync-sage-user").hex
        self.oauth_server: SageOAuthServer = SageOAuthServer(
            SETTINGS, clients=[OAuthClient(self.client_id, self.client_secret, name="sfsync (sandbox)")],
            users=[OAuthUser(self.username, self.password, subject=self.user_id, email=self.username)],
            clock=self.clock,
        )
        self.limits = sage_limits(limits or LimitConfig(), self.clock, lambda: self.businesses[0].id)
        self.requests: list[tuple[str, dict[str, str], str | None]] = []
        self.observers: list[Callable[[str, dict[str, str], int, bytes], None]] = []
        """Called with (path, query, status, body) for every API answer the handlers give (the
        tests check them against Sage's swagger)."""
        now = self.clock.now()
        self.businesses: list[Business] = seed_businesses(now.date(), now, seed, main_entries)
        self.by_id = {b.id: b for b in self.businesses}
        self._touched: set[str] = set()
        self._by_change: dict[str, tuple[int, list[Entry]]] = {}
        super().__init__()

    def routes(self) -> list[BaseRoute]:
        return list(api_routes(self))

    def refusal(self, request: Request, status: int) -> Response:
        return error_response(status, "RecordNotFound" if status == 404 else "MethodNotAllowed",
                              f"{request.method} {request.url.path} is not served", "path")

    # --- what the API serves ------------------------------------------------------------------------

    def business_json(self, business: Business) -> dict[str, Any]:
        street, city, postal = business.address
        country = {"FR": "France", "IE": "Ireland"}[business.country]
        return {
            "id": business.id,
            "displayed_as": business.name,
            "name": business.name,
            "created_at": business.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "updated_at": business.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "address_line_1": street,
            "address_line_2": "",
            "city": city,
            "postal_code": postal,
            "region": "",
            "country": {"id": business.country, "displayed_as": f"{country} ({business.country})"},
            "telephone": business.telephone,
            "mobile": "",
            "website": "",
            "is_demo": False,
            "ni_based": False,
            "subscriptions": [{"id": "ACCOUNTING", "displayed_as": "Accounting", "active": True, "status": "active"}],
        }

    def by_change(self, business: Business) -> list[Entry]:
        """Every entry, deleted ones too, in the order lists are paged: by ``updated_at``, then id
        (Sage's own order is undocumented; this one pages stably)."""
        cached = self._by_change.get(business.id)
        if cached is None or cached[0] != business.revision:
            ordered = sorted(business.entries.values(), key=lambda e: (e.updated_at, e.id))
            cached = self._by_change[business.id] = (business.revision, ordered)
        return cached[1]

    def year_of(self, business: Business, day: dt.date) -> tuple[dt.date, dt.date]:
        for start, end in business.years:
            if start <= day <= end:
                return start, end
        return business.years[-1] if day > business.years[-1][1] else business.years[0]

    def totals(
        self, business: Business, start: dt.date, end: dt.date
    ) -> list[tuple[Any, Decimal, Decimal, Decimal]]:
        """(account, opening, debit, credit) for every account that has any, over [start, end].

        Opening: balance-sheet accounts carry everything before ``start`` (and the opening
        balance journal); profit-and-loss accounts start each fiscal year at zero, their earlier
        years' result sits in the retained-earnings account."""
        year_start = self.year_of(business, start)[0]
        retained = business.role("retained")
        opening: dict[str, Decimal] = defaultdict(Decimal)
        debit: dict[str, Decimal] = defaultdict(Decimal)
        credit: dict[str, Decimal] = defaultdict(Decimal)
        for account, amount in business.opening:
            opening[account.id] += amount
        for entry in business.live_entries():
            signed = entry.debit - entry.credit
            if entry.date < start:
                if not entry.account.profit_and_loss or entry.date >= year_start:
                    opening[entry.account.id] += signed
                else:
                    opening[retained.id] += signed
            elif entry.date <= end:
                debit[entry.account.id] += entry.debit
                credit[entry.account.id] += entry.credit
        rows = []
        for account in sorted(business.accounts, key=lambda a: a.nominal_code):
            o, d, c = opening[account.id], debit[account.id], credit[account.id]
            if o or d or c:
                rows.append((account, o, d, c))
        return rows

    # --- connections ----------------------------------------------------------------------------------

    def connection_config(self) -> dict[str, Any]:
        return {"client_id": self.client_id}

    def connection_secrets(self) -> dict[str, str]:
        return {"client_secret": self.client_secret}

    def bad_connection_secrets(self) -> dict[str, str]:
        return {"client_secret": "not-the-client-secret"}

    def company_refs(self) -> list[str]:
        return [b.id for b in self.businesses]

    def truth(self, company_ref: str) -> PackageTruth:
        return business_truth(self.business(company_ref))

    # --- data changes between syncs -------------------------------------------------------------------

    def business(self, ref: str) -> Business:
        return self.by_id[ref]

    def _now(self) -> dt.datetime:
        return self.clock.now().replace(microsecond=0)

    def _recent(self, business: Business) -> list[Entry]:
        latest = business.years[-1][0]
        rows = [e for e in business.live_entries() if e.date >= latest and e.transaction_id not in self._touched]
        return sorted(rows, key=lambda e: (e.date, e.id))

    def add_entry(self, company_ref: str) -> list[str]:
        business = self.business(company_ref)
        today = self.clock.now().date()
        day = min(max(today, business.years[-1][0]), business.years[-1][1])
        amount = Decimal("123.45")
        transaction = secrets.token_hex(16)
        stamp = self._now()
        ids = []
        for role, d, c in (("debtors", amount, Decimal(0)), ("sales", Decimal(0), amount)):
            entry = Entry(
                id=secrets.token_hex(16), transaction_id=transaction, transaction_label="SI-NEW",
                date=day, account=business.role(role), debit=d, credit=c,
                description="Facture ajoutée", journal_code="VT" if business.country == "FR" else None,
                contact="Nouveau client", created_at=stamp, updated_at=stamp,
            )
            business.entries[entry.id] = entry
            ids.append(entry.id)
        self._touched.add(transaction)
        business.revision += 1
        return ids

    def edit_line(self, company_ref: str) -> str:
        business = self.business(company_ref)
        entry = self._recent(business)[0]
        self._touched.add(entry.transaction_id)
        entry.description += " (modifié)"
        entry.updated_at = self._now()
        business.revision += 1
        return entry.id

    def delete_entry(self, company_ref: str) -> list[str]:
        """Void a seeded transaction: Sage keeps its ledger entries, flagged ``deleted``, with a
        new ``updated_at`` (UNVERIFIED: how long Sage keeps serving deleted entries)."""
        business = self.business(company_ref)
        victim = self._recent(business)[-1].transaction_id
        self._touched.add(victim)
        stamp = self._now()
        ids = []
        for entry in business.entries.values():
            if entry.transaction_id == victim:
                entry.deleted = True
                entry.updated_at = stamp
                ids.append(entry.id)
        business.revision += 1
        return sorted(ids)

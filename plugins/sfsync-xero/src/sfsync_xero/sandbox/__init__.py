"""An offline Xero: identity (login page, token endpoint, connections) and the Accounting API
endpoints sfsync uses, seeded with three organisations (a Belgian SRL with a July-June year, a
Dutch importer booking in USD, a small Belgian bakery with an April-March year).

Knobs: ``years`` (at most this many fiscal years of history), ``volume`` (documents per month
as a factor), ``tier`` (``advanced`` or ``starter``: no /Journals, 1,000 calls a day),
``latency`` (seconds per call), ``clock`` or ``time_scale`` (a ``ScaledClock``: ``60`` makes
Xero's minute pass in a second and tokens expire in 30 s), the limits (``minute_limit``,
``day_limit``, ``concurrent_limit``, ``app_minute_limit``), ``faults`` (injected responses),
``spec_check`` (check every request and response against Xero's OpenAPI spec; problems are
collected in ``spec_violations``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import httpx
from sfsync.clock import Clock, ScaledClock
from sfsync.sandbox import Sandbox
from sfsync.sandbox.oauth import OAuthClient, OAuthUser, login_at, ticked
from sfsync.sandbox.routing import BaseRoute, Request, Response
from sfsync.truth import PackageTruth

from sfsync_xero.sandbox.app import XeroApp
from sfsync_xero.sandbox.data import Seeder, SJournal, SLine, SOrg, seed_organisation
from sfsync_xero.sandbox.identity import XeroIdentity, connections
from sfsync_xero.sandbox.limits import xero_limits
from sfsync_xero.sandbox.spec import SpecChecker
from sfsync_xero.sandbox.truth import organisation_truth

__all__ = ["XeroSandbox"]

CLIENT_ID = "SFSYNCSANDBOXWEBAPP0000000000001"
CLIENT_SECRET = "sandbox-secret-7f3a9c"
PKCE_CLIENT_ID = "SFSYNCSANDBOXPKCEAPP000000000002"
USER_EMAIL = "boekhouding@lemaire.example"
USER_PASSWORD = "Sandbox-Passw0rd!"
REDIRECT_URI = "http://localhost:8765/callback"


class XeroSandbox(Sandbox):
    connector = "xero"
    base_urls = ("https://login.xero.com", "https://identity.xero.com", "https://api.xero.com")

    def __init__(
        self,
        connector: str = "xero",
        *,
        clock: Clock | None = None,
        tier: str = "advanced",
        volume: float = 1.0,
        latency: float = 0.0,
        spec_check: bool = False,
        today: dt.date | None = None,
        years: int | None = None,
        time_scale: float | None = None,
    ) -> None:
        self.connector = connector
        # time_scale=60 makes Xero's minute pass in a second (and tokens expire in 30 s).
        self.clock = clock or (ScaledClock(time_scale) if time_scale else Clock())
        self.latency = latency
        self.minute_limit = 60
        self.day_limit = 5000
        self.concurrent_limit = 5
        self.app_minute_limit = 10_000
        self.requests: list[tuple[str, str, dict[str, str], dict[str, str]]] = []
        self.rate_limited: list[str] = []
        self.spec_checker = SpecChecker() if spec_check else None
        self.spec_violations: list[str] = []
        day = today or self.clock.now().date()
        self.orgs: list[SOrg] = [seed_organisation(i, day, volume, years=years) for i in range(3)]
        self.identity = self.oauth_server = XeroIdentity(
            clients=[OAuthClient(CLIENT_ID, CLIENT_SECRET, name="sfsync sandbox web app"),
                     OAuthClient(PKCE_CLIENT_ID, None, name="sfsync sandbox PKCE app")],
            user=OAuthUser(USER_EMAIL, USER_PASSWORD, email=USER_EMAIL, name="Boekhouding Lemaire"),
            tenants={o.id: o.name for o in self.orgs}, tier=tier, clock=self.clock,
            token_check=self._check_token_answer,
        )
        self.limiter = xero_limits(self)
        self._counter = 0
        self._added: set[str] = set()
        self.xero_app = XeroApp(self)
        super().__init__()

    # --- the app -------------------------------------------------------------------------------

    def routes(self) -> list[BaseRoute]:
        return self.xero_app.routes()

    async def refusal(self, request: Request, status: int) -> Response:  # type: ignore[override]  # async is allowed
        return await self.xero_app.refusal(request, status)

    @property
    def tier(self) -> str:
        return self.identity.tiers[CLIENT_ID]

    @tier.setter
    def tier(self, value: str) -> None:
        for client_id in self.identity.tiers:
            self.identity.tiers[client_id] = value

    def _check_token_answer(self, body: dict[str, Any]) -> None:
        if self.spec_checker is not None:
            self.spec_violations += self.spec_checker.check_schema("AccessToken", body)

    def org(self, tenant_id: str) -> SOrg | None:
        return next((o for o in self.orgs if o.id == tenant_id), None)

    def api_requests(self, path_part: str = "") -> list[tuple[str, str, dict[str, str], dict[str, str]]]:
        """The Accounting API calls received (optionally only those whose path contains a part)."""
        return [r for r in self.requests if r[1].startswith("/api.xro/2.0") and path_part in r[1]]

    # --- connections ---------------------------------------------------------------------------

    def connection_config(self) -> dict[str, Any]:
        return {"client_id": CLIENT_ID}

    def connection_secrets(self) -> dict[str, str]:
        return {"client_secret": CLIENT_SECRET}

    def bad_connection_secrets(self) -> dict[str, str]:
        return {"client_secret": "not-the-secret"}

    async def authorize(self, client: httpx.AsyncClient, authorize_url: str, *, tenants: list[str] | None = None) -> str:
        """Log in at the sandbox's page and allow the ticked organisations (all by default)."""
        page = await client.get(authorize_url, follow_redirects=False)
        if page.status_code == 302:
            return page.headers["location"]  # an error sent straight back (bad scope…)

        return await login_at(client, authorize_url, USER_EMAIL, USER_PASSWORD,
                              fields=self.identity.settings.login_fields,
                              choose=lambda text: ticked(text, "tenant", tenants))

    def company_refs(self) -> list[str]:
        return [o.id for o in self.orgs]

    def truth(self, company_ref: str) -> PackageTruth:
        org = next(o for o in self.orgs if o.id == company_ref)
        return organisation_truth(org, reports=self.connector == "xerotb", today=self.clock.now().date())

    # --- changes between syncs -----------------------------------------------------------------

    def _seeder(self, org: SOrg) -> Seeder:
        import random

        self._counter += 1
        roles = {name: account for name, account in
                 (("debtors", org.system("DEBTORS")), ("vat_out", org.system("GST"))) if account is not None}
        seeder = Seeder(random.Random(f"edit-{org.id}-{self._counter}"), org, {})
        seeder.acct = lambda role: roles[role] if role in roles else next(  # type: ignore[method-assign]
            a for a in org.accounts if a.cls == "REVENUE" and a.status == "ACTIVE")
        return seeder

    def _org(self, company_ref: str) -> SOrg:
        org = self.org(company_ref)
        if org is None:
            raise KeyError(company_ref)
        return org

    def add_entry(self, company_ref: str) -> list[str]:
        org = self._org(company_ref)
        seeder = self._seeder(org)
        now = self.clock.now()
        journal = seeder.sales_invoice(now.date(), now, 90000 + self._counter, Decimal("1250.00"), "Nieuwe klant")
        seeder.finish(gaps=False)
        self._added.add(journal.source_id)
        return [ln.id for ln in journal.lines]

    def _live_invoice(self, org: SOrg) -> SJournal:
        reversed_ids: set[str] = set()
        by_source: dict[str, list[SJournal]] = {}
        for j in org.journals:
            by_source.setdefault(j.source_id, []).append(j)
        for journals in by_source.values():
            if len(journals) > 1:
                reversed_ids.update(j.id for j in journals)
        lock = org.period_lock or dt.date.min
        candidates = [j for j in org.journals if j.source_type == "ACCREC" and j.id not in reversed_ids
                      and j.date > lock and j.source_id not in self._added]
        if not candidates:
            raise LookupError("no open invoice left to change")
        return candidates[-1]

    def edit_line(self, company_ref: str) -> str:
        """Xero edits by reversing the invoice's journal and posting the new version: the changed
        line comes back under a new JournalLineID, which is returned."""
        org = self._org(company_ref)
        original = self._live_invoice(org)
        seeder = self._seeder(org)
        now = self.clock.now()
        seeder.reversal(original, now)
        lines = [SLine(seeder.uid(), ln.account, ln.net, ln.tax, ln.description, ln.tax_type, ln.tax_name)
                 for ln in original.lines]
        lines[1].description = (lines[1].description + " (gewijzigd)").strip()
        seeder.post(original.date, now + dt.timedelta(milliseconds=1), original.source_type,
                    original.reference, lines, source_id=original.source_id)
        seeder.finish(gaps=False)
        return lines[1].id

    def delete_entry(self, company_ref: str) -> list[str]:
        """Voiding an invoice posts a reversing journal on the same day; the original's lines are
        returned (they leave the dossier)."""
        org = self._org(company_ref)
        original = self._live_invoice(org)
        seeder = self._seeder(org)
        seeder.reversal(original, self.clock.now())
        seeder.finish(gaps=False)
        return [ln.id for ln in original.lines]


    def disconnect(self, company_ref: str) -> None:
        """The user removes the organisation from the app (as from Xero's Connected Apps page)."""
        for grant in self.identity.grants:
            connections(grant).pop(company_ref, None)

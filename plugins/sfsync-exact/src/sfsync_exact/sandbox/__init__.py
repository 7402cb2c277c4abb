"""An offline Exact Online (REST API v1) for tests, the demo and benchmarks.

``ExactSandbox(region)`` seeds three divisions per region (a Belgian chart on calendar years, a
Dutch chart on July–June years, a small one with 13 four-week periods; foreign-currency sales,
edits and deletions in their history) and serves the reference's section 11 checklist: OAuth with
Exact's lifetimes and error bodies, the strict OData subset, ``__next`` paging at 60/1,000,
``/Date(ms)/`` in Amsterdam wall-clock, Int64 as strings, padded char fields, explicit nulls, Atom
unless JSON is asked for, rate limits per (app, division) with Exact's headers, the error budget,
and a division move that regenerates every Timestamp.

Knobs: ``clock`` (a ``ScaledClock`` scales the limits' time), ``latency`` (seconds per request),
``limits`` (:class:`LimitConfig`), ``strict_accept`` (406 instead of Atom), ``mandatory_filtering``,
``too_early_status`` (400 now, 401 legacy), ``consent`` (the divisions ticked at login),
``scope_violations`` (services answering "Application
Scope Violated"), ``token_faults`` (canned token-endpoint answers), plus the core's generic
``faults`` (429s with minutely-only headers, 500 "A problem has occurred…").
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import httpx
from sfsync.clock import Clock
from sfsync.sandbox import Sandbox
from sfsync.sandbox.oauth import OAuthClient, OAuthUser, login_at
from sfsync.sandbox.routing import BaseRoute, Request, Response
from sfsync.truth import PackageTruth

from sfsync_exact.sandbox.app import SERVER_ERROR, ExactApp, odata_error
from sfsync_exact.sandbox.data import DivisionData, DivisionPlan, Store
from sfsync_exact.sandbox.limits import ErrorBudget, LimitConfig, exact_limits
from sfsync_exact.sandbox.oauth import ExactOAuth, exact_settings, ticked_divisions
from sfsync_exact.sandbox.truth import division_truth
from sfsync_exact.wire import AMSTERDAM

__all__ = ["REGION_HOSTS", "SERVER_ERROR", "ExactSandbox", "LimitConfig", "odata_error"]

REGION_HOSTS = {
    "be": "https://start.exactonline.be",
    "nl": "https://start.exactonline.nl",
    "fr": "https://start.exactonline.fr",
}

_PLANS: dict[str, list[tuple[int, str, str, str, int, str | None]]] = {
    "be": [
        (210101, "Bakkerij Peeters BV", "BE", "calendar", 700, "BE0412345678"),
        (210102, "Van Dijk Installatietechniek B.V.", "NL", "july", 150, "NL812345678B01"),
        (210103, "Atelier Lambert SRL", "BE", "13p", 40, "BE0898765432"),
    ],
    "nl": [
        (1200001, "Van Dijk Installatietechniek B.V.", "NL", "july", 700, "NL812345678B01"),
        (1200002, "Bakkerij Peeters BV", "BE", "calendar", 150, "BE0412345678"),
        (1200003, "Kapsalon Sanne", "NL", "13p", 40, None),
    ],
    "fr": [
        (124132, "Boulangerie Martin SAS", "FR", "calendar", 700, "FR40123456824"),
        (124133, "Lambert Belgique SRL", "BE", "july", 150, "BE0898765432"),
        (124134, "Atelier Dupont SARL", "FR", "13p", 40, None),
    ],
}


class ExactSandbox(Sandbox):
    """Exact Online for one region (``be``, ``nl``, ``fr``)."""

    username = "boekhouder@sandbox.example"
    password = "sandbox-password"

    def __init__(
        self,
        region: str = "be",
        *,
        clock: Clock | None = None,
        seed: int = 7,
        main_entries: int | None = None,
        latency: float = 0.0,
        limits: LimitConfig | None = None,
        strict_accept: bool = False,
        mandatory_filtering: bool = True,
        too_early_status: int = 400,
    ) -> None:
        if region not in REGION_HOSTS:
            raise ValueError(
                f"unknown Exact region {region!r}; choose one of {sorted(REGION_HOSTS)}"
            )
        self.region = region
        self.connector = f"exact-{region}"
        self.base_urls = (REGION_HOSTS[region],)
        self.clock = clock or Clock()
        self.latency = latency
        self.strict_accept = strict_accept
        self.mandatory_filtering = mandatory_filtering
        self.scope_violations: set[str] = set()
        self.raise_app_errors = False
        self.requests: list[str] = []
        self._touched: set[str] = set()
        self.seen_bearers: set[str] = set()
        self.consent: set[int] | None = None
        self.log: list[str] = []
        self.client_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"sfsync-exact-sandbox:{region}"))
        self.client_secret = f"sandbox-secret-{region}-{seed}"
        now = self.clock.now()
        plans = [
            DivisionPlan(
                code,
                name,
                chart,
                years,
                main_entries if (i == 0 and main_entries) else entries,
                vat,
            )
            for i, (code, name, chart, years, entries, vat) in enumerate(_PLANS[region])
        ]
        self.store = Store(plans, today=now.astimezone(AMSTERDAM).date(), now=now, seed=seed)
        self.oauth = self.oauth_server = ExactOAuth(
            exact_settings(REGION_HOSTS[region], too_early_status=too_early_status),
            client=OAuthClient(self.client_id, self.client_secret, name="Exact Online app"),
            user=OAuthUser(self.username, self.password),
            divisions={code: d.description for code, d in self.store.divisions.items()},
            clock=self.clock,
        )
        self.token_faults = self.oauth.token_faults
        self.exact_app = ExactApp(self)
        config = limits or LimitConfig()
        self.limiter = exact_limits(config, self.clock, self.exact_app.limit_key)
        self.error_budget = ErrorBudget(config)
        super().__init__()

    @property
    def clock(self) -> Clock:
        """The sandbox's clock; set anew (the fault matrix's scaled clock), the OAuth server and the
        limiter follow it."""
        return self._clock

    @clock.setter
    def clock(self, clock: Clock) -> None:
        self._clock = clock
        for part in (getattr(self, "oauth", None), getattr(self, "limiter", None)):
            if part is not None:
                part.clock = clock

    def routes(self) -> list[BaseRoute]:
        return self.exact_app.routes()

    async def refusal(self, request: Request, status: int) -> Response:  # type: ignore[override]  # async is allowed
        return await self.exact_app.refusal(request, status)

    # --- connections ----------------------------------------------------------------------------

    def connection_config(self) -> dict[str, Any]:
        return {"client_id": self.client_id}

    def connection_secrets(self) -> dict[str, str]:
        return {"client_secret": self.client_secret}

    def bad_connection_secrets(self) -> dict[str, str]:
        return {"client_secret": "not-the-secret"}

    async def authorize(self, client: httpx.AsyncClient, authorize_url: str) -> str:
        """Log in at the authorize page (all divisions ticked, or only :attr:`consent`'s) and
        return the redirect URL."""
        return await login_at(client, authorize_url, self.username, self.password,
                              fields=self.oauth.settings.login_fields,
                              choose=lambda page: ticked_divisions(page, self.consent))

    def company_refs(self) -> list[str]:
        return [str(code) for code in self.store.divisions]

    def truth(self, company_ref: str) -> PackageTruth:
        return division_truth(self.division(company_ref))

    # --- data changes -----------------------------------------------------------------------------

    def division(self, company_ref: str | int) -> DivisionData:
        return self.store.divisions[int(company_ref)]

    def today(self) -> dt.date:
        return self.clock.now().astimezone(AMSTERDAM).date()

    def _untouched_recent(self, division: DivisionData) -> list[dict[str, Any]]:
        # Lines of the latest fiscal year (so a *since* link sees the change) whose entry no
        # earlier mutation touched (so an edit, an addition and a deletion never collide).
        latest = max(p["StartDate"] for p in division.periods if p["FinPeriod"] == 1)
        rows = [
            r
            for r in division.lines.values()
            if r["Date"] >= latest and r["EntryID"] not in self._touched
        ]
        if not rows:
            rows = [r for r in division.lines.values() if r["EntryID"] not in self._touched]
        return sorted(rows, key=lambda r: r["Timestamp"])

    def add_entry(self, company_ref: str) -> list[str]:
        division = self.division(company_ref)
        day = min(max(self.today(), division.first_day), division.last_day)
        ids = self.store.book_entry(division, day, self.clock.now())
        self._touched.add(division.lines[ids[0]]["EntryID"])
        return ids

    def edit_line(self, company_ref: str) -> str:
        division = self.division(company_ref)
        line = self._untouched_recent(division)[0]
        self._touched.add(line["EntryID"])
        self.store.edit_line(
            division, line["ID"], self.clock.now(), line["Description"] + " (aangepast)"
        )
        return str(line["ID"])

    def delete_entry(self, company_ref: str) -> list[str]:
        division = self.division(company_ref)
        line = self._untouched_recent(division)[-1]
        self._touched.add(line["EntryID"])
        return self.store.delete_entry(division, line["EntryID"], self.clock.now())

    def move_division(self, company_ref: str, *, hr_link: bool = False) -> None:
        """Exact moves the division (or links/unlinks it to HR): every Timestamp is regenerated
        and ``DivisionMoveDate`` (or ``DivisionHRLinkUnlinkDate``) is set."""
        field = "DivisionHRLinkUnlinkDate" if hr_link else "DivisionMoveDate"
        self.store.move_division(self.division(company_ref), self.clock.now(), field=field)


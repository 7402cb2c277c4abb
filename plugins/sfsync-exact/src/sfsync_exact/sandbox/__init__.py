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
import re
import uuid
from typing import Any
from urllib.parse import urljoin

import httpx
from sfsync.clock import Clock
from sfsync.sandbox import Sandbox
from sfsync.sandbox.routing import BaseRoute, Request, Response
from sfsync.truth import PackageTruth

from sfsync_exact.sandbox.app import SERVER_ERROR, ExactApp, odata_error
from sfsync_exact.sandbox.data import DivisionData, DivisionPlan, Store
from sfsync_exact.sandbox.limits import LimitConfig, RateLimiter
from sfsync_exact.sandbox.oauth import OAuthServer
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
        self.token_faults: list[tuple[int, dict[str, Any], dict[str, str]]] = []
        self.raise_app_errors = False
        self.requests: list[str] = []
        self._touched: set[str] = set()
        self.seen_bearers: set[str] = set()
        self.consent: set[int] | None = None
        self.log: list[str] = []
        self.client_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"sfsync-exact-sandbox:{region}"))
        self.client_secret = f"sandbox-secret-{region}-{seed}"
        self.oauth = OAuthServer(
            client_id=self.client_id,
            client_secret=self.client_secret,
            too_early_status=too_early_status,
        )
        self.limiter = RateLimiter(limits or LimitConfig())
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
        self.exact_app = ExactApp(self)
        super().__init__()

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
        """Log in at the authorize page (all divisions ticked) and return the redirect URL."""
        page = await client.get(authorize_url)
        if page.status_code != 200:
            raise RuntimeError(f"the sandbox's authorize page answered {page.status_code}")
        form = page.text
        action = re.search(r'<form method="post" action="([^"]+)"', form)
        fields = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form)
        divisions = re.findall(r'name="Division" value="(\d+)" checked', form)
        if self.consent is not None:  # the person ticks only these divisions
            divisions = [d for d in divisions if int(d) in self.consent]
        data: dict[str, Any] = {k: _unescape(v) for k, v in fields}
        data.update(UserName=self.username, Password=self.password, Division=divisions)
        target = urljoin(authorize_url, action.group(1) if action else "/api/oauth2/auth")
        answer = await client.post(target, data=data, follow_redirects=False)
        if answer.status_code != 302:
            raise RuntimeError(f"the sandbox's login answered {answer.status_code}, not a redirect")
        return answer.headers["Location"]

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

    def expire_tokens(self) -> None:
        self.oauth.expire_all(self.clock.now())

    def revoke(self) -> None:
        self.oauth.revoke_all()


def _unescape(value: str) -> str:
    import html

    return html.unescape(value)

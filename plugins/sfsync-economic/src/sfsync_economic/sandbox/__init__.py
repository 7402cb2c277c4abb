"""An offline e-conomic (Visma) legacy REST API (restapi.e-conomic.com): the app's request URL
where a user of an agreement approves the app and is sent back with an agreement grant token, and
the REST calls sfsync makes (``/self``, ``/accounts``, ``/accounting-years`` with periods,
entries and totals), with e-conomic's paging, filters, error bodies and limits. Seeded with three
agreements of Belgian and Dutch bookkeeping (:mod:`.books`), each over three accounting years of
which the earlier two are closed.

One grant = one agreement: the one picked on the approval page (:attr:`login_agreement`, the
first unless :meth:`pick_company` says otherwise).

Knobs: ``years`` and ``volume`` of seeded history, ``clock`` or ``time_scale``, ``throttles``
(:class:`~.limits.EconomicLimits`: the fair-use day and the token bucket, both configurable),
``faults``. ``requests`` lists the REST calls received; with ``keep_bodies`` every answer is kept
in ``served`` for the spec checks.

Facts and their sources, and what is assumed (UNVERIFIED), are in :mod:`.facts`.
"""

from __future__ import annotations

import datetime as dt
import html
import random
import re
from decimal import Decimal
from typing import Any
from urllib.parse import urljoin

import httpx
from sfsync.clock import Clock, ScaledClock
from sfsync.sandbox import Sandbox
from sfsync.truth import PackageTruth

from sfsync_economic.sandbox.app import EconomicApp
from sfsync_economic.sandbox.books import Booker, SCompany, SVoucher, seed_company
from sfsync_economic.sandbox.facts import REQUEST_ACCESS_PATH, REST_URL, SECURE_URL
from sfsync_economic.sandbox.grant import RequestAccessPage
from sfsync_economic.sandbox.limits import EconomicLimits
from sfsync_economic.sandbox.truth import company_truth

__all__ = ["APP_PUBLIC_TOKEN", "APP_SECRET_TOKEN", "EconomicSandbox"]

APP_PUBLIC_TOKEN = "sfsyncSandboxAppPublic0001"
APP_SECRET_TOKEN = "sfsync-sandbox-app-secret-7c41"
USER_EMAIL = "boekhouder@janssens.example"
USER_PASSWORD = "Sandbox-Passw0rd!"


class EconomicSandbox(Sandbox):
    connector = "economic"
    base_urls = (REST_URL, SECURE_URL)

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        time_scale: float | None = None,
        today: dt.date | None = None,
        years: int = 3,
        volume: float = 1.0,
        keep_bodies: bool = False,
    ) -> None:
        self.clock = clock or (ScaledClock(time_scale) if time_scale else Clock())
        day = today or self.clock.now().date()
        self.companies: list[SCompany] = [seed_company(i, day, years=years, volume=volume) for i in range(3)]
        self.login_agreement = self.companies[0].agreement
        self.app_public_token, self.app_secret_token = APP_PUBLIC_TOKEN, APP_SECRET_TOKEN
        self.user_email, self.user_password = USER_EMAIL, USER_PASSWORD
        self.access = RequestAccessPage(self)
        self.throttles = EconomicLimits(self.clock)
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.keep_bodies = keep_bodies
        self.served: list[tuple[str, int, bytes]] = []
        self._changes = 0
        self._added: set[int] = set()
        super().__init__()

    def build_app(self) -> Any:
        return EconomicApp(self)

    async def request_access(self, request: Any) -> Any:
        return await self.access(request)

    # --- agreements ----------------------------------------------------------------------------------

    def company(self, ref: int | str) -> SCompany | None:
        try:
            number = int(ref)
        except ValueError:
            return None
        return next((c for c in self.companies if c.agreement == number), None)

    def pick_company(self, ref: str) -> None:
        """The agreement the next approval grants access to."""
        if self.company(ref) is None:
            raise KeyError(ref)
        self.login_agreement = int(ref)

    def company_refs(self) -> list[str]:
        """What the next grant can see: one agreement, the one it picks."""
        return [str(self.login_agreement)]

    def all_company_refs(self) -> list[str]:
        return [str(c.agreement) for c in self.companies]

    # --- connections -----------------------------------------------------------------------------

    def credentials(self) -> dict[str, str]:
        out = super().credentials()
        out.update({"request URL": f"{SECURE_URL}{REQUEST_ACCESS_PATH}?appPublicToken={APP_PUBLIC_TOKEN}&redirectUrl=…",
                    "app public token": APP_PUBLIC_TOKEN, "app secret token": APP_SECRET_TOKEN,
                    "login e-mail": USER_EMAIL, "login password": USER_PASSWORD,
                    "agreements": ", ".join(self.all_company_refs())})
        return out

    def connection_config(self) -> dict[str, Any]:
        return {"client_id": APP_PUBLIC_TOKEN}

    def connection_secrets(self) -> dict[str, str]:
        return {"client_secret": APP_SECRET_TOKEN}

    def bad_connection_secrets(self) -> dict[str, str]:
        return {"client_secret": "not-the-app-secret-token"}

    async def authorize(self, client: httpx.AsyncClient, authorize_url: str, *, agreement: str | None = None) -> str:
        """Sign in at the approval page, pick the agreement and approve; return the redirect."""
        page = await client.get(authorize_url)
        if page.status_code != 200:
            raise RuntimeError(f"the sandbox's approval page answered {page.status_code}")
        posted: dict[str, Any] = {k: html.unescape(v) for k, v in
                                  re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.text)}
        posted.update(username=USER_EMAIL, password=USER_PASSWORD, agreement=agreement or str(self.login_agreement),
                      approve="yes")
        answer = await client.post(urljoin(authorize_url, REQUEST_ACCESS_PATH), data=posted)
        if answer.status_code != 302:
            raise RuntimeError(f"the sandbox refused the approval ({answer.status_code})")
        return str(answer.headers["location"])

    def issue_grant(self, agreement: str) -> str:
        """A grant token for ``agreement`` without the approval page (tests that call the API)."""
        return self.access.issue(int(agreement))

    def expire_tokens(self) -> None:
        raise NotImplementedError("e-conomic's agreement grant tokens do not expire")

    def revoke(self) -> None:
        """The agreement's user removes the app: the latest grant dies; other agreements' grants
        live on."""
        if self.access.grants:
            list(self.access.grants.values())[-1].revoked = True

    def revoke_all(self) -> None:
        for grant in self.access.grants.values():
            grant.revoked = True

    def truth(self, company_ref: str) -> PackageTruth:
        return company_truth(self._company(company_ref))

    # --- changes between syncs ---------------------------------------------------------------------

    def _company(self, ref: str) -> SCompany:
        company = self.company(ref)
        if company is None:
            raise KeyError(ref)
        return company

    def _booker(self, company: SCompany) -> Booker:
        self._changes += 1
        return Booker(company, random.Random(f"change-{company.agreement}-{self._changes}"))

    def add_entry(self, company_ref: str) -> list[str]:
        company = self._company(company_ref)
        voucher = self._booker(company).sales_invoice(self.clock.now().date(), Decimal("1250.00"), "Nieuwe klant")
        self._added.update(e.number for e in voucher.entries)
        return [str(e.number) for e in voucher.entries]

    def _earlier_closed(self, company: SCompany, kind: str) -> SVoucher:
        """A seeded voucher of ``kind`` in a closed period of the earliest (closed) year."""
        first = company.years[0]
        for voucher in company.live():
            period = first.period_of(voucher.date) if first.start <= voucher.date <= first.end else None
            if (period is not None and period.closed and voucher.kind == kind
                    and not {e.number for e in voucher.entries} & self._added):
                return voucher
        raise LookupError(f"no {kind} voucher left in a closed period of {first.label}")

    def edit_line(self, company_ref: str) -> str:
        """Correct a rent voucher in a closed period of an earlier year: its expense line moves to
        another account and its text says so (the year and period totals move)."""
        company = self._company(company_ref)
        voucher = next(v for v in company.live() if v.kind == "financeVoucher" and v.entries[0].account == 6100
                       and company.years[0].start <= v.date <= company.years[0].end)
        line = voucher.entries[0]
        line.account = 6200
        line.text = f"{line.text} (gecorrigeerd)"
        return str(line.number)

    def delete_entry(self, company_ref: str) -> list[str]:
        """Delete a seeded supplier payment in a closed period of an earlier year."""
        company = self._company(company_ref)
        voucher = self._earlier_closed(company, "supplierPayment")
        voucher.deleted = True
        return [str(e.number) for e in voucher.entries]

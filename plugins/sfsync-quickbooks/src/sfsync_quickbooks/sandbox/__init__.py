"""An offline QuickBooks Online (Accounting API v3, minor version 75): Intuit's discovery
document, sign-in and company picker, token endpoint with one-hour access tokens and rotating
refresh tokens, and the API calls sfsync makes, seeded with three companies (a Belgian bakery
with calendar years, a Dutch importer with a July-June year that buys in USD, a Belgian studio
with an April-March year), each with three fiscal years of which the oldest is closed.

One login = one company (realm): the company picked on the sign-in page (:attr:`login_realm`,
the first one unless changed; :meth:`pick_company`), as Intuit's picker does.

Knobs: ``years`` and ``volume`` of seeded history, ``clock`` or ``time_scale`` (a
``ScaledClock``), the throttles (``throttles``, the toolkit's RateLimits;
``throttles.send_retry_after``), ``public_base`` (the served address the discovery
document points to), ``faults`` (injected responses). ``requests`` lists the API calls received,
``protocol_violations`` what a call did that the real API frowns on (no ``minorversion``);
with ``keep_bodies`` every API answer is kept in ``served``.

Facts and their sources: ``shared/reference/providers/quickbooks-online.md``; what is assumed is
marked UNVERIFIED in the module that holds it (oauth, limits, reports, app).
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
from sfsync.sandbox.oauth import OAuthClient, OAuthUser
from sfsync.truth import PackageTruth

from sfsync_quickbooks.sandbox import wire
from sfsync_quickbooks.sandbox.app import QuickbooksApp
from sfsync_quickbooks.sandbox.books import Booker, SCompany, STxn, seed_company
from sfsync_quickbooks.sandbox.limits import QuickbooksLimits
from sfsync_quickbooks.sandbox.oauth import IntuitOAuthServer, discovery_document
from sfsync_quickbooks.sandbox.reports import txn_line_ids
from sfsync_quickbooks.sandbox.truth import company_truth

__all__ = ["CLIENT_ID", "CLIENT_SECRET", "QuickbooksSandbox"]

CLIENT_ID = "ABsfsyncSandboxClient0000000000000000000000000001"
CLIENT_SECRET = "qbo-sandbox-secret-4b7d"
USER_EMAIL = "boekhouding@janssens.example"
USER_PASSWORD = "Sandbox-Passw0rd!"
REDIRECT_URIS = ("http://127.0.0.1:8765/callback", "http://localhost:8765/callback")


class QuickbooksSandbox(Sandbox):
    connector = "quickbooks"
    base_urls = (
        "https://developer.api.intuit.com",
        "https://appcenter.intuit.com",
        "https://oauth.platform.intuit.com",
        "https://quickbooks.api.intuit.com",
        "https://sandbox-quickbooks.api.intuit.com",
    )

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        time_scale: float | None = None,
        today: dt.date | None = None,
        years: int = 3,
        volume: float = 1.0,
        public_base: str | None = None,
        keep_bodies: bool = False,
    ) -> None:
        self.clock = clock or (ScaledClock(time_scale) if time_scale else Clock())
        day = today or self.clock.now().date()
        self.companies: list[SCompany] = [seed_company(i, day, years=years, volume=volume) for i in range(3)]
        self.login_realm = self.companies[0].realm
        self.user_email, self.user_password = USER_EMAIL, USER_PASSWORD
        self.oauth = IntuitOAuthServer(
            clients=[OAuthClient(CLIENT_ID, CLIENT_SECRET, REDIRECT_URIS, name="sfsync")],
            users=[OAuthUser(USER_EMAIL, USER_PASSWORD, email=USER_EMAIL)],
            clock=self.clock, realms=[c.realm for c in self.companies],
        )
        self.oauth_server = self.oauth  # its client id, secret and login show in credentials()
        # Not the base class's `limits` (in front of every route): Intuit counts per app and company,
        # which only the API's gate knows once it has read the token.
        self.throttles = QuickbooksLimits(self.clock)
        self.public_base = public_base
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.protocol_violations: list[str] = []
        self.report_calls: list[tuple[str, dt.date, dt.date]] = []
        self.keep_bodies = keep_bodies
        self.served: list[tuple[str, int, bytes]] = []
        """With ``keep_bodies``: every API answer as (path, status, body), for checks against the XSDs."""
        self._changes = 0
        self._added: set[str] = set()
        super().__init__()

    def build_app(self) -> Any:
        return QuickbooksApp(self)

    def discovery_document(self, base: str | None = None) -> dict[str, object]:
        return discovery_document(base)

    # --- companies -----------------------------------------------------------------------------

    def company(self, realm: str) -> SCompany | None:
        return next((c for c in self.companies if c.realm == realm), None)

    def pick_company(self, realm: str) -> None:
        """The company the next sign-in picks."""
        if self.company(realm) is None:
            raise KeyError(realm)
        self.login_realm = realm

    def company_refs(self) -> list[str]:
        """What the next login can see: one company (realm), the one it picks."""
        return [self.login_realm]

    def all_company_refs(self) -> list[str]:
        return [c.realm for c in self.companies]

    def entities(self, company: SCompany, entity: str) -> list[dict[str, Any]]:
        """Every live object of one entity type, as the API renders it."""
        if entity == "Account":
            balances: dict[str, Decimal] = {}
            for txn in company.live():
                for p in txn.postings:
                    balances[p.account] = balances.get(p.account, Decimal(0)) + p.amount
            return [wire.account(company, a, balances.get(a.id, Decimal(0))) for a in company.accounts]
        if entity == "CompanyInfo":
            return [wire.company_info(company)]
        if entity == "Preferences":
            return [wire.preferences(company)]
        return [wire.transaction(company, t) for t in company.live() if t.kind == entity]

    def changed(self, company: SCompany, entity: str, since: dt.datetime) -> list[dict[str, Any]]:
        """What CDC returns for one entity: changed live objects and deleted ones."""
        if entity == "Account":
            return [item for item in self.entities(company, "Account")
                    if dt.datetime.fromisoformat(item["MetaData"]["LastUpdatedTime"]) >= since]
        out = []
        for txn in company.txns:
            if txn.kind != entity:
                continue
            if txn.deleted is not None:
                if txn.deleted >= since:
                    out.append(wire.deleted(txn))
            elif txn.updated >= since:
                out.append(wire.transaction(company, txn))
        return out

    # --- connections ---------------------------------------------------------------------------

    def credentials(self) -> dict[str, str]:
        out = super().credentials()
        out.update({"discovery document": "/.well-known/openid_configuration", "login e-mail": self.user_email,
                    "login password": self.user_password, "companies": ", ".join(self.all_company_refs())})
        return out

    def connection_config(self) -> dict[str, Any]:
        return {"client_id": CLIENT_ID}

    def connection_secrets(self) -> dict[str, str]:
        return {"client_secret": CLIENT_SECRET}

    def bad_connection_secrets(self) -> dict[str, str]:
        return {"client_secret": "not-the-qbo-secret"}

    async def authorize(self, client: httpx.AsyncClient, authorize_url: str, *, realm: str | None = None) -> str:
        """Sign in at the sandbox's page and pick ``realm`` (default :attr:`login_realm`)."""
        page = await client.get(authorize_url)
        if page.status_code in (302, 307):
            return page.headers["location"]
        if page.status_code != 200:
            raise RuntimeError(f"the sandbox's sign-in page answered {page.status_code}")
        form: dict[str, Any] = {k: html.unescape(v) for k, v in
                                re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.text)}
        form.update(username=self.user_email, password=self.user_password, realmId=realm or self.login_realm)
        answer = await client.post(urljoin(authorize_url, "/connect/oauth2"), data=form)
        if answer.status_code not in (302, 307):
            raise RuntimeError(f"the sandbox refused the sign-in ({answer.status_code})")
        return answer.headers["location"]

    def truth(self, company_ref: str) -> PackageTruth:
        return company_truth(self._company(company_ref))

    def issue_token(self, realm: str) -> dict[str, Any]:
        """Tokens for ``realm`` without the sign-in page (tests that call the API directly)."""
        return self.oauth.issue_for(CLIENT_ID, realm, username=self.user_email)

    def expire_tokens(self) -> None:
        self.oauth.expire_all()

    def revoke(self) -> None:
        """The user disconnects the app from the company of the latest login: that grant's
        tokens die; other dossiers' logins (other grants) live on, as at Intuit."""
        if self.oauth.grants:
            self.oauth.grants[-1].revoked = True

    def revoke_all(self) -> None:
        self.oauth.revoke_all()

    # --- changes between syncs -----------------------------------------------------------------

    def _company(self, ref: str) -> SCompany:
        company = self.company(ref)
        if company is None:
            raise KeyError(ref)
        return company

    def _booker(self, company: SCompany) -> Booker:
        self._changes += 1
        return Booker(company, random.Random(f"change-{company.realm}-{self._changes}"))

    def add_entry(self, company_ref: str) -> list[str]:
        company = self._company(company_ref)
        now = self.clock.now()
        txn = self._booker(company).invoice(now.date(), Decimal("1250.00"), stamp=now, memo="Nieuwe klant")
        self._added.add(f"{txn.kind}-{txn.id}")
        return txn_line_ids(company, txn)

    def _open_txn(self, company: SCompany, kind: str = "Invoice") -> STxn:
        close = company.book_close or dt.date.min
        candidates = [t for t in company.live() if t.kind == kind and t.date > close
                      and f"{t.kind}-{t.id}" not in self._added]
        if not candidates:
            raise LookupError("no open transaction left to change")
        return candidates[-1]

    def edit_line(self, company_ref: str) -> str:
        """Change the memo of an invoice's revenue line (SyncToken and LastUpdatedTime move)."""
        company = self._company(company_ref)
        txn = self._open_txn(company)
        txn.postings[1].memo = (txn.postings[1].memo + " (gewijzigd)").strip()
        txn.updated = self.clock.now()
        txn.sync_token += 1
        return txn_line_ids(company, txn)[1]

    def delete_entry(self, company_ref: str) -> list[str]:
        """Delete a seeded bill: CDC reports it with ``status="Deleted"``."""
        company = self._company(company_ref)
        txn = self._open_txn(company, "Bill")
        txn.deleted = self.clock.now()
        return txn_line_ids(company, txn)

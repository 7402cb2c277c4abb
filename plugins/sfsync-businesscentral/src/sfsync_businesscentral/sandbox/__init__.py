"""An offline Business Central (API v2.0 on Microsoft Entra ID) and BoCount, for tests, the demo
and benchmarks.

``BusinessCentralSandbox()`` seeds one tenant with two environments and three companies
(:mod:`.books`) and serves, declared on the core's toolkit: Entra's authorization code and client
credentials with per-tenant tokens and an OpenID ``id_token`` (:mod:`.oauth`); the Admin Center's
environment list and each environment's API v2.0 with its ``$metadata`` (:mod:`.model`, served by
:mod:`sfsync.sandbox.odata`; routes in :mod:`.app`); per-user limits with a queue (:mod:`.limits`).
``BoCountSandbox()`` serves the same books at BoCount's per-firm root with Basic credentials.

Knobs: ``clock``, ``seed``, ``main_documents`` (documents a month in the first company, for
benchmarks), ``latency`` (seconds a request takes, on the clock), ``limits`` (:class:`LimitConfig`),
``operation_seconds`` (per entity set, how long an operation runs: from 8 minutes it answers 408),
``observers`` (see every answer), plus the core's generic ``faults``.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sfsync.clock import Clock
from sfsync.sandbox import Sandbox
from sfsync.sandbox.asgi import ASGIApp
from sfsync.sandbox.oauth import OAuthClient, OAuthUser
from sfsync.sandbox.odata import odata_error_response
from sfsync.sandbox.routing import BaseRoute, Request, Response, basic_credentials, bearer_token
from sfsync.truth import PackageTruth

from sfsync_businesscentral.bocount_names import SANDBOX_BASE
from sfsync_businesscentral.facts import API_HOST, API_ROOT, LOGIN_HOST
from sfsync_businesscentral.sandbox.app import api_routes
from sfsync_businesscentral.sandbox.books import Company, Entry, Tenant, seed_tenant
from sfsync_businesscentral.sandbox.limits import LimitConfig, UserQueue, bc_limits
from sfsync_businesscentral.sandbox.model import service_model
from sfsync_businesscentral.sandbox.oauth import EntraServer
from sfsync_businesscentral.sandbox.truth import company_truth

__all__ = ["BoCountSandbox", "BusinessCentralAppSandbox", "BusinessCentralSandbox", "LimitConfig"]


class BusinessCentralSandbox(Sandbox):
    """Business Central online: one tenant, offline."""

    connector = "businesscentral"
    base_urls: tuple[str, ...] = (API_HOST, LOGIN_HOST)
    username = "anne@fiduciaire-dupont.onmicrosoft.com"
    password = "sandbox-password"
    api_root = API_ROOT

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        seed: int = 23,
        main_documents: int | None = None,
        latency: float = 0.0,
        limits: LimitConfig | None = None,
    ) -> None:
        self.clock = clock or Clock()
        self.latency = latency
        now = self.clock.now()
        self.tenant: Tenant = seed_tenant(now.date(), now, seed, main_documents)
        self.by_id = {c.id: c for c in self.tenant.companies}
        self.model = service_model()
        self.bocount_model = service_model(bocount=True)
        self.client_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"sfsync-businesscentral:{seed}"))
        self.client_secret = f"sandbox~secret.{seed}-entra"
        self.user_id = str(uuid.uuid5(uuid.NAMESPACE_URL, "sfsync-businesscentral-user"))
        self.bocount_user = "DUPONT-WS"
        self.bocount_key = f"bocount-ws-key-{seed}-0001"
        self.oauth_server: EntraServer | None = EntraServer(
            self.tenant.id, clients=[OAuthClient(self.client_id, self.client_secret, name="sfsync (sandbox)")],
            users=[OAuthUser(self.username, self.password, subject=self.user_id, email=self.username, name="Anne Dupont")],
            clock=self.clock,
        )
        self.limit_config = limits or LimitConfig()
        self.limits = bc_limits(self.limit_config, self.clock, self._user)
        self.queue = UserQueue(self.limit_config, self.clock, self._user)
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.observers: list[Callable[[str, dict[str, str], int, bytes], None]] = []
        """Called with (path, query, status, body) for every API answer (tests check them
        against the served $metadata and the v1.0 OpenAPI contract)."""
        self.operation_seconds: dict[str, float] = {}
        self._ordered: dict[str, tuple[int, list[Entry]]] = {}
        self._touched: set[str] = set()
        super().__init__()

    # --- serving ------------------------------------------------------------------------------------

    def _user(self, request: Request) -> str | None:
        path = request.url.path
        if path.endswith("/$metadata") or not (path.startswith("/v2.0/") or path.startswith("/admin/")
                                               or "/api/bocount/" in path):
            return None
        basic = basic_credentials(request)
        if basic is not None:
            return f"ws:{basic[0]}"
        token = self.oauth_server.access(bearer_token(request)) if self.oauth_server else None
        return f"user:{token.grant.user.subject}" if token else None

    def routes(self) -> list[BaseRoute]:
        return list(api_routes(self))

    def build_app(self) -> ASGIApp:
        return self.queue.wrap(super().build_app())

    def refusal(self, request: Request, status: int) -> Response:
        return odata_error_response(status, "BadRequest_ResourceNotFound" if status == 404 else "BadRequest_MethodNotAllowed",
                                    f"{request.method} {request.url.path} is not served.")

    def correlation(self) -> str:
        """A CorrelationId, as Business Central ends its error messages with."""
        return str(uuid.uuid4())

    def ordered_entries(self, company: Company) -> list[Entry]:
        """A company's G/L entries by entry number (the table's key order)."""
        cached = self._ordered.get(company.id)
        if cached is None or cached[0] != company.revision:
            cached = self._ordered[company.id] = (company.revision, sorted(company.entries.values(), key=lambda e: e.number))
        return cached[1]

    # --- connections --------------------------------------------------------------------------------

    def credentials(self) -> dict[str, str]:
        out = super().credentials()
        if self.oauth_server is not None:
            out["tenant"] = f"{self.tenant.id} ({self.tenant.domain})"
            out["environments"] = ", ".join(self.tenant.environments)
        return out

    def connection_config(self) -> dict[str, Any]:
        # The tenant too: a firm may name it on the connection, and the service-to-service
        # connector, which shares this sandbox in the demo, must (the sign-in reads it from the
        # id_token otherwise: tests connect without it).
        return {"client_id": self.client_id, "tenant": self.tenant.id}

    def connection_secrets(self) -> dict[str, str]:
        return {"client_secret": self.client_secret}

    def bad_connection_secrets(self) -> dict[str, str]:
        return {"client_secret": "not-the-client-secret"}

    def company_ref(self, company: Company) -> str:
        """How the connector names a company: its environment and id."""
        return f"{company.environment}/{company.id}"

    def company_refs(self) -> list[str]:
        return [self.company_ref(c) for c in self.tenant.companies]

    def company(self, ref: str) -> Company:
        """The company a ref names."""
        return self.by_id[ref.rsplit("/", 1)[-1]]

    def truth(self, company_ref: str) -> PackageTruth:
        return company_truth(self.company(company_ref))

    # --- data changes between syncs -----------------------------------------------------------------

    def _now(self) -> dt.datetime:
        return self.clock.now().replace(microsecond=0)

    def _post(self, company: Company, day: dt.date, document: str, legs: list[tuple[Any, Decimal, Decimal]],
              text: str) -> list[str]:
        ids = []
        for account, debit, credit in legs:
            entry = Entry(id=str(uuid.uuid4()), number=company.next_number, posting_date=day, document=document,
                          document_type="Invoice", account=account, description=text, debit=debit, credit=credit,
                          acy_debit=Decimal("0"), acy_credit=Decimal("0"), modified=self._now())
            if company.acy:
                entry.acy_debit, entry.acy_credit = (debit * Decimal("1.0850")).quantize(Decimal("0.01")), (
                    credit * Decimal("1.0850")).quantize(Decimal("0.01"))
            company.next_number += 1
            company.entries[entry.id] = entry
            ids.append(entry.id)
        self._touched.add(document)
        company.revision += 1
        return ids

    def add_entry(self, company_ref: str) -> list[str]:
        company = self.company(company_ref)
        day = min(max(self.clock.now().date(), company.years[-1][0]), company.years[-1][1])
        amount = Decimal("123.45")
        return self._post(company, day, f"VF-NEW-{secrets.token_hex(3)}",
                          [(company.role("debtors"), amount, Decimal(0)), (company.role("sales"), Decimal(0), amount)],
                          "Factuur toegevoegd")

    def _recent(self, company: Company) -> list[Entry]:
        latest = company.years[-1][0]
        return sorted((e for e in company.entries.values()
                       if e.posting_date >= latest and e.document not in self._touched and e.document.startswith("VF")),
                      key=lambda e: e.number)

    def edit_line(self, company_ref: str) -> str:
        company = self.company(company_ref)
        entry = self._recent(company)[0]
        self._touched.add(entry.document)
        entry.description = (entry.description + " (gewijzigd)")[:100]
        entry.modified = self._now()
        company.revision += 1
        return entry.id

    def delete_entry(self, company_ref: str) -> list[str]:
        """Delete a seeded document's G/L entries outright: nothing in the API says so (no
        tombstone, no modified stamp), as when entries are removed by date compression or a
        partner's extension."""
        company = self.company(company_ref)
        victim = self._recent(company)[-1].document
        self._touched.add(victim)
        ids = sorted(e.id for e in company.entries.values() if e.document == victim)
        for ident in ids:
            del company.entries[ident]
        company.revision += 1
        return ids

    def reverse_entry(self, company_ref: str) -> tuple[list[str], list[str]]:
        """Reverse a seeded document as *Reverse Transaction* does: new entries with the opposite
        amounts on the original's posting date, and the originals marked reversed (a new
        modified stamp, their amounts kept). Returns (the original's ids, the reversal's)."""
        company = self.company(company_ref)
        document = self._recent(company)[1].document
        originals = [e for e in company.entries.values() if e.document == document]
        for entry in originals:
            entry.modified = self._now()
        made = self._post(company, originals[0].posting_date, f"REV-{document}"[:20],
                          [(e.account, e.credit, e.debit) for e in originals], f"Tegenboeking {document}")
        self._touched.add(document)
        return sorted(e.id for e in originals), made


class BusinessCentralAppSandbox(BusinessCentralSandbox):
    """The same tenant, connected service to service: the app's client credentials."""

    connector = "businesscentral-s2s"

    def revoke(self) -> None:
        """The tenant's admin removes the app's secret (and its tokens die): a new secret is
        issued, which :meth:`connection_secrets` then gives."""
        assert self.oauth_server is not None
        prefix, _, number = self.client_secret.rpartition("-")
        self.client_secret = f"{prefix}-{number}x"
        self.oauth_server.clients[self.client_id] = OAuthClient(self.client_id, self.client_secret, name="sfsync (sandbox)")
        self.oauth_server.revoke_all()


class BoCountSandbox(BusinessCentralSandbox):
    """BoCount: the same books at one firm's endpoint, with Basic web-service credentials."""

    connector = "bocount"
    base_urls = (SANDBOX_BASE.split("/BC", 1)[0],)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.oauth_server = None
        self.faults.app = self.build_app()  # without the Entra routes

    def connection_config(self) -> dict[str, Any]:
        return {"base_url": SANDBOX_BASE, "username": self.bocount_user}

    def connection_secrets(self) -> dict[str, str]:
        return {"password": self.bocount_key}

    def bad_connection_secrets(self) -> dict[str, str]:
        return {"password": "not-the-web-service-key"}

    def company_ref(self, company: Company) -> str:
        return company.vat_number

    def company(self, ref: str) -> Company:
        return next(c for c in self.tenant.companies if c.vat_number == ref)

    def revoke(self) -> None:
        """A new web-service access key for the user: the stored one is refused from now on."""
        prefix, _, number = self.bocount_key.rpartition("-")
        self.bocount_key = f"{prefix}-{int(number) + 1:04d}"

    def expire_tokens(self) -> None:
        raise NotImplementedError("BoCount's Basic credentials have no tokens to expire")

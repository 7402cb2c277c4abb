"""The sandbox's wire contract: the API v2.0 routes of each environment, BoCount's per-firm root
and the Admin Center's environment list, as a toolkit route table and small handlers.

* ``{API_ROOT}/{tenant}/{environment}/api/v2.0/…`` (tenant by id or domain): ``$metadata``,
  ``companies``, ``companies({id})``, ``companies({id})/{set}`` and ``{set}?company={id}``
  (api-endpoint-structure.md). A bearer token of another tenant is refused with 401
  ``Authentication_InvalidCredentials`` (dynamics-error-codes.md).
* BoCount at ``SANDBOX_BASE + API_PATH`` (:mod:`sfsync_businesscentral.bocount_names`) with Basic
  web-service credentials; the same collections, companies with their VAT number.
* Collections answer through the toolkit's OData module (:mod:`sfsync.sandbox.odata`):
  ``$filter`` typed by the published ``$metadata``, ``$select``, ``$orderby``, ``$top``,
  ``$skip``, ``$count``, ``Prefer: odata.maxpagesize`` up to 20,000 (above: 413) and
  ``@odata.nextLink``; an unknown option, property or segment answers 400/404 with Business
  Central's error codes (``BadRequest_NotFound``, ``BadRequest_ResourceNotFound``).
* ``trialBalances`` is computed per account for its ``dateFilter`` bounds: movements between
  them (``totalDebit``/``totalCredit``) and the balance at the upper bound
  (``balanceAtDateDebit``/``Credit``), amounts as strings (dynamics_trialbalance.md).
* An operation that would run past 8 minutes (``operation_seconds`` knob) answers 408.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sfsync.sandbox.odata import (
    ODataQueryError,
    collection_response,
    entity_json,
    metadata_response,
    odata_error_response,
    parse_filter,
)
from sfsync.sandbox.responses import json_response
from sfsync.sandbox.routing import Request, Response, Route, basic_credentials, bearer_token, query

from sfsync_businesscentral.bocount_names import API_PATH, COMPANY_VAT, ENTITY_SETS, SANDBOX_BASE
from sfsync_businesscentral.facts import (
    ADMIN_ENVIRONMENTS_PATH,
    OPERATION_SECONDS,
    PAGE_DEFAULT,
    PAGE_MAX,
)
from sfsync_businesscentral.sandbox.books import Company

if TYPE_CHECKING:
    from sfsync_businesscentral.sandbox import BusinessCentralSandbox

__all__ = ["api_routes", "etag"]

SEGMENT = re.compile(r"^(?P<set>[A-Za-z]+)(?:\((?P<key>[^)]*)\))?$")
STANDARD = {v: k for k, v in ENTITY_SETS.items()}


def etag(*parts: object) -> str:
    """A weak ETag of an entity's version, as Business Central writes them (``W/"JzQ0…"``)."""
    digest = hashlib.sha1("|".join(map(str, parts)).encode()).hexdigest()[:24]
    return f'W/"JzQ0O{digest}Oyc="'


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


class Service:
    """One service root: the BC environment of a tenant, or BoCount's firm endpoint."""

    def __init__(self, sandbox: BusinessCentralSandbox, root: str, companies: list[Company], *, bocount: bool) -> None:
        self.sandbox, self.root, self.companies, self.bocount = sandbox, root, companies, bocount
        self.model = sandbox.bocount_model if bocount else sandbox.model

    def company_json(self, company: Company) -> dict[str, Any]:
        body: dict[str, Any] = {
            "@odata.etag": etag(company.id, company.created), "id": company.id, "systemVersion": "25.0.22735.0",
            "timestamp": 1000 + self.sandbox.tenant.companies.index(company), "name": company.name[:30],
            "displayName": company.name, "businessProfileId": "", "systemCreatedAt": company.created,
            "systemCreatedBy": "00000000-0000-0000-0000-000000000001", "systemModifiedAt": company.created,
            "systemModifiedBy": "00000000-0000-0000-0000-000000000001",
        }
        if self.bocount:
            body[COMPANY_VAT] = company.vat_number
        return body

    def rows(self, name: str, company: Company, request: Request) -> list[dict[str, Any]]:
        s = self.sandbox
        if name == "companyInformation":
            street, city, postal = company.address
            return [{
                "@odata.etag": etag(company.id, "info"), "id": company.id, "displayName": company.name,
                "addressLine1": street, "addressLine2": "", "city": city, "state": "", "country": company.country,
                "postalCode": postal, "phoneNumber": "+32 16 00 00 00" if company.country == "BE" else "+31 30 000 0000",
                "faxNumber": "", "email": f"boekhouding@{company.code.lower()}.example", "website": "",
                "taxRegistrationNumber": company.vat_number, "currencyCode": "EUR",
                "currentFiscalYearStartDate": company.years[-1][0], "industry": "", "experience": "Premium",
                "lastModifiedDateTime": company.created,
            }]
        if name == "accountingPeriods":
            return [{"@odata.etag": etag(p.id, p.modified), "id": p.id, "startingDate": p.start,
                     "name": p.start.strftime("%B"), "newFiscalYear": p.new_fiscal_year, "closed": p.closed,
                     "dateLocked": p.date_locked, "lastModifiedDateTime": p.modified} for p in company.periods]
        if name == "accounts":
            return [{"@odata.etag": etag(a.id, a.modified), "id": a.id, "number": a.number, "displayName": a.name,
                     "category": a.category, "subCategory": "", "blocked": False, "accountType": "Posting",
                     "directPosting": True, "netChange": sum((e.debit - e.credit for e in company.entries.values()
                                                               if e.account is a), Decimal("0.00")),
                     "consolidationTranslationMethod": "Average_x0020_Rate_x0020__x0028_Manual_x0029_",
                     "consolidationDebitAccount": "", "consolidationCreditAccount": "",
                     "excludeFromConsolidation": False, "lastModifiedDateTime": a.modified}
                    for a in sorted(company.accounts, key=lambda a: a.number)]
        if name == "generalLedgerEntries":
            return [{"@odata.etag": etag(e.id, e.modified), "id": e.id, "entryNumber": e.number,
                     "postingDate": e.posting_date, "documentNumber": e.document, "documentType": e.document_type,
                     "accountId": e.account.id, "accountNumber": e.account.number, "description": e.description,
                     "debitAmount": e.debit, "creditAmount": e.credit, "additionalCurrencyDebitAmount": e.acy_debit,
                     "additionalCurrencyCreditAmount": e.acy_credit, "lastModifiedDateTime": e.modified}
                    for e in s.ordered_entries(company)]
        if name == "generalLedgerSetup":
            return [{"@odata.etag": etag(company.id, "setup"), "id": company.id,
                     "allowPostingFrom": company.years[-1][0], "allowPostingTo": company.years[-1][1],
                     "additionalReportingCurrency": company.acy or "", "localCurrencyCode": "EUR",
                     "localCurrencySymbol": "€", "lastModifiedDateTime": company.created}]
        raise AssertionError(name)

    def trial_balance(self, company: Company, request: Request) -> tuple[list[dict[str, Any]], Any]:
        entity_type = self.model.entity_type("trialBalance")
        raw = request.query_params.get("$filter")
        parsed = parse_filter(raw, entity_type, self.model) if raw else None
        low = high = None
        if parsed is not None:
            bounds = parsed.bounds("dateFilter")
            if bounds and not parsed.conjunctive:
                raise ODataQueryError("dateFilter can only be combined with 'and'.")
            low = bounds.get("ge") or bounds.get("eq")
            high = bounds.get("le") or bounds.get("eq")
        debit: dict[str, Decimal] = defaultdict(Decimal)
        credit: dict[str, Decimal] = defaultdict(Decimal)
        balance: dict[str, Decimal] = defaultdict(Decimal)
        for e in company.entries.values():
            if high is None or e.posting_date <= high:
                balance[e.account.id] += e.debit - e.credit
                if low is None or e.posting_date >= low:
                    debit[e.account.id] += e.debit
                    credit[e.account.id] += e.credit
        rows = []
        for a in sorted(company.accounts, key=lambda a: a.number):
            b = balance[a.id]
            rows.append({"number": a.number, "accountId": a.id, "accountType": "Posting", "display": a.name,
                         "totalDebit": _money(debit[a.id]), "totalCredit": _money(credit[a.id]),
                         "balanceAtDateDebit": _money(max(b, Decimal(0))), "balanceAtDateCredit": _money(max(-b, Decimal(0))),
                         "dateFilter": high or low or self.sandbox.clock.now().date()})
        # dateFilter is a parameter, not a row filter: only other properties filter the rows.
        if parsed is not None:
            others = [c for c in parsed.comparisons if c[0] != "dateFilter"]
            if others:
                rows = [r for r in rows if all(_compare(r.get(p), op, v) for p, op, v in others)]
        return rows, parsed

    async def answer(self, request: Request, rest: str) -> Response:
        if rest == "$metadata":
            return metadata_response(self.model)
        segments = [s for s in rest.split("/") if s]
        matches = [SEGMENT.match(s) for s in segments]
        if not segments or any(m is None for m in matches):
            raise NotFoundError(rest)
        first = matches[0]
        assert first is not None
        context = f"{self.root}/$metadata#"
        company: Company | None = None
        if first["set"] == "companies":
            if first["key"] is None:
                if len(segments) > 1:
                    raise NotFoundError(rest)
                companies = [self.company_json(c) for c in self.companies]
                return collection_response(request, companies, self.model.entity_type("company"),
                                           context=context + "companies", model=self.model, max_page_size=PAGE_MAX)
            company = self._company(first["key"])
            if len(segments) == 1:
                body = {"@odata.context": context + "companies/$entity",
                        **entity_json(self.company_json(company), self.model.entity_type("company"))}
                return json_response(body, headers=[("OData-Version", "4.0")],
                                     content_type="application/json; odata.metadata=minimal; charset=utf-8")
            if len(segments) != 2:
                raise NotFoundError(rest)
            second = matches[1]
            assert second is not None
            name, context = second["set"], context + f"companies({company.id})/{second['set']}"
            extra: frozenset[str] = frozenset()
        else:
            if len(segments) != 1:
                raise NotFoundError(rest)
            name, context = first["set"], context + first["set"]
            company = self._company(request.query_params.get("company") or "")
            extra = frozenset({"company"})
        standard = STANDARD.get(name)
        if standard is None or standard == "companies":
            raise NotFoundError(name)
        seconds = self.sandbox.operation_seconds.get(standard, 0.0)
        if seconds >= OPERATION_SECONDS:
            return odata_error_response(408, "Request_Timeout", "The operation has timed out and the session was cancelled.")
        type_name = self.model.sets[name]
        entity_type = self.model.entity_type(type_name)
        filtered = None
        if standard == "trialBalances":
            rows, filtered = self.trial_balance(company, request)
        else:
            rows = self.rows(standard, company, request)
        return collection_response(request, rows, entity_type, context=context, model=self.model, max_page_size=PAGE_MAX,
                                   default_page_size=PAGE_DEFAULT, filtered=filtered, allowed_params=extra)

    def _company(self, key: str) -> Company:
        key = key.strip("'").lower()
        found = next((c for c in self.companies if c.id == key), None)
        if found is None:
            raise ODataQueryError(f"The company '{key}' does not exist or you have no access to it.", status=404,
                                  code="BadRequest_NotFound")
        return found


def _compare(left: Any, op: str, right: Any) -> bool:
    table: dict[str, Callable[[Any, Any], bool]] = {
        "eq": lambda a, b: a == b, "ne": lambda a, b: a != b, "gt": lambda a, b: a > b,
        "ge": lambda a, b: a >= b, "lt": lambda a, b: a < b, "le": lambda a, b: a <= b,
    }
    return table[op](left, right)


class NotFoundError(Exception):
    """A path segment the service does not have."""


def api_routes(sandbox: BusinessCentralSandbox) -> list[Route]:
    """The route table: every environment's API, BoCount's, and the Admin Center's environments."""

    def wrap(handler: Callable[[Request], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            sandbox.requests.append((request.url.path, query(request)))
            if sandbox.latency:
                await sandbox.clock.sleep(sandbox.latency)
            try:
                response = await handler(request)
            except NotFoundError as exc:
                response = odata_error_response(404, "BadRequest_ResourceNotFound",
                                                f"Resource not found for the segment '{exc}'.")
            except ODataQueryError as exc:
                code = exc.code if exc.code != "BadRequest" else "BadRequest_NotFound"
                response = odata_error_response(exc.status, code, f"{exc}  CorrelationId:  {sandbox.correlation()}.")
            for observe in sandbox.observers:
                observe(request.url.path, query(request), response.status_code, bytes(response.body))
            return response

        return endpoint

    def refuse_token() -> Response:
        return odata_error_response(401, "Authentication_InvalidCredentials",
                                    "The server has rejected the client credentials.",
                                    {"WWW-Authenticate": 'Bearer error="invalid_token"'})

    async def environment_api(request: Request) -> Response:
        tenant, environment = request.path_params["tenant"], request.path_params["environment"]
        if tenant.lower() not in (sandbox.tenant.id, sandbox.tenant.domain):
            return odata_error_response(404, "Internal_TenantUnavailable", f"The tenant '{tenant}' is not accessible.")
        token = sandbox.oauth_server.access(bearer_token(request)) if sandbox.oauth_server else None
        if token is None or token.grant.extra.get("tenant") != sandbox.tenant.id:
            return refuse_token()
        companies = [c for c in sandbox.tenant.companies if c.environment.lower() == environment.lower()]
        if environment.lower() not in {e.lower() for e in sandbox.tenant.environments}:
            return odata_error_response(404, "BadRequest_NotFound", f"The environment '{environment}' does not exist.")
        root = f"{sandbox.api_root}/{tenant}/{environment}/api/v2.0"
        return await Service(sandbox, root, companies, bocount=False).answer(request, request.path_params["rest"])

    async def bocount_api(request: Request) -> Response:
        if basic_credentials(request) != (sandbox.bocount_user, sandbox.bocount_key):
            return odata_error_response(401, "Authentication_InvalidCredentials",
                                        "The server has rejected the client credentials.",
                                        {"WWW-Authenticate": 'Basic realm=""'})
        return await Service(sandbox, SANDBOX_BASE + API_PATH, sandbox.tenant.companies, bocount=True).answer(
            request, request.path_params["rest"])

    async def environments(request: Request) -> Response:
        token = sandbox.oauth_server.access(bearer_token(request)) if sandbox.oauth_server else None
        if token is None:
            return refuse_token()
        values = [{"friendlyName": name, "type": "Production" if name == "Production" else "Sandbox", "name": name,
                   "countryCode": "BE", "applicationFamily": "BusinessCentral", "aadTenantId": sandbox.tenant.id,
                   "applicationVersion": "25.0.22735.0", "status": "Active",
                   "webClientLoginUrl": f"https://businesscentral.dynamics.com/{sandbox.tenant.id}/{name}",
                   "webServiceUrl": f"{sandbox.api_root}/{sandbox.tenant.id}/{name}",
                   "locationName": "West Europe", "platformVersion": "25.0.22735.0"}
                  for name in sandbox.tenant.environments]
        return json_response({"value": values})

    bocount_path = SANDBOX_BASE.split("://", 1)[1].split("/", 1)[1]
    return [
        Route(ADMIN_ENVIRONMENTS_PATH, wrap(environments)),
        Route("/v2.0/{tenant}/{environment}/api/v2.0/{rest:path}", wrap(environment_api)),
        Route(f"/{bocount_path}{API_PATH}/{{rest:path}}", wrap(bocount_api)),
    ]

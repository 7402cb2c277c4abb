"""The sandbox's routes and handlers: ``/connections`` and the Accounting API endpoints sfsync
uses, with Xero's envelopes, dates, errors and rate limits (:mod:`sfsync_xero.sandbox.limits`).
The login page and token endpoint are the toolkit's server (:mod:`sfsync_xero.sandbox.identity`).
Routes on the path only (a Starlette route table on the toolkit), so one uvicorn server can stand
in for all of Xero's hosts."""

from __future__ import annotations

import asyncio
import bisect
import datetime as dt
import json
import re
import uuid
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from sfsync.sandbox.responses import exact, json_body
from sfsync.sandbox.routing import BaseRoute, Request, Route
from sfsync.sandbox.routing import Response as HttpResponse

from sfsync_xero.dates import format_identity_stamp, format_msdate, parse_if_modified_since
from sfsync_xero.sandbox.data import SJournal, SOrg, trial_balance
from sfsync_xero.sandbox.identity import SCOPE_FOR, connections
from sfsync_xero.sandbox.limits import headers as limits_headers
from sfsync_xero.sandbox.limits import limit_list, problem_name
from sfsync_xero.sandbox.xml_answers import json_to_xml

if TYPE_CHECKING:
    from sfsync_xero.sandbox import XeroSandbox

API = "/api.xro/2.0"
JOURNALS_PAGE = 100
PAYMENT_TYPES = frozenset({"ACCRECPAYMENT", "ACCPAYPAYMENT", "ARCREDITPAYMENT", "APCREDITPAYMENT",
                           "CASHREC", "CASHPAID"})


class Response:
    def __init__(self, status: int, body: bytes = b"", content_type: str = "application/json",
                 headers: dict[str, str] | None = None) -> None:
        self.status = status
        self.body = body
        self.headers = {"content-type": content_type, **(headers or {})} if body else dict(headers or {})


def problem(status: int, title: str, detail: str) -> Response:
    body: dict[str, Any] = {"Type": None, "Title": title, "Status": status, "Detail": detail,
            "Instance": str(uuid.uuid4()), "Extensions": {}}
    return Response(status, json.dumps(body).encode())


def validation(message: str) -> Response:
    body = {"ErrorNumber": 10, "Type": "ValidationException", "Message": "A validation exception occurred",
            "Elements": [{"ValidationErrors": [{"Message": message}]}]}
    return Response(400, json.dumps(body).encode())


class XeroApp:
    def __init__(self, sandbox: XeroSandbox) -> None:
        self.sandbox = sandbox

    def routes(self) -> list[BaseRoute]:
        """Xero's hosts, by path: ``/connections`` and the Accounting API, each answered by
        :meth:`handle` (the identity routes come first, from the toolkit's server)."""
        serve = self.serve_request
        return [
            *(Route(path, serve, methods=["GET"]) for path in ("/connections", "/Connections")),
            *(Route(path, serve, methods=["DELETE"]) for path in ("/connections/{id}", "/Connections/{id}")),
            Route(API + "/{route:path}", serve, methods=["GET"]),
        ]

    async def serve_request(self, request: Request) -> HttpResponse:
        """A request through :meth:`handle`, answered byte for byte."""
        query = parse_qs(request.url.query, keep_blank_values=True)
        headers = {k.lower(): v for k, v in request.headers.items()}
        response = await self.handle(request.method, request.url.path, query, headers, await request.body())
        return exact(response.body, response.status, response.headers)

    async def refusal(self, request: Request, status: int) -> HttpResponse:
        # Logged and answered by handle() like any other request: Xero's own 404 text.
        return await self.serve_request(request)

    async def handle(self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str], body: bytes) -> Response:
        sandbox = self.sandbox
        sandbox.requests.append((method, path, {k: v[0] for k, v in query.items()}, dict(headers)))
        if sandbox.latency and not path.startswith(API + "/"):
            await asyncio.sleep(sandbox.latency)  # API calls wait while counted as in flight
        checked = path.lower().startswith("/connections") or path.startswith(API + "/")
        if checked and sandbox.spec_checker is not None:
            sandbox.spec_violations += sandbox.spec_checker.check_request(method, path, query, headers)
        if path.lower() == "/connections" and method == "GET":
            response = self.connections(query, headers)
        elif path.lower().startswith("/connections/") and method == "DELETE":
            response = self.disconnect(path.rsplit("/", 1)[1], headers)
        elif path.startswith(API + "/") and method == "GET":
            response = await self.accounting(path[len(API):], query, headers)
        else:
            response = Response(404, b"The resource you're looking for cannot be found", "text/plain")
        if checked and sandbox.spec_checker is not None and response.status == 200:
            parsed = json.loads(response.body, parse_float=Decimal) if response.headers.get("content-type") == "application/json" else None
            if parsed is not None:
                plain = json.loads(response.body)
                sandbox.spec_violations += sandbox.spec_checker.check_response(method, path, 200, plain)
        return response

    # --- identity ------------------------------------------------------------------------------

    def connections(self, query: dict[str, list[str]], headers: dict[str, str]) -> Response:
        access, detail = self.sandbox.identity.bearer(headers.get("authorization"))
        if access is None:
            return problem(401, "Unauthorized", detail)
        event = query.get("authEventId", [None])[0]
        out = []
        grant = access.grant
        if event is None or event == grant.extra.get("auth_event_id"):
            for connection in connections(grant).values():
                org = self.sandbox.org(connection.tenant_id)
                out.append({
                    "id": connection.id, "authEventId": grant.extra.get("auth_event_id"),
                    "tenantId": connection.tenant_id, "tenantType": "ORGANISATION",
                    "tenantName": org.name if org else "",
                    "createdDateUtc": format_identity_stamp(connection.created),
                    "updatedDateUtc": format_identity_stamp(connection.updated),
                })
        return Response(200, json.dumps(out).encode())

    def disconnect(self, connection_id: str, headers: dict[str, str]) -> Response:
        access, detail = self.sandbox.identity.bearer(headers.get("authorization"))
        if access is None:
            return problem(401, "Unauthorized", detail)
        for tenant, connection in list(connections(access.grant).items()):
            if connection.id == connection_id:
                del connections(access.grant)[tenant]
                return Response(204)
        return Response(404)

    # --- accounting ----------------------------------------------------------------------------

    async def accounting(self, route: str, query: dict[str, list[str]], headers: dict[str, str]) -> Response:
        sandbox = self.sandbox
        access, detail = sandbox.identity.bearer(headers.get("authorization"))
        if access is None:
            return problem(401, "Unauthorized", detail)
        tenant = headers.get("xero-tenant-id", "")
        org = sandbox.org(tenant)
        if org is None or tenant not in connections(access.grant):
            return problem(403, "Forbidden", "AuthenticationUnsuccessful")
        wanted = SCOPE_FOR.get(route)
        if wanted is None:
            return Response(404, b"The resource you're looking for cannot be found", "text/plain")
        if not access.grant.scopes.intersection(wanted):
            return problem(401, "Unauthorized", "AuthorizationUnsuccessful")
        if route == "/Journals" and sandbox.identity.tiers.get(access.grant.client.client_id) != "advanced":
            return problem(401, "Unauthorized", "AuthorizationUnsuccessful")
        limiter = sandbox.limiter
        limiter.limits = limit_list(sandbox)  # the knobs as they stand (counts are kept by name)
        verdict = limiter.take(Request({"type": "http", "method": "GET", "path": API + route, "query_string": b"",
                                        "headers": [(k.encode(), v.encode()) for k, v in headers.items()]}))
        if not verdict.allowed:
            sandbox.rate_limited.append(problem_name(verdict))
            refused = limiter.refusal(verdict)
            return Response(429, b"", headers={k: v for k, v in refused.headers.items() if k != "content-length"})
        try:
            if sandbox.latency:
                await asyncio.sleep(sandbox.latency)
            response = self.serve(org, route, query, headers)
        finally:
            limiter.release(verdict)
        response.headers.update(limits_headers(verdict))
        wants_json = "application/json" in headers.get("accept", "")
        if response.status in (200, 400) and response.body and not wants_json:
            # Xero answers XML unless JSON is asked for: the same data, as elements.
            response.body = json_to_xml(response.body)
            response.headers["content-type"] = "text/xml; charset=utf-8"
        return response

    def envelope(self, key: str, items: Any) -> Response:
        body = {"Id": str(uuid.uuid4()), "Status": "OK", "ProviderName": "sfsync sandbox",
                "DateTimeUTC": format_msdate(self.sandbox.clock.now(), offset=False), key: items}
        return Response(200, json_body(body))

    def serve(self, org: SOrg, route: str, query: dict[str, list[str]], headers: dict[str, str]) -> Response:
        since = None
        if "if-modified-since" in headers:
            try:
                since = parse_if_modified_since(headers["if-modified-since"])
            except ValueError:
                return validation("If-Modified-Since is not a date-time")
        if route == "/Organisation":
            return self.envelope("Organisations", [self.organisation(org)])
        if route == "/Accounts":
            return self.envelope("Accounts", self.accounts(org, since, query))
        if route == "/Journals":
            raw = query.get("offset", ["0"])[0]
            if not re.fullmatch(r"\d+", raw):
                return validation("offset must be a whole number")
            offset = int(raw)
            payments = query.get("paymentsOnly", ["false"])[0].lower() == "true"
            cut = since.replace(microsecond=0) if since is not None else None
            # Journals are kept in number order: start after the offset, stop at a full page.
            first = bisect.bisect_right(org.journals, offset, key=lambda j: j.number)
            selected = []
            for journal in org.journals[first:]:
                if (cut is None or journal.created >= cut) and (not payments or journal.source_type in PAYMENT_TYPES):
                    selected.append(self.journal(journal))
                    if len(selected) == JOURNALS_PAGE:
                        break
            return self.envelope("Journals", selected)
        if route == "/Reports/TrialBalance":
            raw_date = query.get("date", [""])[0]
            try:
                day = dt.date.fromisoformat(raw_date) if raw_date else self.sandbox.clock.now().date()
            except ValueError:
                return validation("date must be yyyy-MM-dd")
            payments = query.get("paymentsOnly", ["false"])[0].lower() == "true"
            return self.envelope("Reports", [self.trial_balance(org, day, payments_only=payments)])
        return Response(404)

    def organisation(self, org: SOrg) -> dict[str, Any]:
        out: dict[str, Any] = {
            "OrganisationID": org.id, "APIKey": "", "Name": org.name, "LegalName": org.legal_name,
            "PaysTax": True, "Version": "GLOBAL", "OrganisationType": "COMPANY",
            "BaseCurrency": org.currency, "CountryCode": org.country, "IsDemoCompany": False,
            "OrganisationStatus": "ACTIVE", "TaxNumber": org.tax_number,
            "FinancialYearEndDay": org.fy_day, "FinancialYearEndMonth": org.fy_month,
            "SalesTaxBasis": "ACCRUALS", "SalesTaxPeriod": "QUARTERLY",
            "DefaultSalesTax": "Tax Exclusive", "DefaultPurchasesTax": "Tax Exclusive",
            "CreatedDateUTC": format_msdate(org.created, offset=False),
            "OrganisationEntityType": "COMPANY", "Timezone": "ROMANCESTANDARDTIME",
            "ShortCode": org.short_code, "Edition": "BUSINESS", "Class": "STANDARD",
            "Addresses": [{"AddressType": "STREET", "AddressLine1": org.street, "City": org.city,
                           "PostalCode": org.postal_code, "Country": org.country}],
            "Phones": [], "ExternalLinks": [], "PaymentTerms": {},
        }
        if org.period_lock:
            out["PeriodLockDate"] = format_msdate(org.period_lock)
        if org.end_of_year_lock:
            out["EndOfYearLockDate"] = format_msdate(org.end_of_year_lock)
        return out

    def accounts(self, org: SOrg, since: dt.datetime | None, query: dict[str, list[str]]) -> list[dict[str, Any]]:
        items = [a for a in org.accounts if since is None or a.updated >= since.replace(microsecond=0)]
        where = query.get("where", [""])[0]
        for field_name, value in re.findall(r'(\w+)\s*==\s*"([^"]*)"', where):
            attr = {"Status": "status", "Type": "type", "Class": "cls", "Code": "code"}.get(field_name)
            if attr:
                items = [a for a in items if getattr(a, attr) == value]
        order = query.get("order", [""])[0].split()
        if order and order[0] in ("Name", "Code"):
            items.sort(key=lambda a: getattr(a, order[0].lower()), reverse=order[-1].upper() == "DESC")
        out = []
        for a in items:
            item: dict[str, Any] = {
                "AccountID": a.id, "Code": a.code, "Name": a.name, "Status": a.status, "Type": a.type,
                "TaxType": a.tax_type, "Class": a.cls, "EnablePaymentsToAccount": False,
                "ShowInExpenseClaims": False, "BankAccountType": "BANK" if a.type == "BANK" else "NONE",
                "ReportingCode": a.cls[:3], "ReportingCodeName": a.cls.title(), "HasAttachments": False,
                "UpdatedDateUTC": format_msdate(a.updated), "AddToWatchlist": False,
            }
            if a.system:
                item["SystemAccount"] = a.system
            if a.currency:
                item["CurrencyCode"] = a.currency
            out.append(item)
        return out

    def journal(self, j: SJournal) -> dict[str, Any]:
        lines = []
        for ln in j.lines:
            line: dict[str, Any] = {
                "JournalLineID": ln.id, "AccountID": ln.account.id, "AccountCode": ln.account.code,
                "AccountType": ln.account.type, "AccountName": ln.account.name,
                "NetAmount": ln.net, "GrossAmount": ln.net + ln.tax, "TaxAmount": ln.tax,
                "TrackingCategories": [],
            }
            if ln.description:
                line["Description"] = ln.description
            if ln.tax_type:
                line["TaxType"] = ln.tax_type
                line["TaxName"] = ln.tax_name or ""
            lines.append(line)
        return {"JournalID": j.id, "JournalDate": format_msdate(j.date), "JournalNumber": j.number,
                "CreatedDateUTC": format_msdate(j.created), "Reference": j.reference,
                "SourceID": j.source_id, "SourceType": j.source_type, "JournalLines": lines}

    def trial_balance(self, org: SOrg, day: dt.date, *, payments_only: bool = False) -> dict[str, Any]:
        rows = trial_balance(org, day, payment_types=PAYMENT_TYPES if payments_only else None)

        def cell(value: str, account_id: str | None) -> dict[str, Any]:
            out: dict[str, Any] = {"Value": value}
            if account_id:
                out["Attributes"] = [{"Value": account_id, "Id": "account"}]
            return out

        def pair(amount: Decimal, lean_debit: bool) -> tuple[str, str]:
            if amount > 0:
                return f"{amount:.2f}", ""
            if amount < 0:
                return "", f"{-amount:.2f}"
            return ("0.00", "") if lean_debit else ("", "0.00")

        sections = [("Revenue", "REVENUE"), ("Expenses", "EXPENSE"), ("Assets", "ASSET"),
                    ("Liabilities", "LIABILITY"), ("Equity", "EQUITY")]
        totals = [Decimal(0)] * 4
        blocks: list[dict[str, Any]] = [{"RowType": "Header", "Cells": [
            {"Value": "Account"}, {"Value": "Debit"}, {"Value": "Credit"},
            {"Value": "YTD Debit"}, {"Value": "YTD Credit"}]}]
        for title, cls in sections:
            section_rows = []
            for row in (r for r in rows if r.account.cls == cls):
                debit, credit = pair(row.month, row.ytd >= 0)
                ytd_debit, ytd_credit = pair(row.ytd, row.ytd >= 0)
                for i, text in enumerate((debit, credit, ytd_debit, ytd_credit)):
                    totals[i] += Decimal(text or 0)
                label = f"{row.account.name} ({row.account.code})" if row.account.code else row.account.name
                section_rows.append({"RowType": "Row", "Cells": [
                    cell(label, row.account.id), *(cell(t, row.account.id) for t in (debit, credit, ytd_debit, ytd_credit))]})
            blocks.append({"RowType": "Section", "Title": title, "Rows": section_rows})
        blocks.append({"RowType": "Section", "Title": "", "Rows": [{"RowType": "SummaryRow", "Cells": [
            {"Value": "Total"}, *({"Value": f"{t:.2f}"} for t in totals)]}]})
        now = self.sandbox.clock.now()
        return {"ReportID": "TrialBalance", "ReportName": "Trial Balance", "ReportType": "TrialBalance",
                "ReportTitles": ["Trial Balance", org.name, f"As at {day.day} {day:%B %Y}"],
                "ReportDate": f"{day.day} {day:%B %Y}", "UpdatedDateUTC": format_msdate(now, offset=False),
                "Fields": [], "Rows": blocks}

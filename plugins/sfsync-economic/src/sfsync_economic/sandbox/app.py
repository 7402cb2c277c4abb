"""The sandbox's routes: the request URL (approval page) on secure.e-conomic.com and the REST
calls sfsync makes on restapi.e-conomic.com, behind e-conomic's gate (the two token headers, the
limits) and in its error body. Routed on the path only, so one server stands in for both hosts.

Every REST call is GET here: sfsync only reads (the demo agreement is GET-only too).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sfsync.sandbox.responses import json_response
from sfsync.sandbox.routing import query, starlette_app
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sfsync_economic.sandbox import wire
from sfsync_economic.sandbox.books import SCompany, SYear
from sfsync_economic.sandbox.facts import (
    APP_SECRET_ERROR,
    DEMO_TOKEN,
    FILTER_ERROR,
    GRANT_ERROR,
    RATE_ERROR,
    REQUEST_ACCESS_PATH,
    REST_URL,
    year_label,
)

if TYPE_CHECKING:
    from sfsync_economic.sandbox import EconomicSandbox

Handler = Callable[[Request, SCompany], Awaitable[Response]]

ENTRY_FILTERABLE = {
    "amount": "number", "amountInBaseCurrency": "number", "currency": "text", "customer.customerNumber": "number",
    "date": "text", "dueDate": "text", "entryNumber": "number", "entryType": "text", "quantity1": "number",
    "quantity2": "number", "remainder": "number", "remainderInBaseCurrency": "number",
    "supplier.supplierNumber": "number", "supplierInvoiceNumber": "text", "text": "text",
    "unit1.unitNumber": "number", "unit2.unitNumber": "number", "voucherNumber": "number",
}
"""``_accounting-years.md``: the filterable properties of entries (also their sortable ones)."""
YEAR_FILTERABLE = {"fromDate": "text", "toDate": "text", "year": "text"}
PERIOD_FILTERABLE = {"fromDate": "text", "periodNumber": "number", "toDate": "text"}
ACCOUNT_FILTERABLE = {"accountNumber": "number", "accountType": "text", "balance": "number", "barred": "text",
                      "blockDirectEntries": "text", "debitCredit": "text", "name": "text"}
"""``_accounts.md``: filterable properties of accounts."""


def _json(body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return json_response(body, status, headers or {}, content_type="application/json; charset=utf-8")


class EconomicApp:
    """The ASGI app; state lives on the sandbox."""

    def __init__(self, sandbox: EconomicSandbox) -> None:
        self.sandbox = sandbox
        years = "/accounting-years/{year}"
        self.app = starlette_app([
            Route(REQUEST_ACCESS_PATH, sandbox.request_access, methods=["GET", "POST"]),
            Route("/self", self._api(self.self_)),
            Route("/accounts", self._api(self.accounts)),
            Route("/accounting-years", self._api(self.years)),
            Route(years, self._api(self.one_year)),
            Route(years + "/periods", self._api(self.periods)),
            Route(years + "/entries", self._api(self.year_entries)),
            Route(years + "/totals", self._api(self.year_totals)),
            Route(years + "/periods/{period:int}/entries", self._api(self.period_entries)),
            Route(years + "/periods/{period:int}/totals", self._api(self.period_totals)),
        ], refusal=self.refusal)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not self.sandbox.keep_bodies or scope["path"].startswith("/secure/"):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        status = [0]

        async def keep(message: Any) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        await self.app(scope, receive, keep)
        self.sandbox.served.append((scope["path"], status[0], b"".join(chunks)))

    def _now(self) -> dt.datetime:
        return self.sandbox.clock.now()

    def error(self, status: int, message: str, hint: str, code: str | None = None,
              errors: dict[str, Any] | None = None, headers: dict[str, str] | None = None) -> Response:
        return _json(wire.error(status, message, hint, code, errors, at=self._now()), status, headers)

    async def refusal(self, request: Request, status: int) -> Response:
        if status == 404:
            return self.error(404, "The resource was not found.", "Use the links the API gives you.")
        return self.error(405, "The HTTP method is not allowed on this resource.", "This endpoint is read-only here.")

    # --- the gate --------------------------------------------------------------------------------

    def _api(self, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def gated(request: Request) -> Response:
            sandbox = self.sandbox
            sandbox.requests.append((request.method, request.url.path, dict(request.query_params)))
            secret = request.headers.get("x-appsecrettoken")
            grant_token = request.headers.get("x-agreementgranttoken")
            if secret == grant_token == DEMO_TOKEN:
                # e-conomic's demo agreement: both headers "demo", reading only.
                if request.method != "GET":
                    return self.error(403, "The demo agreement is read-only.", "Use GET with the demo tokens.")
                return await handler(request, sandbox.companies[0])
            if secret != sandbox.app_secret_token:
                return self.error(401, "The app secret token is missing or not known.",
                                  "Send your app's secret token in the X-AppSecretToken header.", APP_SECRET_ERROR)
            grant = sandbox.access.live(grant_token)
            if grant is None:
                return self.error(401, "The agreement grant token is missing, not known or was revoked.",
                                  "Ask the agreement's user to grant your app access again.", GRANT_ERROR)
            company = sandbox.company(grant.agreement)
            assert company is not None
            refused = sandbox.throttles.take(f"{grant.agreement}/{grant.app_public_token}")
            if refused is not None:
                wait, which = refused
                return self.error(429, f"Too many requests ({which} limit).", "Wait for Retry-After seconds.",
                                  RATE_ERROR, headers={"Retry-After": str(int(wait))})
            if request.method != "GET":
                return await self.refusal(request, 405)
            try:
                return await handler(request, company)
            except wire.PagingRefused as exc:
                return self.error(400, f"The {exc.field} parameter is not valid.", str(exc), FILTER_ERROR,
                                  errors={exc.field: {"errors": [{"errorCode": FILTER_ERROR, "message": str(exc),
                                                                  "value": query(request).get(exc.field, "")}]}})

        return gated

    def _year(self, request: Request, company: SCompany) -> SYear | None:
        return company.year(year_label(request.path_params["year"]))

    def _collection(self, request: Request, items: list[dict[str, Any]], filterable: dict[str, str],
                    default_sort: Callable[[dict[str, Any]], Any] | None = None) -> Response:
        url = f"{REST_URL}{request.url.path}"
        return _json(wire.collection(items, url=url, params=query(request), filterable=filterable,
                                     sortable=list(filterable), default_sort=default_sort))

    # --- the resources -------------------------------------------------------------------------------

    async def self_(self, request: Request, company: SCompany) -> Response:
        return _json(wire.self_document(company, self.sandbox.app_public_token, self.sandbox.user_email))

    async def accounts(self, request: Request, company: SCompany) -> Response:
        balances: dict[int, Decimal] = {}
        for voucher in company.live():
            for e in voucher.entries:
                balances[e.account] = balances.get(e.account, Decimal(0)) + e.amount_base
        items = [wire.account(a, balances.get(a.number, Decimal("0.00"))) for a in company.accounts]
        return self._collection(request, items, ACCOUNT_FILTERABLE, lambda i: i["accountNumber"])

    async def years(self, request: Request, company: SCompany) -> Response:
        return self._collection(request, [wire.year(y) for y in company.years], YEAR_FILTERABLE,
                                lambda i: i["fromDate"])

    async def one_year(self, request: Request, company: SCompany) -> Response:
        year = self._year(request, company)
        if year is None:
            return await self.refusal(request, 404)
        return _json(wire.year(year))

    async def periods(self, request: Request, company: SCompany) -> Response:
        year = self._year(request, company)
        if year is None:
            return await self.refusal(request, 404)
        return self._collection(request, [wire.period(year, p) for p in year.periods], PERIOD_FILTERABLE,
                                lambda i: i["fromDate"])

    def _entries(self, company: SCompany, year: SYear, period: int | None) -> list[dict[str, Any]]:
        chosen = year.periods[period - 1] if period is not None else None
        out: list[dict[str, Any]] = []
        for voucher in company.live():
            if voucher.year != year.label or (chosen is not None and not chosen.start <= voucher.date <= chosen.end):
                continue
            out.extend(wire.entry(year, voucher, e) for e in voucher.entries)
        return out

    async def year_entries(self, request: Request, company: SCompany) -> Response:
        year = self._year(request, company)
        if year is None:
            return await self.refusal(request, 404)
        return self._collection(request, self._entries(company, year, None), ENTRY_FILTERABLE,
                                lambda i: i["entryNumber"])

    async def period_entries(self, request: Request, company: SCompany) -> Response:
        year = self._year(request, company)
        number = int(request.path_params["period"])
        if year is None or not 1 <= number <= len(year.periods):
            return await self.refusal(request, 404)
        return self._collection(request, self._entries(company, year, number), ENTRY_FILTERABLE,
                                lambda i: i["entryNumber"])

    def _totals(self, company: SCompany, year: SYear, period: int | None) -> list[dict[str, Any]]:
        chosen = year.periods[period - 1] if period is not None else None
        start, end = (chosen.start, chosen.end) if chosen is not None else (year.start, year.end)
        sums: dict[int, Decimal] = {}
        for voucher in company.live():
            if voucher.year == year.label and start <= voucher.date <= end:
                for e in voucher.entries:
                    sums[e.account] = sums.get(e.account, Decimal(0)) + e.amount_base
        suffix = f"/periods/{period}" if period is not None else ""
        return [wire.total(year, account, amount, start, end, suffix) for account, amount in sorted(sums.items())]

    async def year_totals(self, request: Request, company: SCompany) -> Response:
        year = self._year(request, company)
        if year is None:
            return await self.refusal(request, 404)
        return self._collection(request, self._totals(company, year, None), {})

    async def period_totals(self, request: Request, company: SCompany) -> Response:
        year = self._year(request, company)
        number = int(request.path_params["period"])
        if year is None or not 1 <= number <= len(year.periods):
            return await self.refusal(request, 404)
        return self._collection(request, self._totals(company, year, number), {})

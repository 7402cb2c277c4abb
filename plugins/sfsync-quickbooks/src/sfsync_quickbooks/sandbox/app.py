"""The sandbox's routes, on the toolkit (``sfsync.sandbox.routing``, ``responses``, ``limits``): Intuit's discovery document, authorize page, token and
revocation endpoints, and the Accounting API v3 calls sfsync makes (query, CompanyInfo,
Preferences, CDC, reports). Routed on the path only, so one server stands in for every Intuit
host (appcenter.intuit.com, oauth.platform.intuit.com, quickbooks.api.intuit.com, …).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from sfsync.sandbox.responses import json_response
from sfsync.sandbox.routing import basic_credentials, bearer_token, starlette_app
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sfsync_quickbooks.sandbox import query as ql
from sfsync_quickbooks.sandbox import reports, wire
from sfsync_quickbooks.sandbox.books import SCompany, fiscal_start
from sfsync_quickbooks.sandbox.oauth import (
    ACCOUNTING_SCOPE,
    DISCOVERY_PATH,
)

if TYPE_CHECKING:
    from sfsync_quickbooks.sandbox import QuickbooksSandbox

CDC_LOOKBACK = dt.timedelta(days=30)
CDC_MAX_OBJECTS = 1000
CDC_ENTITIES = ("Invoice", "Bill", "Payment", "Purchase", "JournalEntry", "Account", "BillPayment",
                "Deposit", "Transfer", "SalesReceipt", "CreditMemo", "RefundReceipt", "VendorCredit",
                "CreditCardPayment", "Customer", "Vendor", "Item")
REPORT_METHODS = ("Accrual", "Cash")
MINIMUM_MINOR_VERSION = 75
"""Intuit retired minor versions 1-74 in 2025; python-quickbooks enforces 75."""


def _json(body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return json_response(body, status, headers or {}, content_type="application/json;charset=UTF-8")


class QuickbooksApp:
    """The ASGI app; state lives on the sandbox."""

    def __init__(self, sandbox: QuickbooksSandbox) -> None:
        self.sandbox = sandbox
        api = "/v3/company/{realm}"
        self.app = starlette_app([
            Route(DISCOVERY_PATH, self.discovery),
            Route("/.well-known/openid_configuration", self.discovery),
            *sandbox.oauth.routes(),
            Route("/v2/oauth2/tokens/revoke", self.revoke, methods=["POST"]),
            Route(api + "/query", self._api(self.query), methods=["GET", "POST"]),
            Route(api + "/companyinfo/{id}", self._api(self.company_info)),
            Route(api + "/preferences", self._api(self.preferences)),
            Route(api + "/cdc", self._api(self.cdc)),
            Route(api + "/reports/{name}", self._api(self.report)),
        ])

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not self.sandbox.keep_bodies or not scope["path"].startswith("/v3/"):
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

    # --- OAuth ---------------------------------------------------------------------------------

    async def discovery(self, request: Request) -> Response:
        base = self.sandbox.public_base
        return JSONResponse(self.sandbox.discovery_document(base))

    async def revoke(self, request: Request) -> Response:
        """Intuit's revocation takes JSON (``{"token": …}``) with the client in HTTP Basic."""
        basic = basic_credentials(request)
        client = self.sandbox.oauth.clients.get(basic[0]) if basic else None
        if basic is None or client is None or client.client_secret != basic[1]:
            return JSONResponse({"error": "invalid_client"}, 401)
        try:
            body = await request.json()
        except ValueError:
            return JSONResponse({"error": "invalid_request"}, 400)
        self.sandbox.oauth.revoke_token(str(body.get("token", "")))
        return Response(status_code=200)

    # --- the API's gate ------------------------------------------------------------------------

    def _fault(self, status: int, kind: str, code: str, message: str, detail: str,
               headers: dict[str, str] | None = None) -> Response:
        return _json(wire.fault(kind, code, message, detail, self.sandbox.clock.now()), status, headers)

    def _gate(self, request: Request) -> tuple[SCompany | None, Response | None]:
        sandbox = self.sandbox
        realm = request.path_params["realm"]
        sandbox.requests.append((request.method, request.url.path, dict(request.query_params)))
        minor = request.query_params.get("minorversion")
        if minor is None or not minor.isdigit() or int(minor) < MINIMUM_MINOR_VERSION:
            sandbox.protocol_violations.append(f"{request.url.path} without minorversion >= 75 ({minor})")
        access = sandbox.oauth.access(request)
        if access is None:
            why = "Token expired, revoked or unknown" if bearer_token(request) else "No Bearer token"
            return None, self._fault(401, "AuthenticationFault", "3200",
                                     "message=AuthenticationFailed; errorCode=003200; statusCode=401", why,
                                     {"WWW-Authenticate": 'Bearer realm="Intuit"'})
        if access.grant.extra.get("realm") != realm:
            return None, self._fault(403, "AuthorizationFault", "3100",
                                     "message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403",
                                     "The token is not authorized for this company")
        if ACCOUNTING_SCOPE not in access.grant.scopes:
            return None, self._fault(403, "AuthorizationFault", "3100",
                                     "message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403",
                                     "The token lacks com.intuit.quickbooks.accounting")
        request.state.limit_key = f"{access.grant.client.client_id}/{realm}"
        verdict = sandbox.throttles.take(request)
        if not verdict.allowed:
            return None, sandbox.throttles.refusal(verdict)
        request.state.verdict = verdict
        company = sandbox.company(realm)
        if company is None:  # pragma: no cover - a grant is only made for a seeded realm
            return None, self._fault(400, "ValidationFault", "610", "Object Not Found", realm)
        return company, None

    def _api(self, handler: Callable[[Request, SCompany], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
        """An API endpoint behind the gate (token, company, throttles); the concurrency slot it
        holds is given back when it has answered."""

        async def endpoint(request: Request) -> Response:
            company, refused = self._gate(request)
            if refused is not None:
                return refused
            assert company is not None
            try:
                return await handler(request, company)
            finally:
                verdict = getattr(request.state, "verdict", None)
                if verdict is not None:
                    self.sandbox.throttles.release(verdict)

        return endpoint

    # --- the API -------------------------------------------------------------------------------

    async def query(self, request: Request, company: SCompany) -> Response:
        text = request.query_params.get("query")
        if request.method == "POST":
            if "application/text" not in request.headers.get("content-type", ""):
                return self._fault(415, "ValidationFault", "4000", "Unsupported Media Type",
                                   "a query is POSTed as application/text")
            text = (await request.body()).decode()
        if not text:
            return self._fault(400, "ValidationFault", "4000", "Error parsing query", "QueryParserError: empty query")
        try:
            parsed = ql.parse(text)
        except ql.QueryFault as exc:
            return self._fault(400, "ValidationFault", exc.code, exc.message, exc.detail)
        items = self.sandbox.entities(company, parsed.entity)
        page, total = ql.run(parsed, items)
        now = self.sandbox.clock.now()
        if parsed.count:
            return _json(wire.query_response(parsed.entity, [], 1, total, now))
        return _json(wire.query_response(parsed.entity, page, parsed.start, None, now))

    async def company_info(self, request: Request, company: SCompany) -> Response:
        if request.path_params["id"] != "1":
            return self._fault(400, "ValidationFault", "610", "Object Not Found",
                               f"Object Not Found : Something you're trying to use has been made inactive or is not found: CompanyInfo {request.path_params['id']}")
        return _json({"CompanyInfo": wire.company_info(company), "time": wire.response_time(self.sandbox.clock.now())})

    async def preferences(self, request: Request, company: SCompany) -> Response:
        return _json({"Preferences": wire.preferences(company), "time": wire.response_time(self.sandbox.clock.now())})

    def _date(self, request: Request, name: str) -> dt.date | None:
        raw = request.query_params.get(name)
        return dt.date.fromisoformat(raw) if raw else None

    async def cdc(self, request: Request, company: SCompany) -> Response:
        entities = [e for e in request.query_params.get("entities", "").split(",") if e]
        unknown = [e for e in entities if e not in CDC_ENTITIES]
        if not entities or unknown:
            return self._fault(400, "ValidationFault", "2010", "Request has invalid or unsupported property",
                               f"Property Name:entities specified is unsupported or invalid: {','.join(unknown)}")
        raw = request.query_params.get("changedSince", "")
        try:
            since = dt.datetime.fromisoformat(raw)
            if since.tzinfo is None:
                raise ValueError(raw)
        except ValueError:
            return self._fault(400, "ValidationFault", "2010", "Request has invalid or unsupported property",
                               f"Property Name:changedSince specified is unsupported or invalid: {raw}")
        now = self.sandbox.clock.now()
        if since < now - CDC_LOOKBACK:
            # UNVERIFIED: the code and wording of this refusal.
            return self._fault(400, "ValidationFault", "2010", "Request has invalid or unsupported property",
                               "changedSince must be within the last 30 days")
        answers = []
        budget = CDC_MAX_OBJECTS
        for entity in entities:
            changed = self.sandbox.changed(company, entity, since)[:budget]
            budget -= len(changed)
            if changed:
                answers.append({entity: changed, "startPosition": 1, "maxResults": len(changed)})
        return _json({"CDCResponse": [{"QueryResponse": answers}], "time": wire.response_time(now)})

    async def report(self, request: Request, company: SCompany) -> Response:
        name = request.path_params["name"]
        method = request.query_params.get("accounting_method", "Accrual")
        try:
            start, end = self._date(request, "start_date"), self._date(request, "end_date")
        except ValueError:
            return self._fault(400, "ValidationFault", "2010", "Request has invalid or unsupported property",
                               "start_date/end_date must be yyyy-mm-dd")
        if method not in REPORT_METHODS:
            return self._fault(400, "ValidationFault", "2010", "Request has invalid or unsupported property",
                               f"Property Name:accounting_method specified is unsupported or invalid: {method}")
        today = self.sandbox.clock.now().date()
        # Without dates QuickBooks reports "this fiscal year to date".
        end = end or today
        start = start or fiscal_start(end, company.fiscal_start_month)
        if start > end:
            return self._fault(400, "ValidationFault", "2010", "Request has invalid or unsupported property",
                               "start_date is after end_date")
        now = self.sandbox.clock.now()
        self.sandbox.report_calls.append((name, start, end))
        if name == "TrialBalance":
            return _json(reports.trial_balance(company, start, end, now, method))
        if name == "GeneralLedger":
            raw = request.query_params.get("columns")
            columns = tuple(raw.split(",")) if raw else reports.GL_DEFAULT
            bad = [c for c in columns if c not in reports.GL_COLUMNS]
            if bad:
                return self._fault(400, "ValidationFault", "2010", "Request has invalid or unsupported property",
                                   f"Property Name:columns specified is unsupported or invalid: {','.join(bad)}")
            return _json(reports.general_ledger(company, start, end, columns, now, method))
        return self._fault(400, "ValidationFault", "2010", "Request has invalid or unsupported property",
                           f"Report {name} is not served by the sandbox")

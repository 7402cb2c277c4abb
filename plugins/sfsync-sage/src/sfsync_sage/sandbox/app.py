"""The sandbox's wire contract: Sage's routes, as a Starlette route table and small handlers.

Every ``/v3.1`` call needs a live bearer token and, except ``/businesses``, names its business in
``X-Business`` (absent: the user's lead business, the first one). List endpoints page with
``page`` and ``items_per_page`` (1–200, else 422) and expose only the base attributes (``id``,
``displayed_as``, ``$path``) unless ``attributes`` asks for more (``all`` or a comma list): that
is how the swagger describes the parameter. Each list route accepts the query parameters the
swagger declares for it that the sandbox implements, and refuses others with 400 (Sage's
behaviour for unknown parameters is UNVERIFIED; refusing them catches a connector's typo).
Filters take ISO dates and date-times (``updated_or_created_since`` is inclusive, as the swagger
says); a malformed one answers 422.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import math
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from sfsync_sage.facts import PAGE_DEFAULT, PAGE_MAX
from sfsync_sage.sandbox.books import Business, Entry, LedgerAccount
from sfsync_sage.sandbox.oauth import TokenRefused
from sfsync_sage.sandbox.wire import envelope, error_response, json_response

if TYPE_CHECKING:
    from sfsync_sage.sandbox import SageSandbox

__all__ = ["build_app"]

Handler = Callable[[Request, Business], Awaitable[Response]]
PAGING = frozenset({"page", "items_per_page", "attributes"})


def _base(kind: str, ident: str, label: str) -> dict[str, str]:
    return {"id": ident, "displayed_as": label, "$path": f"/{kind}/{ident}"}


def _iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _date_arg(request: Request, name: str) -> dt.date | None:
    value = request.query_params.get(name)
    if value is None:
        return None
    return dt.date.fromisoformat(value[:10]) if len(value) >= 10 else dt.date.fromisoformat(value)


def _since_arg(request: Request, name: str) -> dt.datetime | None:
    value = request.query_params.get(name)
    if value is None:
        return None
    moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


async def _form(request: Request) -> dict[str, str]:
    # application/x-www-form-urlencoded, read here rather than through python-multipart.
    return dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))


def _account_json(account: LedgerAccount) -> dict[str, Any]:
    label = f"{account.name} ({account.nominal_code})"
    return {
        **_base("ledger_accounts", account.id, label),
        "name": account.name,
        "display_name": account.name,
        "nominal_code": account.nominal_code,
        "ledger_account_type": _base("ledger_account_types", account.type_id, account.type_id.replace("_", " ").title()),
        "included_in_chart": True,
        "visible_in_journals": True,
        "visible_in_reporting": True,
    }


def _entry_json(entry: Entry) -> dict[str, Any]:
    account = entry.account
    body: dict[str, Any] = {
        **_base("ledger_entries", entry.id, entry.description),
        "created_at": _iso(entry.created_at),
        "updated_at": _iso(entry.updated_at),
        "date": entry.date.isoformat(),
        "debit": entry.debit,
        "credit": entry.credit,
        "ledger_account": _base("ledger_accounts", account.id, f"{account.name} ({account.nominal_code})"),
        "transaction": _base("transactions", entry.transaction_id, entry.transaction_label),
        "deleted": entry.deleted,
        "description": entry.description,
    }
    if entry.contact:
        body["contact"] = _base("contacts", hashlib.sha1(entry.contact.encode()).hexdigest()[:32], entry.contact)
    if entry.journal_code:  # French and Spanish businesses have journal codes; the key is absent elsewhere
        body["journal_code"] = _base("journal_codes", entry.journal_code, entry.journal_code)
    return body


def _expose(item: dict[str, Any], attributes: str | None) -> dict[str, Any]:
    if attributes == "all":
        return item
    wanted = {"id", "displayed_as", "$path", *(a.strip() for a in (attributes or "").split(",") if a.strip())}
    return {k: v for k, v in item.items() if k in wanted}


def _side(amount: Decimal) -> dict[str, str]:
    # The Reporting API writes amounts as strings, and a balance on its debit or credit side.
    return {"debit": f"{max(amount, Decimal(0)):.2f}", "credit": f"{max(-amount, Decimal(0)):.2f}"}


def build_app(sandbox: SageSandbox) -> Starlette:
    """Sage's OAuth host, login page and Accounts API v3.1, on one Starlette app."""
    clock = sandbox.clock

    async def authorize(request: Request) -> Response:
        if request.method == "GET":
            query = dict(request.query_params)
            if query.get("client_id") != sandbox.client_id or query.get("response_type") != "code":
                return HTMLResponse("<h1>Invalid client or response type</h1>", status_code=400)
            if query.get("scope") not in ("full_access", "readonly"):
                return HTMLResponse("<h1>Invalid scope</h1>", status_code=400)
            hidden = "".join(
                f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">' for k, v in query.items()
            )
            return HTMLResponse(
                '<html><body><h1>Sage Accounting (sandbox)</h1><form method="post" action="/oauth2/auth/central">'
                f'{hidden}<input name="email"><input name="password" type="password"><button>Sign in</button>'
                "</form></body></html>"
            )
        form = await _form(request)
        if (form.get("email"), form.get("password")) != (sandbox.username, sandbox.password):
            return HTMLResponse("<h1>Incorrect email or password</h1>", status_code=401)
        code = sandbox.oauth.issue_code(
            client_id=str(form.get("client_id")), redirect_uri=str(form.get("redirect_uri")),
            user=sandbox.user_id, scope=str(form.get("scope")), now=clock.now(),
        )
        target = f"{form['redirect_uri']}?{urlencode({'code': code, 'state': form.get('state', ''), 'country': 'FR'})}"
        return RedirectResponse(target, status_code=302)

    async def token(request: Request) -> Response:
        form = await _form(request)
        try:
            return json_response(sandbox.oauth.token(form, clock.now()))
        except TokenRefused as refused:
            return json_response(refused.body, refused.status)

    def api(handler: Handler, params: frozenset[str] = frozenset(), *, business_needed: bool = True) -> Callable[[Request], Awaitable[Response]]:
        allowed = params | PAGING

        async def endpoint(request: Request) -> Response:
            sandbox.requests.append((request.url.path, dict(request.query_params), request.headers.get("x-business")))
            if sandbox.latency:
                await clock.sleep(sandbox.latency)
            scheme, _, bearer = request.headers.get("authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not sandbox.oauth.valid(bearer, clock.now()):
                return error_response(401, "AuthenticationFailed", "The access token is missing, invalid or has expired.")
            wanted = request.headers.get("x-business") or sandbox.businesses[0].id
            business = sandbox.by_id.get(wanted)
            if business is None:
                return error_response(404, "RecordNotFound", "Business not found", "X-Business")
            wait = sandbox.limiter.take(business.id if business_needed else "user", clock.now())
            if wait:
                return error_response(
                    429, "TooManyRequests", "Too many requests, please slow down.",
                    headers={"Retry-After": str(math.ceil(wait))},
                )
            unknown = sorted(set(request.query_params) - allowed)
            if unknown:
                return error_response(400, "InvalidParameter", f"Unknown parameter {unknown[0]}", unknown[0])
            try:
                response = await handler(request, business)
            except ValueError as exc:
                response = error_response(422, "RecordInvalid", f"Invalid parameter value: {exc}", "query")
            for observe in sandbox.observers:
                observe(request.url.path, dict(request.query_params), response.status_code, bytes(response.body))
            return response

        return endpoint

    def listing(request: Request, kind: str, rows: list[Any], render: Callable[[Any], dict[str, Any]]) -> Response:
        query = {k: v for k, v in request.query_params.items() if k not in ("page", "items_per_page")}
        page = int(request.query_params.get("page", "1"))
        per_page = int(request.query_params.get("items_per_page", str(PAGE_DEFAULT)))
        if not 1 <= per_page <= PAGE_MAX:
            return error_response(422, "RecordInvalid", f"items_per_page must be between 1 and {PAGE_MAX}", "items_per_page")
        if page < 1:
            return error_response(422, "RecordInvalid", "page must be 1 or more", "page")
        attributes = request.query_params.get("attributes")
        body = envelope(f"/{kind}", query, rows, page=page, per_page=per_page)
        body["$items"] = [_expose(render(row), attributes) for row in body["$items"]]  # only this page's
        return json_response(body)

    async def businesses(request: Request, _business: Business) -> Response:
        return listing(request, "businesses", sandbox.businesses, sandbox.business_json)

    async def one_business(request: Request, _business: Business) -> Response:
        key = request.path_params["key"]
        business = sandbox.businesses[0] if key == "lead" else sandbox.by_id.get(key)
        if business is None:
            return error_response(404, "RecordNotFound", "Business not found", "key")
        return json_response(sandbox.business_json(business))

    async def financial_settings(request: Request, business: Business) -> Response:
        return json_response({
            "$path": "/financial_settings",
            "year_end_date": business.year_end.isoformat(),
            "year_end_lockdown_date": business.lockdown.isoformat(),
            "accounting_type": "accrual",
            "accounts_start_date": business.accounts_start.isoformat(),
            "base_currency": _base("currencies", business.currency, "Euro (EUR)"),
            "multi_currency_enabled": business.country == "IE",
            "use_live_exchange_rates": False,
            "tax_number": business.vat_number,
            "updated_at": _iso(business.created_at),
        })

    async def ledger_accounts(request: Request, business: Business) -> Response:
        since = _since_arg(request, "updated_or_created_since")
        accounts = sorted(business.accounts, key=lambda a: a.nominal_code)
        if since is not None and since > business.created_at:
            accounts = []
        return listing(request, "ledger_accounts", accounts, _account_json)

    async def ledger_entries(request: Request, business: Business) -> Response:
        since = _since_arg(request, "updated_or_created_since")
        start, end = _date_arg(request, "from_date"), _date_arg(request, "to_date")
        transaction = request.query_params.get("transaction_id")
        rows = [
            e for e in sandbox.by_change(business)
            if (since is None or e.updated_at >= since)
            and (start is None or e.date >= start)
            and (end is None or e.date <= end)
            and (transaction is None or e.transaction_id == transaction)
        ]
        return listing(request, "ledger_entries", rows, _entry_json)

    async def opening_balance_journals(request: Request, business: Business) -> Response:
        day = business.accounts_start - dt.timedelta(days=1)
        lines = [
            {
                "id": f"{account.id[:16]}-ob",
                "ledger_account": _base("ledger_accounts", account.id, f"{account.name} ({account.nominal_code})"),
                "details": "Opening balance",
                "debit": max(amount, Decimal(0)),
                "credit": max(-amount, Decimal(0)),
            }
            for account, amount in business.opening
        ]
        journal = {
            **_base("opening_balance_journals", f"{business.id[:16]}-obj", "Opening Balances"),
            "created_at": _iso(business.created_at),
            "updated_at": _iso(business.created_at),
            "date": day.isoformat(),
            "reference": "Opening Balances",
            "transaction_type": _base("transaction_types", "JOURNAL", "Journal"),
            "journal_lines": lines,
        }
        return listing(request, "opening_balance_journals", [journal], dict)

    async def trial_balance(request: Request, business: Business) -> Response:
        start, end = _date_arg(request, "from_date"), _date_arg(request, "to_date")
        if start is None or end is None or end < start:
            return error_response(422, "RecordInvalid", "from_date and to_date are required, from_date first", "from_date")
        rows = []
        for account, opening, debit, credit in sandbox.totals(business, start, end):
            closing = opening + debit - credit
            rows.append({
                **_base("ledger_accounts", account.id, f"{account.name} ({account.nominal_code})"),
                "nominal_code": account.nominal_code,
                "name": account.name,
                "opening_balance": _side(opening),
                "debit": f"{debit:.2f}",
                "credit": f"{credit:.2f}",
                "closing_balance": _side(closing),
            })
        return json_response({"from_date": start.isoformat(), "to_date": end.isoformat(), "ledger_accounts": rows})

    async def not_found(request: Request, _business: Business) -> Response:
        return error_response(404, "RecordNotFound", f"No route matches {request.url.path}", "path")

    v3 = "/v3.1"
    routes = [
        Route("/oauth2/auth/central", authorize, methods=["GET", "POST"]),
        Route("/token", token, methods=["POST"]),
        Route(f"{v3}/businesses", api(businesses, business_needed=False)),
        Route(f"{v3}/businesses/{{key}}", api(one_business, business_needed=False)),
        Route(f"{v3}/financial_settings", api(financial_settings)),
        Route(f"{v3}/ledger_accounts", api(ledger_accounts, frozenset({"updated_or_created_since", "visible_in", "show_included_in_chart"}))),
        Route(f"{v3}/ledger_entries", api(ledger_entries, frozenset({"updated_or_created_since", "from_date", "to_date", "transaction_id"}))),
        Route(f"{v3}/opening_balance_journals", api(opening_balance_journals)),
        Route(f"{v3}/trial_balance", api(trial_balance, frozenset({"from_date", "to_date"}))),
        Route(f"{v3}/{{rest:path}}", api(not_found)),
    ]
    return Starlette(routes=routes)

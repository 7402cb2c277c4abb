"""The sandbox's wire contract: Sage's API routes as a toolkit route table and small handlers
(the OAuth host and the limits are declared in :mod:`.oauth` and :mod:`.limits`).

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
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sfsync.sandbox.paging import PagingError
from sfsync.sandbox.routing import Request, Response, Route, bearer_token, query

from sfsync_sage.sandbox.books import Business, Entry, LedgerAccount
from sfsync_sage.sandbox.wire import UNPAGED, envelope, error_response, json_response

if TYPE_CHECKING:
    from sfsync_sage.sandbox import SageSandbox

__all__ = ["api_routes"]

Handler = Callable[[Request, Business], Awaitable[Response]]
Endpoint = Callable[[Request], Awaitable[Response]]
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


def api_routes(sandbox: SageSandbox) -> list[Route]:
    """Sage's Accounts API v3.1 and the User API's ``/businesses``: the sandbox's route table."""

    def api(handler: Handler, params: frozenset[str] = frozenset(), *, paged: bool = True) -> Endpoint:
        allowed = params | PAGING if paged else params

        async def endpoint(request: Request) -> Response:
            sandbox.requests.append((request.url.path, query(request), request.headers.get("x-business")))
            if sandbox.latency:
                await sandbox.clock.sleep(sandbox.latency)
            if sandbox.oauth_server.access(bearer_token(request)) is None:
                return error_response(401, "AuthenticationFailed", "The access token is missing, invalid or has expired.")
            business = sandbox.by_id.get(request.headers.get("x-business") or sandbox.businesses[0].id)
            if business is None:
                return error_response(404, "RecordNotFound", "Business not found", "X-Business")
            unknown = sorted(set(request.query_params) - allowed)
            if unknown:
                return error_response(400, "InvalidParameter", f"Unknown parameter {unknown[0]}", unknown[0])
            try:
                response = await handler(request, business)
            except PagingError as exc:
                response = error_response(422, "RecordInvalid", str(exc), str(exc).split(" ", 1)[0])
            except ValueError as exc:
                response = error_response(422, "RecordInvalid", f"Invalid parameter value: {exc}", "query")
            for observe in sandbox.observers:
                observe(request.url.path, query(request), response.status_code, bytes(response.body))
            return response

        return endpoint

    def listing(request: Request, kind: str, rows: list[Any], render: Callable[[Any], dict[str, Any]]) -> Response:
        attributes = request.query_params.get("attributes")
        return json_response(envelope(f"/{kind}", query(request), rows, lambda row: _expose(render(row), attributes)))

    async def businesses(request: Request, _business: Business) -> Response:
        # Every business at once, base attributes only (Sage's best-practices page shows it so).
        items = [_base("businesses", b.id, b.name) for b in sandbox.businesses]
        return json_response({"$total": len(items), "$page": 1, "$next": None, "$back": None,
                              "$items_per_page": UNPAGED, "$items": items})

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
            rows.append({
                **_base("ledger_accounts", account.id, f"{account.name} ({account.nominal_code})"),
                "nominal_code": account.nominal_code,
                "name": account.name,
                "opening_balance": _side(opening),
                "debit": f"{debit:.2f}",
                "credit": f"{credit:.2f}",
                "closing_balance": _side(opening + debit - credit),
            })
        return json_response({"from_date": start.isoformat(), "to_date": end.isoformat(), "ledger_accounts": rows})

    async def not_found(request: Request, _business: Business) -> Response:
        return error_response(404, "RecordNotFound", f"No route matches {request.url.path}", "path")

    v3 = "/v3.1"
    return [
        Route(f"{v3}/businesses", api(businesses, paged=False)),  # the User API declares no parameters
        Route(f"{v3}/businesses/{{key}}", api(one_business, paged=False)),
        Route(f"{v3}/financial_settings", api(financial_settings)),
        Route(f"{v3}/ledger_accounts",
              api(ledger_accounts, frozenset({"updated_or_created_since", "visible_in", "show_included_in_chart"}))),
        Route(f"{v3}/ledger_entries",
              api(ledger_entries, frozenset({"updated_or_created_since", "from_date", "to_date", "transaction_id"}))),
        Route(f"{v3}/opening_balance_journals", api(opening_balance_journals)),
        Route(f"{v3}/trial_balance", api(trial_balance, frozenset({"from_date", "to_date"}))),
        Route(f"{v3}/{{rest:path}}", api(not_found)),
    ]

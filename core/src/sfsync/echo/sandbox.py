"""The echo sandbox: a small JSON API with an API key, paging, modified stamps and deletions.

It is the toolkit's smallest worked example: a route table, handlers that answer with
:func:`~sfsync.sandbox.responses.json_response`, the package's own 401/404/405 bodies, and (when
asked for) a per-key minute quota with its headers.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sfsync.clock import Clock
from sfsync.echo.connector import BASE_URL
from sfsync.sandbox import Sandbox
from sfsync.sandbox.limits import Quota, RateLimits, Verdict
from sfsync.sandbox.paging import offset_page
from sfsync.sandbox.responses import json_response
from sfsync.sandbox.routing import BaseRoute, Request, Response, Route, query

__all__ = ["API_KEY", "BASE_URL", "EchoSandbox"]

API_KEY = "echo-key-123"

_CHART = [  # a Belgian-style chart: classes 1-5 balance sheet, 6-7 profit and loss
    ("100000", "Capital", "bs"), ("400000", "Customers", "bs"), ("440000", "Suppliers", "bs"),
    ("451000", "VAT payable", "bs"), ("411000", "VAT recoverable", "bs"), ("550000", "Bank", "bs"),
    ("604000", "Purchases of goods", "pl"), ("613000", "Services", "pl"), ("700000", "Sales", "pl"),
]


@dataclass
class _Line:
    id: str
    entry: str
    journal: str
    date: dt.date
    period: int
    account: str
    description: str
    amount: Decimal
    currency: str | None = None
    foreign_amount: Decimal | None = None
    modified: int = 0


@dataclass
class _Company:
    ref: str
    code: str
    name: str
    year_start_month: int
    lines: list[_Line] = field(default_factory=list)
    deleted: list[tuple[int, str]] = field(default_factory=list)
    brought_forward: dict[str, Decimal] = field(default_factory=dict)
    """Balances carried into the first fiscal year that are not booked as lines (a history
    that starts with an opening balance); empty unless a test seeds them."""


def _shift_month(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    return dt.date(day.year + month // 12, month % 12 + 1, 1)


class EchoSandbox(Sandbox):
    """An offline JSON API: ``/companies``, ``/companies/{ref}/years|accounts|lines|deleted``.

    Knobs: ``page_size`` (lines per page), ``lines_per_company``, ``per_minute`` (a quota of calls
    per API key and minute, off by default; the connector declares 600).
    """

    connector = "echo"
    base_urls = (BASE_URL,)

    def __init__(
        self, *, clock: Clock | None = None, lines_per_company: int = 240, page_size: int = 50,
        per_minute: int | None = None,
    ) -> None:
        self.clock = clock or Clock()
        if per_minute is not None:
            self.limits = RateLimits([Quota("minute", per_minute, 60)], clock=self.clock, headers=_limit_headers)
        self.page_size = page_size
        self.sequence = 0
        self.requests = 0
        self.companies: dict[str, _Company] = {}
        self._seed(lines_per_company)
        super().__init__()

    def _next(self) -> int:
        self.sequence += 1
        return self.sequence

    def _seed(self, count: int) -> None:
        for ref, code, name, start_month in (("C1", "ACME", "Acme Trading BV", 1), ("C2", "BRUX", "Bruxelles Services SRL", 7)):
            company = _Company(ref, code, name, start_month)
            first = dt.date(2024, start_month, 1)
            for n in range(count // 3):
                day = first + dt.timedelta(days=(n * 7) % 700)
                amount = Decimal(100 + (n * 37) % 900) + Decimal(n % 100) / 100
                vat = (amount * Decimal("0.21")).quantize(Decimal("0.01"))
                entry = f"{ref}-E{n:05d}"
                sale = n % 2 == 0
                foreign = n % 10 == 0
                lines = [
                    ("400000" if sale else "440000", amount + vat if sale else -(amount + vat)),
                    ("700000" if sale else "604000", -amount if sale else amount),
                    ("451000" if sale else "411000", -vat if sale else vat),
                ]
                for i, (account, value) in enumerate(lines):
                    company.lines.append(
                        _Line(
                            id=f"{entry}-{i}", entry=entry, journal="VKP" if sale else "AKP", date=day,
                            period=self._period(company, day), account=account,
                            description=f"{'Invoice' if sale else 'Bill'} {n}", amount=value,
                            currency="USD" if foreign else None,
                            foreign_amount=(value * Decimal("1.08")).quantize(Decimal("0.01")) if foreign else None,
                            modified=self._next(),
                        )
                    )
            self.companies[ref] = company

    @staticmethod
    def _period(company: _Company, day: dt.date) -> int:
        return (day.month - company.year_start_month) % 12 + 1

    def _years(self, company: _Company) -> list[dict[str, Any]]:
        years = []
        for year in (2024, 2025, 2026):
            start = dt.date(year, company.year_start_month, 1)
            end = _shift_month(start, 12) - dt.timedelta(days=1)
            years.append({"start": start.isoformat(), "end": end.isoformat(), "label": f"FY{end.year}",
                          "closed": end < dt.date(2025, 1, 1)})
        return years

    # --- the API: its route table and handlers -------------------------------------------------

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/companies", self._companies),
            Route("/companies/{ref}/years", self._per_company(self._fiscal_years)),
            Route("/companies/{ref}/accounts", self._per_company(self._accounts)),
            Route("/companies/{ref}/balances", self._per_company(self._balances)),
            Route("/companies/{ref}/lines", self._per_company(self._lines)),
            Route("/companies/{ref}/deleted", self._per_company(self._deleted)),
        ]

    def refusal(self, request: Request, status: int) -> Response:
        # The key is checked before the path: a stranger learns nothing of the API's shape.
        self.requests += 1
        if not self._key_ok(request):
            return _unauthorized()
        return json_response({"error": "not_found" if status == 404 else "method_not_allowed"}, status)

    def _key_ok(self, request: Request) -> bool:
        return secrets.compare_digest(request.headers.get("x-api-key", "").encode(), API_KEY.encode())

    async def _companies(self, request: Request) -> Response:
        self.requests += 1
        if not self._key_ok(request):
            return _unauthorized()
        return json_response([{"ref": c.ref, "code": c.code, "name": c.name} for c in self.companies.values()])

    def _per_company(self, handler: Callable[[_Company, dict[str, str]], Response]) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            self.requests += 1
            if not self._key_ok(request):
                return _unauthorized()
            ref = request.path_params["ref"]
            company = self.companies.get(ref)
            if company is None:
                return json_response({"error": "unknown_company", "message": f"No company {ref}."}, 404)
            return handler(company, query(request))

        return endpoint

    def _fiscal_years(self, company: _Company, params: dict[str, str]) -> Response:
        return json_response(self._years(company))

    def _accounts(self, company: _Company, params: dict[str, str]) -> Response:
        return json_response([{"code": c, "name": n, "kind": k} for c, n, k in _CHART])

    def _balances(self, company: _Company, params: dict[str, str]) -> Response:
        try:
            at = dt.date.fromisoformat(params["at"])
        except (KeyError, ValueError):
            return _bad_request("at must be a date (YYYY-MM-DD)")
        kinds = {code: kind for code, _, kind in _CHART}
        first = dt.date(2024, company.year_start_month, 1)
        sums: dict[str, Decimal] = dict(company.brought_forward) if at >= first else {}
        for line in company.lines:
            if line.date < at and kinds.get(line.account) == "bs":
                sums[line.account] = sums.get(line.account, Decimal(0)) + line.amount
        return json_response([{"account": a, "amount": str(v)} for a, v in sorted(sums.items())])

    def _paging(self, params: dict[str, str]) -> tuple[int, int] | Response:
        try:
            after = int(params.get("after", "0"))
            limit = int(params.get("limit", str(self.page_size)))
        except ValueError:
            return _bad_request("after and limit must be integers")
        if limit < 1 or limit > 500:
            return _bad_request("limit must be between 1 and 500")
        return after, limit

    def _lines(self, company: _Company, params: dict[str, str]) -> Response:
        paging = self._paging(params)
        if isinstance(paging, Response):
            return paging
        after, limit = paging
        since = params.get("since")
        rows = sorted((ln for ln in company.lines if ln.modified > after), key=lambda ln: ln.modified)
        if since:
            rows = [ln for ln in rows if ln.date >= dt.date.fromisoformat(since)]
        page = offset_page(rows, offset=0, limit=limit)
        return json_response({
            "lines": [
                {"id": ln.id, "entry": ln.entry, "journal": ln.journal, "date": ln.date.isoformat(),
                 "period": ln.period, "account": ln.account, "description": ln.description,
                 "amount": str(ln.amount), "currency": ln.currency,
                 "foreign_amount": str(ln.foreign_amount) if ln.foreign_amount is not None else None,
                 "modified": ln.modified}
                for ln in page.items
            ],
            "more": page.more,
            "sequence": self.sequence,
        })

    def _deleted(self, company: _Company, params: dict[str, str]) -> Response:
        paging = self._paging(params)
        if isinstance(paging, Response):
            return paging
        after, limit = paging
        gone = [(seq, ident) for seq, ident in company.deleted if seq > after][:limit]
        return json_response({"deleted": [{"id": ident, "sequence": seq} for seq, ident in gone], "sequence": self.sequence})

    # --- the Sandbox contract -----------------------------------------------------------------

    def connection_config(self) -> dict[str, Any]:
        return {"base_url": BASE_URL}

    def connection_secrets(self) -> dict[str, str]:
        return {"api_key": API_KEY}

    def bad_connection_secrets(self) -> dict[str, str]:
        return {"api_key": "wrong-key"}

    def company_refs(self) -> list[str]:
        return list(self.companies)

    def add_entry(self, company_ref: str) -> list[str]:
        company = self.companies[company_ref]
        day = dt.date(2026, company.year_start_month, 1) + dt.timedelta(days=40)
        entry = f"{company_ref}-N{self._next():05d}"
        ids = []
        for i, (account, value) in enumerate((("550000", Decimal("250.00")), ("700000", Decimal("-250.00")))):
            line = _Line(f"{entry}-{i}", entry, "BNK", day, self._period(company, day), account, "New entry", value,
                         modified=self._next())
            company.lines.append(line)
            ids.append(line.id)
        return ids

    def edit_line(self, company_ref: str) -> str:
        company = self.companies[company_ref]
        line = company.lines[len(company.lines) // 2]
        line.description += " (edited)"
        line.modified = self._next()
        return line.id

    def delete_entry(self, company_ref: str) -> list[str]:
        company = self.companies[company_ref]
        entry = next(ln.entry for ln in company.lines if "-E" in ln.entry)  # a seeded one
        gone = [ln for ln in company.lines if ln.entry == entry]
        company.lines = [ln for ln in company.lines if ln.entry != entry]
        for line in gone:
            company.deleted.append((self._next(), line.id))
        return [ln.id for ln in gone]


def _unauthorized() -> Response:
    return json_response({"error": "invalid_api_key", "message": "The API key is missing or wrong."}, 401)


def _bad_request(message: str) -> Response:
    return json_response({"error": "bad_request", "message": message}, 400)


def _limit_headers(verdict: Verdict) -> dict[str, str]:
    minute = verdict.state("minute")
    if minute is None:
        return {}
    return {
        "X-RateLimit-Limit": str(minute.limit.limit if isinstance(minute.limit, Quota) else 0),
        "X-RateLimit-Remaining": str(minute.remaining),
        "X-RateLimit-Reset": str(int(minute.reset_in(verdict.now))),
    }

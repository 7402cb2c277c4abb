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
from sfsync.models import CompanyDetails
from sfsync.sandbox import Sandbox
from sfsync.sandbox.limits import Quota, RateLimits, Verdict
from sfsync.sandbox.paging import offset_page
from sfsync.sandbox.responses import json_response
from sfsync.sandbox.routing import BaseRoute, Request, Response, Route, query
from sfsync.truth import PackageTruth, TruthBuilder

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
    booked_in: dt.date | None = None
    """The first day of the fiscal year the line is booked in, when not the year of its date
    (a closing entry dated in January, booked in the last period of the year before)."""


@dataclass
class _Company:
    ref: str
    code: str
    name: str
    year_start_month: int
    details: CompanyDetails
    lines: list[_Line] = field(default_factory=list)
    deleted: list[tuple[int, str]] = field(default_factory=list)
    brought_forward: dict[str, Decimal] = field(default_factory=dict)
    """Balances carried into the first fiscal year that are not booked as lines (a history
    that starts with an opening balance); empty unless a test seeds them."""


_COMPANIES = (
    ("C1", "ACME", "Acme Trading BV", 1,
     CompanyDetails(name="Acme Trading BV", vat_number="NL001234567B01", legal_form="BV", street="Damrak 1",
                    postal_code="1012 LG", city="Amsterdam", country="NL", email="info@acme.example")),
    ("C2", "BRUX", "Bruxelles Services SRL", 7,
     CompanyDetails(name="Bruxelles Services SRL", vat_number="BE0123456749", legal_form="SRL",
                    street="Rue Neuve 10", postal_code="1000", city="Bruxelles", country="BE")),
)


def _label(year_end: dt.date) -> str:
    return f"FY{year_end.year}"


def _shift_month(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    return dt.date(day.year + month // 12, month % 12 + 1, 1)


class EchoSandbox(Sandbox):
    """An offline JSON API: ``/companies``, ``/companies/{ref}/years|accounts|lines|deleted``.

    Knobs: ``page_size`` (lines per page), ``lines_per_company``, ``per_minute`` (a quota of calls
    per API key and minute, off by default; the connector declares 600). Each company also holds one
    entry dated in the first days of a fiscal year but booked in the last period of the year
    before, and ``/companies/{ref}/details`` gives its master data. :meth:`revoke` replaces the API
    key, as a person who regenerates it in the package would.
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
        self.api_key = API_KEY
        self.companies: dict[str, _Company] = {}
        self._seed(lines_per_company)
        super().__init__()

    def _next(self) -> int:
        self.sequence += 1
        return self.sequence

    def _seed(self, count: int) -> None:
        for ref, code, name, start_month, details in _COMPANIES:
            company = _Company(ref, code, name, start_month, details)
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
            self._seed_booked_in_year_before(company)
            self.companies[ref] = company

    def _seed_booked_in_year_before(self, company: _Company) -> None:
        # Dated on the third day of the second fiscal year, booked in period 12 of the first.
        day = dt.date(2025, company.year_start_month, 3)
        year_before = _shift_month(day.replace(day=1), -12)
        entry = f"{company.ref}-E99999"
        for i, (account, value) in enumerate((("613000", Decimal("120.00")), ("440000", Decimal("-120.00")))):
            company.lines.append(
                _Line(id=f"{entry}-{i}", entry=entry, journal="MEM", date=day, period=12, account=account,
                      description="Accrued services of the year before", amount=value, modified=self._next(),
                      booked_in=year_before)
            )

    def _booked_in(self, company: _Company, line: _Line) -> dt.date:
        """The first day of the fiscal year a line is booked in."""
        if line.booked_in is not None:
            return line.booked_in
        start = dt.date(line.date.year, company.year_start_month, 1)
        return start if start <= line.date else _shift_month(start, -12)

    @staticmethod
    def _period(company: _Company, day: dt.date) -> int:
        return (day.month - company.year_start_month) % 12 + 1

    def _years(self, company: _Company) -> list[dict[str, Any]]:
        years = []
        for year in (2024, 2025, 2026):
            start = dt.date(year, company.year_start_month, 1)
            end = _shift_month(start, 12) - dt.timedelta(days=1)
            years.append({"start": start.isoformat(), "end": end.isoformat(), "label": _label(end),
                          "closed": end < dt.date(2025, 1, 1)})
        return years

    # --- the API: its route table and handlers -------------------------------------------------

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/companies", self._companies),
            Route("/companies/{ref}/years", self._per_company(self._fiscal_years)),
            Route("/companies/{ref}/accounts", self._per_company(self._accounts)),
            Route("/companies/{ref}/details", self._per_company(self._details)),
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
        return secrets.compare_digest(request.headers.get("x-api-key", "").encode(), self.api_key.encode())

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

    def _details(self, company: _Company, params: dict[str, str]) -> Response:
        return json_response(company.details.model_dump(mode="json", exclude_none=True))

    def _balances(self, company: _Company, params: dict[str, str]) -> Response:
        try:
            at = dt.date.fromisoformat(params["at"])
        except (KeyError, ValueError):
            return _bad_request("at must be a date (YYYY-MM-DD)")
        return json_response([{"account": a, "amount": str(v)} for a, v in sorted(self._balances_at(company, at).items())])

    def _balances_at(self, company: _Company, at: dt.date) -> dict[str, Decimal]:
        # By the year a line is booked in, as the package closes its books, not by its date.
        kinds = {code: kind for code, _, kind in _CHART}
        first = dt.date(2024, company.year_start_month, 1)
        sums: dict[str, Decimal] = dict(company.brought_forward) if at >= first else {}
        for line in company.lines:
            start = self._booked_in(company, line)
            # Booked in a year that ended before the day, or dated before it in the year it is in.
            before = _shift_month(start, 12) <= at or (start <= at and line.date < at)
            if before and kinds.get(line.account) == "bs":
                sums[line.account] = sums.get(line.account, Decimal(0)) + line.amount
        return sums

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
                 "period": ln.period,
                 "fiscal_year": _label(_shift_month(self._booked_in(company, ln), 12) - dt.timedelta(days=1)),
                 "account": ln.account, "description": ln.description,
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
        return {"api_key": self.api_key}

    def bad_connection_secrets(self) -> dict[str, str]:
        return {"api_key": "wrong-key"}

    def company_refs(self) -> list[str]:
        return list(self.companies)

    def revoke(self) -> None:
        # A regenerated key: the stored one is refused until the connection is given the new one.
        self.api_key = f"{API_KEY}-{self._next()}"

    def edit_company_details(self, company_ref: str) -> None:
        # The company moves: a new registered address, as a user would type it after a first sync.
        company = self.companies[company_ref]
        company.details = company.details.model_copy(update={"street": f"Nieuwe Dreef {self._next()}", "city": "Aalst"})

    def truth(self, company_ref: str) -> PackageTruth:
        company = self.companies[company_ref]
        books = TruthBuilder()
        for line in company.lines:
            books.add(line.account, self._booked_in(company, line), line.period, line.amount, line_id=line.id)
        starts = [dt.date.fromisoformat(y["start"]) for y in self._years(company)]
        return books.build(
            opening_balances={start: self._balances_at(company, start) for start in starts},
            company_details=company.details,
        )

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

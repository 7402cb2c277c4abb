"""The echo sandbox: a small JSON API with an API key, paging, modified stamps and deletions."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

from sfsync.clock import Clock
from sfsync.sandbox import ASGIApp, Receive, Sandbox, Scope, Send

__all__ = ["EchoSandbox"]

API_KEY = "echo-key-123"
BASE_URL = "https://api.echo.sandbox"

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
    booked: dt.date | None = None
    """The last day of the booking period when it lies in another fiscal year than the date."""


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

    Knobs: ``page_size`` (lines per page), ``lines_per_company``.
    """

    connector = "echo"
    base_urls = (BASE_URL,)

    def __init__(self, *, clock: Clock | None = None, lines_per_company: int = 240, page_size: int = 50) -> None:
        self.clock = clock or Clock()
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
            self._seed_late_invoice(company)
            self.companies[ref] = company

    def _seed_late_invoice(self, company: _Company) -> None:
        # An invoice of the last month of the first year that arrived late: dated in the next
        # year, booked in period 12 of the first (what every package allows before the close).
        first_end = _shift_month(dt.date(2024, company.year_start_month, 1), 12) - dt.timedelta(days=1)
        day = first_end + dt.timedelta(days=3)
        entry = f"{company.ref}-LATE"
        for i, (account, value) in enumerate((("400000", Decimal("605.00")), ("700000", Decimal("-500.00")),
                                               ("451000", Decimal("-105.00")))):
            company.lines.append(_Line(
                id=f"{entry}-{i}", entry=entry, journal="VKP", date=day, period=12, account=account,
                description="Invoice of the last month, booked late", amount=value, modified=self._next(),
                booked=first_end,
            ))

    @staticmethod
    def _period(company: _Company, day: dt.date) -> int:
        return (day.month - company.year_start_month) % 12 + 1

    def _years(self, company: _Company) -> list[dict[str, Any]]:
        years = []
        for year in (2024, 2025, 2026):
            start = dt.date(year, company.year_start_month, 1)
            end = _shift_month(start, 12) - dt.timedelta(days=1)
            periods = [{"number": n + 1, "start": _shift_month(start, n).isoformat(),
                        "end": (_shift_month(start, n + 1) - dt.timedelta(days=1)).isoformat()} for n in range(12)]
            years.append({"start": start.isoformat(), "end": end.isoformat(), "label": f"FY{end.year}",
                          "closed": end < dt.date(2025, 1, 1), "periods": periods})
        return years

    # --- ASGI -----------------------------------------------------------------------------------

    def build_app(self) -> ASGIApp:
        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            assert scope["type"] == "http"
            self.requests += 1
            status, body = self._handle(scope)
            payload = json.dumps(body, default=str).encode()
            await send({"type": "http.response.start", "status": status,
                        "headers": [(b"content-type", b"application/json")]})
            await send({"type": "http.response.body", "body": payload})

        return app

    def _handle(self, scope: Scope) -> tuple[int, Any]:
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        if headers.get("x-api-key") != API_KEY:
            return 401, {"error": "invalid_api_key", "message": "The API key is missing or wrong."}
        if scope["method"] != "GET":
            return 405, {"error": "method_not_allowed"}
        parts = [p for p in scope["path"].split("/") if p]
        query = {k: v[0] for k, v in parse_qs(scope.get("query_string", b"").decode()).items()}
        if parts == ["companies"]:
            return 200, [{"ref": c.ref, "code": c.code, "name": c.name} for c in self.companies.values()]
        if len(parts) != 3 or parts[0] != "companies":
            return 404, {"error": "not_found"}
        company = self.companies.get(parts[1])
        if company is None:
            return 404, {"error": "unknown_company", "message": f"No company {parts[1]}."}
        if parts[2] == "years":
            return 200, self._years(company)
        if parts[2] == "accounts":
            return 200, [{"code": c, "name": n, "kind": k} for c, n, k in _CHART]
        if parts[2] == "balances":
            try:
                at = dt.date.fromisoformat(query["at"])
            except (KeyError, ValueError):
                return 400, {"error": "bad_request", "message": "at must be a date (YYYY-MM-DD)"}
            kinds = {code: kind for code, _, kind in _CHART}
            first = dt.date(2024, company.year_start_month, 1)
            sums: dict[str, Decimal] = dict(company.brought_forward) if at >= first else {}
            for line in company.lines:
                if (line.booked or line.date) < at and kinds.get(line.account) == "bs":
                    sums[line.account] = sums.get(line.account, Decimal(0)) + line.amount
            return 200, [{"account": a, "amount": str(v)} for a, v in sorted(sums.items())]
        try:
            after = int(query.get("after", "0"))
            limit = int(query.get("limit", str(self.page_size)))
        except ValueError:
            return 400, {"error": "bad_request", "message": "after and limit must be integers"}
        if limit < 1 or limit > 500:
            return 400, {"error": "bad_request", "message": "limit must be between 1 and 500"}
        if parts[2] == "lines":
            since = query.get("since")
            rows = sorted((ln for ln in company.lines if ln.modified > after), key=lambda ln: ln.modified)
            if since:
                rows = [ln for ln in rows if ln.date >= dt.date.fromisoformat(since)]
            page = rows[:limit]
            return 200, {
                "lines": [
                    {"id": ln.id, "entry": ln.entry, "journal": ln.journal, "date": ln.date.isoformat(),
                     "period": ln.period, "account": ln.account, "description": ln.description,
                     "amount": str(ln.amount), "currency": ln.currency,
                     "foreign_amount": str(ln.foreign_amount) if ln.foreign_amount is not None else None,
                     "modified": ln.modified}
                    for ln in page
                ],
                "more": len(rows) > limit,
                "sequence": self.sequence,
            }
        if parts[2] == "deleted":
            gone = [(seq, ident) for seq, ident in company.deleted if seq > after][:limit]
            return 200, {"deleted": [{"id": ident, "sequence": seq} for seq, ident in gone], "sequence": self.sequence}
        return 404, {"error": "not_found"}

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

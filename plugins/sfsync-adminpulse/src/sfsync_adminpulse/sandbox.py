"""The AdminPulse sandbox: an offline stand-in of its API, declared on sfsync's toolkit.

A sandbox is a declaration, not a server: a route table (:meth:`routes`), small handlers that
answer with ``json_response``, the package's limits; the toolkit does the HTTP. Replace it, route by
route, with AdminPulse's real API: its paths, paging (``sfsync.sandbox.paging``),
error bodies, limits and strictness (reject what the real API rejects). The seeded data is in
:mod:`sfsync_adminpulse.books`.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

from sfsync.clock import Clock
from sfsync.sandbox import Sandbox
from sfsync.sandbox.limits import Quota, RateLimits
from sfsync.sandbox.responses import json_response
from sfsync.sandbox.routing import BaseRoute, Request, Response, Route, query
from sfsync.truth import PackageTruth

from sfsync_adminpulse.books import CHART, Books, Company

BASE_URL = "https://api.adminpulse.example"


def _error(status: int, error: str, message: str = "") -> Response:
    return json_response({"error": error, **({"message": message} if message else {})}, status)


class AdminpulseSandbox(Sandbox):
    """AdminPulse's API, offline."""

    connector = "adminpulse"
    base_urls = (BASE_URL,)
    api_key = "sandbox-api-key-0001"  # the sandbox's own fake key

    def __init__(self, clock: Clock | None = None) -> None:
        self.clock = clock or Clock()
        self.books = Books(self.clock)
        self.companies = self.books.companies
        # The package's published limit, per credential (the connector declares the same).
        self.limits = RateLimits([Quota("minute", 1000, 60)], clock=self.clock)
        super().__init__()

    # --- the contract suite's handles -----------------------------------------------------------

    def connection_config(self) -> dict[str, Any]:
        return {"base_url": BASE_URL}

    def connection_secrets(self) -> dict[str, str]:
        return {"api_key": self.api_key}

    def bad_connection_secrets(self) -> dict[str, str]:
        return {"api_key": "not-a-valid-key"}

    def company_refs(self) -> list[str]:
        return sorted(self.companies, key=lambda ref: -len(self.companies[ref].lines))

    def truth(self, company_ref: str) -> PackageTruth:
        return self.companies[company_ref].truth()

    def revoke(self) -> None:
        # The key regenerated in the package: the stored one is refused from now on.
        self.api_key = f"{self.api_key}-{secrets.token_hex(4)}"

    def add_entry(self, company_ref: str) -> list[str]:
        company, latest = self.companies[company_ref], self.companies[company_ref].years[-1]
        day = min(max(self.clock.now().date(), latest.start), latest.end)
        return self.books.sale(company, day, Decimal("123.45"))

    def edit_line(self, company_ref: str) -> str:
        line = self.companies[company_ref].lines[min(self.companies[company_ref].lines)]
        line.update(description=f"{line['description']} (gewijzigd)", modified=self.books.stamp())
        return str(line["id"])

    def delete_entry(self, company_ref: str) -> list[str]:
        company = self.companies[company_ref]
        entries = sorted({line["entry"] for line in company.lines.values()})  # a seeded one, mid-books
        ids = sorted(i for i, line in company.lines.items() if line["entry"] == entries[len(entries) // 2])
        stamp = self.books.stamp()
        for line_id in ids:
            del company.lines[line_id]
            company.deletions.append((stamp, line_id))
        return ids

    # --- the API: its route table and handlers --------------------------------------------------

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/api/companies", self.list_companies),
            Route("/api/companies/{ref}/fiscal-years", self.company(lambda c, q: {"items": [y.to_json() for y in c.years]})),
            Route("/api/companies/{ref}/accounts", self.company(
                lambda c, q: {"items": [{"code": k, "name": n, "kind": t} for k, (n, t) in CHART.items()]})),
            Route("/api/companies/{ref}/deletions", self.company(self.deletions)),
            Route("/api/companies/{ref}/lines", self.company(self.lines)),
            Route("/api/companies/{ref}/details", self.company(lambda c, q: c.details().model_dump(exclude_none=True))),
        ]

    def refusal(self, request: Request, status: int) -> Response:
        return _error(status, "not_found" if status == 404 else "method_not_allowed")

    def _authenticated(self, request: Request) -> bool:
        header, expected = "x-api-key", self.api_key
        return secrets.compare_digest(request.headers.get(header, "").encode(), expected.encode())

    async def list_companies(self, request: Request) -> Response:
        if not self._authenticated(request):
            return _error(401, "unauthorized", "missing or invalid credentials")
        return json_response({"items": [{"ref": c.ref, "code": c.code, "name": c.name, "currency": "EUR"}
                                        for c in self.companies.values()]})

    def company(self, answer: Callable[[Company, dict[str, str]], Any]) -> Callable[[Request], Awaitable[Response]]:
        """A handler for one company's resource: credentials and company checked, then ``answer``."""
        async def handler(request: Request) -> Response:
            if not self._authenticated(request):
                return _error(401, "unauthorized", "missing or invalid credentials")
            company = self.companies.get(request.path_params["ref"])
            if company is None:
                return _error(404, "not_found")
            found = answer(company, query(request))
            return found if isinstance(found, Response) else json_response(found)

        return handler

    def lines(self, company: Company, params: dict[str, str]) -> Response | dict[str, Any]:
        # A keyset on (modified stamp, id): the client sends the last pair it saw as `after`.
        try:
            limit = int(params.get("limit", "100"))
        except ValueError:
            return _error(400, "invalid_limit")
        if not 1 <= limit <= 500:
            return _error(400, "limit must be between 1 and 500")
        after, since = params.get("after"), params.get("date_from", "")
        rows = sorted((x for x in company.lines.values() if x["date"] >= since and (
            after is None or f"{x['modified']}|{x['id']}" > after)), key=lambda x: f"{x['modified']}|{x['id']}")
        return {"items": rows[:limit], "more": len(rows) > limit}

    def deletions(self, company: Company, params: dict[str, str]) -> dict[str, Any]:
        after = params.get("after")
        return {"more": False, "items": [{"deleted_at": at, "line_id": line_id} for at, line_id in sorted(company.deletions)
                                         if after is None or f"{at}|{line_id}" > after]}

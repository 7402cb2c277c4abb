{%- set caps = cookiecutter.capabilities.replace(' ', '').split(',') -%}
{%- set flavour = cookiecutter.auth_flavour -%}
"""The {{ cookiecutter.package_name }} sandbox: an offline stand-in of its API, declared on sfsync's toolkit.

A sandbox is a declaration, not a server: a route table (:meth:`routes`), small handlers that
answer with ``json_response``, the package's limits{% if flavour == "oauth2" %} and its OAuth2 server (login page, PKCE,
single-use rotating refresh tokens){% endif %}; the toolkit does the HTTP. Replace it, route by
route, with {{ cookiecutter.package_name }}'s real API: its paths, paging (``sfsync.sandbox.paging``),
error bodies, limits and strictness (reject what the real API rejects). The seeded data is in
:mod:`{{ cookiecutter.module_name }}.books`.
"""

from __future__ import annotations

{% if "trial_balance" in caps or "opening_balances" in caps -%}
import datetime as dt
{% endif -%}
{% if flavour != "oauth2" -%}
import secrets
{% endif -%}
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

from sfsync.clock import Clock
from sfsync.sandbox import Sandbox
from sfsync.sandbox.limits import Quota, RateLimits
{%- if flavour == "oauth2" %}
from sfsync.sandbox.oauth import OAuthClient, OAuthServer, OAuthSettings, OAuthUser
{%- endif %}
from sfsync.sandbox.responses import json_response
from sfsync.sandbox.routing import BaseRoute, Request, Response, Route, query
from sfsync.truth import PackageTruth

from {{ cookiecutter.module_name }}.books import CHART, Books, Company

BASE_URL = "https://api.{{ cookiecutter.connector_name }}.example"


def _error(status: int, error: str, message: str = "") -> Response:
    return json_response({"error": error, **({"message": message} if message else {})}, status)


class {{ cookiecutter.__class_prefix }}Sandbox(Sandbox):
    """{{ cookiecutter.package_name }}'s API, offline."""

    connector = "{{ cookiecutter.connector_name }}"
    base_urls = (BASE_URL,)
{%- if flavour == "oauth2" %}
    client_id, client_secret = "sandbox-client", "sandbox-secret"  # the sandbox's own fake app
{%- elif flavour == "form" %}
    api_key = "sandbox-api-key-0001"  # the sandbox's own fake key
{%- else %}
    agent_token = "sandbox-agent-token"  # the sandbox's own fake agent token
{%- endif %}

    def __init__(self, clock: Clock | None = None) -> None:
        self.clock = clock or Clock()
        self.books = Books(self.clock)
        self.companies = self.books.companies
        # The package's published limit, per credential (the connector declares the same).
        self.limits = RateLimits([Quota("minute", 1000, 60)], clock=self.clock)
{%- if flavour == "oauth2" %}
        self.oauth_server = OAuthServer(
            OAuthSettings(issuer=BASE_URL, authorize_url=f"{BASE_URL}/oauth/authorize",
                          token_url=f"{BASE_URL}/oauth/token", revoke_url=f"{BASE_URL}/oauth/revoke",
                          scopes=frozenset({"accounting.read", "offline_access"}), access_lifetime=3600),
            clients=[OAuthClient(self.client_id, self.client_secret)],
            users=[OAuthUser("boekhouder@example.be", "correct horse")], clock=self.clock,
        )
{%- endif %}
        super().__init__()

    # --- the contract suite's handles -----------------------------------------------------------

    def connection_config(self) -> dict[str, Any]:
        return {% if flavour == "oauth2" %}{"client_id": self.client_id, "base_url": BASE_URL}{% elif flavour == "form" %}{"base_url": BASE_URL}{% else %}{"url": BASE_URL}{% endif %}

    def connection_secrets(self) -> dict[str, str]:
        return {% if flavour == "oauth2" %}{"client_secret": self.client_secret}{% elif flavour == "form" %}{"api_key": self.api_key}{% else %}{"token": self.agent_token}{% endif %}

    def bad_connection_secrets(self) -> dict[str, str]:
        return {% if flavour == "oauth2" %}{"client_secret": "not-the-secret"}{% elif flavour == "form" %}{"api_key": "not-a-valid-key"}{% else %}{"token": "not-the-token"}{% endif %}

    def company_refs(self) -> list[str]:
        return sorted(self.companies, key=lambda ref: -len(self.companies[ref].lines))

    def truth(self, company_ref: str) -> PackageTruth:
        return self.companies[company_ref].truth()
{%- if flavour == "form" %}

    def revoke(self) -> None:
        # The key regenerated in the package: the stored one is refused from now on.
        self.api_key = f"{self.api_key}-{secrets.token_hex(4)}"
{%- elif flavour == "agent" %}

    def revoke(self) -> None:
        # The agent's token replaced on the server: the stored one is refused from now on.
        self.agent_token = f"{self.agent_token}-{secrets.token_hex(4)}"
{%- endif %}

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
{%- if "trial_balance" in caps %}
            Route("/api/companies/{ref}/trial-balance", self.company(
                lambda c, q: {"items": c.trial_balance(dt.date.fromisoformat(q["date_from"]))})),
{%- endif %}
{%- if "opening_balances" in caps %}
            Route("/api/companies/{ref}/balances", self.company(self.balances)),
{%- endif %}
{%- if "company_details" in caps %}
            Route("/api/companies/{ref}/details", self.company(lambda c, q: c.details().model_dump(exclude_none=True))),
{%- endif %}
        ]

    def refusal(self, request: Request, status: int) -> Response:
        return _error(status, "not_found" if status == 404 else "method_not_allowed")

    def _authenticated(self, request: Request) -> bool:
{%- if flavour == "oauth2" %}
        return self.oauth_server is not None and self.oauth_server.access(request) is not None
{%- else %}
        header, expected = {% if flavour == "form" %}"x-api-key", self.api_key{% else %}"authorization", f"Bearer {self.agent_token}"{% endif %}
        return secrets.compare_digest(request.headers.get(header, "").encode(), expected.encode())
{%- endif %}

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
{%- if "opening_balances" in caps %}

    def balances(self, company: Company, params: dict[str, str]) -> dict[str, Any]:
        totals = company.balances_at(dt.date.fromisoformat(params["at"]))
        return {"items": [{"account": a, "amount": str(v)} for a, v in sorted(totals.items())]}
{%- endif %}

{%- set caps = cookiecutter.capabilities.replace(' ', '').split(',') -%}
{%- set flavour = cookiecutter.auth_flavour -%}
"""The {{ cookiecutter.package_name }} sandbox: an offline stand-in of its API, with seeded data.

The skeleton is a tiny JSON API (plain ASGI, routed on the URL path so uvicorn can serve it too)
that the skeleton connector reads. Replace it, endpoint by endpoint, with a faithful copy of
{{ cookiecutter.package_name }}'s API: its paths, paging, error bodies, rate limits and
strictness (reject what the real API rejects).

Seeded data is deterministic: two companies, a Belgian chart of accounts, fiscal years around
the clock's today (the first company's start on 1 April), balanced entries, one in USD.
"""

from __future__ import annotations

import datetime as dt
{%- if flavour == "oauth2" %}
import html
{%- endif %}
import json
import random
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs{% if flavour == "oauth2" %}, urlencode{% endif %}
{% if flavour == "oauth2" %}
import httpx
{%- endif %}
from sfsync.clock import Clock
from sfsync.models import CompanyDetails
from sfsync.sandbox import Sandbox
from sfsync.truth import PackageTruth, TruthBuilder

BASE_URL = "https://api.{{ cookiecutter.connector_name }}.example"
CENT = Decimal("0.01")

CHART = (
    ("100000", "Geplaatst kapitaal", "balance_sheet"),
    ("400000", "Handelsdebiteuren", "balance_sheet"),
    ("411000", "Terug te vorderen btw", "balance_sheet"),
    ("440000", "Leveranciers", "balance_sheet"),
    ("451000", "Te betalen btw", "balance_sheet"),
    ("550000", "KBC zichtrekening", "balance_sheet"),
    ("600000", "Aankopen grondstoffen", "profit_loss"),
    ("610000", "Huur", "profit_loss"),
    ("700000", "Omzet", "profit_loss"),
    ("140000", "Overgedragen resultaat", "balance_sheet"),
)
RESULT_ACCOUNT = "140000"
"""Where a closed year's profit or loss is carried to."""


@dataclass
class Line:
    id: str
    entry: str
    journal: str
    date: dt.date
    period: int
    fiscal_year: str
    account: str
    description: str
    amount: Decimal
    modified: dt.datetime
    currency: str | None = None
    foreign_amount: Decimal | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "entry": self.entry,
            "journal": self.journal,
            "date": self.date.isoformat(),
            "period": self.period,
            "fiscal_year": self.fiscal_year,
            "account": self.account,
            "description": self.description,
            "amount": str(self.amount),
            "currency": self.currency,
            "foreign_amount": None if self.foreign_amount is None else str(self.foreign_amount),
            "modified": self.modified.isoformat(),
        }


@dataclass
class Year:
    label: str
    start: dt.date
    end: dt.date
    closed: bool

    def periods(self) -> list[tuple[int, dt.date, dt.date]]:
        out, start = [], self.start
        for number in range(1, 13):
            nxt = _add_months(self.start, number)
            out.append((number, start, nxt - dt.timedelta(days=1)))
            start = nxt
        return out

    def period_of(self, day: dt.date) -> int:
        return next(n for n, s, e in self.periods() if s <= day <= e)


@dataclass
class CompanyData:
    ref: str
    code: str
    name: str
    vat_number: str
    city: str
    years: list[Year]
    lines: dict[str, Line] = field(default_factory=dict)
    deletions: list[tuple[dt.datetime, str]] = field(default_factory=list)
    next_entry: int = 1


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    return dt.date(day.year + month // 12, month % 12 + 1, 1)


class {{ cookiecutter.__class_prefix }}Sandbox(Sandbox):
    """{{ cookiecutter.package_name }}'s API, offline."""

    connector = "{{ cookiecutter.connector_name }}"
    base_urls = (BASE_URL,)
{%- if flavour == "oauth2" %}
    client_id = "sandbox-client"
    client_secret = "sandbox-secret"  # the sandbox's own fake app registration
    username = "boekhouder@example.be"
    password = "correct horse"  # the sandbox's fake user
    access_lifetime = 3600
{%- elif flavour == "form" %}
    api_key = "sandbox-api-key-0001"
{%- else %}
    agent_token = "sandbox-agent-token"  # the sandbox's fake agent token
{%- endif %}

    def __init__(self, clock: Clock | None = None) -> None:
        self.clock = clock or Clock()
        self._last_stamp = self.clock.now().replace(microsecond=0) - dt.timedelta(days=30)
{%- if flavour == "oauth2" %}
        self.codes: dict[str, dict[str, str]] = {}
        self.access_tokens: dict[str, dt.datetime] = {}
        self.refresh_tokens: set[str] = set()
{%- endif %}
        self.companies: dict[str, CompanyData] = {}
        self._seed()
        super().__init__()

    # --- seeded data ----------------------------------------------------------------------------

    def _stamp(self) -> dt.datetime:
        """A modification stamp: now, but always later than the previous one (whole seconds)."""
        now = self.clock.now().replace(microsecond=0)
        self._last_stamp = max(now, self._last_stamp + dt.timedelta(seconds=1))
        return self._last_stamp

    def _years(self, first_month: int) -> list[Year]:
        today = self.clock.now().date()
        start = dt.date(today.year if today.month >= first_month else today.year - 1, first_month, 1)
        years = []
        for back in (2, 1, 0):
            begin = dt.date(start.year - back, first_month, 1)
            end = _add_months(begin, 12) - dt.timedelta(days=1)
            years.append(Year(str(end.year), begin, end, closed=back == 2))
        return years

    def _seed(self) -> None:
        rng = random.Random(20240401)
        for ref, code, name, vat, city, first_month in (
            ("1001", "KOR", "Bakkerij De Korenaar BV", "BE0123456749", "Gent", 4),
            ("1002", "HLD", "Voorbeeld Holding NV", "BE0987654312", "Antwerpen", 1),
        ):
            company = CompanyData(ref, code, name, vat, city, self._years(first_month))
            self.companies[ref] = company
            today = self.clock.now().date()
            for year in company.years:
                for month in range(12):
                    day = _add_months(year.start, month) + dt.timedelta(days=9)
                    if day > today:
                        break
                    net = Decimal(rng.randint(20000, 250000)) / 100
                    self._book_sale(company, day, net, f"Factuur {year.label}-{month + 1:02d}")
                    cost = Decimal(rng.randint(10000, 90000)) / 100
                    self._book(company, day, "AAN", f"Aankoop {year.label}-{month + 1:02d}", [
                        ("600000", cost), ("411000", (cost * Decimal("0.21")).quantize(CENT)),
                        ("440000", -(cost + (cost * Decimal("0.21")).quantize(CENT))),
                    ])
            # One entry in foreign currency: a US supplier's invoice, paid from the bank.
            day = company.years[-1].start + dt.timedelta(days=20)
            self._book(company, day, "AAN", "Software licence (USD)", [
                ("610000", Decimal("920.50")), ("550000", Decimal("-920.50")),
            ], currency="USD", rate=Decimal("1.0850"))
            # An accrual dated in the first days of the year, booked in the last period of the
            # year before: reports place it by its booking, not its date.
            self._book(company, company.years[-1].start + dt.timedelta(days=2), "MEM", "Kosten vorig boekjaar", [
                ("600000", Decimal("75.00")), ("440000", Decimal("-75.00")),
            ], booked_in=company.years[-2], period=12)

    def _year_of(self, company: CompanyData, day: dt.date) -> Year:
        for year in company.years:
            if year.start <= day <= year.end:
                return year
        raise ValueError(f"{day} is in no fiscal year of {company.ref}")

    def _book_sale(self, company: CompanyData, day: dt.date, net: Decimal, text: str) -> list[str]:
        vat = (net * Decimal("0.21")).quantize(CENT)
        return self._book(company, day, "VRK", text, [("400000", net + vat), ("700000", -net), ("451000", -vat)])

    def _book(
        self,
        company: CompanyData,
        day: dt.date,
        journal: str,
        text: str,
        amounts: Iterable[tuple[str, Decimal]],
        *,
        currency: str | None = None,
        rate: Decimal | None = None,
        booked_in: Year | None = None,
        period: int | None = None,
    ) -> list[str]:
        rows = list(amounts)
        assert sum(a for _, a in rows) == 0, "sandbox entries balance"
        year = booked_in or self._year_of(company, day)
        entry = f"{journal}{company.next_entry:06d}"
        company.next_entry += 1
        stamp = self._stamp()
        ids = []
        for number, (account, amount) in enumerate(rows, start=1):
            line = Line(
                id=f"{entry}-{number}", entry=entry, journal=journal, date=day,
                period=period or year.period_of(day), fiscal_year=year.label, account=account,
                description=text, amount=amount, modified=stamp,
                currency=currency,
                foreign_amount=(amount * rate).quantize(CENT) if rate is not None else None,
            )
            company.lines[line.id] = line
            ids.append(line.id)
        return ids

    def booked_year(self, company: CompanyData, line: Line) -> Year:
        """The fiscal year a line is booked in (not always the year of its date)."""
        return next(y for y in company.years if y.label == line.fiscal_year)

    def balances_at(self, company: CompanyData, at: dt.date) -> dict[str, Decimal]:
        """Every balance-sheet account's balance at the start of ``at``: lines booked in a year
        that ended before it (their profit or loss in the result account), and balance-sheet
        lines of the year it is in dated before it."""
        kinds = {c: k for c, _, k in CHART}
        totals: dict[str, Decimal] = {}
        for line in company.lines.values():
            year = self.booked_year(company, line)
            balance_sheet = kinds[line.account] == "balance_sheet"
            if year.end < at or (balance_sheet and year.start <= at and line.date < at):
                account = line.account if balance_sheet else RESULT_ACCOUNT
                totals[account] = totals.get(account, Decimal(0)) + line.amount
        return totals

    def details_of(self, company: CompanyData) -> CompanyDetails:
        """The company's master data, as the package keeps it."""
        return CompanyDetails(name=company.name, vat_number=company.vat_number, city=company.city, country="BE",
                              legal_form=company.name.rsplit(" ", 1)[-1])

    # --- the contract suite's handles -----------------------------------------------------------

    def truth(self, company_ref: str) -> PackageTruth:
        """The package's own figures, added up from the seeded lines (see ``sfsync.truth``)."""
        company = self.companies[company_ref]
        books = TruthBuilder()
        for line in company.lines.values():
            books.add(line.account, self.booked_year(company, line).start, line.period, line.amount, line_id=line.id)
        return books.build(
            opening_balances={year.start: self.balances_at(company, year.start) for year in company.years},
            company_details=self.details_of(company),
            result_account=RESULT_ACCOUNT,
        )

    def connection_config(self) -> dict[str, Any]:
{%- if flavour == "oauth2" %}
        return {"client_id": self.client_id, "base_url": BASE_URL}
{%- elif flavour == "form" %}
        return {"base_url": BASE_URL}
{%- else %}
        return {"url": BASE_URL}
{%- endif %}

    def connection_secrets(self) -> dict[str, str]:
{%- if flavour == "oauth2" %}
        return {"client_secret": self.client_secret}
{%- elif flavour == "form" %}
        return {"api_key": self.api_key}
{%- else %}
        return {"token": self.agent_token}
{%- endif %}

    def bad_connection_secrets(self) -> dict[str, str]:
{%- if flavour == "oauth2" %}
        return {"client_secret": "not-the-secret"}
{%- elif flavour == "form" %}
        return {"api_key": "not-a-valid-key"}
{%- else %}
        return {"token": "not-the-token"}
{%- endif %}

    def company_refs(self) -> list[str]:
        return sorted(self.companies, key=lambda ref: -len(self.companies[ref].lines))
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
        company = self.companies[company_ref]
        latest = company.years[-1]
        day = min(max(self.clock.now().date(), latest.start), latest.end)
        return self._book_sale(company, day, Decimal("123.45"), "Factuur toegevoegd")

    def edit_line(self, company_ref: str) -> str:
        company = self.companies[company_ref]
        line = sorted(company.lines.values(), key=lambda x: x.id)[0]
        line.description = f"{line.description} (gewijzigd)"
        line.modified = self._stamp()
        return line.id

    def delete_entry(self, company_ref: str) -> list[str]:
        company = self.companies[company_ref]
        # A seeded entry from the middle of the books: not the one edit_line touches, nor a new one.
        entries = sorted({line.entry for line in company.lines.values()})
        entry = entries[len(entries) // 2]
        ids = sorted(i for i, line in company.lines.items() if line.entry == entry)
        stamp = self._stamp()
        for line_id in ids:
            del company.lines[line_id]
            company.deletions.append((stamp, line_id))
        return ids
{%- if flavour == "oauth2" %}

    def expire_tokens(self) -> None:
        now = self.clock.now()
        for token in self.access_tokens:
            self.access_tokens[token] = now - dt.timedelta(seconds=1)

    def revoke(self) -> None:
        self.refresh_tokens.clear()
        self.access_tokens.clear()

    async def authorize(self, client: httpx.AsyncClient, authorize_url: str) -> str:
        """Log in at the authorize page as a person would: read the form, post it back."""
        page = await client.get(authorize_url, follow_redirects=False)
        page.raise_for_status()
        fields = dict(_hidden_fields(page.text))
        fields.update(username=self.username, password=self.password)
        answer = await client.post(
            authorize_url.split("?")[0], data=fields, follow_redirects=False
        )
        if answer.status_code != 302:
            raise RuntimeError(f"the sandbox's login page answered {answer.status_code}")
        return answer.headers["location"]
{%- endif %}

    # --- the API ----------------------------------------------------------------------------

    def build_app(self):  # type: ignore[no-untyped-def]
        async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
            if scope["type"] != "http":
                return
            body = b""
            while True:
                message = await receive()
                body += message.get("body", b"")
                if not message.get("more_body"):
                    break
            headers = {k.decode().lower(): v.decode() for k, v in scope.get("headers", [])}
            query = {k: v[-1] for k, v in parse_qs(scope.get("query_string", b"").decode()).items()}
            status, out_headers, payload = self._route(scope["method"], scope["path"], query, headers, body)
            await send({
                "type": "http.response.start",
                "status": status,
                "headers": [(k.lower().encode(), v.encode()) for k, v in out_headers.items()],
            })
            await send({"type": "http.response.body", "body": payload})

        return app

    def _route(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
{%- if flavour == "oauth2" %}
        if path == "/oauth/authorize":
            return self._authorize(method, query, body)
        if path == "/oauth/token" and method == "POST":
            return self._token(headers, body)
{%- endif %}
        if not self._authenticated(headers):
            return _json(401, {"error": "unauthorized", "message": "missing or invalid credentials"})
        parts = [p for p in path.split("/") if p]
        if method != "GET" or parts[:1] != ["api"]:
            return _json(404, {"error": "not_found"})
        if parts == ["api", "companies"]:
            return _json(200, {"items": [
                {"ref": c.ref, "code": c.code, "name": c.name, "currency": "EUR"}
                for c in self.companies.values()
            ]})
        if len(parts) != 4 or parts[1] != "companies" or parts[2] not in self.companies:
            return _json(404, {"error": "not_found"})
        company, what = self.companies[parts[2]], parts[3]
        if what == "fiscal-years":
            return _json(200, {"items": [{
                "label": y.label, "start": y.start.isoformat(), "end": y.end.isoformat(),
                "closed": y.closed,
                "periods": [
                    {"number": n, "start": s.isoformat(), "end": e.isoformat()} for n, s, e in y.periods()
                ],
            } for y in company.years]})
        if what == "accounts":
            return _json(200, {"items": [{"code": c, "name": n, "kind": k} for c, n, k in CHART]})
        if what == "lines":
            return self._lines(company, query)
        if what == "deletions":
            after = query.get("after")
            items = [
                {"deleted_at": stamp.isoformat(), "line_id": line_id}
                for stamp, line_id in sorted(company.deletions)
                if after is None or f"{stamp.isoformat()}|{line_id}" > after
            ]
            return _json(200, {"items": items, "more": False})
{%- if "trial_balance" in caps %}
        if what == "trial-balance":
            return self._trial_balance(company, query)
{%- endif %}
{%- if "opening_balances" in caps %}
        if what == "balances":
            totals = self.balances_at(company, dt.date.fromisoformat(query["at"]))
            return _json(200, {"items": [{"account": a, "amount": str(v)} for a, v in sorted(totals.items())]})
{%- endif %}
{%- if "company_details" in caps %}
        if what == "details":
            return _json(200, self.details_of(company).model_dump(exclude_none=True))
{%- endif %}
        return _json(404, {"error": "not_found"})

    def _lines(self, company: CompanyData, query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        after = query.get("after")
        date_from = dt.date.fromisoformat(query["date_from"]) if query.get("date_from") else None
        try:
            limit = int(query.get("limit", "100"))
        except ValueError:
            return _json(400, {"error": "invalid_limit"})
        if not 1 <= limit <= 500:
            return _json(400, {"error": "limit must be between 1 and 500"})
        rows = sorted(company.lines.values(), key=lambda x: (x.modified.isoformat(), x.id))
        rows = [
            x for x in rows
            if (after is None or f"{x.modified.isoformat()}|{x.id}" > after)
            and (date_from is None or x.date >= date_from)
        ]
        return _json(200, {"items": [x.to_json() for x in rows[:limit]], "more": len(rows) > limit})
{%- if "trial_balance" in caps %}

    def _trial_balance(self, company: CompanyData, query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        start = dt.date.fromisoformat(query["date_from"])
        year = self._year_of(company, start)
        kinds = {c: k for c, _, k in CHART}
        items = []
        for code, _, _ in CHART:
            # By the year and period a line is booked in, as the package's own reports add up;
            # earlier years' profit and loss open the year in the result account.
            running = self.balances_at(company, year.start).get(code, Decimal(0)) if kinds[code] == "balance_sheet" else Decimal(0)
            for number, p_start, p_end in year.periods():
                moves = [x.amount for x in company.lines.values()
                         if x.account == code and x.fiscal_year == year.label and x.period == number]
                debit = sum((a for a in moves if a > 0), Decimal(0))
                credit = -sum((a for a in moves if a < 0), Decimal(0))
                closing = running + debit - credit
                if moves or running:
                    items.append({
                        "account": code, "period": number, "period_start": p_start.isoformat(),
                        "period_end": p_end.isoformat(), "opening": str(running),
                        "debit": str(debit), "credit": str(credit), "closing": str(closing),
                    })
                running = closing
        return _json(200, {"items": items})
{%- endif %}

    def _authenticated(self, headers: dict[str, str]) -> bool:
{%- if flavour == "oauth2" %}
        scheme, _, token = headers.get("authorization", "").partition(" ")
        expires = self.access_tokens.get(token)
        return scheme.lower() == "bearer" and expires is not None and expires > self.clock.now()
{%- elif flavour == "form" %}
        return secrets.compare_digest(headers.get("x-api-key", ""), self.api_key)
{%- else %}
        return secrets.compare_digest(headers.get("authorization", ""), f"Bearer {self.agent_token}")
{%- endif %}
{%- if flavour == "oauth2" %}

    def _authorize(self, method: str, query: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        if method == "GET":
            if query.get("client_id") != self.client_id or query.get("response_type") != "code":
                return 400, {"content-type": "text/plain"}, b"unknown client or response type"
            hidden = "".join(
                f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                for k, v in query.items()
            )
            page = (
                "<html><body><h1>Log in</h1><form method='post' action='/oauth/authorize'>"
                f"{hidden}<input name='username'><input name='password' type='password'>"
                "<button>Log in</button></form></body></html>"
            )
            return 200, {"content-type": "text/html"}, page.encode()
        form = {k: v[-1] for k, v in parse_qs(body.decode()).items()}
        if (form.get("username"), form.get("password")) != (self.username, self.password):
            return 401, {"content-type": "text/plain"}, b"wrong username or password"
        code = secrets.token_urlsafe(16)
        self.codes[code] = form
        target = form["redirect_uri"] + "?" + urlencode({"code": code, "state": form.get("state", "")})
        return 302, {"location": target}, b""

    def _token(self, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        form = {k: v[-1] for k, v in parse_qs(body.decode()).items()}
        if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            return _json(401, {"error": "invalid_client"})
        grant = form.get("grant_type")
        if grant == "authorization_code":
            pending = self.codes.pop(form.get("code", ""), None)
            if pending is None or pending.get("redirect_uri") != form.get("redirect_uri"):
                return _json(400, {"error": "invalid_grant"})
            if pending.get("code_challenge") and not _pkce_ok(pending["code_challenge"], form.get("code_verifier", "")):
                return _json(400, {"error": "invalid_grant", "error_description": "PKCE check failed"})
        elif grant == "refresh_token":
            if form.get("refresh_token") not in self.refresh_tokens:
                return _json(400, {"error": "invalid_grant"})
            self.refresh_tokens.discard(form["refresh_token"])  # single use: rotated
        else:
            return _json(400, {"error": "unsupported_grant_type"})
        access, refresh = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        self.access_tokens[access] = self.clock.now() + dt.timedelta(seconds=self.access_lifetime)
        self.refresh_tokens.add(refresh)
        return _json(200, {
            "access_token": access, "token_type": "Bearer", "expires_in": self.access_lifetime,
            "refresh_token": refresh,
        })


def _hidden_fields(page: str) -> list[tuple[str, str]]:
    out = []
    for chunk in page.split('<input type="hidden" ')[1:]:
        name = chunk.split('name="', 1)[1].split('"', 1)[0]
        value = chunk.split('value="', 1)[1].split('"', 1)[0]
        out.append((html.unescape(name), html.unescape(value)))
    return out


def _pkce_ok(challenge: str, verifier: str) -> bool:
    import base64
    import hashlib

    digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return secrets.compare_digest(digest, challenge)
{%- endif %}


def _json(status: int, body: Any) -> tuple[int, dict[str, str], bytes]:
    return status, {"content-type": "application/json"}, json.dumps(body).encode()


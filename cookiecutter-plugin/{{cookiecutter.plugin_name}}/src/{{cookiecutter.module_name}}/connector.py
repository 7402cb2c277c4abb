{%- set caps = cookiecutter.capabilities.replace(' ', '').split(',') -%}
{%- set flavour = cookiecutter.auth_flavour -%}
"""The sfsync connector for {{ cookiecutter.package_name }}.

Baked from sfsync's cookiecutter-plugin: every hook below already works against the skeleton
sandbox (:mod:`{{ cookiecutter.module_name }}.sandbox`), a tiny JSON API. Fill each one in with
{{ cookiecutter.package_name }}'s real API, following the docstring of the hook, and make the
sandbox as strict as the real API as you go. The hooks' full contract is in ``sfsync.hookspecs``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
{%- if flavour == "form" %}
from pydantic import BaseModel, Field, SecretStr
{%- endif %}
from sfsync.auth import {% if flavour == "oauth2" %}ConnectionLevel, OAuth2Spec{% elif flavour == "form" %}ConnectionLevel, FormSpec{% else %}AgentSpec, ConnectionLevel{% endif %}
from sfsync.context import ConnectorContext
from sfsync.errors import FatalError, MalformedResponse, NeedsReconsent, NotFound, RetriableError
from sfsync.hookspecs import hookimpl
from sfsync.http import RateLimitPolicy, RateWindow, check_next_token
from sfsync.metadata import ConnectorInfo
from sfsync.models import (
    Account,
    AccountKind,
    Company,
{%- if "company_details" in caps %}
    CompanyDetails,
{%- endif %}
    FiscalYear,
    Granularity,
{%- if "ledger" in caps %}
    LedgerBatch,
    LedgerColumns,
{%- endif %}
{%- if "opening_balances" in caps %}
    OpeningBalance,
{%- endif %}
    Period,
{%- if "trial_balance" in caps %}
    TrialBalanceBatch,
    TrialBalanceLine,
{%- endif %}
)
from sfsync.sandbox import Sandbox
{%- if "trial_balance" in caps %}
from sfsync.trial_balance_gate import TrialBalanceGate, TrialBalancePlan
{%- endif %}

from {{ cookiecutter.module_name }}.sandbox import BASE_URL, {{ cookiecutter.__class_prefix }}Sandbox

CONNECTOR = "{{ cookiecutter.connector_name }}"
PAGE_SIZE = 100
{%- if flavour == "form" %}


class Credentials(BaseModel):
    """What a person types to connect. ``SecretStr`` fields are secrets (never shown)."""

    api_key: SecretStr = Field(description="The API key from {{ cookiecutter.package_name }}'s settings")
{%- endif %}


def _base_url(ctx: ConnectorContext) -> str:
{%- if flavour == "agent" %}
    return str(ctx.config.get("url", BASE_URL)).rstrip("/")
{%- else %}
    return str(ctx.config.get("base_url", BASE_URL)).rstrip("/")
{%- endif %}


def _client(ctx: ConnectorContext) -> httpx.AsyncClient:
{%- if flavour == "oauth2" %}
    # Bearer token, refresh and rotation come from the core's OAuth2 flow.
    return ctx.http(_base_url(ctx))
{%- elif flavour == "form" %}
    return ctx.http(_base_url(ctx), headers={"X-Api-Key": ctx.secrets["api_key"]})
{%- else %}
    return ctx.http(_base_url(ctx), headers={"Authorization": f"Bearer {ctx.secrets['token']}"})
{%- endif %}


async def _get(ctx: ConnectorContext, path: str, **params: Any) -> Any:
    """GET a JSON document, mapping the package's errors to the core's (money stays Decimal)."""
    response = await _client(ctx).get(path, params={k: v for k, v in params.items() if v is not None})
    if response.status_code == 401:
        # Credentials that worked once and are refused now were revoked or regenerated: only a
        # person can give new ones, so the connection is marked for re-consent.
        raise NeedsReconsent(
            "{{ cookiecutter.package_name }} refused the connection's credentials; connect it again",
            response=response,
        )
    if response.status_code == 404:
        raise NotFound(f"{{ cookiecutter.package_name }} has no {path}", response=response)
    if response.status_code >= 500:
        raise RetriableError(f"{{ cookiecutter.package_name }} failed ({response.status_code})", response=response)
    if response.status_code != 200:
        raise FatalError(f"{{ cookiecutter.package_name }} answered {response.status_code}", response=response)
    try:
        return json.loads(response.content, parse_float=Decimal)
    except ValueError as exc:
        raise MalformedResponse("{{ cookiecutter.package_name }} sent something that is not JSON", response=response) from exc


def _date(value: str) -> dt.date:
    return dt.date.fromisoformat(value)


class {{ cookiecutter.__class_prefix }}Connector:
    """{{ cookiecutter.package_name }}, as sfsync sees it."""

    @hookimpl
    def sfsync_connector_info(self) -> ConnectorInfo:
        """Describe the connector: ``name`` must equal the entry point's name.

        Fill in the package's real rate limits (``RateWindow`` per documented window, and a
        ``parse_headers`` function reading its remaining/reset headers) and the gaps of its API
        a user should know about (``known_limits``).
        """
        return ConnectorInfo(
            name=CONNECTOR,
            title="{{ cookiecutter.package_name }}",
            package="{{ cookiecutter.package_name }}",
            description="{{ cookiecutter.description }}",
            granularities=(
{%- if "ledger" in caps %}
                Granularity.TRANSACTIONS,
{%- endif %}
{%- if "trial_balance" in caps %}
                Granularity.TRIAL_BALANCE,
{%- endif %}
            ),
            default_granularity=Granularity.{{ "TRANSACTIONS" if "ledger" in caps else "TRIAL_BALANCE" }},
            # What an unchanged night costs, which the contract suite holds the connector to: keep
            # it true when you fill in the API calls (the suite's incrementality check says what
            # it measured). Lines re-read on purpose go in lookback_days.
            lookback_days=0,
            unchanged_night_requests={
{%- if "ledger" in caps %}
                Granularity.TRANSACTIONS: 4,
{%- endif %}
{%- if "trial_balance" in caps %}
                Granularity.TRIAL_BALANCE: 4,
{%- endif %}
            },
            rate_limits=RateLimitPolicy(
                windows=(RateWindow("minutely", 1000, 60.0),),
                notes="Skeleton limits: replace with the package's documented ones.",
            ),
        )

    @hookimpl
    def sfsync_auth(self) -> {% if flavour == "oauth2" %}OAuth2Spec{% elif flavour == "form" %}FormSpec{% else %}AgentSpec{% endif %}:
        """Declare how a firm connects and at which level.
{%- if flavour == "oauth2" %}

        Put the package's real authorize and token URLs here; subclass ``OAuth2Spec`` if its
        token endpoint deviates from RFC 6749 (``classify_token_error``, ``parse_token_response``).
{%- elif flavour == "form" %}

        The form's fields are :class:`Credentials`; add the package's non-secret fields (a server
        URL, a database) as plain ``str`` fields and its secrets as ``SecretStr``.
{%- else %}

        An agent connection is the address and token of the sync service on the firm's server.
{%- endif %}
        """
{%- if flavour == "oauth2" %}
        return OAuth2Spec(
            authorize_url=f"{BASE_URL}/oauth/authorize",
            token_url=f"{BASE_URL}/oauth/token",
            level=ConnectionLevel.{{ cookiecutter.connection_level|upper }},
            scopes=("accounting.read", "offline_access"),
        )
{%- elif flavour == "form" %}
        return FormSpec(fields=Credentials, level=ConnectionLevel.{{ cookiecutter.connection_level|upper }})
{%- else %}
        return AgentSpec(level=ConnectionLevel.AGENT)
{%- endif %}

    @hookimpl
    async def sfsync_check_connection(self, ctx: ConnectorContext) -> None:
        """Check fresh credentials; raise ``AuthError`` when the package refuses them.

        Store what later calls need (a cluster URL, a session) in ``ctx.state`` and call
        ``await ctx.save_state()``.
        """
        await _get(ctx, "/api/companies")

    @hookimpl
    async def sfsync_list_companies(self, ctx: ConnectorContext) -> list[Company]:
        """List what the connection can see; ``ref`` must be stable and unique."""
        body = await _get(ctx, "/api/companies")
        return [
            Company(ref=c["ref"], code=c["code"], name=c["name"], currency=c.get("currency"))
            for c in body["items"]
        ]

    @hookimpl
    async def sfsync_fetch_fiscal_years(self, ctx: ConnectorContext, company: Company) -> list[FiscalYear]:
        """The company's fiscal years as the package defines them (not always calendar years),
        with their periods; they must cover every ledger date."""
        body = await _get(ctx, f"/api/companies/{company.ref}/fiscal-years")
        return [
            FiscalYear(
                label=y["label"],
                start=_date(y["start"]),
                end=_date(y["end"]),
                closed=y["closed"],
                periods=tuple(
                    Period(number=p["number"], start=_date(p["start"]), end=_date(p["end"]))
                    for p in y["periods"]
                ),
            )
            for y in body["items"]
        ]

    @hookimpl
    async def sfsync_fetch_accounts(self, ctx: ConnectorContext, company: Company) -> list[Account]:
        """The chart of accounts, keyed by code; every ledger line's account must be in it."""
        body = await _get(ctx, f"/api/companies/{company.ref}/accounts")
        kinds = {"balance_sheet": AccountKind.BALANCE_SHEET, "profit_loss": AccountKind.PROFIT_LOSS}
        return [
            Account(code=a["code"], name=a["name"], kind=kinds.get(a["kind"], AccountKind.UNKNOWN))
            for a in body["items"]
        ]
{%- if "ledger" in caps %}

    @hookimpl
    async def sfsync_fetch_ledger(
        self,
        ctx: ConnectorContext,
        company: Company,
        since: dt.date | None,
        cursor: str | None,
    ) -> AsyncIterator[LedgerBatch]:
        """Yield ledger lines in batches, each with the cursor to resume from after it.

        The skeleton reads changes by modification stamp (a keyset ``after`` of stamp and id),
        and deletions from their own feed. Replace it with the package's incremental mechanism:
        what a nightly sync of an unchanged company costs is the number to keep small.
        """
        state = json.loads(cursor) if cursor else {
            "lines_after": None,
            "deleted_after": None,
            "date_from": since.isoformat() if since else None,
        }
        path = f"/api/companies/{company.ref}"
        # Deletions first, so an entry deleted and re-booked arrives as its new lines.
        deleted: list[str] = []
        while True:
            body = await _get(ctx, f"{path}/deletions", after=state["deleted_after"])
            deleted += [d["line_id"] for d in body["items"]]
            if body["items"]:
                last = body["items"][-1]
                state["deleted_after"] = f"{last['deleted_at']}|{last['line_id']}"
            if not body.get("more"):
                break
        if deleted or cursor is None:
            yield LedgerBatch(deleted=deleted, cursor=json.dumps(state))
        seen: set[str] = set()
        while True:
            body = await _get(
                ctx,
                f"{path}/lines",
                after=state["lines_after"],
                date_from=state["date_from"],
                limit=PAGE_SIZE,
            )
            items = body["items"]
            if not items:
                return
            # One LedgerColumns per page, not one LedgerLine per line: from_records checks the
            # page a column at a time with LedgerLine's own rules (about four times faster), and
            # a bad value still fails with the error naming the line, field and value. Keep the
            # values plain (str, "YYYY-MM-DD" dates, int periods, Decimal/int/"-12.50" amounts,
            # datetime stamps, never floats): anything else takes the slow line-by-line path.
            lines = LedgerColumns.from_records(
                {
                    "id": item["id"],
                    "entry": item["entry"],
                    "journal": item["journal"],
                    "date": item["date"],
                    "period": item["period"],
                    "fiscal_year": item["fiscal_year"],
                    "account": item["account"],
                    "description": item["description"],
                    "amount": item["amount"],  # signed: positive is a debit
                    "currency": item.get("currency"),
                    "foreign_amount": item.get("foreign_amount") or None,
                    "modified": dt.datetime.fromisoformat(item["modified"]),
                }
                for item in items
            )
            following = f"{items[-1]['modified']}|{items[-1]['id']}"
            check_next_token(state["lines_after"], following, seen=seen)
            state["lines_after"] = following
            yield LedgerBatch(lines=lines, cursor=json.dumps(state))
            if not body.get("more"):
                return
{%- endif %}
{%- if "trial_balance" in caps %}

    @hookimpl
    async def sfsync_fetch_trial_balance(
        self,
        ctx: ConnectorContext,
        company: Company,
        fiscal_years: list[FiscalYear],
        cursor: str | None,
    ) -> AsyncIterator[TrialBalanceBatch]:
        """Yield totals per account and period, one fiscal year per batch.

        Each batch clears the year it re-reads, so totals that changed replace the old ones;
        closed years finished in an earlier batch are not read again (the gate's cursor says).
        """
        # An unchanged night should read no line: where the package has a change signal (a
        # modified-since filter, a sequence, an ETag), name its marks in ``marks=``, take them
        # before a full read (``gate.marks = …`` when ``gate.plan`` is FULL) and, after a
        # complete one, ask the package what moved: ``gate.moved(labels_of_years_moved,
        # new_marks)``; nothing moved reads nothing (see sfsync.trial_balance_gate, sfsync.echo).
        # The skeleton's package has no signal, so every night re-reads the open years.
        gate = TrialBalanceGate.load(cursor, fiscal_years, marks={})
        if gate.plan is TrialBalancePlan.PROBE:
            gate.moved(None)  # "something moved, the package cannot say where"
        for year in gate.to_read(fiscal_years):
            body = await _get(
                ctx,
                f"/api/companies/{company.ref}/trial-balance",
                date_from=year.start.isoformat(),
                date_to=year.end.isoformat(),
            )
            lines = [
                TrialBalanceLine(
                    account=row["account"],
                    period_start=_date(row["period_start"]),
                    period_end=_date(row["period_end"]),
                    period=row["period"],
                    fiscal_year=year.label,
                    opening=Decimal(row["opening"]),
                    debit=Decimal(row["debit"]),
                    credit=Decimal(row["credit"]),
                    closing=Decimal(row["closing"]),
                )
                for row in body["items"]
            ]
            yield TrialBalanceBatch(lines=lines, clear=(year.start, year.end), cursor=gate.read(year))
{%- endif %}
{%- if "opening_balances" in caps %}

    @hookimpl
    async def sfsync_fetch_opening_balances(
        self, ctx: ConnectorContext, company: Company, at: dt.date
    ) -> list[OpeningBalance]:
        """The balance of every balance-sheet account at ``at`` (the start of a *since* link)."""
        body = await _get(ctx, f"/api/companies/{company.ref}/balances", at=at.isoformat())
        return [
            OpeningBalance(account=row["account"], date=at, amount=Decimal(row["amount"]))
            for row in body["items"]
        ]
{%- endif %}
{%- if "company_details" in caps %}

    @hookimpl
    async def sfsync_fetch_company_details(self, ctx: ConnectorContext, company: Company) -> CompanyDetails:
        """The client's master data: name, VAT number, address (administrative sync)."""
        body = await _get(ctx, f"/api/companies/{company.ref}/details")
        return CompanyDetails(**body)
{%- endif %}

    @hookimpl
    def sfsync_sandbox(self) -> Sandbox:
        """A fresh, seeded sandbox of the package (the contract suite and ``sfsync demo`` use it)."""
        return {{ cookiecutter.__class_prefix }}Sandbox()


{{ cookiecutter.__slug }} = {{ cookiecutter.__class_prefix }}Connector()
"""The connector object the ``{{ cookiecutter.connector_name }}`` entry point names."""

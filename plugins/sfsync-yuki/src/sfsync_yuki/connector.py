"""The ``yuki`` connector: Yuki (Visma) over its ASMX SOAP web services (Accounting,
AccountingInfo; WSDL namespace ``http://www.theyukicompany.com/``).

A firm connects once with a portal-level web-service access key and its region host. Yuki has no
"modified since" on transactions, so each sync asks ``GetFinancialYearModifiedDate`` per fiscal
year and re-reads only the years that changed, replacing that year's lines in one batch. Every
call counts against the domain's daily budget (1,000 by default), kept in the connection state.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr
from sfsync.auth import ConnectionLevel, FormSpec
from sfsync.context import ConnectorContext
from sfsync.errors import FatalError
from sfsync.hookspecs import hookimpl
from sfsync.metadata import ConnectorInfo
from sfsync.models import (
    Account,
    Company,
    CompanyDetails,
    FiscalYear,
    Granularity,
    LedgerBatch,
    OpeningBalance,
    TrialBalanceBatch,
    TrialBalanceLine,
)
from sfsync.sandbox import Sandbox

from sfsync_yuki import books, kinds
from sfsync_yuki.client import YukiClient
from sfsync_yuki.soap import AdministrationNotFound

__all__ = ["YukiConnector", "YukiFields", "yuki"]


class YukiFields(BaseModel):
    """What an admin types in to connect Yuki."""

    access_key: SecretStr = Field(
        description="Web-service access key (Yuki > Settings > Web services, portal level for a firm)"
    )
    host: Literal["api.yukiworks.nl", "api.yukiworks.be"] = Field(
        default="api.yukiworks.nl", description="Region: api.yukiworks.nl (Netherlands) or api.yukiworks.be (Belgium)"
    )
    daily_call_limit: int = Field(
        default=1000, ge=1, le=100_000,
        description="Web-service calls a day per domain (1,000; 5,000 or 10,000 with Yuki's Webservice features)",
    )
    months_per_call: int = Field(
        default=12, ge=1, le=12,
        description="Months of transactions per call: 12 costs least; lower it for very large administrations",
    )
    base_url: str | None = Field(
        default=None, description="Only for a sandbox or a proxy: the Yuki address to call instead of the region host"
    )
    financial_mode: Literal["commercial", "fiscal"] = Field(
        default="commercial", description="Commercial figures, or fiscal (with fiscal corrections)"
    )


def _months_per_call(ctx: ConnectorContext) -> int:
    value = int(ctx.config.get("months_per_call") or 12)
    return max(1, min(12, value))


def _company(admin: books.AdminInfo) -> Company:
    extra = {"domain": admin.domain or "", "start_date": admin.start.isoformat() if admin.start else ""}
    if not admin.active:
        extra["active"] = "false"
    return Company(ref=admin.id, code="", name=admin.name, vat_number=admin.vat_number, currency="EUR",
                   country=admin.country, extra={k: v for k, v in extra.items() if v})


class YukiConnector:
    """The connector object registered under the entry point ``yuki``."""

    name = "yuki"

    @hookimpl
    def sfsync_connector_info(self) -> ConnectorInfo:
        return ConnectorInfo(
            name=self.name,
            title="Yuki",
            package="Yuki (Visma)",
            description=(
                "Yuki's SOAP web services: administrations, fiscal years, GL accounts, transactions "
                "per fiscal year (re-read only when GetFinancialYearModifiedDate changes) and trial "
                "balances from GLAccountBalance, within the domain's daily call budget."
            ),
            granularities=(Granularity.TRANSACTIONS, Granularity.TRIAL_BALANCE),
            default_granularity=Granularity.TRANSACTIONS,
            # Measured against the sandbox by the contract suite's unchanged second sync.
            unchanged_night_requests={Granularity.TRANSACTIONS: 5, Granularity.TRIAL_BALANCE: 5},
            known_limits=(
                "An unchanged night costs 1 request for the chart (GetGLAccountScheme; the account kinds are "
                "kept with the last closed year's modified stamp) and 1 per fiscal year for the ledger or "
                "trial balance: Yuki's only change signal, GetFinancialYearModifiedDate, answers for one "
                "year a call (5 requests with four years); the administration and its period tables are "
                "kept, and no line is read again.",
                "A correction in the last closed year that gives an unused account its first balance "
                "changes that account's kind the night after the ledger saw the year's new stamp.",
                "Yuki allows about 1,000 web-service calls a day per domain; a sync that does not fit "
                "stops cleanly and continues after midnight (Europe/Amsterdam).",
                "Yuki has no 'modified since' on transactions: a changed fiscal year is read again whole.",
                "A since link's opening balances follow changes to the fiscal year just before its date; "
                "a change to an older year is not noticed (re-save the link to fetch them again).",
                "Account kinds come from GLAccountBalance's BalanceType; accounts without any balance "
                "are 'unknown' in the Netherlands (Belgium: from the PCMN class).",
            ),
            docs_url="https://support.yuki.nl/nl/support/solutions/articles/80000785926",
        )

    @hookimpl
    def sfsync_auth(self) -> FormSpec:
        return FormSpec(fields=YukiFields, level=ConnectionLevel.FIRM)

    @hookimpl
    async def sfsync_check_connection(self, ctx: ConnectorContext) -> None:
        client = YukiClient.of(ctx)
        client.session.forget()
        await client.authenticate()

    @hookimpl
    async def sfsync_list_companies(self, ctx: ConnectorContext) -> list[Company]:
        client = YukiClient.of(ctx)
        return [_company(admin) for admin in await books.list_administrations(client)]

    @hookimpl
    async def sfsync_fetch_company_details(self, ctx: ConnectorContext, company: Company) -> CompanyDetails:
        client = YukiClient.of(ctx)
        for admin in await books.list_administrations(client):
            if admin.id == company.ref:
                return CompanyDetails(name=admin.name, vat_number=admin.vat_number, enterprise_number=admin.coc_number,
                                      street=admin.address, postal_code=admin.postcode, city=admin.city,
                                      country=admin.country, start_date=admin.start)
        raise AdministrationNotFound(f"Yuki does not list administration {company.ref} for this access key")

    @hookimpl
    async def sfsync_fetch_fiscal_years(self, ctx: ConnectorContext, company: Company) -> list[FiscalYear]:
        client = YukiClient.of(ctx)
        admin = await books.admin_info(client, company)
        today = ctx.clock.now().date()
        return [year.fiscal_year(today) for year in await books.fiscal_years(client, admin)]

    @hookimpl
    async def sfsync_fetch_accounts(self, ctx: ConnectorContext, company: Company) -> list[Account]:
        client = YukiClient.of(ctx)
        admin = await books.admin_info(client, company)
        years = await books.fiscal_years(client, admin)
        return await books.accounts(client, admin, lambda codes: kinds.account_kinds(client, admin, years, codes))

    @hookimpl
    async def sfsync_fetch_ledger(
        self, ctx: ConnectorContext, company: Company, since: dt.date | None, cursor: str | None
    ) -> AsyncIterator[LedgerBatch]:
        client = YukiClient.of(ctx)
        admin = await books.admin_info(client, company)
        state = _read_cursor(cursor, since)
        since = dt.date.fromisoformat(state["since"]) if state.get("since") else None
        years = [y for y in await books.fiscal_years(client, admin) if since is None or y.end >= since]
        years.sort(key=lambda y: y.start, reverse=True)  # the current year first
        per_year = len(books.chunks(years[0], _months_per_call(ctx))) if years else 1
        unknown = [y for y in years if y.key not in state["years"]]
        needed = len(years) + per_year * len(unknown)
        left = client.budget.remaining(admin.domain)
        if needed > left:
            ctx.warn(
                f"Yuki's daily budget for domain {admin.domain} has {left} calls left and this sync "
                f"needs about {needed}: the newest fiscal years come first and the rest follows after "
                f"{client.budget.resume_at():%Y-%m-%d %H:%M} UTC"
            )
        done: list[str] = []
        for year in years:
            stamp = await books.modified_stamp(client, admin, year)
            if stamp and state["years"].get(year.key) == stamp:
                continue
            cost = len(books.chunks(year, _months_per_call(ctx)))
            client.budget.require(admin.domain, cost, what=f"reading fiscal year {year.label} of {admin.name or admin.id}",
                                  done=", ".join(done) or "nothing new yet")
            lines, warnings = await books.year_lines(client, admin, year, _months_per_call(ctx))
            start = max(year.start, since) if since else year.start
            lines = lines.dated_from(start)
            state["years"][year.key] = stamp
            done.append(f"fiscal year {year.label}")
            yield LedgerBatch(lines=lines, clear=(start, year.end), cursor=json.dumps(state, sort_keys=True),
                              warnings=warnings)

    @hookimpl
    async def sfsync_fetch_trial_balance(
        self, ctx: ConnectorContext, company: Company, fiscal_years: list[FiscalYear], cursor: str | None
    ) -> AsyncIterator[TrialBalanceBatch]:
        client = YukiClient.of(ctx)
        admin = await books.admin_info(client, company)
        state = _read_cursor(cursor, None)
        years = await books.fiscal_years(client, admin)
        if fiscal_years:
            first = min(fy.start for fy in fiscal_years)
            years = [y for y in years if y.end >= first]
        years.sort(key=lambda y: y.start, reverse=True)
        today = ctx.clock.now().date()
        done: list[str] = []
        for year in years:
            stamp = await books.modified_stamp(client, admin, year)
            if stamp and state["years"].get(year.key) == stamp:
                continue
            periods = [p for p in year.months() if p.start <= today]
            client.budget.require(admin.domain, 1 + len(periods),
                                  what=f"the trial balance of fiscal year {year.label}", done=", ".join(done) or "nothing new yet")
            previous = await books.start_balances(client, admin, year)
            lines = []
            for period in periods:
                closing_of = {code: amount for code, (amount, _, _) in (await books.balances(client, admin, period.end)).items()}
                for code in sorted(set(previous) | set(closing_of)):
                    opening = previous.get(code, Decimal(0))
                    closing = closing_of.get(code, Decimal(0))
                    movement = closing - opening
                    lines.append(TrialBalanceLine(
                        account=code, period_start=period.start, period_end=period.end, period=period.number,
                        fiscal_year=year.label, opening=opening, debit=max(movement, Decimal(0)),
                        credit=max(-movement, Decimal(0)), closing=closing,
                    ))
                previous = closing_of
            state["years"][year.key] = stamp
            done.append(f"fiscal year {year.label}")
            yield TrialBalanceBatch(lines=lines, clear=(year.start, year.end), cursor=json.dumps(state, sort_keys=True))

    @hookimpl
    async def sfsync_fetch_opening_balances(self, ctx: ConnectorContext, company: Company, at: dt.date) -> list[OpeningBalance]:
        client = YukiClient.of(ctx)
        admin = await books.admin_info(client, company)
        years = await books.fiscal_years(client, admin)
        year = next((y for y in years if y.start == at), None)
        if year is not None:
            amounts = await books.start_balances(client, admin, year)
        else:
            found = await books.balances(client, admin, at - dt.timedelta(days=1))
            amounts = {code: amount for code, (amount, kind, _) in found.items() if kind == "B"}
        return [OpeningBalance(account=code, date=at, amount=amount) for code, amount in sorted(amounts.items()) if amount]

    @hookimpl
    async def sfsync_history_stamp(self, ctx: ConnectorContext, company: Company, before: dt.date) -> str | None:
        """The modified stamp of the fiscal year just before the date: one
        GetFinancialYearModifiedDate call (past years' periods are cached)."""
        client = YukiClient.of(ctx)
        admin = await books.admin_info(client, company)
        earlier = [y for y in await books.fiscal_years(client, admin) if y.end < before]
        if not earlier:
            return None
        return await books.modified_stamp(client, admin, earlier[-1])

    @hookimpl
    def sfsync_sandbox(self) -> Sandbox:
        from sfsync_yuki.sandbox import YukiSandbox

        return YukiSandbox()


def _read_cursor(cursor: str | None, since: dt.date | None) -> dict[str, Any]:
    if not cursor:
        return {"since": since.isoformat() if since else None, "years": {}}
    try:
        state: dict[str, Any] = json.loads(cursor)
        if not isinstance(state.get("years"), dict):
            raise ValueError("no years")
    except (ValueError, AttributeError) as exc:
        raise FatalError("the yuki connector cannot read its own sync checkpoint; start a full sync") from exc
    return state


yuki = YukiConnector()

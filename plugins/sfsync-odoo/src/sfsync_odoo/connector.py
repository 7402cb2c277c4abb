"""The ``odoo`` connector: Odoo 14 to 19 through its external API (XML-RPC, JSON-RPC, JSON-2).

A firm-level form connection: server URL, database, login and an API key (or password). The
major version is read from ``common.version()`` and decides the transport (JSON-2 from 19 when
``transport`` is ``auto``) and the field names. Every company call carries
``allowed_company_ids=[company]``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr
from sfsync.auth import ConnectionLevel, FormSpec
from sfsync.context import ConnectorContext
from sfsync.errors import FatalError, NotFound
from sfsync.hookspecs import hookimpl
from sfsync.http.ratelimit import RateLimitPolicy
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
)

from sfsync_odoo import balances, ledger, values
from sfsync_odoo.client import client_for
from sfsync_odoo.fiscal import custom_year, fiscal_years, merge_custom_years

__all__ = ["OdooConnector", "OdooFields", "odoo"]


class OdooFields(BaseModel):
    """What an admin types to connect an Odoo database."""

    url: str = Field(description="Server URL, e.g. https://mycompany.odoo.com")
    database: str = Field(description="Database name (Settings > Activate developer mode shows it)")
    login: str = Field(description="Login (e-mail) of the user, ideally a dedicated integration user")
    api_key: SecretStr = Field(
        description="API key (Preferences > Account Security > New API Key) or password; "
        "users with two-factor authentication need an API key"
    )
    transport: Literal["auto", "xmlrpc", "jsonrpc", "json2"] = Field(
        default="auto", description="auto: JSON-2 on Odoo 19+, JSON-RPC before"
    )


class OdooConnector:
    """Hook implementations of the ``odoo`` connector."""

    @hookimpl
    def sfsync_connector_info(self) -> ConnectorInfo:
        return ConnectorInfo(
            name="odoo",
            title="Odoo",
            package="Odoo",
            description="Odoo 14 to 19 (Community, Enterprise, Odoo Online, odoo.sh) through the external "
            "API: XML-RPC or JSON-RPC, and JSON-2 from 19. Journal items, chart of accounts, fiscal years "
            "from the company settings, trial balances by read_group.",
            granularities=(Granularity.TRANSACTIONS, Granularity.TRIAL_BALANCE),
            # Measured against the sandbox by the contract suite's unchanged second sync (the most
            # any version profile makes: Enterprise reads account.fiscal.year as well).
            unchanged_night_requests={Granularity.TRANSACTIONS: 6, Granularity.TRIAL_BALANCE: 5},
            rate_limits=RateLimitPolicy(notes="Odoo documents no request quota; pages stay at 1000 rows."),
            known_limits=(
                "An unchanged night costs 5 requests on a transactions link and 4 on a trial-balance link "
                "(one more on Enterprise, for account.fiscal.year): the fiscal years need two calls, since "
                "Odoo's RPC answers for one model a call: the company's year end and lock date (res.company) "
                "and the first and last posted line's date (one read_group on account.move.line). Neither "
                "can be skipped on a signal: res.company's write_date is on res.company itself, and a line "
                "booked outside the known years must widen them the same night. No line is read again.",
                "External API access on Odoo Online needs a Custom plan.",
                "Enterprise fiscal-year records (account.fiscal.year) win where they exist; the company's "
                "fiscal-year end fills the rest.",
                "Branches (17+) are synced as separate companies.",
            ),
            docs_url="https://www.odoo.com/documentation/17.0/developer/reference/external_api.html",
        )

    @hookimpl
    def sfsync_auth(self) -> FormSpec:
        return FormSpec(fields=OdooFields, level=ConnectionLevel.FIRM)

    @hookimpl
    async def sfsync_check_connection(self, ctx: ConnectorContext) -> None:
        client = client_for(ctx)
        await client.connect(fresh=True)
        # A user without accounting rights logs in fine; say so now rather than at the first sync.
        await client.call("account.move.line", "search", [], limit=1)

    @hookimpl
    async def sfsync_list_companies(self, ctx: ConnectorContext) -> list[Company]:
        client = client_for(ctx)
        rows = await client.call("res.company", "search_read", [], archived=False,
                                 fields=["name", "currency_id", "country_id", "vat", "company_registry"], order="id asc")
        countries = await self._country_codes(ctx, [values.m2o_id(r.get("country_id")) for r in rows])
        return [
            Company(
                ref=str(row["id"]),
                code=str(row["id"]),
                name=str(row.get("name") or ""),
                vat_number=values.text(row.get("vat")),
                currency=values.m2o_name(row.get("currency_id")),
                country=countries.get(values.m2o_id(row.get("country_id")) or 0),
                extra={k: v for k, v in {"company_registry": values.text(row.get("company_registry"))}.items() if v},
            )
            for row in rows
        ]

    async def _country_codes(self, ctx: ConnectorContext, ids: list[int | None]) -> dict[int, str]:
        wanted = sorted({i for i in ids if i})
        if not wanted:
            return {}
        rows = await client_for(ctx).call("res.country", "read", wanted, fields=["code"])
        return {int(r["id"]): str(r["code"]) for r in rows if values.text(r.get("code"))}

    async def _company(self, ctx: ConnectorContext, company: Company, fields: list[str]) -> dict[str, Any]:
        try:
            cid = int(company.ref)
        except ValueError as exc:
            raise NotFound(f"{company.ref!r} is not an Odoo company id") from exc
        rows = await client_for(ctx).call("res.company", "read", [cid], company=cid, fields=fields)
        if not rows:
            raise NotFound(f"Odoo company {cid} is not visible to this user")
        return dict(rows[0])

    @hookimpl
    async def sfsync_fetch_company_details(self, ctx: ConnectorContext, company: Company) -> CompanyDetails:
        row = await self._company(ctx, company, ["name", "vat", "company_registry", "street", "zip", "city", "country_id",
                                                 "email", "phone", "fiscalyear_last_day", "fiscalyear_last_month"])
        countries = await self._country_codes(ctx, [values.m2o_id(row.get("country_id"))])
        try:
            year_end: str | None = f"{int(row['fiscalyear_last_month']):02d}-{int(row['fiscalyear_last_day']):02d}"
        except (KeyError, TypeError, ValueError):
            year_end = None
        return CompanyDetails(
            name=str(row.get("name") or ""),
            vat_number=values.text(row.get("vat")),
            enterprise_number=values.text(row.get("company_registry")),
            fiscal_year_end=year_end,
            street=values.text(row.get("street")),
            postal_code=values.text(row.get("zip")),
            city=values.text(row.get("city")),
            country=countries.get(values.m2o_id(row.get("country_id")) or 0),
            email=values.text(row.get("email")),
            phone=values.text(row.get("phone")),
        )

    @hookimpl
    async def sfsync_fetch_fiscal_years(self, ctx: ConnectorContext, company: Company) -> list[FiscalYear]:
        row = await self._company(ctx, company, ["fiscalyear_last_day", "fiscalyear_last_month", "fiscalyear_lock_date"])
        cid = int(company.ref)
        try:
            last_day = int(row.get("fiscalyear_last_day") or 31)
            last_month = int(row.get("fiscalyear_last_month") or 12)
        except (TypeError, ValueError) as exc:
            raise FatalError(f"Odoo company {cid} has an unreadable fiscal-year end") from exc
        client = client_for(ctx)
        domain = ["&", ["company_id", "=", cid], ["parent_state", "=", "posted"]]
        # The first and the last posted line's date in one call (read_group's "name:agg(field)").
        span = await client.call("account.move.line", "read_group", domain, company=cid,
                                 fields=["first:min(date)", "last:max(date)"], groupby=[], lazy=False)
        today = ctx.clock.now().date()
        start = (values.date(span[0].get("first")) if span else None) or today
        end = (values.date(span[0].get("last")) if span else None) or today
        lock = values.date(row.get("fiscalyear_lock_date"))
        computed = fiscal_years(min(start, today), max(end, today), last_day, last_month, lock)
        custom = await self._custom_years(ctx, cid, lock)
        return merge_custom_years(custom, computed, first=min(start, today)) if custom else computed

    async def _custom_years(self, ctx: ConnectorContext, cid: int, lock: dt.date | None) -> list[FiscalYear]:
        """Enterprise's ``account.fiscal.year`` records, when the model exists (remembered in state)."""
        if ctx.state.get("odoo_fiscal_year_model") is False:
            return []
        try:
            rows = await client_for(ctx).call("account.fiscal.year", "search_read", [["company_id", "=", cid]],
                                              company=cid, fields=["name", "date_from", "date_to"],
                                              order="date_from asc")
        except FatalError as exc:
            if "doesn't exist" not in exc.message:
                raise
            ctx.state["odoo_fiscal_year_model"] = False
            await ctx.save_state()
            return []
        years = []
        for row in rows:
            start, end = values.date(row.get("date_from")), values.date(row.get("date_to"))
            if start and end and start <= end:
                years.append(custom_year(str(values.text(row.get("name")) or ""), start, end, lock))
        return years

    @hookimpl
    async def sfsync_fetch_accounts(self, ctx: ConnectorContext, company: Company) -> list[Account]:
        client = client_for(ctx)
        profile = await client.connect()
        cid = int(company.ref)
        rows = await client.search_read_all("account.account", profile.account_domain(cid), profile.account_fields(),
                                            company=cid, archived=True)
        accounts: dict[str, Account] = {}
        for row in rows:
            code = values.text(row.get("code"))
            if not code:
                continue
            if code in accounts:
                ctx.warn(f"Odoo account code {code} is used twice in company {cid}; the first is kept")
                continue
            accounts[code] = Account(code=code, name=str(row.get("name") or ""), kind=profile.account_kind(row),
                                     ref=str(row["id"]))
        return sorted(accounts.values(), key=lambda a: a.code)

    @hookimpl
    def sfsync_fetch_ledger(
        self, ctx: ConnectorContext, company: Company, since: dt.date | None, cursor: str | None,
        fiscal_years: list[FiscalYear],
    ) -> AsyncIterator[LedgerBatch]:
        return ledger.fetch_ledger(ctx, company, since, cursor, fiscal_years)

    @hookimpl
    def sfsync_fetch_trial_balance(
        self, ctx: ConnectorContext, company: Company, fiscal_years: list[FiscalYear], cursor: str | None
    ) -> AsyncIterator[TrialBalanceBatch]:
        return balances.fetch_trial_balance(ctx, company, fiscal_years, cursor)

    @hookimpl
    async def sfsync_fetch_opening_balances(self, ctx: ConnectorContext, company: Company, at: dt.date) -> list[OpeningBalance]:
        return await balances.fetch_opening_balances(ctx, company, at)

    @hookimpl
    async def sfsync_history_stamp(self, ctx: ConnectorContext, company: Company, before: dt.date) -> str | None:
        """The count, sums and newest ``write_date`` of the posted lines before the date."""
        return await balances.history_stamp(ctx, company, before)

    @hookimpl
    def sfsync_sandbox(self) -> Any:
        from sfsync_odoo.sandbox import OdooSandbox

        return OdooSandbox()


odoo = OdooConnector()

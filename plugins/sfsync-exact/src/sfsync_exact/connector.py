"""Exact Online connectors (``exact-be``, ``exact-nl``, ``exact-fr``) on the Exact Online REST
API v1 (``/api/v1``, OData v2 JSON), one per country site: the same API on
``start.exactonline.{be,nl,fr}``, with app registrations bound to their country.

A division is a company. Fiscal years come from ``financial/FinancialPeriods``, the chart from
``bulk/Financial/GLAccounts`` (1,000 a page, so one call), the ledger from the sync endpoints
(see :mod:`sfsync_exact.ledger`), trial balances from ``financial/ReportingBalance``.
"""

from __future__ import annotations

import datetime as dt
import weakref
from collections.abc import AsyncIterator

from sfsync.context import ConnectorContext
from sfsync.errors import MalformedResponse, NotFound
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
)
from sfsync.sandbox import Sandbox

from sfsync_exact.auth import ExactOAuth2Spec, exact_oauth_spec
from sfsync_exact.client import ExactClient, unwrap
from sfsync_exact.history import history_stamp
from sfsync_exact.ledger import ledger_batches, opening_balances, trial_balance_batches
from sfsync_exact.mapping import (
    DIVISION_FIELDS,
    to_account,
    to_company,
    to_details,
    to_fiscal_years,
)
from sfsync_exact.ratelimits import EXACT_RATE_LIMITS
from sfsync_exact.trial_balance_gate import open_gate

__all__ = ["ExactConnector", "exact_be", "exact_fr", "exact_nl"]

API_VERSION = "v1"
REGIONS = {
    "be": ("https://start.exactonline.be", "Exact Online Belgium"),
    "nl": ("https://start.exactonline.nl", "Exact Online Netherlands"),
    "fr": ("https://start.exactonline.fr", "Exact Online France"),
}


class ExactConnector:
    """One Exact Online country site."""

    def __init__(self, region: str) -> None:
        self.region = region
        self.name = f"exact-{region}"
        self.default_base_url, self.title = REGIONS[region]
        self._clients: weakref.WeakKeyDictionary[ConnectorContext, ExactClient] = (
            weakref.WeakKeyDictionary()
        )

    def __repr__(self) -> str:
        return f"ExactConnector({self.region!r})"

    def base_url(self, ctx: ConnectorContext) -> str:
        return str(ctx.config.get("base_url", self.default_base_url)).rstrip("/")

    def client(self, ctx: ConnectorContext) -> ExactClient:
        # One client per context (a run), so the error budget counts across the run's hooks.
        client = self._clients.get(ctx)
        if client is None:
            client = self._clients[ctx] = ExactClient(ctx, self.base_url(ctx))
        return client

    async def current_division(self, ctx: ConnectorContext, client: ExactClient) -> int:
        cached = ctx.state.get("current_division")
        if cached:
            return int(cached)
        rows, _ = unwrap(await client.get("current/Me", {"$select": "CurrentDivision"}))
        if not rows or rows[0].get("CurrentDivision") is None:
            raise MalformedResponse("Exact's current/Me answered without CurrentDivision")
        ctx.state["current_division"] = int(rows[0]["CurrentDivision"])
        await ctx.save_state()
        return int(ctx.state["current_division"])

    # --- who and how ----------------------------------------------------------------------------

    @hookimpl
    def sfsync_connector_info(self) -> ConnectorInfo:
        return ConnectorInfo(
            name=self.name,
            title=self.title,
            package="Exact Online",
            description=(
                f"{self.title} through the Exact Online REST API {API_VERSION}: divisions, fiscal "
                "periods, the chart of accounts, transaction lines (incremental through the sync "
                "endpoints, deletions included) and reporting balances."
            ),
            granularities=(Granularity.TRANSACTIONS, Granularity.TRIAL_BALANCE),
            default_granularity=Granularity.TRANSACTIONS,
            # Measured against the sandbox by the contract suite's unchanged second sync.
            unchanged_night_requests={Granularity.TRANSACTIONS: 5, Granularity.TRIAL_BALANCE: 4},
            rate_limits=EXACT_RATE_LIMITS,
            known_limits=(
                "Exact allows 60 calls a minute and 5,000 a day per app and division.",
                "Refresh tokens are single use and die after 30 days unused: a connection idle "
                "that long must be connected again.",
                "A division moved by Exact is synced again in full. A transactions night checks the division's "
                "move dates first (a move regenerates every sync timestamp the cursor holds), so an unchanged "
                "night costs 5 requests: the fiscal periods, the chart, the division, the changed lines and the "
                "deletions, and reads no line.",
                "Trial balances start balance-sheet accounts at zero in the first fiscal year read.",
                "A trial-balance link reads its fiscal years again only on a night after a transaction "
                "line changed or was deleted (Exact's sync timestamps); an unchanged night costs 4 requests "
                "and reads no line.",
            ),
            docs_url="https://start.exactonline.nl/docs/HlpRestAPIResources.aspx",
            extra={"api_version": API_VERSION, "region": self.region},
        )

    @hookimpl
    def sfsync_auth(self) -> ExactOAuth2Spec:
        return exact_oauth_spec(self.default_base_url)

    @hookimpl
    async def sfsync_check_connection(self, ctx: ConnectorContext) -> None:
        ctx.state.pop("current_division", None)
        await self.current_division(ctx, self.client(ctx))

    # --- what the connection sees -----------------------------------------------------------------

    @hookimpl
    async def sfsync_list_companies(self, ctx: ConnectorContext) -> list[Company]:
        client = self.client(ctx)
        current = await self.current_division(ctx, client)
        rows = await client.all(f"{current}/system/Divisions", {"$select": DIVISION_FIELDS})
        companies = {}
        for row in rows:
            company = to_company(row)
            companies[company.ref] = company
        return sorted(companies.values(), key=lambda c: (c.name.lower(), c.ref))

    @hookimpl
    async def sfsync_fetch_company_details(
        self, ctx: ConnectorContext, company: Company
    ) -> CompanyDetails:
        client = self.client(ctx)
        rows, _ = unwrap(
            await client.get(
                f"{int(company.ref)}/system/Divisions",
                {"$select": DIVISION_FIELDS, "$filter": f"Code eq {int(company.ref)}"},
            )
        )
        if not rows:
            raise NotFound(f"Exact does not list division {company.ref} for this connection")
        return to_details(rows[0])

    # --- figures ----------------------------------------------------------------------------------

    @hookimpl
    async def sfsync_fetch_fiscal_years(
        self, ctx: ConnectorContext, company: Company
    ) -> list[FiscalYear]:
        rows = await self.client(ctx).all(
            f"{int(company.ref)}/financial/FinancialPeriods",
            {"$select": "FinYear,FinPeriod,StartDate,EndDate"},
        )
        return to_fiscal_years(rows)

    @hookimpl
    async def sfsync_fetch_accounts(self, ctx: ConnectorContext, company: Company) -> list[Account]:
        rows = await self.client(ctx).all(
            f"{int(company.ref)}/bulk/Financial/GLAccounts",
            {"$select": "ID,Code,Description,BalanceType"},
        )
        accounts = {}
        for row in rows:
            account = to_account(row)
            accounts[account.code] = account
        return sorted(accounts.values(), key=lambda a: a.code)

    @hookimpl
    async def sfsync_fetch_ledger(
        self,
        ctx: ConnectorContext,
        company: Company,
        since: dt.date | None,
        cursor: str | None,
    ) -> AsyncIterator[LedgerBatch]:
        async for batch in ledger_batches(ctx, self.client(ctx), company, since, cursor):
            yield batch

    @hookimpl
    async def sfsync_fetch_trial_balance(
        self, ctx: ConnectorContext, company: Company, fiscal_years: list[FiscalYear], cursor: str | None
    ) -> AsyncIterator[TrialBalanceBatch]:
        client = self.client(ctx)
        gate = await open_gate(ctx, client, company, fiscal_years, cursor)
        if gate.to_read(fiscal_years):
            # Any year to read reads them all, in order: each year's closing opens the next.
            by_label = {year.label: year for year in fiscal_years}
            async for batch in trial_balance_batches(client, company, fiscal_years):
                yield batch.model_copy(update={"cursor": gate.read(by_label[batch.cursor or ""])})
        elif (idle := gate.idle_cursor(cursor)) is not None:
            yield TrialBalanceBatch(cursor=idle)  # nothing moved, but the timestamps did

    @hookimpl
    async def sfsync_fetch_opening_balances(
        self, ctx: ConnectorContext, company: Company, at: dt.date
    ) -> list[OpeningBalance]:
        return await opening_balances(ctx, self.client(ctx), company, at)

    @hookimpl
    async def sfsync_history_stamp(
        self, ctx: ConnectorContext, company: Company, before: dt.date
    ) -> str | None:
        """The newest modified line dated before the *since* date and their count: one small
        call a night (Exact's streams never bring an edit of a line dated before it)."""
        return await history_stamp(ctx, self.client(ctx), company, before)

    # --- sandbox ----------------------------------------------------------------------------------

    @hookimpl
    def sfsync_sandbox(self) -> Sandbox:
        from sfsync_exact.sandbox import ExactSandbox

        return ExactSandbox(self.region)


exact_be = ExactConnector("be")
exact_nl = ExactConnector("nl")
exact_fr = ExactConnector("fr")

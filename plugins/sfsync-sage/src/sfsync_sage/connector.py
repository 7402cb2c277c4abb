"""The ``sage-accounting`` connector: Sage Business Cloud Accounting, Accounts API v3.1.

An admin connects once at firm level (OAuth2, :mod:`sfsync_sage.auth`); the login sees every
business its user may open (``/businesses``), and each call names one in ``X-Business``. Fiscal
years follow from ``/financial_settings``, the chart is ``/ledger_accounts``, the ledger
``/ledger_entries`` (:mod:`sfsync_sage.ledger`), trial balances the Reporting API's
``/trial_balance``. Wire facts and what is unverified: :mod:`sfsync_sage.facts`.
"""

from __future__ import annotations

import datetime as dt
import weakref
from collections.abc import AsyncIterator

from sfsync.context import ConnectorContext
from sfsync.errors import MalformedResponse
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

from sfsync_sage.auth import SageOAuth2Spec, sage_oauth_spec
from sfsync_sage.client import SageClient
from sfsync_sage.facts import API_BASE
from sfsync_sage.ledger import (
    history_stamp,
    ledger_batches,
    opening_balances,
    read_chart,
    trial_balance_batches,
)
from sfsync_sage.mapping import to_account, to_company, to_details, to_fiscal_years
from sfsync_sage.ratelimits import configured_limits, sage_rate_limits

__all__ = ["CONNECTOR", "SageConnector", "sage_accounting"]

CONNECTOR = "sage-accounting"
API_VERSION = "v3.1"


class SageConnector:
    """Sage Business Cloud Accounting, as sfsync sees it.

    ``per_minute`` and ``per_day`` are the calls allowed per business (default: the environment's
    ``SFSYNC_SAGE_PER_MINUTE`` / ``SFSYNC_SAGE_PER_DAY``, else 100 and 2,500); ``window_seconds``
    shortens the minute for time-scaled tests.
    """

    def __init__(
        self, *, per_minute: int | None = None, per_day: int | None = None, window_seconds: float = 60.0
    ) -> None:
        minute, day = configured_limits()
        self.per_minute = per_minute or minute
        self.per_day = per_day or day
        self.window_seconds = window_seconds
        self._clients: weakref.WeakKeyDictionary[ConnectorContext, SageClient] = weakref.WeakKeyDictionary()

    def __repr__(self) -> str:
        return f"SageConnector(per_minute={self.per_minute}, per_day={self.per_day})"

    def client(self, ctx: ConnectorContext) -> SageClient:
        # One client per context (a run): the chart read for the accounts serves the ledger too.
        client = self._clients.get(ctx)
        if client is None:
            client = self._clients[ctx] = SageClient(ctx, str(ctx.config.get("base_url", API_BASE)))
        return client

    async def _settings(self, ctx: ConnectorContext, company: Company) -> dict[str, object]:
        body = await self.client(ctx).get("financial_settings", business=company.ref)
        if not isinstance(body, dict):
            raise MalformedResponse("Sage's /financial_settings is not an object")
        return body

    # --- who and how ----------------------------------------------------------------------------

    @hookimpl
    def sfsync_connector_info(self) -> ConnectorInfo:
        return ConnectorInfo(
            name=CONNECTOR,
            title="Sage Business Cloud Accounting",
            package="Sage Accounting",
            description=(
                f"Sage Business Cloud Accounting through the Accounts API {API_VERSION}: the businesses "
                "a login can open, fiscal years from the financial settings, the chart of ledger "
                "accounts, ledger entries (incremental by change date, voided transactions as "
                "deletions), opening balances and the Reporting API's trial balance."
            ),
            granularities=(Granularity.TRANSACTIONS, Granularity.TRIAL_BALANCE),
            default_granularity=Granularity.TRANSACTIONS,
            rate_limits=sage_rate_limits(self.per_minute, self.per_day, window_seconds=self.window_seconds),
            known_limits=(
                f"sfsync keeps to {self.per_minute} calls a minute and {self.per_day:,} a day per "
                "business, the figures reported for Sage; Sage does not publish its own for v3.1.",
                "Access tokens live 5 minutes and each refresh token works once: if a copy of the "
                "connection spends one twice, Sage revokes the connection and an admin must connect again.",
                "A refresh token unused for 31 days dies: a connection no dossier syncs for a month "
                "must be connected again.",
                "Ledger entries are in the business's base currency: Sage's ledger does not say in "
                "which currency a transaction was made, so no foreign amounts are synced.",
                "Sage has no booking periods apart from dates: a line's period is the month of its "
                "fiscal year its date falls in.",
                "Opening balances before Sage's accounts start date come from its opening balance "
                "journal, which has no ledger entries of its own.",
            ),
            docs_url="https://developer.sage.com/accounting/reference/",
            lookback_days=0,
            # financial settings, the chart, one look at the ledger's changes
            unchanged_night_requests={Granularity.TRANSACTIONS: 3, Granularity.TRIAL_BALANCE: 3},
            extra={"api_version": API_VERSION},
        )

    @hookimpl
    def sfsync_auth(self) -> SageOAuth2Spec:
        return sage_oauth_spec()

    @hookimpl
    async def sfsync_check_connection(self, ctx: ConnectorContext) -> None:
        await self.client(ctx).get("businesses")

    # --- what the connection sees -----------------------------------------------------------------

    @hookimpl
    async def sfsync_list_companies(self, ctx: ConnectorContext) -> list[Company]:
        items = await self.client(ctx).all("businesses", sized=False)
        companies = {c.ref: c for c in (to_company(i) for i in items)}
        return sorted(companies.values(), key=lambda c: (c.name.lower(), c.ref))

    @hookimpl
    async def sfsync_fetch_company_details(
        self, ctx: ConnectorContext, company: Company, previous: CompanyDetails | None = None
    ) -> CompanyDetails:
        # ``previous`` cannot spare a call: the VAT number lives in /financial_settings, whose
        # changes the business's updated_at does not show. The runner keeps a version only when
        # the details changed.
        business = await self.client(ctx).get(f"businesses/{company.ref}", business=company.ref)
        return to_details(business, await self._settings(ctx, company))

    # --- figures ----------------------------------------------------------------------------------

    @hookimpl
    async def sfsync_fetch_fiscal_years(self, ctx: ConnectorContext, company: Company) -> list[FiscalYear]:
        return to_fiscal_years(await self._settings(ctx, company), ctx.clock.now().date())

    @hookimpl
    async def sfsync_fetch_accounts(self, ctx: ConnectorContext, company: Company) -> list[Account]:
        chart = await read_chart(self.client(ctx), company)
        accounts = {a.code: a for a in (to_account(item) for item in chart.values())}
        return sorted(accounts.values(), key=lambda a: a.code)

    @hookimpl
    async def sfsync_fetch_ledger(
        self,
        ctx: ConnectorContext,
        company: Company,
        since: dt.date | None,
        cursor: str | None,
        fiscal_years: list[FiscalYear],
    ) -> AsyncIterator[LedgerBatch]:
        async for batch in ledger_batches(ctx, self.client(ctx), company, since, cursor, fiscal_years):
            yield batch

    @hookimpl
    async def sfsync_fetch_trial_balance(
        self, ctx: ConnectorContext, company: Company, fiscal_years: list[FiscalYear], cursor: str | None
    ) -> AsyncIterator[TrialBalanceBatch]:
        async for batch in trial_balance_batches(ctx, self.client(ctx), company, fiscal_years, cursor):
            yield batch

    @hookimpl
    async def sfsync_fetch_opening_balances(
        self, ctx: ConnectorContext, company: Company, at: dt.date
    ) -> list[OpeningBalance]:
        years = await self.sfsync_fetch_fiscal_years(ctx, company)
        return await opening_balances(self.client(ctx), company, at, years[0].start)

    @hookimpl
    async def sfsync_history_stamp(self, ctx: ConnectorContext, company: Company, before: dt.date) -> str | None:
        """A digest of the opening balances at the *since* date: one Trial Balance call."""
        return await history_stamp(self.client(ctx), company, before)

    # --- sandbox ----------------------------------------------------------------------------------

    @hookimpl
    def sfsync_sandbox(self) -> Sandbox:
        from sfsync_sage.sandbox import SageSandbox

        return SageSandbox()


sage_accounting = SageConnector()
"""The connector object the ``sage-accounting`` entry point names."""

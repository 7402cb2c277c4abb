"""The ``winbooks-online`` connector: WinBooks on Web (WinBooks SA), REST API.

Support staff set the connection up (connection level ``support``) with the e-mail the licence
administrator granted access to and the exchange token WinBooks mailed; that one grant opens every
folder (company) of the licence. Wire facts and their sources: :mod:`sfsync_winbooks_online.facts`;
what is assumed: :mod:`sfsync_winbooks_online.assumed`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import weakref
from collections.abc import AsyncIterator

from pydantic import BaseModel, Field, SecretStr
from sfsync.auth import ConnectionLevel, FormSpec
from sfsync.context import ConnectorContext
from sfsync.errors import NotFound
from sfsync.hookspecs import hookimpl
from sfsync.http import RateLimitPolicy
from sfsync.metadata import ConnectorInfo
from sfsync.models import (
    Account,
    Company,
    CompanyDetails,
    FiscalYear,
    Granularity,
    LedgerBatch,
    OpeningBalance,
)
from sfsync.sandbox import Sandbox

from sfsync_winbooks_online import ledger
from sfsync_winbooks_online.assumed import FOLDERS_PATH
from sfsync_winbooks_online.client import WinbooksSession
from sfsync_winbooks_online.kept_periods import REFRESH, kept_periods
from sfsync_winbooks_online.mapping import (
    PeriodPlace,
    to_account,
    to_company,
    to_details,
    to_fiscal_years,
)

__all__ = ["CONNECTOR", "WinbooksConnector", "WinbooksCredentials", "winbooks_online"]

CONNECTOR = "winbooks-online"


class WinbooksCredentials(BaseModel):
    """What support staff enter for a firm: the granted e-mail and the exchange token."""

    email: str = Field(description="The e-mail the licence administrator granted the application's access to")
    exchange_token: SecretStr = Field(description="The exchange token WinBooks on Web mailed for that access")


class WinbooksConnector:
    """WinBooks on Web, as sfsync sees it."""

    def __init__(self) -> None:
        self._sessions: weakref.WeakKeyDictionary[ConnectorContext, WinbooksSession] = weakref.WeakKeyDictionary()
        self._years: weakref.WeakKeyDictionary[ConnectorContext, dict[str, tuple[list[FiscalYear], dict[str, PeriodPlace]]]] = (
            weakref.WeakKeyDictionary())

    def __repr__(self) -> str:
        return "WinbooksConnector()"

    def session(self, ctx: ConnectorContext) -> WinbooksSession:
        found = self._sessions.get(ctx)
        if found is None:
            found = self._sessions[ctx] = WinbooksSession(ctx)
        return found

    async def years(self, ctx: ConnectorContext, company: Company) -> tuple[list[FiscalYear], dict[str, PeriodPlace]]:
        """The folder's bookyears, read once a run, and their book periods, kept between runs
        (:mod:`sfsync_winbooks_online.kept_periods`)."""
        cache = self._years.setdefault(ctx, {})
        if company.ref not in cache:
            session = self.session(ctx)
            years = await session.get_all("BookYears", company.ref)
            periods = await kept_periods(ctx, company.ref, years, lambda: session.get_all("BookPeriods", company.ref))
            cache[company.ref] = to_fiscal_years(years, periods)
        return cache[company.ref]

    @hookimpl
    def sfsync_connector_info(self) -> ConnectorInfo:
        return ConnectorInfo(
            name=CONNECTOR,
            title="WinBooks on Web",
            package="WinBooks on Web",
            description=(
                "WinBooks on Web through its REST API: the folders of the licence, bookyears with their "
                "book periods, the chart of GL accounts, general-ledger transactions (incremental by "
                "modification, deleted bookings removed) and the opening period's balances."
            ),
            granularities=(Granularity.TRANSACTIONS,),
            default_granularity=Granularity.TRANSACTIONS,
            rate_limits=RateLimitPolicy(notes="WinBooks on Web publishes no rate limits; 429 and Retry-After are honoured."),
            known_limits=(
                "Support staff set up the connection with the e-mail and exchange token the licence administrator "
                "obtained by granting the application access; one grant opens every folder of the licence.",
                "No trial-balance granularity: WinBooks on Web documents no trial-balance resource.",
                "Assumed, to confirm with WinBooks: the folder list (/app/Folders and its fields), a Modified "
                "stamp on GLTransHeaders usable in criteria, BookYear.IsClosed and BookPeriod.BookYear_Id, "
                "the chunk and page sizes (100), and that a deleted booking simply disappears.",
                "Deletions are found by counting the bookings (one request a night) and, when fewer are "
                "left than were read, listing their Ids.",
                "Bookings changed within the same millisecond as the last one read may be read a night late.",
                "An unchanged night costs five requests: the token exchange (the access token lives 900 "
                "seconds, so each night needs one), the BookYears, the chart, one changed-bookings look and the "
                "count of bookings. WinBooks on Web publishes no change stamp on bookyears or GL accounts, so "
                "both are read in full (one request each); the book periods are kept and read again only when "
                f"the bookyears change or after {REFRESH.days} days.",
                "Assumed, to confirm with WinBooks: an exchange token can be exchanged again until the access "
                "is withdrawn, the access token lives 900 seconds (expires_in is read), and the opening "
                "period carries a closed year's result on account 140000.",
            ),
            docs_url="https://help.winbooks.be/display/DEV/Use+the+Rest+API",
            lookback_days=0,
            # the token exchange (a night is longer than the access token's 900 s), bookyears, chart,
            # one changed-bookings page, the count of bookings; the book periods are kept
            unchanged_night_requests={Granularity.TRANSACTIONS: 5},
            extra={"api": "REST"},
        )

    @hookimpl
    def sfsync_auth(self) -> FormSpec:
        return FormSpec(fields=WinbooksCredentials, level=ConnectionLevel.SUPPORT)

    @hookimpl
    async def sfsync_check_connection(self, ctx: ConnectorContext) -> None:
        session = self.session(ctx)
        await session.connect()
        await session.folders(FOLDERS_PATH)

    @hookimpl
    async def sfsync_list_companies(self, ctx: ConnectorContext) -> list[Company]:
        companies = {c.ref: c for c in (to_company(i) for i in await self.session(ctx).folders(FOLDERS_PATH))}
        return sorted(companies.values(), key=lambda c: (c.name.lower(), c.ref))

    @hookimpl
    async def sfsync_fetch_company_details(
        self, ctx: ConnectorContext, company: Company, previous: CompanyDetails | None = None
    ) -> CompanyDetails:
        for item in await self.session(ctx).folders(FOLDERS_PATH):
            if str(item.get("Code")) == company.ref:
                return to_details(item)
        raise NotFound(f"the WinBooks on Web licence no longer has folder {company.ref}")

    @hookimpl
    async def sfsync_fetch_fiscal_years(self, ctx: ConnectorContext, company: Company) -> list[FiscalYear]:
        return (await self.years(ctx, company))[0]

    @hookimpl
    async def sfsync_fetch_accounts(self, ctx: ConnectorContext, company: Company) -> list[Account]:
        accounts = {a.code: a for a in (to_account(i) for i in await self.session(ctx).get_all("GLAccounts", company.ref))}
        return sorted(accounts.values(), key=lambda a: a.code)

    @hookimpl
    async def sfsync_fetch_ledger(
        self, ctx: ConnectorContext, company: Company, since: dt.date | None, cursor: str | None,
        fiscal_years: list[FiscalYear],
    ) -> AsyncIterator[LedgerBatch]:
        _, places = await self.years(ctx, company)
        async for batch in ledger.ledger_batches(self.session(ctx), company.ref, places, since, cursor):
            yield batch

    @hookimpl
    async def sfsync_fetch_opening_balances(self, ctx: ConnectorContext, company: Company, at: dt.date) -> list[OpeningBalance]:
        _, places = await self.years(ctx, company)
        return await ledger.opening_balances(self.session(ctx), company.ref, places, at)

    @hookimpl
    async def sfsync_history_stamp(self, ctx: ConnectorContext, company: Company, before: dt.date) -> str | None:
        """A digest of the opening booking of the year starting at the *since* date: one criteria
        call. WinBooks re-books it when an earlier year changes and is closed again."""
        balances = await self.sfsync_fetch_opening_balances(ctx, company, before)
        text = ";".join(f"{b.account}={b.amount}" for b in balances)
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    @hookimpl
    def sfsync_sandbox(self) -> Sandbox:
        from sfsync_winbooks_online.sandbox import WinbooksSandbox

        return WinbooksSandbox()


winbooks_online = WinbooksConnector()
"""The connector object the ``winbooks-online`` entry point names."""

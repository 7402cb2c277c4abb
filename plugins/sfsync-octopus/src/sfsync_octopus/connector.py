"""The ``octopus`` connector: Octopus (octopus.be, Inaras), REST API v1.

Support staff set the connection up (connection level ``support``) with the firm's software-house
identification and an Octopus user with the webservice module; that one login sees every dossier
the user may open. Every call for a dossier carries its own dossier token
(:mod:`sfsync_octopus.client`). Wire facts and their sources: :mod:`sfsync_octopus.facts`; what is
assumed: :mod:`sfsync_octopus.assumed`.
"""

from __future__ import annotations

import datetime as dt
import weakref
from collections.abc import AsyncIterator
from typing import Any

from pydantic import BaseModel, Field, SecretStr
from sfsync.auth import ConnectionLevel, FormSpec
from sfsync.context import ConnectorContext
from sfsync.errors import NotFound
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

from sfsync_octopus import ledger
from sfsync_octopus.assumed import DAILY_CALLS_PER_ENDPOINT, RESULT_ACCOUNT
from sfsync_octopus.client import OctopusSession
from sfsync_octopus.facts import EPOCH_STAMP
from sfsync_octopus.mapping import to_account, to_company, to_details, to_fiscal_year
from sfsync_octopus.ratelimits import octopus_rate_limits

__all__ = ["CONNECTOR", "OctopusConnector", "OctopusCredentials", "octopus"]

CONNECTOR = "octopus"


class OctopusCredentials(BaseModel):
    """What support staff enter for a firm: the software house and an Octopus user."""

    user: str = Field(description="The Octopus user (B-user of the office, or a Sub@B co-worker) with the webservice module")
    password: SecretStr = Field(description="That user's Octopus password")
    software_house_uuid: SecretStr = Field(
        description="The software house identification Octopus gave (request it at webservice@octopus.be)")


class OctopusConnector:
    """Octopus, as sfsync sees it."""

    def __init__(self) -> None:
        self._sessions: weakref.WeakKeyDictionary[ConnectorContext, OctopusSession] = weakref.WeakKeyDictionary()
        self._bookyears: weakref.WeakKeyDictionary[ConnectorContext, dict[str, list[dict[str, Any]]]] = weakref.WeakKeyDictionary()

    def __repr__(self) -> str:
        return "OctopusConnector()"

    def session(self, ctx: ConnectorContext) -> OctopusSession:
        """One session per context (a run): its tokens serve every call of the run."""
        found = self._sessions.get(ctx)
        if found is None:
            found = self._sessions[ctx] = OctopusSession(ctx)
        return found

    async def bookyears(self, ctx: ConnectorContext, company: Company) -> list[dict[str, Any]]:
        """The dossier's bookyears, read once a run (fiscal years, ledger and trial balance share them)."""
        cache = self._bookyears.setdefault(ctx, {})
        if company.ref not in cache:
            cache[company.ref] = await ledger.read_bookyears(self.session(ctx), company.ref)
        return cache[company.ref]

    # --- who and how ----------------------------------------------------------------------------

    @hookimpl
    def sfsync_connector_info(self) -> ConnectorInfo:
        return ConnectorInfo(
            name=CONNECTOR,
            title="Octopus",
            package="Octopus",
            description=(
                "Octopus (octopus.be) through its REST API v1: the dossiers an Octopus user may open, "
                "bookyears with their periods, the chart, general-ledger bookings per bookyear (incremental "
                "by modification time, deleted bookings removed), opening balances and trial balances "
                "from the modified account amounts."
            ),
            granularities=(Granularity.TRANSACTIONS, Granularity.TRIAL_BALANCE),
            default_granularity=Granularity.TRANSACTIONS,
            rate_limits=octopus_rate_limits(),
            known_limits=(
                "Support staff set up the connection: the firm sends them its Octopus user (with the "
                "webservice module, an extra for B-users) and the software house identification.",
                "Both Octopus tokens live 10 minutes; sfsync logs in again for each sync and renews them "
                "when they expire mid-sync.",
                "Assumed, to confirm with Octopus: the general-ledger lines of the bookings feed "
                "(lineSequenceNr, accountKey, amount in EUR, currencyAmount), how deleted bookings are "
                "reported (\"deleted\": true), and the fields of the modified account amounts.",
                f"Assumed, to confirm with Octopus: a daily quota of {DAILY_CALLS_PER_ENDPOINT} calls per "
                "endpoint and dossier (answered 429 until midnight UTC) and at most a few simultaneous "
                "connections per user (ERR_TO_MANY_CONNECTIONS, answered 503).",
                f"Assumed, to confirm with Octopus: a closed year's result is carried to account {RESULT_ACCOUNT} "
                "in the opening balances, and the legal form is read from the dossier's corporation type.",
                "Account kinds follow the Belgian PCMN: classes 1-5 balance sheet, 6-7 profit and loss.",
                "Closed bookyears are read once: Octopus takes no bookings in them.",
                "An unchanged night costs six requests (five for a trial-balance link): the two tokens (both "
                "live 10 minutes, so each night signs in again), the bookyears, the chart's modified accounts, "
                "and one modified-bookings look per open bookyear (two in the sandbox): Octopus's bookings feed "
                "is per bookyear, with no dossier-wide one; a trial-balance link asks the modified account "
                "amounts once.",
            ),
            docs_url="https://login.octopus.be/manual/octopus-webservice/api/authentication.htm",
            lookback_days=0,
            # login, dossier token, bookyears, chart; then one modified-bookings look per open bookyear
            # (two in the sandbox), or one modified-amounts look for trial-balance links.
            unchanged_night_requests={Granularity.TRANSACTIONS: 6, Granularity.TRIAL_BALANCE: 5},
            extra={"api_version": "v1"},
        )

    @hookimpl
    def sfsync_auth(self) -> FormSpec:
        return FormSpec(fields=OctopusCredentials, level=ConnectionLevel.SUPPORT)

    @hookimpl
    async def sfsync_check_connection(self, ctx: ConnectorContext) -> None:
        await self.session(ctx).dossiers()

    # --- what the connection sees -----------------------------------------------------------------

    @hookimpl
    async def sfsync_list_companies(self, ctx: ConnectorContext) -> list[Company]:
        companies = {c.ref: c for c in (to_company(item) for item in await self.session(ctx).dossiers())}
        return sorted(companies.values(), key=lambda c: (c.name.lower(), c.ref))

    @hookimpl
    async def sfsync_fetch_company_details(
        self, ctx: ConnectorContext, company: Company, previous: CompanyDetails | None = None
    ) -> CompanyDetails:
        for item in await self.session(ctx).dossiers():
            if to_company(item).ref == company.ref:
                return to_details(item)
        raise NotFound(f"the Octopus user no longer sees dossier {company.ref}")

    # --- figures ----------------------------------------------------------------------------------

    @hookimpl
    async def sfsync_fetch_fiscal_years(self, ctx: ConnectorContext, company: Company) -> list[FiscalYear]:
        return [to_fiscal_year(item) for item in await self.bookyears(ctx, company)]

    @hookimpl
    async def sfsync_fetch_accounts(self, ctx: ConnectorContext, company: Company) -> list[Account]:
        # Accounts are kept per bookyear; the modified feed from the epoch holds every bookyear's,
        # one call for the whole chart. The latest bookyear's name of an account wins.
        body = await self.session(ctx).get(company.ref, "accounts/modified", {"modifiedTimeStamp": EPOCH_STAMP})
        rows = sorted(body if isinstance(body, list) else [], key=lambda a: int((a.get("bookyearKey") or {}).get("id", 0)))
        accounts = {a.code: a for a in (to_account(row) for row in rows)}
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
        years = await self.bookyears(ctx, company)
        async for batch in ledger.ledger_batches(self.session(ctx), company.ref, years, since, cursor):
            yield batch

    @hookimpl
    async def sfsync_fetch_trial_balance(
        self, ctx: ConnectorContext, company: Company, fiscal_years: list[FiscalYear], cursor: str | None
    ) -> AsyncIterator[TrialBalanceBatch]:
        years = await self.bookyears(ctx, company)
        async for batch in ledger.trial_balance_batches(self.session(ctx), company.ref, years, fiscal_years, cursor):
            yield batch

    @hookimpl
    async def sfsync_fetch_opening_balances(
        self, ctx: ConnectorContext, company: Company, at: dt.date
    ) -> list[OpeningBalance]:
        return await ledger.opening_balances(self.session(ctx), company.ref, await self.bookyears(ctx, company), at)

    @hookimpl
    async def sfsync_history_stamp(self, ctx: ConnectorContext, company: Company, before: dt.date) -> str | None:
        """A digest of the opening balances at the *since* date: one modified-amounts call."""
        return await ledger.history_stamp(self.session(ctx), company.ref, await self.bookyears(ctx, company), before)

    # --- sandbox ----------------------------------------------------------------------------------

    @hookimpl
    def sfsync_sandbox(self) -> Sandbox:
        from sfsync_octopus.sandbox import OctopusSandbox

        return OctopusSandbox()


octopus = OctopusConnector()
"""The connector object the ``octopus`` entry point names."""

"""The engine both connectors share: one OData v4 service of Business Central's API v2.0
entities, whoever serves it and however one signs in (:mod:`sfsync_businesscentral.connector`
says who and how). It answers every hook from the collections of one company."""

from __future__ import annotations

import datetime as dt
import weakref
from collections.abc import AsyncIterator

from sfsync.context import ConnectorContext
from sfsync.errors import MalformedResponse
from sfsync.hookspecs import hookimpl
from sfsync.models import (
    Account,
    Company,
    CompanyDetails,
    FiscalYear,
    LedgerBatch,
    OpeningBalance,
    TrialBalanceBatch,
)

from sfsync_businesscentral.bocount_names import ENTITY_SETS
from sfsync_businesscentral.ledger import (
    Scope,
    history_stamp,
    ledger_batches,
    opening_balances,
    trial_balance_batches,
)
from sfsync_businesscentral.mapping import to_account, to_details, to_fiscal_years

__all__ = ["ODataEngine"]

STANDARD_SETS = {name: name for name in ENTITY_SETS}


class ODataEngine:
    """The hooks over a company's collections; a subclass says how to reach a company
    (:meth:`scope`) and which companies there are."""

    sets: dict[str, str] = STANDARD_SETS

    def __init__(self) -> None:
        self._scopes: weakref.WeakKeyDictionary[ConnectorContext, dict[str, Scope]] = weakref.WeakKeyDictionary()

    async def make_scope(self, ctx: ConnectorContext, company: Company) -> Scope:
        """The service and company path of ``company``."""
        raise NotImplementedError

    async def scope(self, ctx: ConnectorContext, company: Company) -> Scope:
        """One scope per company and run (the run's client and what it read once)."""
        per_run = self._scopes.setdefault(ctx, {})
        if company.ref not in per_run:
            per_run[company.ref] = await self.make_scope(ctx, company)
        return per_run[company.ref]

    @hookimpl
    async def sfsync_fetch_company_details(
        self, ctx: ConnectorContext, company: Company, previous: CompanyDetails | None = None
    ) -> CompanyDetails:
        scope = await self.scope(ctx, company)
        rows = await scope.client.all(scope.path("companyInformation"))
        if not rows:
            raise MalformedResponse("Business Central answered companyInformation without the company's record")
        return to_details(rows[0])

    @hookimpl
    async def sfsync_fetch_fiscal_years(self, ctx: ConnectorContext, company: Company) -> list[FiscalYear]:
        scope = await self.scope(ctx, company)
        years = to_fiscal_years(await scope.client.all(scope.path("accountingPeriods")))
        if not years:
            raise MalformedResponse("Business Central has no accounting periods for this company: create its fiscal years")
        return years

    @hookimpl
    async def sfsync_fetch_accounts(self, ctx: ConnectorContext, company: Company) -> list[Account]:
        scope = await self.scope(ctx, company)
        rows = await scope.client.all(scope.path("accounts"))
        accounts = {a.code: a for a in (to_account(r) for r in rows if r.get("accountType") in (None, "Posting"))}
        return sorted(accounts.values(), key=lambda a: a.code)

    @hookimpl
    async def sfsync_fetch_ledger(
        self, ctx: ConnectorContext, company: Company, since: dt.date | None, cursor: str | None,
        fiscal_years: list[FiscalYear],
    ) -> AsyncIterator[LedgerBatch]:
        scope = await self.scope(ctx, company)
        async for batch in ledger_batches(ctx, scope, since, cursor, fiscal_years):
            yield batch

    @hookimpl
    async def sfsync_fetch_trial_balance(
        self, ctx: ConnectorContext, company: Company, fiscal_years: list[FiscalYear], cursor: str | None
    ) -> AsyncIterator[TrialBalanceBatch]:
        scope = await self.scope(ctx, company)
        async for batch in trial_balance_batches(ctx, scope, fiscal_years, cursor):
            yield batch

    @hookimpl
    async def sfsync_fetch_opening_balances(self, ctx: ConnectorContext, company: Company, at: dt.date) -> list[OpeningBalance]:
        scope = await self.scope(ctx, company)
        kinds = {a.code: a.kind for a in await self.sfsync_fetch_accounts(ctx, company)}
        return await opening_balances(scope, at, kinds)

    @hookimpl
    async def sfsync_history_stamp(self, ctx: ConnectorContext, company: Company, before: dt.date) -> str | None:
        """A digest of the balances the day before the *since* date: one trial-balance call."""
        return await history_stamp(await self.scope(ctx, company), before)

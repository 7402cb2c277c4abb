"""Broken connectors built on echo: each one makes a fault the contract suite must catch.

Every class overrides as little of :class:`~sfsync.echo.EchoConnector` as its fault needs, so the
difference from the honest connector *is* the fault.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
from sfsync.context import ConnectorContext
from sfsync.echo.connector import EchoConnector
from sfsync.echo.sandbox import BASE_URL
from sfsync.errors import AuthError, MalformedResponse, NeedsReconsent, SfsyncError
from sfsync.hookspecs import hookimpl
from sfsync.metadata import ConnectorInfo
from sfsync.models import (
    Account,
    Company,
    CompanyDetails,
    FiscalYear,
    LedgerBatch,
    LedgerColumns,
    OpeningBalance,
    TrialBalanceBatch,
    TrialBalanceLine,
)

log = logging.getLogger("sfsync.mutants")


class Mutant(EchoConnector):
    """Echo under another name (ConnectorInfo.name must equal the registered name)."""

    def __init__(self, name: str) -> None:
        self.name = name

    @hookimpl
    def sfsync_connector_info(self) -> ConnectorInfo:
        return dataclasses.replace(super().sfsync_connector_info(), name=self.name)


class DuplicateCompanies(Mutant):
    """Lists the first company twice."""

    @hookimpl
    async def sfsync_list_companies(self, ctx: ConnectorContext) -> list[Company]:
        companies = await super().sfsync_list_companies(ctx)
        return [*companies, companies[0]]


class EchoesTheKey(Mutant):
    """Puts the refused key in the error message."""

    @hookimpl
    async def sfsync_list_companies(self, ctx: ConnectorContext) -> list[Company]:
        try:
            return await super().sfsync_list_companies(ctx)
        except AuthError as exc:
            raise AuthError(f"echo refused the key {ctx.secrets['api_key']}") from exc


class BypassesCtxHttp(Mutant):
    """Sends its requests on a client of its own, which the run cannot count or pace."""

    @staticmethod
    async def _get(ctx: ConnectorContext, path: str, **params: Any) -> Any:
        async with httpx.AsyncClient(transport=ctx.transports[BASE_URL], base_url=BASE_URL) as client:
            response = await client.get(path, params={k: v for k, v in params.items() if v is not None},
                                        headers={"X-Api-Key": ctx.secrets["api_key"]})
        if response.status_code == 401:
            raise NeedsReconsent("echo refused the API key", response=response)
        if response.status_code != 200:
            raise MalformedResponse(f"echo answered {response.status_code}", response=response)
        return json.loads(response.content, parse_float=Decimal)


class OverlappingYears(Mutant):
    """Ends the first fiscal year a day into the second."""

    @hookimpl
    async def sfsync_fetch_fiscal_years(self, ctx: ConnectorContext, company: Company) -> list[FiscalYear]:
        first, *rest = await super().sfsync_fetch_fiscal_years(ctx, company)
        return [first.model_copy(update={"end": first.end + dt.timedelta(days=1)}), *rest]


class PartialChart(Mutant):
    """Leaves an account out of the chart."""

    @hookimpl
    async def sfsync_fetch_accounts(self, ctx: ConnectorContext, company: Company) -> list[Account]:
        return [a for a in await super().sfsync_fetch_accounts(ctx, company) if a.code != "613000"]


class _LedgerRewrite(Mutant):
    """Rewrites the lines of every ledger batch with :meth:`rewrite`."""

    def rewrite(self, lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return lines

    @hookimpl
    def sfsync_fetch_ledger(
        self, ctx: ConnectorContext, company: Company, since: dt.date | None, cursor: str | None
    ) -> AsyncIterator[LedgerBatch]:
        async def batches() -> AsyncIterator[LedgerBatch]:
            async for batch in self._ledger(ctx, company, since, cursor):
                records = self.rewrite([line.model_dump() for line in batch.lines])
                yield batch.model_copy(update={"lines": LedgerColumns.coerce(records)})

        return batches()


class FlipsASign(_LedgerRewrite):
    """Books the sales line of every invoice on the wrong side."""

    def rewrite(self, lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for line in lines:
            if line["account"] == "700000":
                line["debit"], line["credit"] = line["credit"], line["debit"]
        return lines


class WrongAccount(_LedgerRewrite):
    """Books services on the purchases account: every entry still balances, the books do not."""

    def rewrite(self, lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for line in lines:
            if line["account"] == "613000":
                line["account"] = "604000"
        return lines


class MergesDuplicateIds(_LedgerRewrite):
    """Gives every line of one entry the entry's id, in one batch: the core must refuse the batch
    (an upsert would keep one of three)."""

    def rewrite(self, lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for line in lines:
            if line["entry"].endswith("-E00001"):
                line["id"] = line["entry"]
        return lines


class MisplacesPeriods(_LedgerRewrite):
    """Derives the period and year from the date instead of the package's booking."""

    def rewrite(self, lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for line in lines:
            line["fiscal_year"] = None
            line["period"] = line["date"].month if isinstance(line["date"], dt.date) else line["period"]
        return lines


class IgnoresCursor(Mutant):
    """Starts from the beginning every time."""

    @hookimpl
    def sfsync_fetch_ledger(
        self, ctx: ConnectorContext, company: Company, since: dt.date | None, cursor: str | None
    ) -> AsyncIterator[LedgerBatch]:
        return self._ledger(ctx, company, since, None)


class ExtraRequests(Mutant):
    """Lists the companies again on every ledger read: one request a night more than declared."""

    @hookimpl
    def sfsync_fetch_ledger(
        self, ctx: ConnectorContext, company: Company, since: dt.date | None, cursor: str | None
    ) -> AsyncIterator[LedgerBatch]:
        async def batches() -> AsyncIterator[LedgerBatch]:
            await self._get(ctx, "/companies")
            async for batch in self._ledger(ctx, company, since, cursor):
                yield batch

        return batches()


class ForgetsDeletions(Mutant):
    """Never reads the deletion feed."""

    @hookimpl
    def sfsync_fetch_ledger(
        self, ctx: ConnectorContext, company: Company, since: dt.date | None, cursor: str | None
    ) -> AsyncIterator[LedgerBatch]:
        async def batches() -> AsyncIterator[LedgerBatch]:
            async for batch in self._ledger(ctx, company, since, cursor):
                if not batch.deleted:
                    yield batch

        return batches()


class DropsDataBeforeSince(Mutant):
    """On a *since* sync, reports every line dated before the date as deleted."""

    @hookimpl
    def sfsync_fetch_ledger(
        self, ctx: ConnectorContext, company: Company, since: dt.date | None, cursor: str | None
    ) -> AsyncIterator[LedgerBatch]:
        async def batches() -> AsyncIterator[LedgerBatch]:
            if since is not None and cursor is None:
                page = await self._get(ctx, f"/companies/{company.ref}/lines", after=0, limit=500)
                old = [row["id"] for row in page["lines"] if dt.date.fromisoformat(row["date"]) < since]
                yield LedgerBatch(deleted=old)
            async for batch in self._ledger(ctx, company, since, cursor):
                yield batch

        return batches()


class LogsTheKey(Mutant):
    """Logs its API key at debug level."""

    @hookimpl
    async def sfsync_fetch_accounts(self, ctx: ConnectorContext, company: Company) -> list[Account]:
        log.debug("reading accounts with key %s", ctx.secrets["api_key"])
        return await super().sfsync_fetch_accounts(ctx, company)


class OpeningBalancesAtWrongDate(Mutant):
    """Asks for the balances a month too early."""

    @hookimpl
    async def sfsync_fetch_opening_balances(self, ctx: ConnectorContext, company: Company, at: dt.date) -> list[OpeningBalance]:
        rows = await self._get(ctx, f"/companies/{company.ref}/balances", at=(at - dt.timedelta(days=31)).isoformat())
        return [OpeningBalance(account=r["account"], date=at, amount=Decimal(r["amount"])) for r in rows]


class DropsTheVatNumber(Mutant):
    """Forgets the VAT number of the company details."""

    @hookimpl
    async def sfsync_fetch_company_details(self, ctx: ConnectorContext, company: Company) -> CompanyDetails:
        details = await super().sfsync_fetch_company_details(ctx, company)
        return details.model_copy(update={"vat_number": None})


class TrialBalanceByDate(Mutant):
    """Adds trial-balance totals up by the year of the date, not the year the line is booked in."""

    async def _trial_balance(
        self, ctx: ConnectorContext, company: Company, fiscal_years: list[FiscalYear], cursor: str | None
    ) -> AsyncIterator[TrialBalanceBatch]:
        totals: dict[tuple[str, dt.date], Decimal] = {}
        async for batch in self._ledger(ctx, company, None, None):
            for line in batch.lines:
                year = next((y for y in fiscal_years if y.contains(line.date)), None)
                if year is not None:
                    totals[line.account, year.end] = totals.get((line.account, year.end), Decimal(0)) + line.debit - line.credit
        for year in fiscal_years:
            lines = [TrialBalanceLine(account=a, period_start=year.start, period_end=year.end, fiscal_year=year.label,
                                      debit=max(v, Decimal(0)), credit=max(-v, Decimal(0)), closing=v)
                     for (a, end), v in sorted(totals.items()) if end == year.end]
            yield TrialBalanceBatch(lines=lines, clear=(year.start, year.end))


class TrialBalanceNeverRefreshes(Mutant):
    """Counts every year it brought as done, open ones too: new entries never arrive."""

    async def _trial_balance(
        self, ctx: ConnectorContext, company: Company, fiscal_years: list[FiscalYear], cursor: str | None
    ) -> AsyncIterator[TrialBalanceBatch]:
        done = set(json.loads(cursor)["done"]) if cursor else set()
        closed = [y.model_copy(update={"closed": y.closed or y.label in done}) for y in fiscal_years]
        async for batch in super()._trial_balance(ctx, company, closed, cursor):
            state = json.loads(batch.cursor or '{"done": []}')
            state["done"] = sorted({*state["done"], *(y.label for y in fiscal_years if y.end <= batch.clear[1])}) if batch.clear else state["done"]
            yield batch.model_copy(update={"cursor": json.dumps(state)})


# --- administrative (details) links ---------------------------------------------------------------


class DetailsOfAnotherCompany(Mutant):
    """Answers with the master data of the next company in the list."""

    @hookimpl
    async def sfsync_fetch_company_details(self, ctx: ConnectorContext, company: Company) -> CompanyDetails:
        refs = [c.ref for c in await self.sfsync_list_companies(ctx)]
        other = refs[(refs.index(company.ref) + 1) % len(refs)]
        return await super().sfsync_fetch_company_details(ctx, company.model_copy(update={"ref": other}))


class DetailsExtraRequests(Mutant):
    """Lists the companies again before every look at the details: a request a night more."""

    @hookimpl
    async def sfsync_fetch_company_details(self, ctx: ConnectorContext, company: Company) -> CompanyDetails:
        await self._get(ctx, "/companies")
        return await super().sfsync_fetch_company_details(ctx, company)


class DetailsStaleStamp(Mutant):
    """Says "unchanged" whenever it is given the previous version, without looking."""

    @hookimpl
    async def sfsync_fetch_company_details(
        self, ctx: ConnectorContext, company: Company, previous: CompanyDetails | None
    ) -> CompanyDetails | None:
        if previous is not None:
            return None
        return await super().sfsync_fetch_company_details(ctx, company)


class DetailsSwallowsFailures(Mutant):
    """Turns any failure of the package into "unchanged"."""

    @hookimpl
    async def sfsync_fetch_company_details(self, ctx: ConnectorContext, company: Company) -> CompanyDetails | None:
        try:
            return await super().sfsync_fetch_company_details(ctx, company)
        except SfsyncError:
            return None

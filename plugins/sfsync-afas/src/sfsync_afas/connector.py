"""The sfsync connector for AFAS Profit (REST GetConnectors, "AFAS Mutaties API" 6.6.9).

Support level: a firm cannot connect AFAS itself. Its AFAS administrator creates an App Connector
token (or lets support ask for one with a one-time code) and support staff enter it
(:mod:`sfsync_afas.auth`). One token reaches one environment; each administration in it is a
company. What is read, and how a night stays at one request, is in :mod:`sfsync_afas.ledger`,
:mod:`sfsync_afas.trial` and :mod:`sfsync_afas.changes`; the wire in :mod:`sfsync_afas.client`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any

from sfsync.auth import ConnectionLevel, FormSpec
from sfsync.context import ConnectorContext
from sfsync.errors import AuthError, NotFound
from sfsync.hookspecs import hookimpl
from sfsync.http import RateLimitPolicy
from sfsync.metadata import ConnectorInfo
from sfsync.models import (
    Account,
    AccountKind,
    Company,
    CompanyDetails,
    FiscalYear,
    Granularity,
    LedgerBatch,
    OpeningBalance,
    Period,
    TrialBalanceBatch,
)
from sfsync.sandbox import Sandbox

from sfsync_afas import ledger, trial
from sfsync_afas.auth import AfasFields, secret
from sfsync_afas.changes import fingerprints, period_rows
from sfsync_afas.client import AfasClient
from sfsync_afas.facts import BALANCE_SHEET_TYPES, UNVERIFIED
from sfsync_afas.filters import Condition
from sfsync_afas.otp import request_code, validate_code

__all__ = ["AfasConnector", "afas"]

CONNECTOR = "afas"


def _date(text: Any) -> dt.date:
    return dt.date.fromisoformat(str(text)[:10])


class AfasConnector:
    """AFAS Profit, as sfsync sees it."""

    @hookimpl
    def sfsync_connector_info(self) -> ConnectorInfo:
        return ConnectorInfo(
            name=CONNECTOR,
            title="AFAS Profit",
            package="AFAS Profit",
            description=(
                "AFAS Profit environments through the REST GetConnectors of an App Connector: every "
                "administration of the environment is a company. Set up by support staff with the token "
                "the firm's AFAS administrator made, or with a one-time code AFAS mails to the user."
            ),
            granularities=(Granularity.TRANSACTIONS, Granularity.TRIAL_BALANCE),
            default_granularity=Granularity.TRANSACTIONS,
            lookback_days=0,
            # An unchanged night: the fiscal years and the chart (the runner reads them every
            # run), the changed-entry-date gate, and for a since link the history stamp: 4. Within
            # five minutes of a change the gate cannot tell the mark's own second apart and the
            # night also reads the changed lines and the period balances (changes.read_gate).
            unchanged_night_requests={Granularity.TRANSACTIONS: 6, Granularity.TRIAL_BALANCE: 5},
            rate_limits=RateLimitPolicy(
                windows=(),
                max_wait=900.0,
                notes=("AFAS publishes no rate limit; it asks for at most 5 simultaneous calls, which the "
                       "connector keeps per environment and process. 429 and 503 are retried, honouring "
                       "Retry-After."),
            ),
            docs_url="https://docs.afas.help/profit/en/get-connector",
            known_limits=(
                "Profit_Transactions has no currency: every line is stored in the administration's own "
                "currency; a foreign amount is only in the line's description.",
                "The standard GetConnectors give an administration only its name and code: company details "
                "are its name and fiscal-year end, no address or VAT number.",
                "A deleted line is found through its period's balance: deleting a zero-amount line moves no "
                "balance, and it stays stored until a replace sync.",
                "At most five calls at once per environment within one sfsync process; several worker "
                "processes on one environment share no count.",
                "An unchanged night costs three requests (the fiscal years, the chart, one changed-entry-date "
                "gate); AFAS stamps changes to the second, so a night within five minutes of a change also "
                "reads the changed lines and the period balances (up to six, and the declared number).",
                *(f"Assumed (unverified): {text}" for text in UNVERIFIED.values()),
            ),
        )

    @hookimpl
    def sfsync_auth(self) -> FormSpec:
        return FormSpec(fields=AfasFields, level=ConnectionLevel.SUPPORT, code_field="otp")

    @hookimpl
    async def sfsync_send_code(self, ctx: ConnectorContext) -> str:
        return await request_code(ctx)

    @hookimpl
    async def sfsync_check_connection(self, ctx: ConnectorContext) -> None:
        if secret(ctx, "token") is None:
            code = secret(ctx, "otp")
            if code is None:
                raise AuthError("enter the AFAS token, or ask AFAS for a one-time code first and enter it as otp")
            ctx.state["token"] = await validate_code(ctx, code)
        await AfasClient(ctx).first("Profit_Administrations", order=("AdminId",), take=1)

    @hookimpl
    async def sfsync_list_companies(self, ctx: ConnectorContext) -> list[Company]:
        rows = await AfasClient(ctx).all("Profit_Administrations", order=("AdminId",))
        return [Company(ref=str(r["AdminId"]), code=str(r.get("AdminCd") or r["AdminId"]), name=str(r.get("AdminNm") or ""),
                        currency="EUR") for r in rows]

    @hookimpl
    async def sfsync_fetch_company_details(self, ctx: ConnectorContext, company: Company) -> CompanyDetails:
        client = AfasClient(ctx)
        rows = await client.all("Profit_Administrations", order=("AdminId",), where=[[Condition("AdminId", 1, company.ref)]])
        if not rows:
            raise NotFound(f"AFAS has no administration {company.ref} in this environment")
        years = await self.sfsync_fetch_fiscal_years(ctx, company)
        return CompanyDetails(name=str(rows[0]["AdminNm"]), fiscal_year_end=years[-1].end.strftime("%m-%d") if years else None)

    @hookimpl
    async def sfsync_fetch_fiscal_years(self, ctx: ConnectorContext, company: Company) -> list[FiscalYear]:
        rows = await AfasClient(ctx).all("Profit_periods_per_administration", order=("Year", "Period"),
                                         where=[[Condition("Unit", 1, company.ref)]])
        by_year: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for row in rows:
            by_year[int(row["Year"])].append(row)
        return [
            FiscalYear(
                label=str(year),
                start=min(_date(p["DateFrom"]) for p in periods),
                end=max(_date(p["DateTo"]) for p in periods),
                closed=all(bool(p.get("Blocked")) for p in periods),
                periods=tuple(Period(number=int(p["Period"]), start=_date(p["DateFrom"]), end=_date(p["DateTo"]))
                              for p in periods),
            )
            for year, periods in sorted(by_year.items())
        ]

    @hookimpl
    async def sfsync_fetch_accounts(self, ctx: ConnectorContext, company: Company) -> list[Account]:
        rows = await AfasClient(ctx).all("Profit_Accounts", order=("Account",))
        return [
            Account(code=str(r["Account"]), name=str(r.get("Description") or ""),
                    kind=AccountKind.BALANCE_SHEET if str(r.get("Type")) in BALANCE_SHEET_TYPES else AccountKind.PROFIT_LOSS)
            for r in rows
        ]

    async def _chart(self, ctx: ConnectorContext, client: AfasClient) -> trial.Chart:
        rows = await client.all("Profit_Accounts", order=("Account",))
        return trial.Chart(frozenset(str(r["Account"]) for r in rows if str(r.get("Type")) in BALANCE_SHEET_TYPES),
                           str(ctx.config.get("result_account") or trial.RESULT_ACCOUNT))

    @hookimpl
    async def sfsync_fetch_ledger(
        self, ctx: ConnectorContext, company: Company, since: dt.date | None, cursor: str | None,
        fiscal_years: list[FiscalYear],
    ) -> AsyncIterator[LedgerBatch]:
        async for batch in ledger.fetch_ledger(AfasClient(ctx), company, since, cursor, fiscal_years):
            yield batch

    @hookimpl
    async def sfsync_fetch_trial_balance(
        self, ctx: ConnectorContext, company: Company, fiscal_years: list[FiscalYear], cursor: str | None
    ) -> AsyncIterator[TrialBalanceBatch]:
        client = AfasClient(ctx)
        async for batch in trial.fetch_trial_balance(client, company, fiscal_years, cursor,
                                                     lambda: self._chart(ctx, client)):
            yield batch

    @hookimpl
    async def sfsync_fetch_opening_balances(self, ctx: ConnectorContext, company: Company, at: dt.date) -> list[OpeningBalance]:
        client = AfasClient(ctx)
        years = await self.sfsync_fetch_fiscal_years(ctx, company)
        year = next((int(y.label) for y in years if y.start == at), None)
        if year is None:
            raise NotFound(f"no fiscal year of AFAS administration {company.ref} starts on {at}")
        rows = await period_rows(client, company.ref, before_year=year)
        return trial.opening_balances(rows, year, at, await self._chart(ctx, client))

    @hookimpl
    async def sfsync_history_stamp(self, ctx: ConnectorContext, company: Company, before: dt.date) -> str:
        # The period balances of the years before the date (their number is the year they start
        # in: UNVERIFIED, facts): one small request.
        rows = await period_rows(AfasClient(ctx), company.ref, before_year=before.year)
        joined = "|".join(f"{k}={v}" for k, v in sorted(fingerprints(rows).items()))
        return hashlib.sha256(joined.encode()).hexdigest()[:24]

    @hookimpl
    def sfsync_sandbox(self) -> Sandbox:
        from sfsync_afas.sandbox import AfasSandbox

        return AfasSandbox()


afas = AfasConnector()
"""The connector object the ``afas`` entry point names."""

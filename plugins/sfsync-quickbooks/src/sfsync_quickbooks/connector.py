"""The ``quickbooks`` connector: QuickBooks Online, Accounting API v3 (minor version 75), one
company per dossier login. Ledger lines from the GeneralLedger report (see :mod:`.ledger` for
why), trial balances from the TrialBalance report per month, changes and deletions from CDC.
"""

from __future__ import annotations

import datetime as dt
import json
import weakref
from collections.abc import AsyncIterator
from typing import Any

from sfsync.context import ConnectorContext
from sfsync.errors import AuthError, MalformedResponse
from sfsync.hookspecs import hookimpl
from sfsync.ledger_columns import LedgerColumns
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
    TrialBalanceBatch,
)

from sfsync_quickbooks.auth import QuickbooksOAuth2Spec, quickbooks_auth_spec
from sfsync_quickbooks.client import QuickbooksClient
from sfsync_quickbooks.fiscal import fiscal_years_between, month_number, report_windows, year_start
from sfsync_quickbooks.ledger import COLUMNS, TRACKED_ENTITIES, entry_id, ledger_records
from sfsync_quickbooks.ratelimits import RATE_LIMITS
from sfsync_quickbooks.trial import Balances, opening_of_year, parse_trial_balance, period_lines

CONNECTOR = "quickbooks"
CDC_LOOKBACK = dt.timedelta(days=30)
CDC_MARGIN = dt.timedelta(hours=1)
CDC_MAX_OBJECTS = 1000
"""A CDC answer this full may have left changes out: the open years are read again."""
STAMP_SLACK = dt.timedelta(seconds=2)
PROBE_YEARS = 10
"""How many years before the company's start date a first sync looks for earlier postings."""

KINDS = {"Asset": AccountKind.BALANCE_SHEET, "Liability": AccountKind.BALANCE_SHEET,
         "Equity": AccountKind.BALANCE_SHEET, "Revenue": AccountKind.PROFIT_LOSS,
         "Expense": AccountKind.PROFIT_LOSS}

_run_cache: weakref.WeakKeyDictionary[ConnectorContext, dict[str, Any]] = weakref.WeakKeyDictionary()


def _cache(ctx: ConnectorContext) -> dict[str, Any]:
    return _run_cache.setdefault(ctx, {})


def _realm(ctx: ConnectorContext) -> str:
    realm = ctx.state.get("realm") or (ctx.state.get("callback") or {}).get("realmId")
    if not realm:
        raise AuthError("the QuickBooks login came back without a company (realmId); log in again "
                        "and pick the dossier's company")
    return str(realm)


def _check_company(ctx: ConnectorContext, company: Company) -> QuickbooksClient:
    realm = _realm(ctx)
    if company.ref != realm:
        raise AuthError(f"this QuickBooks login is for company {realm}, not {company.ref}: each "
                        "dossier logs in to its own company")
    return QuickbooksClient(ctx, realm)


def _code(item: dict[str, Any]) -> str:
    return str(item.get("AcctNum") or "").strip() or str(item["Id"])


class QuickbooksConnector:
    """QuickBooks Online, as sfsync sees it."""

    name = CONNECTOR

    @hookimpl
    def sfsync_connector_info(self) -> ConnectorInfo:
        return ConnectorInfo(
            name=CONNECTOR,
            title="QuickBooks Online",
            package="QuickBooks Online",
            description=(
                "Every posted ledger line (GeneralLedger report) or trial-balance totals per month "
                "(TrialBalance report) of a QuickBooks Online company. Each dossier logs in to its "
                "own company; changes and deletions come from change data capture."
            ),
            granularities=(Granularity.TRANSACTIONS, Granularity.TRIAL_BALANCE),
            default_granularity=Granularity.TRANSACTIONS,
            rate_limits=RATE_LIMITS,
            # Preferences, the chart, one CDC call; and the token refresh a night after the last
            # sync needs (access tokens live an hour).
            unchanged_night_requests={Granularity.TRANSACTIONS: 4, Granularity.TRIAL_BALANCE: 4},
            known_limits=(
                "An unchanged night costs 3 requests, one a stream: Preferences for the fiscal years "
                "(CompanyInfo is asked again only when Preferences' first month of the fiscal year "
                "moves), the chart, and one change-data-capture call; no line is read again. The company's "
                "details (CompanyInfo, checked once a night) add one, and a token refresh one.",
                "CompanyInfo (the fiscal year's start month, the company's start date) is read again "
                "only when Preferences' first month of the fiscal year changes: a changed company "
                "start date alone is not noticed.",
                "Ledger lines come from QuickBooks' GeneralLedger report: they carry no id of their "
                "own, so a line is known by its transaction, account and place; an edit that "
                "reorders a transaction's lines on one account renumbers them.",
                "Changes are found through change data capture, which looks back 30 days: a dossier "
                "not synced for longer has its open fiscal years read again in full (the run says so).",
                "Postings of types change data capture does not cover (inventory adjustments, "
                "payroll) are refreshed only when a year is read in full.",
                "QuickBooks has no booking periods: a line's period is the month of its date.",
                "A since link's opening balances follow a transaction edited before the since date, "
                "but not one deleted there (a deletion brings no lines to compare): relink the "
                "dossier to read them again after such a deletion.",
                "The VAT number is read from CompanyInfo.EmployerId, which not every company fills.",
            ),
            docs_url="https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/companyinfo",
        )

    @hookimpl
    def sfsync_auth(self) -> QuickbooksOAuth2Spec:
        return quickbooks_auth_spec()

    @hookimpl
    def sfsync_sandbox(self) -> Any:
        from sfsync_quickbooks.sandbox import QuickbooksSandbox

        # Time runs 20x: QuickBooks' 10 calls a second and one-hour tokens pass quickly in the
        # contract suite and the demo, on the clock the sandbox and the core share.
        return QuickbooksSandbox(time_scale=20)

    # --- shared reads -------------------------------------------------------------------------

    async def _info(self, ctx: ConnectorContext) -> dict[str, Any]:
        cache = _cache(ctx)
        if "info" not in cache:
            cache["info"] = await QuickbooksClient(ctx, _realm(ctx)).company_info()
        info: dict[str, Any] = cache["info"]
        return info

    async def _prefs(self, ctx: ConnectorContext) -> dict[str, Any]:
        cache = _cache(ctx)
        if "prefs" not in cache:
            cache["prefs"] = await QuickbooksClient(ctx, _realm(ctx)).preferences()
        prefs: dict[str, Any] = cache["prefs"]
        return prefs

    async def _accounts(self, ctx: ConnectorContext) -> list[dict[str, Any]]:
        cache = _cache(ctx)
        if "accounts" not in cache:
            # Inactive accounts too: their history stays in the ledger.
            cache["accounts"] = await QuickbooksClient(ctx, _realm(ctx)).query_all(
                "SELECT * FROM Account WHERE Active IN (true, false)"
            )
        accounts: list[dict[str, Any]] = cache["accounts"]
        return accounts

    async def _codes(self, ctx: ConnectorContext) -> dict[str, str]:
        return {str(a["Id"]): _code(a) for a in await self._accounts(ctx)}

    async def _home_currency(self, ctx: ConnectorContext) -> str:
        prefs = await self._prefs(ctx)
        home = ((prefs.get("CurrencyPrefs") or {}).get("HomeCurrency") or {}).get("value")
        return str(home or "EUR")

    async def _close_date(self, ctx: ConnectorContext) -> dt.date | None:
        raw = ((await self._prefs(ctx)).get("AccountingInfoPrefs") or {}).get("BookCloseDate")
        return dt.date.fromisoformat(str(raw)) if raw else None

    # --- hooks --------------------------------------------------------------------------------

    @hookimpl
    async def sfsync_check_connection(self, ctx: ConnectorContext) -> None:
        realm = _realm(ctx)
        info = await QuickbooksClient(ctx, realm).company_info()
        ctx.state["realm"] = realm
        ctx.state["company_name"] = str(info.get("CompanyName") or realm)
        await ctx.save_state()

    @hookimpl
    async def sfsync_list_companies(self, ctx: ConnectorContext) -> list[Company]:
        # One login sees one company: the realm picked at sign-in.
        info = await self._info(ctx)
        realm = _realm(ctx)
        return [Company(ref=realm, code=realm, name=str(info.get("CompanyName") or realm),
                        country=info.get("Country"), vat_number=info.get("EmployerId"),
                        currency=await self._home_currency(ctx))]

    @hookimpl
    async def sfsync_fetch_company_details(self, ctx: ConnectorContext, company: Company) -> CompanyDetails:
        _check_company(ctx, company)
        info = await self._info(ctx)
        address = info.get("LegalAddr") or info.get("CompanyAddr") or {}
        return CompanyDetails(
            name=str(info.get("LegalName") or info.get("CompanyName") or company.name),
            vat_number=info.get("EmployerId"),
            street=address.get("Line1"),
            postal_code=address.get("PostalCode"),
            city=address.get("City"),
            country=address.get("Country") or info.get("Country"),
            email=(info.get("Email") or {}).get("Address"),
            phone=(info.get("PrimaryPhone") or {}).get("FreeFormNumber"),
        )

    async def _calendar(self, ctx: ConnectorContext) -> tuple[int, dt.date | None]:
        """The fiscal year's start month (CompanyInfo's, the authority) and the company's start date.

        Preferences are read every night anyway (the books' close date). Their
        ``FirstMonthOfFiscalYear`` is the same setting as CompanyInfo's ``FiscalYearStartMonth``,
        so it serves as the change signal: CompanyInfo is asked again only when it moved (or
        Preferences do not carry it), and an unchanged night costs the fiscal years one request.
        """
        prefs_month = ((await self._prefs(ctx)).get("AccountingInfoPrefs") or {}).get("FirstMonthOfFiscalYear")
        kept = ctx.state.get("fiscal_calendar")
        if prefs_month and isinstance(kept, dict) and kept.get("signal") == prefs_month:
            started = kept.get("started")
            return int(kept["month"]), dt.date.fromisoformat(started) if started else None
        info = await self._info(ctx)
        month = month_number(info.get("FiscalYearStartMonth"), where="CompanyInfo.FiscalYearStartMonth")
        if prefs_month and month_number(prefs_month, where="FirstMonthOfFiscalYear") != month:
            ctx.warn(f"QuickBooks' CompanyInfo starts the fiscal year in {info.get('FiscalYearStartMonth')} "
                     f"but its Preferences in {prefs_month}; CompanyInfo is used")
        started = dt.date.fromisoformat(str(info["CompanyStartDate"])) if info.get("CompanyStartDate") else None
        ctx.state["fiscal_calendar"] = {"signal": prefs_month, "month": month,
                                        "started": started.isoformat() if started else None}
        await ctx.save_state()
        return month, started

    @hookimpl
    async def sfsync_fetch_fiscal_years(self, ctx: ConnectorContext, company: Company) -> list[FiscalYear]:
        client = _check_company(ctx, company)
        start_month, started_on = await self._calendar(ctx)
        today = ctx.clock.now().date()
        started = started_on or today
        if "first" not in ctx.state:
            # Postings may be dated before the start date (conversion balances): look for them once.
            first = year_start(started, start_month)
            codes = await self._codes(ctx)
            for _ in range(PROBE_YEARS):
                before = first - dt.timedelta(days=1)
                report = await client.report("TrialBalance", {"start_date": before.isoformat(), "end_date": before.isoformat()})
                if not parse_trial_balance(report, before, codes).amounts:
                    break
                first = year_start(before, start_month)
            ctx.state["first"] = first.isoformat()
            await ctx.save_state()
        first = min(dt.date.fromisoformat(ctx.state["first"]), started)
        return fiscal_years_between(first, today, start_month, closed_until=await self._close_date(ctx))

    @hookimpl
    async def sfsync_fetch_accounts(self, ctx: ConnectorContext, company: Company) -> list[Account]:
        _check_company(ctx, company)
        accounts, seen = [], set()
        for item in await self._accounts(ctx):
            code = _code(item)
            if code in seen:
                raise MalformedResponse(f"QuickBooks lists account number {code} twice")
            seen.add(code)
            accounts.append(Account(code=code, name=str(item.get("Name") or ""),
                                    kind=KINDS.get(str(item.get("Classification")), AccountKind.UNKNOWN),
                                    ref=str(item["Id"])))
        return accounts

    # --- changes ------------------------------------------------------------------------------

    async def _changes(self, ctx: ConnectorContext, client: QuickbooksClient, stamp: dt.datetime) -> (
            tuple[dict[str, dt.date | None], bool] | None):
        """What CDC says changed since ``stamp``: entry id -> its date (``None`` when deleted),
        and whether the answer was full. ``None`` when the look-back is past."""
        if ctx.clock.now() - stamp > CDC_LOOKBACK - CDC_MARGIN:
            return None
        answer = await client.cdc(TRACKED_ENTITIES, stamp)
        changed: dict[str, dt.date | None] = {}
        total = 0
        for entity, items in answer.items():
            for item in items:
                total += 1
                key = entry_id(entity, str(item["Id"]))
                if item.get("status") == "Deleted":
                    changed[key] = None
                else:
                    changed[key] = dt.date.fromisoformat(str(item["TxnDate"]))
        return changed, total >= CDC_MAX_OBJECTS

    # --- the ledger ---------------------------------------------------------------------------

    @hookimpl
    async def sfsync_fetch_ledger(
        self,
        ctx: ConnectorContext,
        company: Company,
        since: dt.date | None,
        cursor: str | None,
        fiscal_years: list[FiscalYear],
    ) -> AsyncIterator[LedgerBatch]:
        client = _check_company(ctx, company)
        codes = await self._codes(ctx)
        home = await self._home_currency(ctx)
        position: dict[str, Any] = json.loads(cursor) if cursor else {}
        years = sorted(fiscal_years, key=lambda y: y.start)
        today = ctx.clock.now().date()
        if not years:
            return
        windows: list[list[str]] = position.get("windows") or []
        stamp = dt.datetime.fromisoformat(position["stamp"]) if position.get("stamp") else None
        clear = bool(position.get("clear"))
        if stamp is None:
            # A first read: stamped before it starts, so CDC later sees what changes meanwhile.
            stamp = ctx.clock.now() - STAMP_SLACK
            start = max(years[0].start, since) if since else years[0].start
            windows = [[a.isoformat(), b.isoformat()] for a, b in report_windows(start, min(years[-1].end, today))]
            clear = False
        elif not windows:
            began = ctx.clock.now() - STAMP_SLACK
            changes = await self._changes(ctx, client, stamp)
            if changes is None or changes[1]:
                open_years = [y for y in years if not y.closed] or years[-1:]
                why = ("the last sync is older than QuickBooks' 30-day change look-back" if changes is None
                       else "more than 1,000 objects changed since the last sync")
                ctx.warn(f"{why}: the open fiscal years from {open_years[0].start} are read again in full")
                windows = [[a.isoformat(), b.isoformat()]
                           for a, b in report_windows(open_years[0].start, min(open_years[-1].end, today))]
                clear, stamp = True, began
            else:
                changed = changes[0]
                dates = sorted({d for d in changed.values() if d is not None})
                records: list[dict[str, Any]] = []
                for a, b in self._spans(dates):
                    report = await client.report("GeneralLedger", self._gl_params(a, b))
                    records.extend(ledger_records(report, years, codes, home, only=set(changed)))
                # Lines dated before a since link's date are passed on, not dropped: the runner
                # keeps none of them, and their coming is what refreshes the opening balances.
                yield LedgerBatch(
                    lines=LedgerColumns.from_records(records),
                    deleted_entries=sorted(changed),
                    cursor=json.dumps({"stamp": began.isoformat()}),
                )
                return
        while windows:
            a, b = (dt.date.fromisoformat(d) for d in windows[0])
            report = await client.report("GeneralLedger", self._gl_params(a, b))
            lines = LedgerColumns.from_records(ledger_records(report, years, codes, home))
            windows = windows[1:]
            state: dict[str, Any] = {"stamp": stamp.isoformat()}
            if windows:
                state.update(windows=windows, clear=clear)
            yield LedgerBatch(lines=lines, clear=(a, b) if clear else None, cursor=json.dumps(state))

    @staticmethod
    def _gl_params(start: dt.date, end: dt.date) -> dict[str, str]:
        return {"start_date": start.isoformat(), "end_date": end.isoformat(), "columns": ",".join(COLUMNS),
                "sort_by": "tx_date"}

    @staticmethod
    def _spans(dates: list[dt.date]) -> list[tuple[dt.date, dt.date]]:
        """Report ranges covering ``dates``: one per run of dates less than six months apart."""
        spans: list[tuple[dt.date, dt.date]] = []
        for day in dates:
            if spans and (day - spans[-1][0]).days < 180:
                spans[-1] = (spans[-1][0], day)
            else:
                spans.append((day, day))
        return spans

    # --- trial balances -----------------------------------------------------------------------

    async def _balances(self, ctx: ConnectorContext, client: QuickbooksClient, day: dt.date) -> Balances:
        report = await client.report("TrialBalance", {"start_date": day.isoformat(), "end_date": day.isoformat()})
        return parse_trial_balance(report, day, await self._codes(ctx))

    async def _kinds(self, ctx: ConnectorContext) -> tuple[set[str], str | None]:
        accounts = await self._accounts(ctx)
        profit_loss = {_code(a) for a in accounts if KINDS.get(str(a.get("Classification"))) is AccountKind.PROFIT_LOSS}
        retained = next((_code(a) for a in accounts if a.get("AccountSubType") == "RetainedEarnings"), None)
        return profit_loss, retained

    @hookimpl
    async def sfsync_fetch_trial_balance(
        self,
        ctx: ConnectorContext,
        company: Company,
        fiscal_years: list[FiscalYear],
        cursor: str | None,
    ) -> AsyncIterator[TrialBalanceBatch]:
        client = _check_company(ctx, company)
        position: dict[str, Any] = json.loads(cursor) if cursor else {}
        today = ctx.clock.now().date()
        periods = [(year, period) for year in sorted(fiscal_years, key=lambda y: y.start)
                   for period in year.periods if period.start <= today]
        if not periods:
            return
        stamp = dt.datetime.fromisoformat(position["stamp"]) if position.get("stamp") else None
        after = dt.date.fromisoformat(position["after"]) if position.get("after") else None
        began = ctx.clock.now() - STAMP_SLACK
        if stamp is not None and after is None:
            changes = await self._changes(ctx, client, stamp)
            if changes is not None and not changes[1] and not changes[0]:
                yield TrialBalanceBatch(cursor=json.dumps({"stamp": began.isoformat()}))
                return
            close = await self._close_date(ctx)
            if changes is None or changes[1] or None in changes[0].values():
                # A deletion names no date: every open period is read again.
                first = next((p.start for y, p in periods if close is None or p.end > close), periods[-1][1].start)
                if changes is None or changes[1]:
                    ctx.warn("the last sync is older than QuickBooks' 30-day change look-back or too much "
                             "changed: every open period's trial balance is read again")
            else:
                first = min(d for d in changes[0].values() if d is not None)
            after = first - dt.timedelta(days=1)
            stamp = began
        elif stamp is None:
            stamp = began
        profit_loss, retained = await self._kinds(ctx)
        previous: Balances | None = None
        for year, period in periods:
            if after is not None and period.end <= after:
                continue
            if previous is None or previous.end != period.start - dt.timedelta(days=1):
                previous = await self._balances(ctx, client, period.start - dt.timedelta(days=1))
            closing = await self._balances(ctx, client, min(period.end, today) if period.end > today else period.end)
            if period.start == year.start:
                opening = opening_of_year(previous, profit_loss, retained)
            else:
                opening = {k: v for k, v in previous.amounts.items() if v}
            lines = period_lines(period, year, opening, closing)
            previous = Balances(period.end, closing.amounts, closing.totals)
            last = (year, period) == periods[-1]
            state = {"stamp": stamp.isoformat()} if last else {"stamp": stamp.isoformat(), "after": period.end.isoformat()}
            yield TrialBalanceBatch(lines=lines, clear=(period.start, period.end), cursor=json.dumps(state),
                                    warnings=closing.warnings())

    @hookimpl
    async def sfsync_fetch_opening_balances(
        self, ctx: ConnectorContext, company: Company, at: dt.date
    ) -> list[OpeningBalance]:
        """Balance-sheet balances on ``at`` from the TrialBalance report of the day before, with
        earlier years' result in Retained Earnings."""
        client = _check_company(ctx, company)
        profit_loss, retained = await self._kinds(ctx)
        before = await self._balances(ctx, client, at - dt.timedelta(days=1))
        return [OpeningBalance(account=code, date=at, amount=amount)
                for code, amount in sorted(opening_of_year(before, profit_loss, retained).items())]


quickbooks = QuickbooksConnector()


"""The two connectors: ``xero`` (journal lines) and ``xerotb`` (trial balances per period)."""

from __future__ import annotations

import datetime as dt
import json
import weakref
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

from sfsync.context import ConnectorContext
from sfsync.errors import AuthError, MalformedResponse
from sfsync.hookspecs import hookimpl
from sfsync.http.pagination import check_next_token
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

from sfsync_xero.auth import LEDGER_SCOPES, TRIAL_BALANCE_SCOPES, XeroOAuth2Spec, xero_auth_spec
from sfsync_xero.client import JOURNALS_PAGE, XeroClient, XeroUnauthorized
from sfsync_xero.dates import parse_msdate, parse_msdate_day
from sfsync_xero.fiscal import fiscal_years_between
from sfsync_xero.journals import signatures, to_records
from sfsync_xero.ratelimits import RATE_LIMITS
from sfsync_xero.reports import (
    TrialBalanceReport,
    calendar_month,
    lines_for_period,
    parse_trial_balance,
)

KINDS = {
    "ASSET": AccountKind.BALANCE_SHEET,
    "LIABILITY": AccountKind.BALANCE_SHEET,
    "EQUITY": AccountKind.BALANCE_SHEET,
    "REVENUE": AccountKind.PROFIT_LOSS,
    "EXPENSE": AccountKind.PROFIT_LOSS,
}

# What one run already read, so the hooks of a run do not ask Xero twice.
_run_cache: weakref.WeakKeyDictionary[ConnectorContext, dict[str, Any]] = weakref.WeakKeyDictionary()


def _cache(ctx: ConnectorContext, tenant: str) -> dict[str, Any]:
    cache: dict[str, Any] = _run_cache.setdefault(ctx, {}).setdefault(tenant, {})
    return cache


def _tenant_state(ctx: ConnectorContext, tenant: str) -> dict[str, Any]:
    tenants: dict[str, dict[str, Any]] = ctx.state.setdefault("tenants", {})
    return tenants.setdefault(tenant, {})


def _date_or_none(value: Any) -> dt.date | None:
    return parse_msdate_day(str(value)) if value else None


def _original(candidates: list[list[Any]], number: int) -> str | None:
    """The journal a reversal numbered ``number`` undoes: the latest one with that mirror
    signature posted before it."""
    before = [entry for entry in candidates if int(entry[0]) < number]
    return str(max(before, key=lambda entry: int(entry[0]))[1]) if before else None


class _XeroBase:
    name: str
    scopes: tuple[str, ...]

    @hookimpl
    def sfsync_auth(self) -> XeroOAuth2Spec:
        return xero_auth_spec(self.scopes)

    @hookimpl
    def sfsync_sandbox(self) -> Any:
        from sfsync_xero.sandbox import XeroSandbox

        return XeroSandbox(connector=self.name)

    # --- shared reads ---------------------------------------------------------------------------

    async def _organisation(self, ctx: ConnectorContext, tenant: str) -> dict[str, Any]:
        cache = _cache(ctx, tenant)
        if "organisation" not in cache:
            cache["organisation"] = await XeroClient(ctx, tenant).organisation()
        org: dict[str, Any] = cache["organisation"]
        return org

    async def _accounts(self, ctx: ConnectorContext, tenant: str) -> list[dict[str, Any]]:
        cache = _cache(ctx, tenant)
        if "accounts" not in cache:
            cache["accounts"] = await XeroClient(ctx, tenant).accounts()
        accounts: list[dict[str, Any]] = cache["accounts"]
        return accounts

    async def _probe_first(self, ctx: ConnectorContext, tenant: str, org: dict[str, Any]) -> list[dt.date]:
        """Dates to start the fiscal years from, on a first sync (overridden per connector)."""
        return []

    # --- hooks ----------------------------------------------------------------------------------

    @hookimpl
    async def sfsync_check_connection(self, ctx: ConnectorContext) -> None:
        organisations = [
            c for c in await XeroClient(ctx).connections() if c.get("tenantType") == "ORGANISATION"
        ]
        if not organisations:
            raise AuthError(
                "the Xero login connected no organisation; log in again and tick the dossier's "
                "organisation on Xero's consent page"
            )
        ctx.state["connected"] = sorted(str(c["tenantId"]) for c in organisations)
        await ctx.save_state()

    @hookimpl
    async def sfsync_list_companies(self, ctx: ConnectorContext) -> list[Company]:
        # One call: the name is on the connection; currency and country come with the details.
        return [
            Company(
                ref=str(connection["tenantId"]),
                name=str(connection.get("tenantName") or connection["tenantId"]),
                extra={"connection_id": str(connection.get("id", ""))},
            )
            for connection in await XeroClient(ctx).connections()
            # Practices and other tenants serve no Accounting API.
            if connection.get("tenantType") == "ORGANISATION"
        ]

    @hookimpl
    async def sfsync_fetch_company_details(self, ctx: ConnectorContext, company: Company) -> CompanyDetails:
        org = await self._organisation(ctx, company.ref)
        addresses = org.get("Addresses") or []
        street = next((a for a in addresses if a.get("AddressType") == "STREET"), None) or (
            addresses[0] if addresses else {}
        )
        phones = org.get("Phones") or []
        try:
            year_end: str | None = f"{int(org['FinancialYearEndMonth']):02d}-{int(org['FinancialYearEndDay']):02d}"
        except (KeyError, TypeError, ValueError):
            year_end = None
        return CompanyDetails(
            name=str(org.get("LegalName") or org.get("Name") or company.name),
            vat_number=org.get("TaxNumber"),
            enterprise_number=org.get("RegistrationNumber") or None,
            fiscal_year_end=year_end,
            legal_form=org.get("OrganisationEntityType"),
            street=street.get("AddressLine1"),
            postal_code=street.get("PostalCode"),
            city=street.get("City"),
            country=org.get("CountryCode"),
            phone=phones[0].get("PhoneNumber") if phones else None,
        )

    @hookimpl
    async def sfsync_fetch_fiscal_years(self, ctx: ConnectorContext, company: Company) -> list[FiscalYear]:
        org = await self._organisation(ctx, company.ref)
        try:
            end_day = int(org["FinancialYearEndDay"])
            end_month = int(org["FinancialYearEndMonth"])
        except (KeyError, TypeError, ValueError) as exc:
            raise MalformedResponse("Xero's organisation has no financial year end") from exc
        today = ctx.clock.now().date()
        created = parse_msdate(str(org["CreatedDateUTC"])).date() if org.get("CreatedDateUTC") else today
        state = _tenant_state(ctx, company.ref)
        if "min" not in state:
            dates = await self._probe_first(ctx, company.ref, org)
            state["min"] = min([created, *dates]).isoformat()
            state["max"] = max([today, *dates]).isoformat()
            await ctx.save_state()
        first = min(created, dt.date.fromisoformat(state["min"]))
        last = max(today, dt.date.fromisoformat(state["max"]))
        return fiscal_years_between(
            first, last, end_day, end_month, closed_until=_date_or_none(org.get("EndOfYearLockDate"))
        )

    @hookimpl
    async def sfsync_fetch_accounts(self, ctx: ConnectorContext, company: Company) -> list[Account]:
        accounts = []
        codes: set[str] = set()
        for item in await self._accounts(ctx, company.ref):
            code = str(item.get("Code") or "").strip() or str(item["AccountID"])
            if code in codes:
                raise MalformedResponse(f"Xero lists account code {code} twice")
            codes.add(code)
            accounts.append(
                Account(
                    code=code,
                    name=str(item.get("Name") or ""),
                    kind=KINDS.get(str(item.get("Class")), AccountKind.UNKNOWN),
                    ref=str(item["AccountID"]),
                )
            )
        return accounts


class XeroConnector(_XeroBase):
    """``xero``: every journal line, from ``GET /Journals`` paged by JournalNumber."""

    name = "xero"
    scopes = LEDGER_SCOPES

    @hookimpl
    def sfsync_connector_info(self) -> ConnectorInfo:
        return ConnectorInfo(
            name=self.name,
            title="Xero",
            package="Xero",
            description=(
                "Every journal line of a Xero organisation (Accounting API /Journals). Each dossier "
                "logs in to Xero itself. Needs an app on Xero's Advanced tier; otherwise use xerotb."
            ),
            granularities=(Granularity.TRANSACTIONS,),
            default_granularity=Granularity.TRANSACTIONS,
            # Organisation, then one page of journals past the offset (measured by the suite).
            unchanged_night_requests={Granularity.TRANSACTIONS: 3},
            rate_limits=RATE_LIMITS,
            known_limits=(
                "Xero's journals leave out foreign-currency revaluations: for dossiers with "
                "foreign currencies the balances differ from Xero's reports; use xerotb there.",
                "/Journals is only available to apps on Xero's Advanced tier (since March 2026).",
                "Fiscal years are derived from the current financial year end; a changed year end "
                "is not known to the API.",
            ),
            docs_url="https://developer.xero.com/documentation/api/accounting/journals",
        )

    async def _probe_first(self, ctx: ConnectorContext, tenant: str, org: dict[str, Any]) -> list[dt.date]:
        # The oldest journals (conversion balances) come first; this also meets a tier refusal
        # before anything is written.
        journals = await XeroClient(ctx, tenant).journals(0)
        return [parse_msdate_day(str(j["JournalDate"])) for j in journals if j.get("JournalDate")]

    @hookimpl
    async def sfsync_check_connection(self, ctx: ConnectorContext) -> None:
        await super().sfsync_check_connection(ctx)
        # A link on a tier without /Journals fails now, saying to use xerotb; what the first page
        # says of the oldest dates saves the first sync that call.
        tenant = ctx.state["connected"][0]
        journals = await XeroClient(ctx, tenant).journals(0)
        dates = [parse_msdate_day(str(j["JournalDate"])) for j in journals if j.get("JournalDate")]
        if dates:
            _tenant_state(ctx, tenant).update(min=min(dates).isoformat(), max=max(dates).isoformat())
            await ctx.save_state()

    @hookimpl
    async def sfsync_fetch_accounts(self, ctx: ConnectorContext, company: Company) -> list[Account]:
        accounts = await super().sfsync_fetch_accounts(ctx, company)
        org = await self._organisation(ctx, company.ref)
        base = org.get("BaseCurrency")
        foreign = sorted(
            {str(a["CurrencyCode"]) for a in await self._accounts(ctx, company.ref)
             if a.get("CurrencyCode") and a.get("CurrencyCode") != base}
        )
        if foreign:
            ctx.warn(
                f"this organisation books in {', '.join(foreign)} besides {base}: Xero's journals "
                "leave out currency revaluations, so balances can differ from Xero's reports; "
                "the xerotb connector (trial balances) brings them"
            )
        return accounts

    @hookimpl
    async def sfsync_fetch_ledger(
        self,
        ctx: ConnectorContext,
        company: Company,
        since: dt.date | None,
        cursor: str | None,
        fiscal_years: list[FiscalYear],
    ) -> AsyncIterator[LedgerBatch]:
        client = XeroClient(ctx, company.ref)
        position: dict[str, Any] = json.loads(cursor) if cursor else {"offset": 0}
        offset = int(position.get("offset", 0))
        modified = dt.datetime.fromisoformat(position["created"]) if position.get("created") else None
        after = None if cursor else since
        state = _tenant_state(ctx, company.ref)
        # signature -> [[JournalNumber, JournalID], ...]: kept by number, never removed, so that
        # reading the same journals again after a crash finds the same originals.
        seen_signatures: dict[str, list[list[Any]]] = state.setdefault("signatures", {})
        seen: set[str] = set()
        while True:
            # Journals created since the newest one seen, with a second's slack: offset alone
            # already excludes what we have.
            since_stamp = modified - dt.timedelta(seconds=1) if modified else None
            journals = await client.journals(offset, if_modified_since=since_stamp)
            # One record per journal line; the page is validated as columns at once.
            records: list[dict[str, Any]] = []
            deleted: list[str] = []
            newest = offset
            for journal in sorted(journals, key=lambda j: int(j["JournalNumber"])):
                number = int(journal["JournalNumber"])
                if number <= offset:
                    raise MalformedResponse(f"Xero returned journal {number} for offset {offset}")
                newest = max(newest, number)
                created = journal.get("CreatedDateUTC")
                stamp = None
                if created:
                    stamp = parse_msdate(str(created))
                    modified = stamp if modified is None else max(modified, stamp)
                own, mirror = signatures(journal)
                reversed_id = _original(seen_signatures.get(mirror or "", []), number)
                if reversed_id and reversed_id != journal.get("JournalID"):
                    # A void, delete or edit: the original goes, and so does this reversal.
                    deleted.append(reversed_id)
                    records = [record for record in records if record["entry"] != reversed_id]
                    continue
                if own:
                    known = seen_signatures.setdefault(own, [])
                    if all(entry[0] != number for entry in known):
                        known.append([number, str(journal["JournalID"])])
                day = parse_msdate_day(str(journal["JournalDate"]))
                self._widen(state, day)
                if after is not None and day < after:
                    continue
                records.extend(to_records(journal, fiscal_years, parsed=(day, stamp)))
            # Validated before anything else is checked or saved, as each line was when mapped.
            lines = LedgerColumns.from_records(records)
            if journals:
                check_next_token(str(offset), str(newest), seen=seen)
            offset = newest
            next_cursor = json.dumps(
                {"offset": offset, "created": modified.isoformat() if modified else None}
            )
            # Saved before the batch is handed over: recognising a reversal later needs it, and
            # reading the same journals again after a crash writes the same signatures.
            await ctx.save_state()
            yield LedgerBatch(lines=lines, deleted_entries=deleted, cursor=next_cursor)
            if len(journals) < JOURNALS_PAGE:
                return

    @hookimpl
    async def sfsync_fetch_opening_balances(
        self, ctx: ConnectorContext, company: Company, at: dt.date
    ) -> list[OpeningBalance]:
        """Balance-sheet balances the day before ``at`` from the Trial Balance report, with the
        result of earlier years in retained earnings (Xero posts no journal for that)."""
        try:
            raw = await XeroClient(ctx, company.ref).trial_balance(at - dt.timedelta(days=1))
        except XeroUnauthorized:
            ctx.warn(
                "Xero refused the trial balance (the login predates the trial-balance scope): "
                f"balance-sheet accounts start at zero on {at}; log in again to bring them"
            )
            return []
        report = parse_trial_balance(raw)
        accounts = await self._accounts(ctx, company.ref)
        codes = {str(a["AccountID"]): str(a.get("Code") or "").strip() or str(a["AccountID"]) for a in accounts}
        retained = next(
            (codes[str(a["AccountID"])] for a in accounts if a.get("SystemAccount") == "RETAINEDEARNINGS"), None
        )
        amounts: dict[str, Decimal] = {}
        rollover = Decimal(0)
        for row in report.rows:
            if row.profit_loss:
                rollover += row.ytd
                continue
            code = codes.get(row.account_id or "") or row.code
            if code is None:
                raise MalformedResponse(f"trial-balance row {row.label[:60]!r} names no known account")
            amounts[code] = amounts.get(code, Decimal(0)) + row.ytd
        if retained is not None and rollover:
            amounts[retained] = amounts.get(retained, Decimal(0)) + rollover
        return [OpeningBalance(account=code, date=at, amount=amount) for code, amount in amounts.items() if amount]

    @staticmethod
    def _widen(state: dict[str, Any], day: dt.date) -> None:
        iso = day.isoformat()
        if "min" in state and iso < state["min"]:
            state["min"] = iso
        if "max" in state and iso > state["max"]:
            state["max"] = iso


class XeroTBConnector(_XeroBase):
    """``xerotb``: trial-balance totals per account and month from ``/Reports/TrialBalance``."""

    name = "xerotb"
    scopes = TRIAL_BALANCE_SCOPES

    @hookimpl
    def sfsync_connector_info(self) -> ConnectorInfo:
        return ConnectorInfo(
            name=self.name,
            title="Xero (trial balances)",
            package="Xero",
            description=(
                "Trial-balance totals per account and period from Xero's Trial Balance report, "
                "currency revaluations included. Advised for dossiers with foreign currencies, and "
                "the mode that works for apps below Xero's Advanced tier."
            ),
            granularities=(Granularity.TRIAL_BALANCE,),
            default_granularity=Granularity.TRIAL_BALANCE,
            # Measured against the sandbox by the contract suite's unchanged second sync.
            unchanged_night_requests={Granularity.TRIAL_BALANCE: 5},
            rate_limits=RATE_LIMITS,
            known_limits=(
                "Xero's reports have no change tracking, and without /Journals (Advanced tier only "
                "since March 2026) no other call says whether a period moved: every open period (after "
                "the lock date) is read again on each sync, one Trial Balance request per open period "
                "(3 requests and 42 lines a night for the sandbox's demo organisation).",
                "Year-to-date figures follow Xero's own financial year; a dossier with other "
                "fiscal years gets wrong period figures.",
            ),
            docs_url="https://developer.xero.com/documentation/api/accounting/reports",
        )

    async def _probe_first(self, ctx: ConnectorContext, tenant: str, org: dict[str, Any]) -> list[dt.date]:
        # Conversion balances sit at the end of the year before the organisation was created.
        created = parse_msdate(str(org["CreatedDateUTC"])).date() if org.get("CreatedDateUTC") else None
        if created is None:
            return []
        year = fiscal_years_between(
            created, created, int(org["FinancialYearEndDay"]), int(org["FinancialYearEndMonth"])
        )[0]
        before = year.start - dt.timedelta(days=1)
        report = parse_trial_balance(await XeroClient(ctx, tenant).trial_balance(before))
        # Without conversion balances, the year the organisation started in Xero is read whole:
        # its first months are often booked after the organisation was created.
        return [before] if report.rows else [year.start]

    @hookimpl
    async def sfsync_fetch_trial_balance(
        self,
        ctx: ConnectorContext,
        company: Company,
        fiscal_years: list[FiscalYear],
        cursor: str | None,
    ) -> AsyncIterator[TrialBalanceBatch]:
        client = XeroClient(ctx, company.ref)
        org = await self._organisation(ctx, company.ref)
        lock = _date_or_none(org.get("PeriodLockDate"))
        accounts = await self._accounts(ctx, company.ref)
        codes = {str(a["AccountID"]): str(a.get("Code") or "").strip() or str(a["AccountID"]) for a in accounts}
        retained = next(
            (codes[str(a["AccountID"])] for a in accounts if a.get("SystemAccount") == "RETAINEDEARNINGS"), None
        )
        closed: set[str] = set(json.loads(cursor).get("closed", [])) if cursor else set()
        today = ctx.clock.now().date()
        # Nothing is booked before the conversion balances: those reports would be empty.
        first_data = _tenant_state(ctx, company.ref).get("min")
        previous: tuple[dt.date, TrialBalanceReport] | None = None
        for year in sorted(fiscal_years, key=lambda y: y.start):
            for period in year.periods:
                if period.start > today:
                    break
                if period.end.isoformat() in closed or (first_data and period.end.isoformat() < first_data):
                    continue
                report = parse_trial_balance(await client.trial_balance(period.end))
                prior = None
                if not calendar_month(period):
                    day_before = period.start - dt.timedelta(days=1)
                    if previous is not None and previous[0] == day_before:
                        prior = previous[1]
                    else:
                        prior = parse_trial_balance(await client.trial_balance(day_before))
                lines = lines_for_period(report, period, year, codes, previous=prior, retained=retained)
                previous = (period.end, report)
                # A period up to the lock date cannot change any more: never read again.
                if lock is not None and period.end <= lock and period.end < today:
                    closed.add(period.end.isoformat())
                yield TrialBalanceBatch(
                    lines=lines,
                    clear=(period.start, period.end),
                    cursor=json.dumps({"closed": sorted(closed)}),
                    warnings=report.warnings(period.end),
                )


xero = XeroConnector()
xerotb = XeroTBConnector()

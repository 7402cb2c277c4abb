"""The ``economic`` connector: e-conomic (Visma), legacy REST API (restapi.e-conomic.com), one
agreement per dossier approval. Ledger lines from the accounting years' entries, trial balances
from their period totals; what changed is found from the totals and the entry numbers (see
:mod:`.changes`), as e-conomic's entries have no modified-since filter.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import weakref
from collections.abc import AsyncIterator
from decimal import Decimal
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
    Period,
    SyncMode,
    TrialBalanceBatch,
    TrialBalanceLine,
)

from sfsync_economic.auth import EconomicGrantSpec, economic_auth_spec
from sfsync_economic.changes import Totals, YearState, add_up, digest, plus
from sfsync_economic.client import EconomicClient, year_path
from sfsync_economic.filters import predicate
from sfsync_economic.ratelimits import RATE_LIMITS

CONNECTOR = "economic"
KINDS = {"status": AccountKind.BALANCE_SHEET, "profitAndLoss": AccountKind.PROFIT_LOSS}
"""Only these account types take entries; headings, totals and sums are not accounts to sync."""
RESULT_NAME = re.compile(r"result", re.IGNORECASE)
"""UNVERIFIED: the equity account the earlier years' result is carried to is the status account
whose name says so (Overgedragen resultaat, Overført resultat): e-conomic's API names none."""
COUNTRIES = {"belgium": "BE", "belgië": "BE", "belgique": "BE", "netherlands": "NL", "nederland": "NL",
             "denmark": "DK", "danmark": "DK", "sweden": "SE", "sverige": "SE", "norway": "NO", "norge": "NO",
             "germany": "DE", "deutschland": "DE", "france": "FR", "luxembourg": "LU"}
UNCHANGED_NIGHT = 3
"""One totals call per accounting year (three in the sandbox): the years list, the chart and the
company details are kept with the connection (see :data:`RECHECK`)."""
RECHECK = dt.timedelta(days=7)
"""The years list, the chart and the company details are read again at least this often, and the
first two whenever a year's totals moved (new accounts and new years come with entries)."""

_run_cache: weakref.WeakKeyDictionary[ConnectorContext, dict[str, Any]] = weakref.WeakKeyDictionary()


def _cache(ctx: ConnectorContext) -> dict[str, Any]:
    return _run_cache.setdefault(ctx, {})


def _in_range(ctx: ConnectorContext, years: list[FiscalYear]) -> list[FiscalYear]:
    """The years a link syncs: from its *since* date on (all of them for *replace*)."""
    link = ctx.link
    since = link.since if link is not None and link.mode is SyncMode.SINCE else None
    return [y for y in years if since is None or y.end >= since]


def _due(ctx: ConnectorContext, key: str) -> bool:
    """Whether what ``key`` stamps must be read again: outside a run (linking), or when older
    than :data:`RECHECK`."""
    checked = ctx.state.get(key)
    if ctx.link is None or not checked:
        return True
    return ctx.clock.now().date() - dt.date.fromisoformat(str(checked)) >= RECHECK


def _day(raw: Any, where: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(raw))
    except ValueError:
        raise MalformedResponse(f"e-conomic's {where} is not a date: {str(raw)[:20]!r}") from None


def _money(raw: Any, where: str) -> Decimal:
    if isinstance(raw, float) or raw is None or isinstance(raw, bool):
        raise MalformedResponse(f"e-conomic's {where} is not an amount: {raw!r}")
    return Decimal(str(raw))


def _totals(items: list[dict[str, Any]]) -> Totals:
    return add_up((str(i["account"]["accountNumber"]), _money(i.get("totalInBaseCurrency"), "totalInBaseCurrency"))
                  for i in items)


def _period_of(year: FiscalYear, day: dt.date) -> int | None:
    return next((p.number for p in year.periods if p.start <= day <= p.end), None)


def _record(item: dict[str, Any], year: FiscalYear, base: str) -> dict[str, Any]:
    day = _day(item.get("date"), "entry date")
    amount = _money(item.get("amountInBaseCurrency"), "amountInBaseCurrency")
    record: dict[str, Any] = {
        "id": str(item["entryNumber"]), "entry": f"{year.label}/{item.get('voucherNumber')}",
        "journal": item.get("entryType"), "date": day, "period": _period_of(year, day), "fiscal_year": year.label,
        "account": str(item["account"]["accountNumber"]), "description": str(item.get("text") or ""),
        "amount": amount,
    }
    currency = item.get("currency")
    if currency and currency != base:
        record.update(currency=str(currency), foreign_amount=_money(item.get("amount"), "amount"))
    return record


def _result_account(accounts: list[Account]) -> str | None:
    return next((a.code for a in accounts if a.kind is AccountKind.BALANCE_SHEET and RESULT_NAME.search(a.name)), None)


class EconomicConnector:
    """e-conomic, as sfsync sees it."""

    name = CONNECTOR

    @hookimpl
    def sfsync_connector_info(self) -> ConnectorInfo:
        from sfsync_economic.sandbox.facts import UNVERIFIED

        return ConnectorInfo(
            name=CONNECTOR,
            title="e-conomic",
            package="e-conomic (Visma)",
            description=(
                "Every entry of an e-conomic agreement's accounting years, or trial-balance totals per "
                "period, through the REST API. Each dossier approves the sfsync app for its own "
                "agreement; changed and deleted entries are found from the year and period totals."
            ),
            granularities=(Granularity.TRANSACTIONS, Granularity.TRIAL_BALANCE),
            default_granularity=Granularity.TRANSACTIONS,
            rate_limits=RATE_LIMITS,
            unchanged_night_requests={Granularity.TRANSACTIONS: UNCHANGED_NIGHT,
                                      Granularity.TRIAL_BALANCE: UNCHANGED_NIGHT},
            known_limits=(
                "e-conomic's entries carry no change stamp: a changed or deleted entry is found because "
                "its year's totals moved, and only the periods whose totals moved are read again. An edit "
                "that changes only an entry's text moves no total and is not seen until its period is read "
                "again (relink the dossier to read everything).",
                "An unchanged night costs one call per accounting year in the dossier's range (a since "
                "link: also one per earlier year, for its opening balances). The list of accounting years "
                "and the chart are read again when a year's totals move and at least weekly; the company "
                "details weekly.",
                "An entry's period is the period its date falls in: e-conomic has no booking period "
                "apart from the date.",
                "Opening balances are the earlier years' totals of the balance-sheet (status) accounts, "
                "with their profit and loss carried to the status account named for the result; a chart "
                "without one carries nothing.",
                *(f"Assumed (UNVERIFIED): {fact}" for fact in UNVERIFIED),
            ),
            docs_url="https://restdocs.e-conomic.com/",
        )

    @hookimpl
    def sfsync_auth(self) -> EconomicGrantSpec:
        return economic_auth_spec()

    @hookimpl
    def sfsync_sandbox(self) -> Any:
        from sfsync_economic.sandbox import EconomicSandbox

        # Time runs 20x: the token bucket refills quickly in the contract suite and the demo.
        return EconomicSandbox(time_scale=20)

    # --- shared reads ----------------------------------------------------------------------------

    async def _client(self, ctx: ConnectorContext) -> EconomicClient:
        cache = _cache(ctx)
        if "client" not in cache:
            cache["client"] = await EconomicClient.for_context(ctx)
        client: EconomicClient = cache["client"]
        return client

    async def _self(self, ctx: ConnectorContext) -> dict[str, Any]:
        cache = _cache(ctx)
        if "self" not in cache:
            cache["self"] = await (await self._client(ctx)).get("/self")
        found: dict[str, Any] = cache["self"]
        return found

    async def _checked(self, ctx: ConnectorContext, company: Company) -> EconomicClient:
        agreement = ctx.state.get("agreement")
        if agreement is None:
            agreement = (await self._self(ctx)).get("agreementNumber")
        if str(agreement) != company.ref:
            raise AuthError(f"this e-conomic grant is for agreement {agreement}, not {company.ref}: each dossier "
                            "approves the app for its own agreement")
        return await self._client(ctx)

    async def _base_currency(self, ctx: ConnectorContext) -> str:
        if "currency" in ctx.state:
            return str(ctx.state["currency"])
        return str(((await self._self(ctx)).get("settings") or {}).get("baseCurrency") or "EUR")

    async def _accounts(self, ctx: ConnectorContext) -> list[Account]:
        cache = _cache(ctx)
        if "accounts" not in cache and ctx.state.get("chart"):
            cache["accounts"] = [Account(code=c, name=n, kind=AccountKind(k), ref=c) for c, n, k in ctx.state["chart"]]
        if "accounts" not in cache:
            accounts, seen = [], set()
            for item in await (await self._client(ctx)).collect("/accounts"):
                kind = KINDS.get(str(item.get("accountType")))
                if kind is None:
                    continue
                code = str(item["accountNumber"])
                if code in seen:
                    raise MalformedResponse(f"e-conomic lists account number {code} twice")
                seen.add(code)
                accounts.append(Account(code=code, name=str(item.get("name") or ""), kind=kind, ref=code))
            cache["accounts"] = accounts
        found: list[Account] = cache["accounts"]
        return found

    async def _year_totals(self, client: EconomicClient, year: FiscalYear, period: int | None = None) -> Totals:
        """A year's (or period's) totals per account; a year's are asked once a run."""
        path = f"/accounting-years/{year_path(year.label)}"
        if period is not None:
            return _totals(await client.collect(f"{path}/periods/{period}/totals"))
        asked: dict[str, Totals] = _cache(client.ctx).setdefault("year_totals", {})
        if year.label not in asked:
            asked[year.label] = _totals(await client.collect(f"{path}/totals"))
        return dict(asked[year.label])

    async def _moved(self, ctx: ConnectorContext, client: EconomicClient, years: list[FiscalYear]) -> bool:
        """Whether any year in the link's range has other totals than when the chart was read (the
        ledger and trial balance use the same answers: nothing is asked twice)."""
        seen = ctx.state.get("seen") or {}
        moved = [y.label for y in _in_range(ctx, years) if seen.get(y.label) != digest(await self._year_totals(client, y))]
        return bool(moved)

    # --- hooks -----------------------------------------------------------------------------------

    @hookimpl
    async def sfsync_check_connection(self, ctx: ConnectorContext) -> None:
        found = await (await self._client(ctx)).get("/self")
        _cache(ctx)["self"] = found
        if not found.get("agreementNumber"):
            raise MalformedResponse("e-conomic's /self names no agreementNumber")
        ctx.state["agreement"] = int(found["agreementNumber"])
        ctx.state["company_name"] = str((found.get("company") or {}).get("name") or found["agreementNumber"])
        ctx.state["currency"] = str((found.get("settings") or {}).get("baseCurrency") or "EUR")
        await ctx.save_state()

    @hookimpl
    async def sfsync_list_companies(self, ctx: ConnectorContext) -> list[Company]:
        # One grant sees one agreement: the one its user approved the app for.
        found = await self._self(ctx)
        company = found.get("company") or {}
        ref = str(found.get("agreementNumber"))
        country = str(company.get("country") or "")
        return [Company(ref=ref, code=ref, name=str(company.get("name") or ref), vat_number=company.get("vatNumber"),
                        currency=await self._base_currency(ctx), country=COUNTRIES.get(country.lower(), country or None))]

    @hookimpl
    async def sfsync_fetch_company_details(
        self, ctx: ConnectorContext, company: Company, previous: CompanyDetails | None = None
    ) -> CompanyDetails | None:
        await self._checked(ctx, company)
        if previous is not None and not _due(ctx, "details_checked"):
            return None  # read less than a week ago: e-conomic has no change stamp for them
        found = (await self._self(ctx)).get("company") or {}
        ctx.state["details_checked"] = ctx.clock.now().date().isoformat()
        await ctx.save_state()
        country = str(found.get("country") or "")
        return CompanyDetails(
            name=str(found.get("name") or company.name), vat_number=found.get("vatNumber"),
            enterprise_number=found.get("companyIdentificationNumber"), street=found.get("addressLine1"),
            postal_code=found.get("zip"), city=found.get("city"),
            country=COUNTRIES.get(country.lower(), country or None), email=found.get("email"),
            phone=found.get("phoneNumber"),
        )

    @hookimpl
    async def sfsync_fetch_fiscal_years(self, ctx: ConnectorContext, company: Company) -> list[FiscalYear]:
        client = await self._checked(ctx, company)
        cache = _cache(ctx)
        if "years" in cache:
            cached: list[FiscalYear] = cache["years"]
            return cached
        kept_years = self._kept_years(ctx)
        today = ctx.clock.now().date()
        if (kept_years and not _due(ctx, "years_checked") and today <= kept_years[-1].end
                and not await self._moved(ctx, client, kept_years)):
            # Nothing moved since the years were read: they stand (a new year brings entries,
            # which move totals, or starts after the last one ends).
            cache["years"] = kept_years
            return kept_years
        years = await self._read_years(ctx, client)
        ctx.state["years"] = [[y.label, y.start.isoformat(), y.end.isoformat(), y.closed] for y in years]
        ctx.state["years_checked"] = today.isoformat()
        await ctx.save_state()
        cache["years"], cache["chart_due"] = years, True
        return years

    def _kept_years(self, ctx: ConnectorContext) -> list[FiscalYear]:
        known: dict[str, Any] = ctx.state.get("periods") or {}
        years = []
        for label, start, end, closed in ctx.state.get("years") or []:
            if label not in known:
                return []
            years.append(FiscalYear(
                start=dt.date.fromisoformat(start), end=dt.date.fromisoformat(end), label=label, closed=closed,
                periods=tuple(Period(number=n, start=dt.date.fromisoformat(a), end=dt.date.fromisoformat(b))
                              for n, a, b in known[label]["periods"]),
            ))
        return years

    async def _read_years(self, ctx: ConnectorContext, client: EconomicClient) -> list[FiscalYear]:
        # A year's periods do not change once it exists: they are read once and kept with the
        # connection, so reading the years costs one call, not one more per year.
        known: dict[str, Any] = ctx.state.setdefault("periods", {})
        years = []
        for item in await client.collect("/accounting-years"):
            label = str(item["year"])
            start, end = _day(item.get("fromDate"), "fromDate"), _day(item.get("toDate"), "toDate")
            kept = known.get(label)
            if not kept or kept.get("from") != start.isoformat() or kept.get("to") != end.isoformat():
                periods = [[int(p["periodNumber"]), str(p["fromDate"]), str(p["toDate"])]
                           for p in await client.collect(f"/accounting-years/{year_path(label)}/periods")]
                kept = known[label] = {"from": start.isoformat(), "to": end.isoformat(), "periods": periods}
            years.append(FiscalYear(
                start=start, end=end, label=label, closed=bool(item.get("closed", False)),
                periods=tuple(Period(number=n, start=_day(a, "period fromDate"), end=_day(b, "period toDate"))
                              for n, a, b in kept["periods"]),
            ))
        years.sort(key=lambda y: y.start)
        return years

    @hookimpl
    async def sfsync_fetch_accounts(self, ctx: ConnectorContext, company: Company) -> list[Account]:
        client = await self._checked(ctx, company)
        cache = _cache(ctx)
        if cache.get("chart_due") or _due(ctx, "chart_checked") or not ctx.state.get("chart"):
            cache.pop("accounts", None)
            ctx.state.pop("chart", None)
            accounts = await self._accounts(ctx)
            ctx.state["chart"] = [[a.code, a.name, a.kind.value] for a in accounts]
            ctx.state["chart_checked"] = ctx.clock.now().date().isoformat()
            # What the chart now covers; a night whose totals equal these needs neither it nor the years.
            years = await self.sfsync_fetch_fiscal_years(ctx, company)
            ctx.state["seen"] = {y.label: digest(await self._year_totals(client, y)) for y in _in_range(ctx, years)}
            await ctx.save_state()
            return accounts
        return await self._accounts(ctx)

    # --- the ledger ------------------------------------------------------------------------------

    @hookimpl
    async def sfsync_fetch_ledger(
        self,
        ctx: ConnectorContext,
        company: Company,
        since: dt.date | None,
        cursor: str | None,
        fiscal_years: list[FiscalYear],
    ) -> AsyncIterator[LedgerBatch]:
        client = await self._checked(ctx, company)
        base = await self._base_currency(ctx)
        position: dict[str, Any] = json.loads(cursor) if cursor else {}
        states = {label: YearState.load(raw) for label, raw in (position.get("years") or {}).items()}
        today = ctx.clock.now().date()
        # e-conomic's own years name the URLs, whatever years a firm's override gives the dossier.
        own = await self.sfsync_fetch_fiscal_years(ctx, company)
        years = {y.label: y for y in sorted(own, key=lambda y: y.start) if since is None or y.end >= since}
        todo: list[list[Any]] | None = position.get("todo")

        def state_cursor(remaining: list[list[Any]] | None) -> str:
            return json.dumps({"years": {k: v.dump() for k, v in sorted(states.items())}, "todo": remaining or None})

        if todo is None:
            todo, new_records = [], []
            for year in years.values():
                path = f"/accounting-years/{year_path(year.label)}"
                totals = await self._year_totals(client, year)
                state = states.get(year.label)
                if state is None:  # never read: every period that has begun
                    states[year.label] = YearState(totals=totals)
                    todo += [[year.label, p.number] for p in year.periods if p.start <= today]
                    continue
                if totals == state.totals:
                    continue
                new = await client.collect(f"{path}/entries", {"filter": predicate("entryNumber", "gt", state.high_water)})
                records = [_record(item, year, base) for item in new]
                if plus(state.totals, add_up((r["account"], r["amount"]) for r in records)) == totals:
                    # Only new entries: their periods' digests follow from those periods' totals.
                    for number in sorted({r["period"] for r in records if r["period"] is not None}):
                        state.periods[number] = digest(await self._year_totals(client, year, number))
                    new_records += records
                    state.high_water = max([state.high_water, *(int(r["id"]) for r in records)])
                else:
                    # An older entry changed or went: read again only the periods whose totals moved.
                    for p in year.periods:
                        if p.start <= today and digest(await self._year_totals(client, year, p.number)) != state.periods.get(p.number):
                            todo.append([year.label, p.number])
                state.totals = totals
            if new_records or todo:
                yield LedgerBatch(lines=LedgerColumns.from_records(new_records), cursor=state_cursor(todo))
        while todo:
            label, number = todo[0]
            todo = todo[1:]
            found = years.get(label)
            if found is None or not 1 <= number <= len(found.periods):
                continue
            year, period = found, found.periods[number - 1]
            items = await client.collect(f"/accounting-years/{year_path(label)}/periods/{number}/entries")
            records = [_record(item, year, base) for item in items]
            state = states.setdefault(label, YearState())
            state.periods[number] = digest(add_up((r["account"], r["amount"]) for r in records))
            state.high_water = max([state.high_water, *(int(r["id"]) for r in records)])
            # The period's stored lines are replaced: a deleted entry goes with them.
            yield LedgerBatch(lines=LedgerColumns.from_records(records), clear=(period.start, period.end),
                              cursor=state_cursor(todo))

    # --- trial balances and opening balances -----------------------------------------------------

    async def _carried(self, ctx: ConnectorContext, years_totals: list[Totals]) -> Totals:
        """Balances at a year's start from the totals of the years before it."""
        accounts = await self._accounts(ctx)
        status = {a.code for a in accounts if a.kind is AccountKind.BALANCE_SHEET}
        result = _result_account(accounts)
        pairs: list[tuple[str, Decimal]] = []
        for totals in years_totals:
            for account, amount in totals.items():
                if account in status:
                    pairs.append((account, amount))
                elif result is not None:
                    pairs.append((result, amount))
        return add_up(pairs)

    @hookimpl
    async def sfsync_fetch_trial_balance(
        self,
        ctx: ConnectorContext,
        company: Company,
        fiscal_years: list[FiscalYear],
        cursor: str | None,
    ) -> AsyncIterator[TrialBalanceBatch]:
        client = await self._checked(ctx, company)
        position: dict[str, Any] = json.loads(cursor) if cursor else {}
        seen: dict[str, str] = dict(position.get("years") or {})
        today = ctx.clock.now().date()
        own = await self.sfsync_fetch_fiscal_years(ctx, company)  # e-conomic's years name the URLs
        years = [y for y in sorted(own, key=lambda y: y.start) if y.start <= today]
        todo: list[list[Any]] | None = position.get("todo")
        running: Totals = {k: Decimal(v) for k, v in (position.get("running") or {}).items()}
        if todo is None:
            all_totals = [await self._year_totals(client, y) for y in years]
            moved = next((i for i, (y, t) in enumerate(zip(years, all_totals, strict=True)) if seen.get(y.label) != digest(t)), None)
            if moved is None:
                return
            # A moved year moves the opening balances of every later one: those are read again too,
            # within the years the runner asks for (a since link's); earlier ones give the openings.
            seen.update({y.label: digest(t) for y, t in zip(years, all_totals, strict=True)})
            first = min((y.start for y in fiscal_years), default=years[0].start if years else today)
            todo = [[y.label, p.number] for y in years[moved:] if y.end >= first for p in y.periods if p.start <= today]
            running = await self._carried(ctx, all_totals[:moved])
        profit_loss = {a.code for a in await self._accounts(ctx) if a.kind is AccountKind.PROFIT_LOSS}
        by_label = {y.label: y for y in years}
        while todo:
            label, number = todo[0]
            todo = todo[1:]
            year = by_label[label]
            period = year.periods[number - 1]
            movement = await self._year_totals(client, year, number)
            lines = []
            for account in sorted(set(running) | set(movement)):
                opening, moved_by = running.get(account, Decimal(0)), movement.get(account, Decimal(0))
                if opening == 0 and moved_by == 0:
                    continue
                closing = opening + moved_by
                lines.append(TrialBalanceLine(
                    account=account, period_start=period.start, period_end=period.end, period=number,
                    fiscal_year=label, opening=opening, debit=max(moved_by, Decimal(0)),
                    credit=max(-moved_by, Decimal(0)), closing=closing,
                ))
                running[account] = closing
            if number == len(year.periods) or (todo and todo[0][0] != label):
                running = await self._next_year_start(ctx, running, profit_loss)
            state: dict[str, Any] = {"years": seen, "todo": todo or None}
            if todo:
                state["running"] = {k: str(v) for k, v in running.items() if v}
            yield TrialBalanceBatch(lines=lines, clear=(period.start, period.end), cursor=json.dumps(state))

    async def _next_year_start(self, ctx: ConnectorContext, running: Totals, profit_loss: set[str]) -> Totals:
        """The balances at the next year's start: profit and loss carried into the result account."""
        result = _result_account(await self._accounts(ctx))
        out = {k: v for k, v in running.items() if k not in profit_loss}
        if result is not None:
            carried = sum((v for k, v in running.items() if k in profit_loss), Decimal(0))
            out[result] = out.get(result, Decimal(0)) + carried
        return {k: v for k, v in out.items() if v != 0}

    @hookimpl
    async def sfsync_fetch_opening_balances(
        self, ctx: ConnectorContext, company: Company, at: dt.date
    ) -> list[OpeningBalance]:
        """Balance-sheet balances at ``at`` from the totals of the years before it, with their profit
        and loss in the result account."""
        client = await self._checked(ctx, company)
        earlier = [y for y in await self.sfsync_fetch_fiscal_years(ctx, company) if y.end < at]
        carried = await self._carried(ctx, [await self._year_totals(client, y) for y in earlier])
        return [OpeningBalance(account=code, date=at, amount=amount) for code, amount in sorted(carried.items())]

    @hookimpl
    async def sfsync_history_stamp(self, ctx: ConnectorContext, company: Company, before: dt.date) -> str | None:
        """A digest of the totals of every year before ``before``: one call per such year."""
        client = await self._checked(ctx, company)
        earlier = [y for y in await self.sfsync_fetch_fiscal_years(ctx, company) if y.end < before]
        parts = [f"{y.label}:{digest(await self._year_totals(client, y))}" for y in earlier]
        return hashlib.sha256(";".join(parts).encode()).hexdigest()[:16] if parts else "none"


economic = EconomicConnector()

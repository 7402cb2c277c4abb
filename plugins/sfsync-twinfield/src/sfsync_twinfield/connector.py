"""The sfsync connector for Twinfield (Wolters Kluwer), over its SOAP web services.

Baked from sfsync's cookiecutter-plugin, then filled in from the provider notes
(``shared/reference/providers/twinfield.md``) and the WSDLs of Twinfield's API reference (2023)
and integration samples: OAuth2 / OpenID Connect at ``login.twinfield.com``, the cluster from
token validation, offices as companies, ``PeriodService.svc`` for years and periods, the Finder
``DIM`` for accounts (``modifiedsince``), browse ``030_3`` for transaction lines (one book year at
a time, then by ``fin.trs.head.modified``), ``DeletedTransactionsService.svc`` for deletions and
browse ``040_1`` for totals.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import secrets
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from lxml import etree  # type: ignore[import-untyped,unused-ignore]  # no stubs
from sfsync.auth import ConnectionLevel, OAuth2Spec, PendingAuthorization
from sfsync.context import ConnectorContext
from sfsync.errors import MalformedResponse
from sfsync.hookspecs import hookimpl
from sfsync.http import RateLimitPolicy, RateWindow
from sfsync.metadata import ConnectorInfo
from sfsync.models import (
    Account,
    AccountKind,
    Company,
    FiscalYear,
    Granularity,
    LedgerBatch,
    LedgerColumns,
    LedgerLine,
    Period,
    TrialBalanceBatch,
    TrialBalanceLine,
)
from sfsync.sandbox import Sandbox

from sfsync_twinfield import client
from sfsync_twinfield.browse import Row, browse, column
from sfsync_twinfield.client import NS_PERIOD, q, text
from sfsync_twinfield.deletions import deletions_since
from sfsync_twinfield.fiscal_years import PeriodTable, YearsCache
from sfsync_twinfield.trial_balance_gate import book_year, open_gate

CONNECTOR = "twinfield"
DIM_PAGE = 100
ACCOUNT_TYPES = {"BAS": AccountKind.BALANCE_SHEET, "PNL": AccountKind.PROFIT_LOSS}
STAMP = "%Y%m%d%H%M%S"
# Account changes are found with modifiedsince from our own clock: allow for skew and for
# Twinfield's stamps being local time (Europe/Amsterdam) rather than UTC.
ACCOUNTS_OVERLAP = dt.timedelta(hours=3)
DELETIONS_OVERLAP = dt.timedelta(hours=3)


class TwinfieldOAuth2(OAuth2Spec):
    """Twinfield's OpenID Connect: a ``nonce`` is mandatory on every authorize request."""

    def start(self, *, client_id: str, redirect_uri: str) -> PendingAuthorization:
        pending = super().start(client_id=client_id, redirect_uri=redirect_uri)
        nonce = secrets.token_urlsafe(16)
        return PendingAuthorization(
            authorize_url=f"{pending.authorize_url}&nonce={nonce}",
            state=pending.state,
            code_verifier=pending.code_verifier,
            redirect_uri=pending.redirect_uri,
        )


@functools.lru_cache(maxsize=4096)
def _date(value: str) -> dt.date:
    value = value.strip()
    try:
        if "-" in value:
            return dt.date.fromisoformat(value[:10])
        return dt.datetime.strptime(value[:8], "%Y%m%d").date()
    except ValueError as exc:
        raise MalformedResponse(f"Twinfield sent a date that cannot be read: {value!r}") from exc


def _whole(value: str, what: str) -> int:
    """A whole number Twinfield sent (a book year, a period number), or a clear refusal.

    Skipping a value that is not one would silently drop a year or a period and its lines.
    """
    digits = value.strip()
    if not (digits.isascii() and digits.isdigit()):
        raise MalformedResponse(f"Twinfield sent a {what} that is not a whole number: {value!r}")
    return int(digits)


def _year_before(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28) + dt.timedelta(days=1)


@functools.lru_cache(maxsize=4096)
def _stamp(value: str) -> dt.datetime:
    digits = value.strip()
    try:
        if len(digits) == 14 and digits.isascii() and digits.isdigit():
            # The usual yyyymmddhhmmss, read without strptime (about 10x slower, and a first
            # sync has about one distinct stamp per transaction: too many for the cache).
            return dt.datetime(
                int(digits[:4]), int(digits[4:6]), int(digits[6:8]),
                int(digits[8:10]), int(digits[10:12]), int(digits[12:]), tzinfo=dt.UTC,
            )
        return dt.datetime.strptime(digits, STAMP).replace(tzinfo=dt.UTC)
    except ValueError as exc:
        raise MalformedResponse(
            f"Twinfield sent a modified stamp that cannot be read: {value!r}"
        ) from exc


def _dc(element: etree._Element, name: str, ns: str) -> str:
    return text(element.find(q(ns, name)))


def _year_key(year: FiscalYear) -> str:
    """What the first sync reads a fiscal year by: its book year, or its dates when the firm
    overrode the years on the link (labels that are not Twinfield's year numbers)."""
    if len(year.label) == 4 and year.label.isdigit():
        return year.label
    return f"{year.start:%Y%m%d}-{year.end:%Y%m%d}"


@dataclass
class _Cursor:
    """Where the ledger stream stands: the book years still to load, then the modified stamp."""

    years: list[str]
    since: str | None
    modified: str | None
    deleted_from: str
    deleted_seen: list[str]

    def dump(self) -> str:
        return json.dumps(self.__dict__, sort_keys=True)

    @classmethod
    def load(cls, raw: str) -> _Cursor:
        return cls(**json.loads(raw))


class TwinfieldConnector:
    """Twinfield, as sfsync sees it."""

    @hookimpl
    def sfsync_connector_info(self) -> ConnectorInfo:
        """Twinfield's fair-use policy: credits per minute (a query costs one)."""
        return ConnectorInfo(
            name=CONNECTOR,
            title="Twinfield",
            package="Twinfield",
            description=(
                "Twinfield (Wolters Kluwer) over its SOAP web services: offices, periods, "
                "general-ledger accounts, transaction lines (browse 030_3) or totals (040_1)."
            ),
            granularities=(Granularity.TRANSACTIONS, Granularity.TRIAL_BALANCE),
            default_granularity=Granularity.TRANSACTIONS,
            # Measured against the sandbox by the contract suite's unchanged second sync.
            unchanged_night_requests={Granularity.TRANSACTIONS: 5, Granularity.TRIAL_BALANCE: 5},
            rate_limits=RateLimitPolicy(
                windows=(RateWindow("credits-per-minute", 1000, 60.0),),
                notes=(
                    "Fair use since 1 Dec 2024: 1000 credits a minute (a query costs 1, other "
                    "calls 3), then 429 with Retry-After. Wolters Kluwer asks for one concurrent "
                    "action per organisation."
                ),
            ),
            known_limits=(
                "An unchanged night costs 5 requests: GetYears (the period tables are kept and read "
                "again when the years change or after a week, so a closed period or a moved end date "
                "can take up to a week to show), the chart in two finder calls (the DIM finder takes "
                "one dimension type a call: balance sheet, then profit and loss, each modifiedsince; "
                "its rows carry only code and name, so the type asked is the only way to tell a "
                "balance-sheet account from a P&L one, and an empty modifiedsince answer is already "
                "the cheapest check Twinfield has), "
                "and two query calls for the lines or totals (a modified-window browse 030_3 and the "
                "deleted transactions). A trial-balance link reads no line on an unchanged night; "
                "after a change it reads the book year of each changed transaction again, and for a "
                "deletion the year of its date and the years either side.",
                "Lines are re-read by the transaction's modified stamp: a whole transaction "
                "arrives again when one of its lines changes.",
                "Deleted transactions are reported per daybook and number, so a deletion removes "
                "the whole entry.",
                "Regimes (fiscal, commercial) are not filtered: companies that book in several "
                "regimes see every regime's lines.",
                "A since link gets no separate opening balances: its balance-sheet accounts start "
                "from Twinfield's period-0 opening entry of the since year, read as ledger lines, "
                "which does not follow a later change dated before the date until Twinfield books "
                "that entry again.",
            ),
            docs_url="https://developers.twinfield.com",
        )

    @hookimpl
    def sfsync_auth(self) -> OAuth2Spec:
        """OpenID Connect at the login host; refresh tokens are long-lived and not rotated."""
        base = f"{client.LOGIN_URL}{client.AUTH_PATH}"
        return TwinfieldOAuth2(
            authorize_url=f"{base}/authorize",
            token_url=f"{base}/token",
            level=ConnectionLevel.FIRM,
            scopes=(
                "openid",
                "twf.user",
                "twf.organisation",
                "twf.organisationUser",
                "offline_access",
            ),
            client_auth="basic",
            rotates_refresh_token=False,
            refresh_margin=300.0,
        )

    @hookimpl
    async def sfsync_check_connection(self, ctx: ConnectorContext) -> None:
        """Validate the fresh token and keep the organisation's cluster in ``ctx.state``."""
        claims = await client.validate_token(ctx)
        await ctx.update_state(lambda state: client.remember_cluster(state, claims))

    @hookimpl
    async def sfsync_list_companies(self, ctx: ConnectorContext) -> list[Company]:
        """Twinfield's offices (``<list><type>offices</type></list>``, no office header)."""
        request = etree.Element("list")
        etree.SubElement(request, "type").text = "offices"
        root = await client.process_xml(ctx, request)
        companies = []
        for office in root.iter("office"):
            code = text(office)
            if code:
                companies.append(Company(ref=code, code=code, name=office.get("name", code)))
        return companies

    @hookimpl
    async def sfsync_fetch_fiscal_years(
        self, ctx: ConnectorContext, company: Company
    ) -> list[FiscalYear]:
        """Book years and their period tables from ``PeriodService.svc``.

        The tables are read once and then kept (:class:`YearsCache`): a night costs the one
        ``GetYears`` query while the years stay the same.

        A period is defined by its end date; the next starts the day after. A year starts the
        day after the previous year's last period; the earliest year is taken to be a whole year
        (a firm can override the end of a short or long first year on the link).
        """
        office = company.ref
        result = await client.wcf_query(
            ctx, client.PERIODS, "PeriodService", "GetYears", NS_PERIOD, {}, office=office
        )
        years = sorted(_whole(text(y), "book year") for y in result.iter(q(NS_PERIOD, "Year")))

        async def read(year: int) -> PeriodTable:
            answer = await client.wcf_query(
                ctx,
                client.PERIODS,
                "PeriodService",
                "GetPeriods",
                NS_PERIOD,
                {"Year": str(year)},
                office=office,
            )
            # Period 0 (opening) and the closing periods (99 and up) are not spans of the year;
            # a number that is not a number at all is refused, not skipped (a year would go).
            found = (
                (
                    _whole(_dc(p, "Number", NS_PERIOD), f"period number of book year {year}"),
                    _date(_dc(p, "EndDate", NS_PERIOD)),
                    _dc(p, "IsOpen", NS_PERIOD).lower() == "true",
                )
                for p in answer.iter(q(NS_PERIOD, "Period"))
            )
            return sorted(period for period in found if 0 < period[0] < 99)

        tables = [
            (label, periods)
            for label, periods in await YearsCache(ctx, office).tables(years, read)
            if periods
        ]
        fiscal: list[FiscalYear] = []
        for index, (label, periods) in enumerate(tables):
            if index > 0:
                start = tables[index - 1][1][-1][1] + dt.timedelta(days=1)
            else:
                start = _year_before(periods[-1][1] + dt.timedelta(days=1))
            spans, begin = [], start
            for number, end, _ in periods:
                spans.append(Period(number=number, start=begin, end=end))
                begin = end + dt.timedelta(days=1)
            fiscal.append(
                FiscalYear(
                    label=label,
                    start=start,
                    end=periods[-1][1],
                    closed=not any(is_open for _, _, is_open in periods),
                    periods=tuple(spans),
                )
            )
        return fiscal

    @hookimpl
    async def sfsync_fetch_accounts(self, ctx: ConnectorContext, company: Company) -> list[Account]:
        """General-ledger accounts: Finder ``DIM`` for ``BAS`` and ``PNL``.

        The chart is kept per office in the connection's state; a later sync asks only for the
        accounts modified since (``modifiedsince``) and merges them in.
        """
        office = company.ref
        cached = ctx.state.get("accounts", {}).get(office)
        started = ctx.clock.now()
        since = cached["since"] if cached else None
        chart: dict[str, list[str]] = dict(cached["chart"]) if cached else {}
        for dimtype in ACCOUNT_TYPES:
            options = {"dimtype": dimtype, "office": office}
            if since:
                options["modifiedsince"] = since
            first = 1
            while True:
                total, _, rows = await client.finder(
                    ctx, "DIM", options, first_row=first, max_rows=DIM_PAGE, office=office
                )
                for row in rows:
                    if row and row[0]:
                        chart[row[0]] = [row[1] if len(row) > 1 else "", dimtype]
                first += len(rows)
                if not rows or first > total:
                    break
        entry = {"since": (started - ACCOUNTS_OVERLAP).strftime(STAMP), "chart": chart}

        def keep(state: dict[str, Any]) -> None:
            # Merged into the latest stored state: dossiers of other offices share the connection.
            state.setdefault("accounts", {})[office] = entry

        await ctx.update_state(keep)
        return [
            Account(code=code, name=name, kind=ACCOUNT_TYPES.get(kind, AccountKind.UNKNOWN))
            for code, (name, kind) in sorted(chart.items())
        ]

    @hookimpl
    async def sfsync_fetch_ledger(
        self,
        ctx: ConnectorContext,
        company: Company,
        since: dt.date | None,
        cursor: str | None,
        fiscal_years: list[FiscalYear],
    ) -> AsyncIterator[LedgerBatch]:
        """Transaction lines: browse ``030_3`` a book year at a time, then by modified stamp.

        The first sync reads each book year from ``since`` on (Wolters Kluwer's advice for a
        shadow database); later syncs read the transactions modified after the last stamp seen
        (with the year left open) and the deleted transactions since the last deletion seen.
        """
        office = company.ref
        if cursor:
            state = _Cursor.load(cursor)
        else:
            state = _Cursor(
                years=[_year_key(fy) for fy in fiscal_years if since is None or fy.end >= since],
                since=since.strftime("%Y%m%d") if since else None,
                modified=None,
                deleted_from=(ctx.clock.now() - DELETIONS_OVERLAP).strftime("%Y-%m-%dT%H:%M:%S"),
                deleted_seen=[],
            )
        while state.years:
            year = state.years[0]
            lines, newest = await _transaction_lines(ctx, office, state, year=year)
            state.years = state.years[1:]
            if newest and (state.modified is None or newest > state.modified):
                state.modified = newest
            yield LedgerBatch(lines=lines, cursor=state.dump())
        if state.modified is None:
            # An office without lines yet: changes are read from the time of this first sync.
            state.modified = (ctx.clock.now() - DELETIONS_OVERLAP).strftime(STAMP)
        deleted = await _deleted_entries(ctx, office, state)
        lines, newest = await _transaction_lines(ctx, office, state, year=None)
        if newest and newest > state.modified:
            state.modified = newest
        if lines or deleted or cursor is None:
            changed = sorted(set(lines.column("entry")))
            # A changed transaction arrives whole: drop its old lines first (a line may be gone).
            yield LedgerBatch(
                lines=lines,
                deleted_entries=sorted(set(deleted) | set(changed)),
                cursor=state.dump(),
            )
        elif cursor != state.dump():
            yield LedgerBatch(cursor=state.dump())

    @hookimpl
    async def sfsync_fetch_trial_balance(
        self,
        ctx: ConnectorContext,
        company: Company,
        fiscal_years: list[FiscalYear],
        cursor: str | None,
    ) -> AsyncIterator[TrialBalanceBatch]:
        """Totals per account and period from browse ``040_1``, one book year per batch.

        Period 0 (the opening balance Twinfield carries into a year) becomes the opening of
        the first period. After a complete read, a night reads only the years with a
        transaction changed, added or deleted since (:mod:`~sfsync_twinfield.trial_balance_gate`: two query calls,
        no line, when nothing moved); closed years done in an earlier read are not read again.
        """
        gate = await open_gate(ctx, company.ref, fiscal_years, cursor)
        wanted = gate.to_read(fiscal_years)
        for year in wanted:
            rows = await browse(
                ctx,
                company.ref,
                "040_1",
                [
                    column("fin.trs.head.office", "equal", company.ref),
                    column(
                        "fin.trs.head.yearperiod",
                        "between",
                        f"{book_year(year)}/00",
                        f"{book_year(year)}/55",
                    ),
                    column("fin.trs.head.status", "equal", "normal"),
                    column("fin.trs.head.year"),
                    column("fin.trs.head.period"),
                    column("fin.trs.line.dim1"),
                    column("fin.trs.line.dim1type"),
                    column("fin.trs.line.basevaluesigned"),
                    column("fin.trs.line.debitcredit"),
                ],
            )
            moves: dict[str, dict[int, list[Decimal]]] = defaultdict(
                lambda: defaultdict(lambda: [Decimal(0), Decimal(0)])
            )
            for row in rows:
                amount = client.decimal(row["fin.trs.line.basevaluesigned"])
                period = int(row["fin.trs.head.period"] or 0)
                slot = moves[row["fin.trs.line.dim1"]][period]
                if amount >= 0:
                    slot[0] += amount
                else:
                    slot[1] -= amount
            lines = []
            for account, per_period in sorted(moves.items()):
                opening_debit, opening_credit = per_period.pop(0, [Decimal(0), Decimal(0)])
                running = opening_debit - opening_credit
                for span in year.periods:
                    debit, credit = per_period.get(span.number, [Decimal(0), Decimal(0)])
                    if not (debit or credit or running):
                        continue
                    closing = running + debit - credit
                    lines.append(
                        TrialBalanceLine(
                            account=account,
                            period_start=span.start,
                            period_end=span.end,
                            period=span.number,
                            fiscal_year=year.label,
                            opening=running,
                            debit=debit,
                            credit=credit,
                            closing=closing,
                        )
                    )
                    running = closing
            yield TrialBalanceBatch(lines=lines, clear=(year.start, year.end), cursor=gate.read(year))
        if not wanted and (idle := gate.idle_cursor(cursor)) is not None:
            # Nothing to read, but the markers moved on (a change outside the years, say).
            yield TrialBalanceBatch(cursor=idle)

    @hookimpl
    def sfsync_sandbox(self) -> Sandbox:
        """A fresh, seeded Twinfield sandbox (login host and cluster)."""
        from sfsync_twinfield.sandbox import TwinfieldSandbox

        return TwinfieldSandbox()


LINE_COLUMNS = (
    "fin.trs.head.year",
    "fin.trs.head.period",
    "fin.trs.head.code",
    "fin.trs.head.number",
    "fin.trs.head.date",
    "fin.trs.head.curcode",
    "fin.trs.head.modified",
    "fin.trs.line.dim1",
    "fin.trs.line.dim2",
    "fin.trs.line.valuesigned",
    "fin.trs.line.basevaluesigned",
    "fin.trs.line.vatcode",
    "fin.trs.line.description",
)


async def _transaction_lines(
    ctx: ConnectorContext, office: str, state: _Cursor, *, year: str | None
) -> tuple[LedgerColumns, str | None]:
    """Browse ``030_3`` for one book year (first sync) or by modified stamp (later syncs)."""
    filters = [
        column("fin.trs.head.office", "equal", office),
        column("fin.trs.head.status", "equal", "normal"),
    ]
    if year is not None:
        if "-" in year:
            # A fiscal year the firm overrode on the link: read it by date.
            low, high = year.split("-")
            low = max(low, state.since or low)
            filters.append(column("fin.trs.head.date", "between", low, high))
        else:
            filters.append(column("fin.trs.head.yearperiod", "between", f"{year}/00", f"{year}/55"))
    else:
        assert state.modified is not None
        after = _stamp(state.modified) + dt.timedelta(seconds=1)
        until = ctx.clock.now() + dt.timedelta(days=1)
        filters.append(
            column("fin.trs.head.modified", "between", after.strftime(STAMP), until.strftime(STAMP))
        )
    if state.since and not (year and "-" in year):
        filters.append(column("fin.trs.head.date", "between", state.since, "99991231"))
    wanted = {f.field for f in filters}
    rows = await browse(
        ctx,
        office,
        "030_3",
        filters + [column(name) for name in LINE_COLUMNS if name not in wanted],
    )
    return _ledger_page(rows)


def _line_record(row: Row) -> dict[str, Any]:
    """One ``030_3`` row as a ledger record: ``LedgerLine``'s fields, the base amount signed.

    Plain values only (``str``, ``date``, ``int``, ``Decimal``, ``datetime``, ``None``), so that
    :func:`_ledger_page` validates the whole browse a column at a time.
    """
    key = row.key
    cell = row.cells.get  # the hot loop: the dict itself, not Row's Mapping methods
    entry = f"{key['code']}/{key['number']}"
    currency = cell("fin.trs.head.curcode") or None
    foreign = currency is not None and currency != "EUR"
    modified = cell("fin.trs.head.modified")
    return {
        "amount": client.decimal(cell("fin.trs.line.basevaluesigned", "")),
        "id": f"{entry}/{key['line']}",
        "entry": entry,
        "journal": key["code"],
        "date": _date(cell("fin.trs.head.date", "")),
        "period": _period(cell("fin.trs.head.period", ""), entry, key["line"]),
        "fiscal_year": cell("fin.trs.head.year") or None,
        "account": cell("fin.trs.line.dim1", ""),
        "description": cell("fin.trs.line.description", ""),
        "currency": currency if foreign else None,
        "foreign_amount": client.decimal(cell("fin.trs.line.valuesigned", "")) if foreign else None,
        "counterparty": cell("fin.trs.line.dim2") or None,
        "vat_code": cell("fin.trs.line.vatcode") or None,
        "modified": _stamp(modified) if modified else None,
    }


def _period(value: str, entry: str, line: str) -> int:
    """A browse row's period number (0 when the cell is empty); a value that is not a whole
    number is refused with the line it is on, not raised as a bare ``ValueError``."""
    if value.isascii() and value.isdigit():  # the hot path: no message built
        return int(value)
    if not value.strip():
        return 0
    return _whole(value, f"period number on line {entry}/{line}")


def _line(row: Row) -> LedgerLine:
    """One ``030_3`` row as a ``LedgerLine`` model (the per-line reference of :func:`_line_record`)."""
    fields = _line_record(row)
    return LedgerLine.from_signed(fields.pop("amount"), **fields)


def _ledger_page(rows: list[Row]) -> tuple[LedgerColumns, str | None]:
    """A browse's rows as one ``LedgerColumns`` (validated once, not line by line), and the
    newest modified stamp among them."""
    stamps = [stamp for row in rows if (stamp := row["fin.trs.head.modified"])]
    return LedgerColumns.from_records(list(map(_line_record, rows))), max(stamps, default=None)


async def _deleted_entries(ctx: ConnectorContext, office: str, state: _Cursor) -> list[str]:
    """Entries deleted since the last deletion seen (``GetDeletedTransactions``)."""
    return [deletion.entry for deletion in await deletions_since(ctx, office, state)]


twinfield = TwinfieldConnector()
"""The connector object the ``twinfield`` entry point names."""

"""What Yuki knows of one administration: its metadata, fiscal years (GetPeriodDateTable),
modified stamps (GetFinancialYearModifiedDate), accounts, transactions and balances."""

from __future__ import annotations

import calendar
import datetime as dt
import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from lxml import etree
from sfsync.errors import FatalError, MalformedResponse
from sfsync.models import (
    Account,
    AccountKind,
    Company,
    FiscalYear,
    LedgerColumns,
    LedgerLine,
    Period,
)

from sfsync_yuki.client import GENERAL_SERVICE, YukiClient
from sfsync_yuki.soap import AdministrationNotFound, decimal_of, inner_document
from sfsync_yuki.wsdl import TNS

__all__ = ["AdminInfo", "YukiYear", "admin_info", "list_administrations"]

_T = f"{{{TNS}}}"


def _text(el: etree._Element, name: str, default: str = "") -> str:
    value = el.findtext(f"{_T}{name}")
    return value.strip() if value is not None else default


def _children(result: etree._Element | None, name: str) -> list[etree._Element]:
    """Items of a typed array result: 0, 1 or n of them (no single-item pitfall)."""
    if result is None:
        return []
    return [c for c in result if isinstance(c.tag, str) and etree.QName(c).localname == name]


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip()[:10])
    except ValueError as exc:
        raise MalformedResponse(f"Yuki sent {text!r} where a date belongs") from exc


@dataclass(frozen=True)
class AdminInfo:
    id: str
    name: str
    domain: str | None
    start: dt.date | None
    country: str | None
    vat_number: str | None = None
    address: str | None = None
    postcode: str | None = None
    city: str | None = None
    coc_number: str | None = None
    active: bool = True

    def to_state(self) -> dict[str, Any]:
        return {"name": self.name, "domain": self.domain, "start": self.start.isoformat() if self.start else None,
                "country": self.country}


async def list_administrations(client: YukiClient) -> list[AdminInfo]:
    doc = inner_document(await client.call(GENERAL_SERVICE, "Administrations"))
    out = []
    for node in doc.iter("Administration") if doc is not None else []:
        admin_id = node.get("ID") or node.findtext("ID") or ""
        if not admin_id:
            raise MalformedResponse("Yuki listed an administration without an ID attribute")
        start = node.findtext("StartDate")
        out.append(AdminInfo(
            id=admin_id.strip(), name=(node.findtext("Name") or "").strip(),
            domain=(node.findtext("DomainID") or "").strip() or None,
            start=_date(start) if start and start.strip() else None,
            country=(node.findtext("Country") or "").strip() or None,
            vat_number=(node.findtext("VATNumber") or "").strip() or None,
            address=(node.findtext("AddressLine") or "").strip() or None,
            postcode=(node.findtext("Postcode") or "").strip() or None,
            city=(node.findtext("City") or "").strip() or None,
            coc_number=(node.findtext("CoCNumber") or "").strip() or None,
            active=(node.findtext("Active") or "true").strip().lower() != "false",
        ))
    cache = client.ctx.state.setdefault("administrations", {})
    for admin in out:
        cache[admin.id] = admin.to_state()
    await client.ctx.save_state()
    return out


async def admin_info(client: YukiClient, company: Company) -> AdminInfo:
    """The administration behind a company: from the company, the state, or Yuki (one call)."""
    cached = client.ctx.state.get("administrations", {}).get(company.ref)
    extra = company.extra
    if extra.get("domain") and extra.get("start_date"):
        return AdminInfo(company.ref, company.name, extra["domain"], _date(extra["start_date"]), company.country)
    if cached is None:
        for admin in await list_administrations(client):
            if admin.id == company.ref:
                return admin
        raise AdministrationNotFound(
            f"Yuki does not list administration {company.ref} for this access key; relink the dossier "
            "or grant the key access to it in Yuki"
        )
    start = cached.get("start")
    return AdminInfo(company.ref, cached.get("name", ""), cached.get("domain"), _date(start) if start else None,
                     cached.get("country"))


# --- fiscal years --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class YukiYear:
    year_id: int
    start: dt.date
    end: dt.date

    @property
    def label(self) -> str:
        if (self.start.month, self.start.day, self.end.month, self.end.day) == (1, 1, 12, 31):
            return str(self.start.year)
        return f"{self.start.year}/{self.end.year}"

    @property
    def key(self) -> str:
        return self.start.isoformat()

    def months(self) -> list[Period]:
        periods = []
        start = self.start
        number = 1
        while start <= self.end:
            last = dt.date(start.year, start.month, calendar.monthrange(start.year, start.month)[1])
            end = min(last, self.end)
            periods.append(Period(number=number, start=start, end=end))
            start = end + dt.timedelta(days=1)
            number += 1
        return periods

    def fiscal_year(self, today: dt.date) -> FiscalYear:
        return FiscalYear(start=self.start, end=self.end, label=self.label, closed=self.end < today,
                          periods=tuple(self.months()))


def _period_bounds(result: etree._Element | None, year_id: int) -> tuple[dt.date, dt.date]:
    if result is None:
        raise MalformedResponse(f"Yuki's GetPeriodDateTable for year {year_id} is empty")
    whole = _text(result, "wholePeriod").split()
    try:
        start = _date(whole[0]) if whole else _date(_text(result, "period"))
        end = _date(whole[1]) if len(whole) > 1 else None
    except (ValueError, IndexError) as exc:
        raise MalformedResponse(f"Yuki's GetPeriodDateTable for year {year_id} has no readable period") from exc
    if end is None:
        end = dt.date(start.year + 1, start.month, start.day) - dt.timedelta(days=1)
    elif end.replace(year=start.year) == start and end.year == start.year + 1:
        # "2021-01-02 2022-01-02": an exclusive bound (seen once in the Postman examples).
        end -= dt.timedelta(days=1)
    return start, end


async def fiscal_years(client: YukiClient, admin: AdminInfo) -> list[YukiYear]:
    """Yuki's fiscal years from the administration's start to today; past years are cached."""
    today = client.ctx.clock.now().date()
    cache: dict[str, list[str]] = client.ctx.state.setdefault("periods", {}).setdefault(admin.id, {})
    first = (admin.start.year if admin.start else today.year - 5) - 1
    years: dict[tuple[dt.date, dt.date], YukiYear] = {}
    for year_id in range(first, today.year + 1):
        cached = cache.get(str(year_id))
        if cached:
            start, end = _date(cached[0]), _date(cached[1])
        else:
            try:
                result = await client.call("AccountingInfo", "GetPeriodDateTable",
                                           {"administrationID": admin.id, "yearID": year_id}, domain=admin.domain)
                start, end = _period_bounds(result, year_id)
            except (FatalError, MalformedResponse):
                if year_id == first or year_id == today.year:
                    continue  # the year before the start, or one not begun: Yuki may not know it
                raise
            cache[str(year_id)] = [start.isoformat(), end.isoformat()]
        if (admin.start and end < admin.start) or start > today:
            continue
        years.setdefault((start, end), YukiYear(year_id, start, end))
    await client.ctx.save_state()
    ordered = sorted(years.values(), key=lambda y: y.start)
    for a, b in itertools.pairwise(ordered):
        if b.start <= a.end:
            raise MalformedResponse(f"Yuki's fiscal years {a.label} and {b.label} overlap")
    return ordered


async def modified_stamp(client: YukiClient, admin: AdminInfo, year: YukiYear) -> str:
    """GetFinancialYearModifiedDate, once per year and run; the last one seen is kept in the state
    (see :func:`last_seen_stamp`)."""
    key = ("modified", admin.id, year.year_id)
    if key not in client.run_cache:
        result = await client.call("AccountingInfo", "GetFinancialYearModifiedDate",
                                   {"administrationID": admin.id, "yearID": year.year_id}, domain=admin.domain)
        client.run_cache[key] = (result.text or "").strip() if result is not None else ""
        seen = client.ctx.state.setdefault("modified_stamps", {}).setdefault(admin.id, {})
        seen[str(year.year_id)] = client.run_cache[key]
        await client.ctx.save_state()
    return str(client.run_cache[key])


def last_seen_stamp(client: YukiClient, admin: AdminInfo, year: YukiYear) -> str | None:
    """The year's modified stamp as this run or an earlier one last saw it, without a call."""
    key = ("modified", admin.id, year.year_id)
    if key in client.run_cache:
        return str(client.run_cache[key])
    seen = client.ctx.state.get("modified_stamps", {}).get(admin.id, {}).get(str(year.year_id))
    return str(seen) if seen is not None else None


# --- accounts ------------------------------------------------------------------------------------------


def _pcmn_kind(code: str) -> AccountKind:
    # The Belgian minimum chart (PCMN/MAR) is law: classes 1-5 balance sheet, 6-7 P&L.
    head = code.lstrip()[:1]
    if head in "12345" and head:
        return AccountKind.BALANCE_SHEET
    if head in ("6", "7"):
        return AccountKind.PROFIT_LOSS
    return AccountKind.UNKNOWN


async def balances(client: YukiClient, admin: AdminInfo, day: dt.date) -> dict[str, tuple[Decimal, str, str]]:
    """GLAccountBalance (or its Fiscal variant) on ``day``: code -> (amount, BalanceType, description)."""
    op = "GLAccountBalanceFiscal" if client.ctx.config.get("financial_mode") == "fiscal" else "GLAccountBalance"
    doc = inner_document(await client.call("Accounting", op, {"administrationID": admin.id, "transactionDate": day},
                                           domain=admin.domain))
    out = {}
    for node in doc.iter("GLAccount") if doc is not None else []:
        code = (node.get("Code") or "").strip()
        if code:
            out[code] = (decimal_of(node.findtext("Amount")), (node.get("BalanceType") or "").strip().upper(),
                         (node.findtext("Description") or "").strip())
    return out


KindsReader = Callable[[set[str]], Awaitable[dict[str, str]]]
"""Given the chart's account codes, their ``BalanceType`` (see :mod:`sfsync_yuki.kinds`)."""


async def accounts(client: YukiClient, admin: AdminInfo, kinds_of: KindsReader) -> list[Account]:
    result = await client.call("AccountingInfo", "GetGLAccountScheme", {"administrationID": admin.id},
                               domain=admin.domain)
    nodes = [(_text(node, "code"), node) for node in _children(result, "GlAccount")]
    kinds = await kinds_of({code for code, _ in nodes if code})
    out: dict[str, Account] = {}
    for code, node in nodes:
        if not code:
            continue
        # "descripton" is how Yuki's schema spells it.
        name = _text(node, "descripton") or _text(node, "descriptionNL") or _text(node, "descriptionEN")
        balance_type = kinds.get(code)
        if balance_type == "B":
            kind = AccountKind.BALANCE_SHEET
        elif balance_type in ("W", "P", "V"):
            kind = AccountKind.PROFIT_LOSS
        elif admin.country == "BE":
            kind = _pcmn_kind(code)
        else:
            kind = AccountKind.UNKNOWN
        out[code] = Account(code=code, name=name, kind=kind)
    return list(out.values())


# --- transactions --------------------------------------------------------------------------------------


def _month_add(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def chunks(year: YukiYear, months: int) -> list[tuple[dt.date, dt.date]]:
    out = []
    start = year.start
    while start <= year.end:
        end = min(_month_add(start, months) - dt.timedelta(days=1), year.end)
        out.append((start, end))
        start = end + dt.timedelta(days=1)
    return out


class _Fields:
    """The children of a typed item by local name (one pass instead of a lookup per field)."""

    def __init__(self, node: etree._Element) -> None:
        self.values = {
            child.tag[len(_T):]: (child.text or "").strip()
            for child in node
            if isinstance(child.tag, str) and child.tag.startswith(_T)
        }

    def __call__(self, name: str) -> str:
        return str(self.values.get(name, ""))


def transaction_record(node: etree._Element, year: YukiYear, seen: dict[str, int], warnings: list[str]) -> dict[str, Any]:
    """One ``TransactionInfo`` as a ledger record: ``LedgerLine``'s fields, the amount signed.

    Plain values only (``str``, ``date``, ``int``, ``Decimal``, ``None``) so that
    ``LedgerColumns.from_records`` validates a whole year of them a column at a time.
    """
    text = _Fields(node)
    line_id = text("id")
    if not line_id:
        raise MalformedResponse("Yuki sent a TransactionInfo without an id")
    if line_id in seen:
        # Yuki's id may be per document rather than per line [unverified]: keep every line.
        seen[line_id] += 1
        warnings.append(f"Yuki sent transaction id {line_id} twice; the copies are kept apart")
        line_id = f"{line_id}#{seen[line_id]}"
    else:
        seen[line_id] = 0
    currency = text("currency") or None
    foreign = currency is not None and currency.upper() != "EUR"
    try:
        date = _date(text("transactionDate"))
        amount = decimal_of(text("transactionAmount"))
        foreign_amount = decimal_of(text("transactionAmountForeignCurrency")) if foreign else None
    except MalformedResponse as exc:
        raise MalformedResponse(f"transaction {line_id}: {exc.message}") from exc
    period_text = text("periodId")
    period = int(period_text) if period_text.isdigit() and 0 <= int(period_text) <= 99 else None
    if period is None:
        period = (date.year - year.start.year) * 12 + date.month - year.start.month + 1
    return {
        "amount": amount,
        "id": line_id,
        "entry": text("documentID") or line_id,
        "journal": text("documentFolder") or text("documentType") or None,
        "date": date,
        "period": period,
        "fiscal_year": year.label,
        "account": text("glAccountCode"),
        "description": text("description"),
        "currency": currency.upper() if foreign and currency else None,
        "foreign_amount": foreign_amount,
        "counterparty": text("fullName") or None,
        "vat_code": text("taxCodeDescription") or None,
    }


def transaction_line(node: etree._Element, year: YukiYear, seen: dict[str, int], warnings: list[str]) -> LedgerLine:
    """One ``TransactionInfo`` as a ``LedgerLine`` model, line by line (the slow reference path;
    :func:`year_lines` builds columns from :func:`transaction_record` instead)."""
    fields = transaction_record(node, year, seen, warnings)
    return LedgerLine.from_signed(fields.pop("amount"), **fields)


async def year_lines(client: YukiClient, admin: AdminInfo, year: YukiYear, months: int) -> tuple[LedgerColumns, list[str]]:
    """Every transaction line of a fiscal year (one ``GetTransactionDetails`` per chunk of months),
    validated once for the whole year as ``LedgerColumns``."""
    mode = 1 if client.ctx.config.get("financial_mode") == "fiscal" else 0
    records: list[dict[str, Any]] = []
    warnings: list[str] = []
    seen: dict[str, int] = {}
    for start, end in chunks(year, months):
        result = await client.call("AccountingInfo", "GetTransactionDetails", {
            "administrationID": admin.id, "GLAccountCode": "", "StartDate": start, "EndDate": end,
            "financialMode": mode,
        }, domain=admin.domain)
        records.extend(transaction_record(node, year, seen, warnings) for node in _children(result, "TransactionInfo"))
        client.ctx.progress("lines", len(records))
    return LedgerColumns.from_records(records), warnings


async def start_balances(client: YukiClient, admin: AdminInfo, year: YukiYear) -> dict[str, Decimal]:
    mode = 1 if client.ctx.config.get("financial_mode") == "fiscal" else 0
    result = await client.call("AccountingInfo", "GetStartBalanceByGlAccount", {
        "administrationID": admin.id, "bookyear": year.year_id, "financialMode": mode,
    }, domain=admin.domain)
    out: dict[str, Decimal] = {}
    for node in _children(result, "AccountStartBalance"):
        code = _text(node, "accountID")
        if code:
            # startBalance is a string in Yuki's schema.
            out[code] = out.get(code, Decimal(0)) + decimal_of(_text(node, "startBalance"))
    return out

"""The seeded books of the e-conomic sandbox: agreements, accounting years with monthly periods,
a chart of accounts, and vouchers whose lines are e-conomic's entries.

Three agreements, each with three accounting years ending in the current one:

- a Belgian bakery (calendar years, euro only);
- a Dutch importer (July-June years, supplier invoices in USD);
- a Belgian studio whose first accounting year runs 15 months (e-conomic allows 6 to 18 months,
  ``_accounting-years.md``) and April-March after that.

Every year but the current one is closed, with its periods; in the current year the periods more
than two months back are closed. An entry (line) has an ``entryNumber`` that runs across the
agreement, and belongs to a voucher (``voucherNumber``, counted per accounting year); a voucher's
lines share its date and balance in the base currency. Amounts are signed, debit positive
(UNVERIFIED, see :mod:`sfsync_economic.sandbox.facts`).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


@dataclass
class SPeriod:
    number: int
    start: dt.date
    end: dt.date
    closed: bool = False


@dataclass
class SYear:
    label: str
    """``YYYY`` or ``YYYY/YYYY``: e-conomic's ``year`` (its self link writes ``/`` as ``_6_``)."""
    start: dt.date
    end: dt.date
    closed: bool = False
    periods: list[SPeriod] = field(default_factory=list)

    def period_of(self, day: dt.date) -> SPeriod:
        return next(p for p in self.periods if p.start <= day <= p.end)


@dataclass
class SAccount:
    number: int
    name: str
    kind: str
    """e-conomic's ``accountType``: ``status``, ``profitAndLoss``, ``heading``…"""
    debit_credit: str = "debit"


@dataclass
class SEntry:
    number: int
    account: int
    amount_base: Decimal
    text: str
    currency: str
    amount: Decimal
    """In ``currency``; equal to ``amount_base`` for base-currency lines."""


@dataclass
class SVoucher:
    number: int
    year: str
    date: dt.date
    kind: str
    """e-conomic's ``entryType``: customerInvoice, supplierInvoice, financeVoucher…"""
    entries: list[SEntry]
    deleted: bool = False


@dataclass
class SCompany:
    agreement: int
    name: str
    country: str
    vat_number: str
    enterprise_number: str
    street: str
    postal_code: str
    city: str
    email: str
    phone: str
    base_currency: str
    years: list[SYear]
    accounts: list[SAccount]
    vouchers: list[SVoucher] = field(default_factory=list)
    next_entry: int = 1
    result_account: int = 1400

    def live(self) -> list[SVoucher]:
        return [v for v in self.vouchers if not v.deleted]

    def year(self, label: str) -> SYear | None:
        return next((y for y in self.years if y.label == label), None)

    def year_of(self, day: dt.date) -> SYear | None:
        return next((y for y in self.years if y.start <= day <= y.end), None)


def _month_end(day: dt.date) -> dt.date:
    following = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return following - dt.timedelta(days=1)


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.month - 1 + months
    return dt.date(day.year + index // 12, index % 12 + 1, 1)


def make_year(start: dt.date, months: int, today: dt.date) -> SYear:
    end = _month_end(_add_months(start, months - 1))
    label = str(start.year) if start.year == end.year else f"{start.year}/{end.year}"
    periods = []
    for n in range(months):
        first = _add_months(start, n)
        periods.append(SPeriod(n + 1, first, _month_end(first)))
    year = SYear(label, start, end, periods=periods)
    closed_until = _add_months(today.replace(day=1), -2)
    for period in periods:
        period.closed = period.end < closed_until
    return year


CHART = (
    (1, "BALANS", "heading", "debit"),
    (1000, "Geplaatst kapitaal", "status", "credit"),
    (1400, "Overgedragen resultaat", "status", "credit"),
    (4000, "Handelsdebiteuren", "status", "debit"),
    (4110, "Terug te vorderen btw", "status", "debit"),
    (4400, "Leveranciers", "status", "credit"),
    (4510, "Te betalen btw", "status", "credit"),
    (5500, "Bank", "status", "debit"),
    (59, "RESULTATENREKENING", "heading", "debit"),
    (6000, "Aankopen handelsgoederen", "profitAndLoss", "debit"),
    (6100, "Huur", "profitAndLoss", "debit"),
    (6200, "Bezoldigingen", "profitAndLoss", "debit"),
    (6500, "Koersverschillen", "profitAndLoss", "debit"),
    (7000, "Omzet", "profitAndLoss", "credit"),
    (7500, "Financiële opbrengsten", "profitAndLoss", "credit"),
)

PROFILES = (
    dict(agreement=9101001, name="Bakkerij Janssens BV", country="Belgium", vat_number="BE0456123789", enterprise_number="0456.123.789",
         street="Kerkstraat 12", postal_code="9000", city="Gent", email="boekhouding@janssens.example",
         phone="+32 9 123 45 67", start_month=1, first_months=12, foreign=None),
    dict(agreement=9101002, name="Van Dijk Import BV", country="Netherlands", vat_number="NL812345678B01", enterprise_number="24312345",
         street="Havenweg 4", postal_code="3011 AA", city="Rotterdam", email="admin@vandijk.example",
         phone="+31 10 765 43 21", start_month=7, first_months=12, foreign=("USD", Decimal("0.9150"))),
    dict(agreement=9101003, name="Studio Peeters", country="Belgium", vat_number="BE0789456123", enterprise_number="0789.456.123",
         street="Meir 88", postal_code="2000", city="Antwerpen", email="studio@peeters.example",
         phone="+32 3 222 11 00", start_month=4, first_months=15, foreign=None),
)


def _years(start_month: int, first_months: int, today: dt.date, count: int) -> list[SYear]:
    # The current year starts on the latest start month on or before today.
    current = dt.date(today.year if today.month >= start_month else today.year - 1, start_month, 1)
    starts = [_add_months(current, -12 * k) for k in range(count - 1, -1, -1)]
    # The first year of the studio is longer: it starts earlier than the regular rhythm.
    first = _add_months(starts[0], 12 - first_months)
    years = [make_year(first, first_months, today)]
    years += [make_year(s, 12, today) for s in starts[1:]]
    for year in years[:-1]:
        year.closed = True
        for period in year.periods:
            period.closed = True
    return years


class Booker:
    """Books balanced vouchers into a company."""

    def __init__(self, company: SCompany, rng: random.Random, foreign: tuple[str, Decimal] | None = None) -> None:
        self.company = company
        self.rng = rng
        self.foreign = foreign

    def _voucher(self, day: dt.date, kind: str, lines: list[tuple[int, Decimal, str, str, Decimal]]) -> SVoucher:
        company = self.company
        year = company.year_of(day)
        assert year is not None, f"{day} is in no accounting year of {company.name}"
        number = 1 + sum(1 for v in company.vouchers if v.year == year.label)
        entries = []
        for account, base, text, currency, amount in lines:
            entries.append(SEntry(company.next_entry, account, base, text, currency, amount))
            company.next_entry += 1
        assert sum(e.amount_base for e in entries) == 0, "an unbalanced voucher"
        voucher = SVoucher(number, year.label, day, kind, entries)
        company.vouchers.append(voucher)
        return voucher

    def _base(self, amount: Decimal) -> tuple[Decimal, str, Decimal]:
        cur = self.company.base_currency
        return amount, cur, amount

    def sales_invoice(self, day: dt.date, net: Decimal, text: str = "Verkoopfactuur") -> SVoucher:
        vat = (net * Decimal("0.21")).quantize(CENT, ROUND_HALF_UP)
        cur = self.company.base_currency
        return self._voucher(day, "customerInvoice", [
            (4000, net + vat, text, cur, net + vat), (7000, -net, text, cur, -net), (4510, -vat, text, cur, -vat),
        ])

    def supplier_invoice(self, day: dt.date, net: Decimal, text: str = "Aankoopfactuur") -> SVoucher:
        cur = self.company.base_currency
        if self.foreign is None:
            vat = (net * Decimal("0.21")).quantize(CENT, ROUND_HALF_UP)
            return self._voucher(day, "supplierInvoice", [
                (6000, net, text, cur, net), (4110, vat, text, cur, vat), (4400, -(net + vat), text, cur, -(net + vat)),
            ])
        # Imports from outside the EU: no VAT on the invoice, amounts in the supplier's currency.
        code, rate = self.foreign
        base = (net * rate).quantize(CENT, ROUND_HALF_UP)
        return self._voucher(day, "supplierInvoice", [
            (6000, base, f"{text} ({code})", code, net), (4400, -base, f"{text} ({code})", code, -net),
        ])

    def transfer(self, day: dt.date, debit: int, credit: int, amount: Decimal, text: str, kind: str = "financeVoucher") -> SVoucher:
        cur = self.company.base_currency
        return self._voucher(day, kind, [(debit, amount, text, cur, amount), (credit, -amount, text, cur, -amount)])


def _money(rng: random.Random, low: int, high: int) -> Decimal:
    return Decimal(rng.randint(low * 100, high * 100)) / 100


def seed_company(index: int, today: dt.date, *, years: int = 3, volume: float = 1.0) -> SCompany:
    profile = dict(PROFILES[index % len(PROFILES)])
    start_month = int(profile.pop("start_month"))  # type: ignore[call-overload]
    first_months = int(profile.pop("first_months"))  # type: ignore[call-overload]
    foreign = profile.pop("foreign")
    company = SCompany(
        base_currency="EUR", years=_years(start_month, first_months, today, years),
        accounts=[SAccount(n, name, kind, dc) for n, name, kind, dc in CHART], **profile,  # type: ignore[arg-type]
    )
    rng = random.Random(f"economic-{index}")
    booker = Booker(company, rng, foreign)  # type: ignore[arg-type]
    first = company.years[0].start
    booker.transfer(first, 5500, 1000, Decimal("25000.00"), "Inbreng kapitaal")
    per_month = max(1, round(2 * volume))
    for year in company.years:
        for period in year.periods:
            if period.start > today:
                break
            last = min(period.end, today)
            for k in range(per_month):
                day = period.start + dt.timedelta(days=min((last - period.start).days, 3 + 7 * k))
                sale = booker.sales_invoice(day, _money(rng, 400, 4000), f"Factuur klant {rng.randint(100, 999)}")
                booker.transfer(day, 5500, 4000, sale.entries[0].amount_base, "Ontvangst klant", "customerPayment")
                purchase = booker.supplier_invoice(day, _money(rng, 200, 1500))
                booker.transfer(day, 4400, 5500, -purchase.entries[-1].amount_base, "Betaling leverancier", "supplierPayment")
            booker.transfer(last, 6100, 5500, Decimal("1150.00"), f"Huur {period.start:%m/%Y}")
            booker.transfer(last, 6200, 5500, _money(rng, 2500, 3200), f"Lonen {period.start:%m/%Y}")
    return company

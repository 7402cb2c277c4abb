"""The sandbox's seeded books: companies (realms), their chart of accounts and their
transactions, each transaction held as the postings QuickBooks makes of it.

QuickBooks posts every transaction type (Invoice, Bill, Payment, Purchase, JournalEntry, …) to the
ledger itself; the API shows the postings only through reports. The sandbox therefore keeps the
postings as the truth and renders both the entities and the reports from them, so the two always
agree, as they do in QuickBooks.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal

CENT = Decimal("0.01")
VAT = Decimal("0.21")


@dataclass
class SAccount:
    id: str
    number: str
    name: str
    type: str
    """AccountTypeEnum: Bank, Accounts Receivable, Income, Expense, …"""
    classification: str
    """Asset, Liability, Equity, Revenue or Expense."""
    subtype: str
    currency: str
    created: dt.datetime
    updated: dt.datetime
    active: bool = True


@dataclass
class SPosting:
    account: str
    """The account's Id."""
    amount: Decimal
    """Debit positive, in the company's home currency."""
    memo: str = ""
    foreign: Decimal | None = None
    """Signed amount in the transaction currency, when it is not the home currency."""


@dataclass
class STxn:
    kind: str
    """The entity name: Invoice, Bill, Payment, Purchase, JournalEntry."""
    id: str
    date: dt.date
    doc: str
    party: str
    postings: list[SPosting]
    created: dt.datetime
    updated: dt.datetime
    currency: str = "EUR"
    rate: Decimal = Decimal(1)
    sync_token: int = 0
    deleted: dt.datetime | None = None


@dataclass
class SCompany:
    realm: str
    name: str
    legal_name: str
    country: str
    fiscal_start_month: int
    """1-12: the first month of the fiscal year (CompanyInfo.FiscalYearStartMonth)."""
    currency: str
    street: str
    city: str
    postal_code: str
    email: str
    phone: str
    vat_number: str
    created: dt.datetime
    book_close: dt.date | None
    accounts: list[SAccount] = field(default_factory=list)
    txns: list[STxn] = field(default_factory=list)
    next_id: int = 100

    def account(self, number: str) -> SAccount:
        return next(a for a in self.accounts if a.number == number)

    def live(self) -> list[STxn]:
        return [t for t in self.txns if t.deleted is None]

    def new_id(self) -> str:
        self.next_id += 1
        return str(self.next_id)


# number, name, AccountType, Classification, AccountSubType
CHART = (
    ("100000", "Geplaatst kapitaal", "Equity", "Equity", "OwnersEquity"),
    ("140000", "Overgedragen resultaat", "Equity", "Equity", "RetainedEarnings"),
    ("400000", "Handelsdebiteuren", "Accounts Receivable", "Asset", "AccountsReceivable"),
    ("411000", "Terug te vorderen btw", "Other Current Asset", "Asset", "OtherCurrentAssets"),
    ("440000", "Leveranciers", "Accounts Payable", "Liability", "AccountsPayable"),
    ("451000", "Te betalen btw", "Other Current Liability", "Liability", "SalesTaxPayable"),
    ("550000", "KBC zichtrekening", "Bank", "Asset", "Checking"),
    ("604000", "Aankopen handelsgoederen", "Cost of Goods Sold", "Expense", "SuppliesMaterialsCogs"),
    ("610000", "Huur", "Expense", "Expense", "RentOrLeaseOfBuildings"),
    ("612000", "Kantoorbenodigdheden", "Expense", "Expense", "OfficeGeneralAdministrativeExpenses"),
    ("654000", "Koersverschillen", "Other Expense", "Expense", "ExchangeGainOrLoss"),
    ("700000", "Omzet", "Income", "Revenue", "SalesOfProductIncome"),
)

COMPANIES = (
    # realm, name, legal name, country, fiscal start month, city, postal code, street, VAT, foreign
    ("9130357766112041", "Bakkerij Janssens", "Bakkerij Janssens BV", "BE", 1, "Gent", "9000",
     "Veldstraat 12", "BE0456123789", None),
    ("9130357766112042", "Van Dijk Import", "Van Dijk Import BV", "NL", 7, "Rotterdam", "3011 AB",
     "Coolsingel 40", "NL812345678B01", "USD"),
    ("9130357766112043", "Atelier Lemaire", "Atelier Lemaire SRL", "BE", 4, "Namur", "5000",
     "Rue de Fer 3", "BE0789456123", None),
)

CUSTOMERS = ("Brasserie De Kroon", "Hotel Aurora", "Traiteur Peeters", "Café Central", "De Graanzolder")
VENDORS = ("Molens Dossche", "Engie", "Proximus", "Office Depot", "Vandemoortele")


def fiscal_start(day: dt.date, month: int) -> dt.date:
    """The first day of the fiscal year (starting in ``month``) that holds ``day``."""
    year = day.year if day.month >= month else day.year - 1
    return dt.date(year, month, 1)


def _stamp(day: dt.date, rng: random.Random) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, 9, rng.randrange(60), rng.randrange(60), tzinfo=dt.UTC)


class Booker:
    """Books realistic transactions into one company (deterministic for a given seed)."""

    def __init__(self, company: SCompany, rng: random.Random) -> None:
        self.company = company
        self.rng = rng

    def _id(self, number: str) -> str:
        return self.company.account(number).id

    def _add(self, kind: str, day: dt.date, party: str, postings: list[SPosting], *,
             stamp: dt.datetime | None = None, currency: str | None = None,
             rate: Decimal = Decimal(1)) -> STxn:
        stamp = stamp or _stamp(day, self.rng)
        txn_id = self.company.new_id()
        txn = STxn(kind, txn_id, day, f"{day.year}-{txn_id}", party, postings, stamp, stamp,
                   currency=currency or self.company.currency, rate=rate)
        self.company.txns.append(txn)
        return txn

    def invoice(self, day: dt.date, net: Decimal, *, stamp: dt.datetime | None = None,
                memo: str = "") -> STxn:
        vat = (net * VAT).quantize(CENT)
        customer = self.rng.choice(CUSTOMERS)
        memo = memo or f"Levering {customer}"
        return self._add("Invoice", day, customer, [
            SPosting(self._id("400000"), net + vat, memo),
            SPosting(self._id("700000"), -net, memo),
            SPosting(self._id("451000"), -vat, "btw 21%"),
        ], stamp=stamp)

    def bill(self, day: dt.date, net: Decimal, account: str = "604000") -> STxn:
        vat = (net * VAT).quantize(CENT)
        vendor = self.rng.choice(VENDORS)
        return self._add("Bill", day, vendor, [
            SPosting(self._id(account), net, f"Factuur {vendor}"),
            SPosting(self._id("411000"), vat, "btw 21%"),
            SPosting(self._id("440000"), -(net + vat), f"Factuur {vendor}"),
        ])

    def payment(self, invoice: STxn, day: dt.date) -> STxn:
        gross = invoice.postings[0].amount
        return self._add("Payment", day, invoice.party, [
            SPosting(self._id("550000"), gross, f"Betaling {invoice.doc}"),
            SPosting(self._id("400000"), -gross, f"Betaling {invoice.doc}"),
        ])

    def purchase(self, day: dt.date, amount: Decimal, account: str, memo: str) -> STxn:
        return self._add("Purchase", day, self.rng.choice(VENDORS), [
            SPosting(self._id(account), amount, memo),
            SPosting(self._id("550000"), -amount, memo),
        ])

    def journal(self, day: dt.date, postings: list[SPosting]) -> STxn:
        return self._add("JournalEntry", day, "", postings)

    def foreign_bill(self, day: dt.date, usd: Decimal, rate: Decimal) -> STxn:
        """A bill in USD booked at ``rate`` (EUR per USD): home amounts are converted."""
        eur = (usd * rate).quantize(CENT)
        vendor = "Pacific Trading Co."
        return self._add("Bill", day, vendor, [
            SPosting(self._id("604000"), eur, "Import containers", foreign=usd),
            SPosting(self._id("440100"), -eur, "Import containers", foreign=-usd),
        ], currency="USD", rate=rate)


def seed_company(index: int, today: dt.date, *, years: int = 3, volume: float = 1.0) -> SCompany:
    """One seeded company: ``years`` fiscal years up to today, the oldest closed."""
    realm, name, legal, country, start_month, city, postal, street, vat, foreign = COMPANIES[index]
    rng = random.Random(f"quickbooks-{realm}")
    first = fiscal_start(today, start_month)
    first = first.replace(year=first.year - (years - 1))
    created = dt.datetime(first.year, first.month, 1, 8, 0, tzinfo=dt.UTC)
    current = fiscal_start(today, start_month)
    company = SCompany(
        realm=realm, name=name, legal_name=legal, country=country, fiscal_start_month=start_month,
        currency="EUR", street=street, city=city, postal_code=postal,
        email=f"boekhouding@{name.split()[-1].lower()}.example", phone="+32 9 123 45 67",
        vat_number=vat, created=created,
        # Books are closed up to the end of the year before last (a closed year).
        book_close=current.replace(year=current.year - 1) - dt.timedelta(days=1) if years > 1 else None,
    )
    for n, (number, title, kind, cls, subtype) in enumerate(CHART, start=1):
        company.accounts.append(SAccount(str(n), number, title, kind, cls, subtype, "EUR", created, created))
    if foreign:
        company.accounts.append(SAccount(str(len(CHART) + 1), "440100", "Leveranciers USD",
                                         "Accounts Payable", "Liability", "AccountsPayable",
                                         foreign, created, created))
    book = Booker(company, rng)
    book.journal(first, [
        SPosting(company.account("550000").id, Decimal("25000.00"), "Inbreng kapitaal"),
        SPosting(company.account("100000").id, Decimal("-25000.00"), "Inbreng kapitaal"),
    ])
    per_month = max(1, round(4 * volume))
    day = first
    while day <= today:
        month_end = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
        for k in range(per_month):
            when = min(day + dt.timedelta(days=rng.randrange(27)), today)
            net = Decimal(rng.randrange(40_000, 400_000)) / 100
            inv = book.invoice(when, net)
            pay_day = when + dt.timedelta(days=rng.randrange(5, 30))
            if pay_day <= today and k % 3 != 2:
                book.payment(inv, pay_day)
        book.bill(min(day + dt.timedelta(days=rng.randrange(27)), today),
                  Decimal(rng.randrange(20_000, 200_000)) / 100)
        book.purchase(min(day + dt.timedelta(days=2), today), Decimal("1250.00"), "610000",
                      f"Huur {day:%m/%Y}")
        if foreign and day.month % 3 == 0:
            rate = Decimal("0.9") + Decimal(rng.randrange(0, 600)) / 10_000
            book.foreign_bill(min(day + dt.timedelta(days=10), today),
                              Decimal(rng.randrange(100_000, 500_000)) / 100, rate)
        day = month_end + dt.timedelta(days=1)
    # A year-end accrual dated on the last day of each closed year.
    for year in range(years - 1):
        end = current.replace(year=current.year - year) - dt.timedelta(days=1)
        book.journal(end, [
            SPosting(company.account("612000").id, Decimal("310.50"), "Toe te rekenen kosten"),
            SPosting(company.account("440000").id, Decimal("-310.50"), "Toe te rekenen kosten"),
        ])
    # Nothing seeded is stamped after the start of today: a sandbox started at 02:00 has no
    # changes "from the future" for its first CDC call.
    midnight = dt.datetime(today.year, today.month, today.day, tzinfo=dt.UTC)
    for txn in company.txns:
        if txn.created > midnight:
            txn.created = txn.updated = midnight
    company.txns.sort(key=lambda t: (t.date, int(t.id)))
    return company

"""The sandbox's organisations: charts of accounts, journals, and the trial balance Xero would
compute from them (with the currency revaluations that Xero's journals leave out)."""

from __future__ import annotations

import calendar
import datetime as dt
import random
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from sfsync_xero.fiscal import year_end_containing

CENT = Decimal("0.01")
PROFIT_LOSS = ("REVENUE", "EXPENSE")


def money(value: Decimal | int | str) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class SAccount:
    id: str
    code: str
    name: str
    type: str
    cls: str
    system: str = ""
    tax_type: str = "NONE"
    currency: str | None = None
    status: str = "ACTIVE"
    updated: dt.datetime = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)


@dataclass
class SLine:
    id: str
    account: SAccount
    net: Decimal
    tax: Decimal = Decimal(0)
    description: str = ""
    tax_type: str | None = None
    tax_name: str | None = None
    foreign: Decimal | None = None
    """The amount in the account's own currency (foreign bank accounts): never served by the
    API, used for revaluations."""


@dataclass
class SJournal:
    id: str
    number: int
    date: dt.date
    created: dt.datetime
    source_id: str
    source_type: str
    reference: str
    lines: list[SLine]


@dataclass
class SOrg:
    id: str
    name: str
    legal_name: str
    short_code: str
    country: str
    currency: str
    fy_day: int
    fy_month: int
    created: dt.datetime
    tax_number: str
    period_lock: dt.date | None = None
    end_of_year_lock: dt.date | None = None
    accounts: list[SAccount] = field(default_factory=list)
    journals: list[SJournal] = field(default_factory=list)
    foreign_currency: str | None = None
    rate: Callable[[dt.date], Decimal] | None = None
    city: str = ""
    street: str = ""
    postal_code: str = ""
    next_number: int = 1
    postings: list[tuple[dt.date, SAccount, Decimal]] = field(default_factory=list, repr=False)
    postings_of: int = -1
    """How many journals ``postings`` was built from (rebuilt when journals are added)."""

    def account(self, code: str) -> SAccount:
        for account in self.accounts:
            if account.code == code:
                return account
        raise KeyError(code)

    def system(self, name: str) -> SAccount | None:
        return next((a for a in self.accounts if a.system == name), None)

    def fiscal_start(self, day: dt.date) -> dt.date:
        end = year_end_containing(day, self.fy_day, self.fy_month)
        previous = year_end_containing(end.replace(day=1) - dt.timedelta(days=366), self.fy_day, self.fy_month)
        return previous + dt.timedelta(days=1)


# code, name, type, class, system account, tax type, currency
BE_CHART = [
    ("100000", "Geplaatst kapitaal", "EQUITY", "EQUITY", "", "NONE", None),
    ("140000", "Overgedragen resultaat", "EQUITY", "EQUITY", "RETAINEDEARNINGS", "NONE", None),
    ("240000", "Meubilair en rollend materieel", "FIXED", "ASSET", "", "NONE", None),
    ("400000", "Handelsdebiteuren", "CURRENT", "ASSET", "DEBTORS", "NONE", None),
    ("411000", "Terug te vorderen btw", "CURRENT", "ASSET", "", "NONE", None),
    ("440000", "Leveranciers", "CURRLIAB", "LIABILITY", "CREDITORS", "NONE", None),
    ("451000", "Te betalen btw", "CURRLIAB", "LIABILITY", "GST", "NONE", None),
    ("455000", "Te betalen bezoldigingen", "CURRLIAB", "LIABILITY", "", "NONE", None),
    ("492000", "Toe te rekenen kosten", "CURRLIAB", "LIABILITY", "", "NONE", None),
    ("550000", "KBC Zichtrekening", "BANK", "ASSET", "", "NONE", "EUR"),
    ("600000", "Aankopen grondstoffen", "DIRECTCOSTS", "EXPENSE", "", "INPUT", None),
    ("610000", "Diensten en diverse goederen", "OVERHEADS", "EXPENSE", "", "INPUT", None),
    ("612000", "Huur gebouwen", "OVERHEADS", "EXPENSE", "", "INPUT", None),
    ("613000", "Leasing bedrijfswagen (oud)", "OVERHEADS", "EXPENSE", "", "INPUT", None),
    ("620000", "Bezoldigingen bedienden", "EXPENSE", "EXPENSE", "", "NONE", None),
    ("654000", "Gerealiseerde wisselkoersverschillen", "EXPENSE", "EXPENSE", "REALISEDCURRENCYGAIN", "NONE", None),
    ("655000", "Niet-gerealiseerde wisselkoersverschillen", "EXPENSE", "EXPENSE", "UNREALISEDCURRENCYGAIN", "NONE", None),
    ("657000", "Afrondingsverschillen", "EXPENSE", "EXPENSE", "ROUNDING", "NONE", None),
    ("700000", "Omzet", "REVENUE", "REVENUE", "", "OUTPUT", None),
    ("740000", "Andere bedrijfsopbrengsten", "OTHERINCOME", "REVENUE", "", "OUTPUT", None),
]
BE_ROLES = {"capital": "100000", "retained": "140000", "debtors": "400000", "vat_in": "411000",
            "creditors": "440000", "vat_out": "451000", "wages_due": "455000", "accrued": "492000",
            "bank": "550000", "purchases": "600000", "services": "610000", "rent": "612000",
            "wages": "620000", "realised": "654000", "sales": "700000", "fixed": "240000"}
NL_CHART = [
    ("0100", "Inventaris", "FIXED", "ASSET", "", "NONE", None),
    ("0500", "Gestort kapitaal", "EQUITY", "EQUITY", "", "NONE", None),
    ("0600", "Winstreserve", "EQUITY", "EQUITY", "RETAINEDEARNINGS", "NONE", None),
    ("1100", "ING Bank EUR", "BANK", "ASSET", "", "NONE", "EUR"),
    ("1110", "ING Bank USD", "BANK", "ASSET", "", "NONE", "USD"),
    ("1300", "Debiteuren", "CURRENT", "ASSET", "DEBTORS", "NONE", None),
    ("1500", "Te vorderen btw", "CURRENT", "ASSET", "", "NONE", None),
    ("1510", "Te betalen btw", "CURRLIAB", "LIABILITY", "GST", "NONE", None),
    ("1600", "Crediteuren", "CURRLIAB", "LIABILITY", "CREDITORS", "NONE", None),
    ("1700", "Nog te betalen kosten", "CURRLIAB", "LIABILITY", "", "NONE", None),
    ("1710", "Te betalen lonen", "CURRLIAB", "LIABILITY", "", "NONE", None),
    ("4000", "Inkoopwaarde van de omzet", "DIRECTCOSTS", "EXPENSE", "", "INPUT", None),
    ("4200", "Huisvestingskosten", "OVERHEADS", "EXPENSE", "", "INPUT", None),
    ("4300", "Algemene kosten", "OVERHEADS", "EXPENSE", "", "INPUT", None),
    ("4400", "Lonen en salarissen", "EXPENSE", "EXPENSE", "", "NONE", None),
    ("4900", "Gerealiseerde koersverschillen", "EXPENSE", "EXPENSE", "REALISEDCURRENCYGAIN", "NONE", None),
    ("4910", "Ongerealiseerde koersverschillen", "EXPENSE", "EXPENSE", "UNREALISEDCURRENCYGAIN", "NONE", None),
    ("4999", "Afrondingen", "EXPENSE", "EXPENSE", "ROUNDING", "NONE", None),
    ("8000", "Omzet binnenland", "REVENUE", "REVENUE", "", "OUTPUT", None),
    ("8100", "Omzet export", "REVENUE", "REVENUE", "", "NONE", None),
]
NL_ROLES = {"capital": "0500", "retained": "0600", "debtors": "1300", "vat_in": "1500",
            "creditors": "1600", "vat_out": "1510", "wages_due": "1710", "accrued": "1700",
            "bank": "1100", "purchases": "4000", "services": "4300", "rent": "4200",
            "wages": "4400", "realised": "4900", "sales": "8000", "fixed": "0100",
            "export": "8100", "bank_fx": "1110"}

ORGANISATIONS = [
    # key, name, legal name, country, year end (day, month), tax number, chart, roles,
    # invoices and bills per month, years of history, foreign currency, city
    ("lemaire", "Atelier Lemaire", "Atelier Lemaire SRL", "BE", (30, 6), "BE0794512336",
     BE_CHART, BE_ROLES, 8, 6, 3, None, ("Rue de la Station 12", "5000", "Namur")),
    ("vandijk", "Van Dijk Import", "Van Dijk Import B.V.", "NL", (31, 12), "NL859612345B01",
     NL_CHART, NL_ROLES, 6, 5, 3, "USD", ("Keizersgracht 221", "1016 DV", "Amsterdam")),
    ("desmet", "Bakkerij De Smet", "Bakkerij De Smet BV", "BE", (31, 3), "BE0456781203",
     BE_CHART, BE_ROLES, 3, 3, 2, None, ("Kerkstraat 4", "9000", "Gent")),
]


def usd_rate(day: dt.date) -> Decimal:
    """EUR per USD: constant within a month, moving between months."""
    return Decimal("0.9000") + Decimal(((day.year * 12 + day.month) % 7) * 15) / Decimal(1000)


class Seeder:
    """Books a realistic, deterministic history for one organisation."""

    def __init__(self, rng: random.Random, org: SOrg, roles: dict[str, str]) -> None:
        self.rng = rng
        self.org = org
        self.roles = roles
        self.pending: list[SJournal] = []

    def uid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def acct(self, role: str) -> SAccount:
        return self.org.account(self.roles[role])

    def line(self, role: str, net: Decimal, **kw: object) -> SLine:
        return SLine(id=self.uid(), account=self.acct(role), net=money(net), **kw)  # type: ignore[arg-type]

    def post(self, day: dt.date, created: dt.datetime, source_type: str, reference: str,
             lines: list[SLine], source_id: str | None = None) -> SJournal:
        total = sum((ln.net for ln in lines), Decimal(0))
        if total != 0:
            raise AssertionError(f"unbalanced sandbox journal {reference}: {total}")
        journal = SJournal(self.uid(), 0, day, created, source_id or self.uid(), source_type,
                           reference, lines)
        self.pending.append(journal)
        return journal

    def reversal(self, original: SJournal, created: dt.datetime, lines: list[SLine] | None = None) -> SJournal:
        flipped = [SLine(self.uid(), ln.account, -ln.net, -ln.tax, ln.description, ln.tax_type,
                         ln.tax_name, -ln.foreign if ln.foreign is not None else None)
                   for ln in (lines or original.lines)]
        return self.post(original.date, created, original.source_type, original.reference,
                         flipped, source_id=original.source_id)

    def sales_invoice(self, day: dt.date, created: dt.datetime, number: int, net: Decimal,
                      customer: str) -> SJournal:
        net = money(net)
        tax = money(net * Decimal("0.21"))
        return self.post(day, created, "ACCREC", f"INV-{number:05d}", [
            self.line("debtors", net + tax),
            self.line("sales", -net, tax=-tax, description=f"Levering {customer}",
                      tax_type="OUTPUT", tax_name="21% BTW"),
            self.line("vat_out", -tax),
        ])

    def finish(self, gaps: bool = True) -> None:
        self.pending.sort(key=lambda j: (j.created, j.id))
        for journal in self.pending:
            if gaps and self.rng.random() < 0.05:
                self.org.next_number += self.rng.randint(1, 4)  # Xero's numbering has gaps
            journal.number = self.org.next_number
            self.org.next_number += 1
        self.org.journals.extend(self.pending)
        self.pending = []


CUSTOMERS = ["Brouwerij Het Anker", "Garage Peeters", "Studio Wouters", "De Vries Logistiek",
             "Maison Dubois", "Jansen & Zn", "Café Central", "Acme Tires Inc."]
SUPPLIERS = ["Proximus", "Engie", "Makro", "Bol.com", "Securex", "Coolblue"]


def seed_organisation(index: int, today: dt.date, volume: float = 1.0, seed: int = 7, years: int | None = None) -> SOrg:
    (key, name, legal, country, (fy_day, fy_month), tax_number, chart, roles, invoices, bills,
     history, fx, (street, postal, city)) = ORGANISATIONS[index]
    years = min(history, years) if years else history
    rng = random.Random(f"{seed}-{key}")
    current_end = year_end_containing(today, fy_day, fy_month)
    first_end = current_end
    for _ in range(years - 1):
        first_end = year_end_containing(first_end.replace(day=1) - dt.timedelta(days=340), fy_day, fy_month)
    start = year_end_containing(first_end.replace(day=1) - dt.timedelta(days=340), fy_day, fy_month) + dt.timedelta(days=1)
    created = dt.datetime.combine(start + dt.timedelta(days=9), dt.time(10, 15), dt.UTC)
    org = SOrg(
        id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        name=name, legal_name=legal, short_code="!" + "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(5)),
        country=country, currency="EUR", fy_day=fy_day, fy_month=fy_month, created=created,
        tax_number=tax_number, foreign_currency=fx, rate=usd_rate if fx else None,
        street=street, postal_code=postal, city=city,
    )
    for code, acc_name, acc_type, cls, system, tax_type, currency in chart:
        if fx is None and currency not in (None, "EUR"):
            continue
        org.accounts.append(SAccount(
            id=str(uuid.UUID(int=rng.getrandbits(128), version=4)), code=code, name=acc_name,
            type=acc_type, cls=cls, system=system, tax_type=tax_type, currency=currency,
            status="ARCHIVED" if "(oud)" in acc_name else "ACTIVE",
            updated=created + dt.timedelta(minutes=len(org.accounts)),
        ))
    s = Seeder(rng, org, roles)
    # Conversion balances on the day before the first year, entered when the organisation was set up.
    opening = [s.line("bank", Decimal("24500.00")), s.line("fixed", Decimal("18000.00")),
               s.line("capital", Decimal("-18600.00")), s.line("retained", Decimal("-23900.00"))]
    if fx:
        usd = Decimal("10000.00")
        eur = money(usd * usd_rate(start - dt.timedelta(days=1)))
        opening.append(s.line("bank_fx", eur, foreign=usd))
        opening.append(s.line("retained", -eur))
    s.post(start - dt.timedelta(days=1), created, "MANJOURNAL", "Conversion balances", opening)

    last_day = today - dt.timedelta(days=3)
    month = start
    invoice_no = 1
    open_invoices: list[tuple[SJournal, dt.date, Decimal | None]] = []
    per_month_sales = max(1, round(invoices * volume))
    per_month_bills = max(1, round(bills * volume))
    while month <= last_day:
        days_in = calendar.monthrange(month.year, month.month)[1]
        month_end = month.replace(day=days_in)

        def when(day: int, minute: int = 0, month: dt.date = month, days_in: int = days_in) -> tuple[dt.date, dt.datetime]:
            date = month.replace(day=min(day, days_in))
            return date, dt.datetime.combine(date + dt.timedelta(days=1), dt.time(9, 0), dt.UTC) + dt.timedelta(minutes=minute)

        # Payments of last month's open invoices.
        still_open: list[tuple[SJournal, dt.date, Decimal | None]] = []
        for journal, due, usd_due in open_invoices:
            if due > last_day or due.month != month.month or due.year != month.year:
                still_open.append((journal, due, usd_due))
                continue
            gross = journal.lines[0].net
            date, stamp = due, dt.datetime.combine(due, dt.time(15, 30), dt.UTC)
            if usd_due is not None:
                paid = money(usd_due * usd_rate(date))
                s.post(date, stamp, "ACCRECPAYMENT", journal.reference, [
                    s.line("bank_fx", paid, foreign=usd_due), s.line("debtors", -gross),
                    s.line("realised", gross - paid, description="Koersverschil"),
                ])
            else:
                s.post(date, stamp, "ACCRECPAYMENT", journal.reference,
                       [s.line("bank", gross), s.line("debtors", -gross)])
        open_invoices = still_open

        for k in range(per_month_sales):
            date, stamp = when(1 + (k * 27) // per_month_sales + rng.randint(0, 2), k)
            if date > last_day:
                break
            customer = rng.choice(CUSTOMERS)
            if fx and k % 3 == 2:
                usd = money(rng.randint(800, 6000))
                eur = money(usd * usd_rate(date))
                journal = s.post(date, stamp, "ACCREC", f"INV-{invoice_no:05d}", [
                    s.line("debtors", eur),
                    s.line("export", -eur, description=f"Export {customer} (USD {usd})",
                           tax_type="NONE", tax_name="0% export"),
                ])
                open_invoices.append((journal, date + dt.timedelta(days=30), usd))
            else:
                journal = s.sales_invoice(date, stamp, invoice_no, Decimal(rng.randint(250, 4800)), customer)
                if invoice_no % 37 == 5 and stamp + dt.timedelta(days=2) < dt.datetime.combine(last_day, dt.time(), dt.UTC):
                    s.reversal(journal, stamp + dt.timedelta(days=2))  # voided two days later
                elif invoice_no % 41 == 7 and stamp + dt.timedelta(days=1) < dt.datetime.combine(last_day, dt.time(), dt.UTC):
                    # Edited the next day: Xero reverses the journal and posts the new version.
                    s.reversal(journal, stamp + dt.timedelta(days=1))
                    gross = journal.lines[0].net + Decimal("121.00")
                    net = -journal.lines[1].net + Decimal("100.00")
                    edited = s.post(date, stamp + dt.timedelta(days=1, seconds=1), "ACCREC", journal.reference, [
                        s.line("debtors", gross),
                        s.line("sales", -net, tax=-(gross - net), description=journal.lines[1].description + " (gecorrigeerd)",
                               tax_type="OUTPUT", tax_name="21% BTW"),
                        s.line("vat_out", -(gross - net)),
                    ], source_id=journal.source_id)
                    open_invoices.append((edited, date + dt.timedelta(days=30), None))
                else:
                    open_invoices.append((journal, date + dt.timedelta(days=30), None))
            invoice_no += 1

        for k in range(per_month_bills):
            date, stamp = when(2 + (k * 25) // per_month_bills, 30 + k)
            if date > last_day:
                break
            role = ("purchases", "services", "rent")[k % 3]
            net = money(rng.randint(90, 2600))
            tax = money(net * Decimal("0.21"))
            supplier = rng.choice(SUPPLIERS)
            bill = s.post(date, stamp, "ACCPAY", f"{supplier} {date:%Y%m}-{k}", [
                s.line(role, net, tax=tax, description=f"Factuur {supplier}", tax_type="INPUT", tax_name="21% BTW"),
                s.line("vat_in", tax), s.line("creditors", -(net + tax)),
            ])
            pay_day = date + dt.timedelta(days=14)
            if pay_day <= last_day:
                s.post(pay_day, dt.datetime.combine(pay_day, dt.time(16, 0), dt.UTC), "ACCPAYPAYMENT",
                       bill.reference, [s.line("creditors", net + tax), s.line("bank", -(net + tax))])

        if month_end <= last_day:
            wages = money(rng.randint(3800, 5200))
            _, stamp = when(days_in, 90)
            s.post(month_end, stamp, "MANJOURNAL", f"Lonen {month:%m/%Y}",
                   [s.line("wages", wages), s.line("wages_due", -wages)])
            if month_end + dt.timedelta(days=3) <= last_day:
                pay = month_end + dt.timedelta(days=3)
                s.post(pay, dt.datetime.combine(pay, dt.time(11, 0), dt.UTC), "CASHPAID", f"Lonen {month:%m/%Y}",
                       [s.line("wages_due", wages), s.line("bank", -wages)])
            if month.month % 3 == 0 and month_end + dt.timedelta(days=1) <= last_day:
                # An auto-reversing accrual: reversed on the first day of the next month.
                accrual = money(rng.randint(300, 900))
                s.post(month_end, stamp + dt.timedelta(minutes=5), "MANJOURNAL", "Toe te rekenen energie",
                       [s.line("services", accrual), s.line("accrued", -accrual)])
                s.post(month_end + dt.timedelta(days=1), stamp + dt.timedelta(minutes=6), "MANJOURNAL",
                       "Terugboeking toe te rekenen energie",
                       [s.line("services", -accrual), s.line("accrued", accrual)])
        month = month_end + dt.timedelta(days=1)
    s.finish()
    # Locked up to the last VAT quarter filed, and the last year closed, as a firm does.
    lock = (today - dt.timedelta(days=45)).replace(day=1)
    while lock.month % 3 != 1:
        lock = (lock - dt.timedelta(days=1)).replace(day=1)
    org.period_lock = lock - dt.timedelta(days=1)
    previous_end = year_end_containing(current_end.replace(day=1) - dt.timedelta(days=340), fy_day, fy_month)
    org.end_of_year_lock = previous_end if previous_end <= org.period_lock else None
    return org


def revaluations(org: SOrg, until: dt.date) -> list[tuple[dt.date, SAccount, Decimal]]:
    """Xero's unrealised currency revaluations of the foreign bank account at each month end up to
    ``until``, each reversed the next day: in the reports, never in /Journals."""
    if org.rate is None:
        return []
    bank = next(a for a in org.accounts if a.currency == org.foreign_currency)
    gains = org.system("UNREALISEDCURRENCYGAIN")
    assert gains is not None
    postings = sorted(((j.date, ln) for j in org.journals for ln in j.lines if ln.account is bank),
                      key=lambda item: item[0])
    if not postings:
        return []
    out = []
    month_end = postings[0][0]
    month_end = month_end.replace(day=calendar.monthrange(month_end.year, month_end.month)[1])
    while month_end <= until:
        foreign = sum((ln.foreign or Decimal(0) for d, ln in postings if d <= month_end), Decimal(0))
        booked = sum((ln.net for d, ln in postings if d <= month_end), Decimal(0))
        amount = money(foreign * org.rate(month_end)) - booked
        if amount:
            out += [(month_end, bank, amount), (month_end, gains, -amount)]
            following = month_end + dt.timedelta(days=1)
            if following <= until:
                out += [(following, bank, -amount), (following, gains, amount)]
        nxt = month_end + dt.timedelta(days=1)
        month_end = nxt.replace(day=calendar.monthrange(nxt.year, nxt.month)[1])
    return out


@dataclass
class TBRow:
    account: SAccount
    month: Decimal
    ytd: Decimal


def trial_balance(org: SOrg, day: dt.date, *, payment_types: frozenset[str] | None = None) -> list[TBRow]:
    """Per account: the movement in the month of ``day`` and the year-to-date balance, as Xero's
    Trial Balance report computes them (P&L from the start of the financial year, earlier P&L in
    retained earnings, balance sheet cumulative).

    ``payment_types`` (``paymentsOnly=true``): the cash basis, from the journals of those source
    types alone, as ``/Journals?paymentsOnly=true`` returns them; unrealised revaluations are not
    cash and stay out."""
    fy_start = org.fiscal_start(day)
    month_start = day.replace(day=1)
    retained = org.system("RETAINEDEARNINGS")
    assert retained is not None
    ytd: dict[str, Decimal] = defaultdict(Decimal)
    month: dict[str, Decimal] = defaultdict(Decimal)
    if org.postings_of != len(org.journals):
        org.postings = [(j.date, ln.account, ln.net) for j in org.journals for ln in j.lines]
        org.postings_of = len(org.journals)
    if payment_types is None:
        postings = org.postings + revaluations(org, day)
    else:
        postings = [(j.date, ln.account, ln.net) for j in org.journals if j.source_type in payment_types
                    for ln in j.lines]
    for date, account, net in postings:
        if date > day:
            continue
        if account.cls in PROFIT_LOSS and date < fy_start:
            ytd[retained.id] += net
            continue
        ytd[account.id] += net
        if date >= month_start:
            month[account.id] += net
    rows = []
    for account in org.accounts:
        if ytd[account.id] == 0 and month[account.id] == 0:
            continue  # Xero leaves out accounts with neither a month nor a YTD balance
        rows.append(TBRow(account, month[account.id], ytd[account.id]))
    return rows

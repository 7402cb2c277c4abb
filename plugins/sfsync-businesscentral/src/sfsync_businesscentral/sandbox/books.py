"""The sandbox's tenant: two environments, three companies of Belgian and Dutch bookkeeping.

* ``Production`` holds *Bakkerij Peeters NV* (Belgian, calendar years, PCMN/MAR chart) and
  *Van Dijk Installatietechniek BV* (Dutch, July–June years, keeps US dollars as its additional
  reporting currency for its American parent, so every entry has dollar amounts beside euros);
* ``BE-Holding`` holds *Brasserie Lambert SRL* (Belgian, April–March years).

Each has three fiscal years of monthly accounting periods (``newFiscalYear`` on each year's
first), the oldest closed and date-locked with its closing entries (profit and loss carried to
the retained-earnings account on the year's last day, as *Close Income Statement* posts them),
sales, purchases, payments, entries up to today, and history a first sync meets: a corrected
description, a deleted document and a reversed one (the reversal's entries, new numbers, cancel
the original's). Entry numbers rise with posting order; every document balances.
Everything is drawn from a seeded ``random.Random``: the same seed gives the same books.
"""

from __future__ import annotations

import calendar
import datetime as dt
import random
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

__all__ = ["Account", "Company", "Entry", "Period", "Tenant", "seed_tenant"]

CENT = Decimal("0.01")

# (number, name, category, role)
CHARTS: dict[str, list[tuple[str, str, str, str]]] = {
    "BE": [
        ("100000", "Geplaatst kapitaal", "Equity", "capital"),
        ("140000", "Overgedragen winst", "Equity", "retained"),
        ("173000", "Leningen kredietinstellingen", "Liabilities", "loan"),
        ("241000", "Kantoormaterieel", "Assets", "equipment"),
        ("400000", "Handelsdebiteuren", "Assets", "debtors"),
        ("411000", "Terug te vorderen btw", "Assets", "vat_in"),
        ("440000", "Leveranciers", "Liabilities", "creditors"),
        ("451000", "Te betalen btw", "Liabilities", "vat_out"),
        ("550000", "KBC zichtrekening", "Assets", "bank"),
        ("600000", "Aankopen grondstoffen", "Cost_x0020_of_x0020_Goods_x0020_Sold", "purchases"),
        ("610000", "Huur gebouwen", "Expense", "rent"),
        ("612000", "Telefoon en internet", "Expense", "telecom"),
        ("700000", "Omzet", "Income", "sales"),
    ],
    "NL": [
        ("0100", "Gestort kapitaal", "Equity", "capital"),
        ("0500", "Overige reserves", "Equity", "retained"),
        ("0700", "Lening ING", "Liabilities", "loan"),
        ("0200", "Inventaris", "Assets", "equipment"),
        ("1300", "Debiteuren", "Assets", "debtors"),
        ("1520", "Voorbelasting", "Assets", "vat_in"),
        ("1600", "Crediteuren", "Liabilities", "creditors"),
        ("1510", "Af te dragen btw", "Liabilities", "vat_out"),
        ("1100", "ING Bank", "Assets", "bank"),
        ("7000", "Inkoopwaarde materialen", "Cost_x0020_of_x0020_Goods_x0020_Sold", "purchases"),
        ("4300", "Huur bedrijfsruimte", "Expense", "rent"),
        ("4500", "Telefoonkosten", "Expense", "telecom"),
        ("8000", "Omzet installaties", "Income", "sales"),
    ],
}
PROFIT_AND_LOSS = frozenset({"Income", "Cost_x0020_of_x0020_Goods_x0020_Sold", "Expense"})
CUSTOMERS = {
    "BE": ["Delhaize Mechelen", "Hotel Ter Duinen", "Café De Kroon", "Slagerij Janssens", "Stad Leuven"],
    "NL": ["Woonstichting De Key", "Bouwbedrijf Hendriks", "Gemeente Utrecht", "Hotel Arena", "Van der Valk"],
}
SUPPLIERS = {"BE": ("Ceres Meelfabriek", "Immo Leuven", "Proximus"), "NL": ("Technische Unie", "Vastgoed Noord", "KPN Zakelijk")}

# (name, country, first month of the fiscal year, documents a month, VAT rate, environment,
#  address, VAT number, additional reporting currency)
PLANS = [
    ("Bakkerij Peeters NV", "BE", 1, 8, Decimal("0.06"), "Production",
     ("Bondgenotenlaan 12", "Leuven", "3000"), "BE0412345678", None),
    ("Van Dijk Installatietechniek BV", "NL", 7, 4, Decimal("0.21"), "Production",
     ("Kanaalweg 44", "Utrecht", "3526 KL"), "NL812345678B01", "USD"),
    ("Brasserie Lambert SRL", "BE", 4, 3, Decimal("0.21"), "BE-Holding",
     ("Rue de Namur 5", "Wavre", "1300"), "BE0765432198", None),
]
USD_RATE = Decimal("1.0850")


@dataclass
class Account:
    id: str
    number: str
    name: str
    category: str
    role: str
    modified: dt.datetime

    @property
    def profit_and_loss(self) -> bool:
        return self.category in PROFIT_AND_LOSS


@dataclass
class Entry:
    """One G/L entry: one account's side of one posted document."""

    id: str
    number: int
    posting_date: dt.date
    document: str
    document_type: str
    account: Account
    description: str
    debit: Decimal
    credit: Decimal
    acy_debit: Decimal
    acy_credit: Decimal
    modified: dt.datetime


@dataclass
class Period:
    id: str
    start: dt.date
    new_fiscal_year: bool
    closed: bool
    date_locked: bool
    modified: dt.datetime


@dataclass
class Company:
    id: str
    name: str
    country: str
    environment: str
    first_month: int
    vat_number: str
    address: tuple[str, str, str]
    acy: str | None
    years: list[tuple[dt.date, dt.date]]
    accounts: list[Account]
    periods: list[Period]
    created: dt.datetime
    entries: dict[str, Entry] = field(default_factory=dict)
    revision: int = 0
    """Bumped on every change to the entries (the sandbox caches their order by it)."""
    next_number: int = 1

    def role(self, role: str) -> Account:
        return next(a for a in self.accounts if a.role == role)

    @property
    def code(self) -> str:
        return self.name.split()[0].upper()[:10]


@dataclass
class Tenant:
    id: str
    domain: str
    environments: list[str]
    companies: list[Company]


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _guid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


class _Poster:
    def __init__(self, company: Company, rng: random.Random, now: dt.datetime) -> None:
        self.company, self.rng, self.now = company, rng, now
        self.counter = 0

    def stamp(self, day: dt.date) -> dt.datetime:
        moment = dt.datetime.combine(day, dt.time(8 + self.rng.randrange(10), self.rng.randrange(60)), dt.UTC)
        return min(moment, self.now - dt.timedelta(hours=1))

    def post(self, day: dt.date, prefix: str, kind: str, legs: list[tuple[str, Decimal, Decimal]], text: str,
             stamp: dt.datetime | None = None) -> list[Entry]:
        self.counter += 1
        company = self.company
        document = f"{prefix}{day.year % 100:02d}-{self.counter:05d}"
        made = []
        for role, debit, credit in legs:
            acy = company.acy is not None
            entry = Entry(
                id=_guid(self.rng), number=company.next_number, posting_date=day, document=document,
                document_type=kind, account=company.role(role), description=text[:100],
                debit=debit.quantize(CENT), credit=credit.quantize(CENT),
                acy_debit=(debit * USD_RATE).quantize(CENT) if acy else Decimal("0"),
                acy_credit=(credit * USD_RATE).quantize(CENT) if acy else Decimal("0"),
                modified=stamp or self.stamp(day),
            )
            company.next_number += 1
            company.entries[entry.id] = entry
            made.append(entry)
        company.revision += 1
        return made

    def month(self, start: dt.date, today: dt.date, count: int, vat_rate: Decimal) -> None:
        rng, country = self.rng, self.company.country
        days = calendar.monthrange(start.year, start.month)[1]
        for _ in range(count):
            day = min(start + dt.timedelta(days=rng.randrange(days)), today)
            net = Decimal(rng.randrange(15_000, 450_000)) / 100
            vat = (net * vat_rate).quantize(CENT)
            customer = rng.choice(CUSTOMERS[country])
            self.post(day, "VF", "Invoice", [("debtors", net + vat, Decimal(0)), ("sales", Decimal(0), net),
                                             ("vat_out", Decimal(0), vat)], f"Factuur {customer}")
            if rng.random() < 0.7:
                self.post(day, "BNK", "Payment", [("bank", net + vat, Decimal(0)), ("debtors", Decimal(0), net + vat)],
                          f"Ontvangst {customer}")
        for (role, low, high), supplier in zip(
            (("purchases", 40_000, 300_000), ("rent", 150_000, 150_001), ("telecom", 5_000, 12_000)),
            SUPPLIERS[country], strict=True,
        ):
            day = min(start + dt.timedelta(days=rng.randrange(min(days, 20))), today)
            net = Decimal(rng.randrange(low, high)) / 100
            vat = (net * Decimal("0.21")).quantize(CENT)
            self.post(day, "AF", "Invoice", [(role, net, Decimal(0)), ("vat_in", vat, Decimal(0)),
                                             ("creditors", Decimal(0), net + vat)], f"Aankoopfactuur {supplier}")
            pay = min(day + dt.timedelta(days=5), today)
            self.post(pay, "BNK", "Payment", [("creditors", net + vat, Decimal(0)), ("bank", Decimal(0), net + vat)],
                      f"Betaling {supplier}")

    def close_year(self, start: dt.date, end: dt.date) -> None:
        """Close Income Statement: every P&L account to zero against retained earnings, on the
        year's last day."""
        totals: dict[str, Decimal] = {}
        for entry in self.company.entries.values():
            if start <= entry.posting_date <= end and entry.account.profit_and_loss:
                totals[entry.account.role] = totals.get(entry.account.role, Decimal(0)) + entry.debit - entry.credit
        legs = [(role, max(-v, Decimal(0)), max(v, Decimal(0))) for role, v in sorted(totals.items()) if v]
        result = sum(totals.values(), Decimal(0))
        legs.append(("retained", max(result, Decimal(0)), max(-result, Decimal(0))))
        self.post(end, "AFS", "_x0020_", legs, f"Afsluiting boekjaar {end.year}")


def seed_tenant(today: dt.date, now: dt.datetime, seed: int, main_documents: int | None = None) -> Tenant:
    """The sandbox's tenant, with books up to ``today``."""
    rng0 = random.Random(f"bc:{seed}")
    tenant = Tenant(id=_guid(rng0), domain="fiduciaire-dupont.onmicrosoft.com", environments=["Production", "BE-Holding"],
                    companies=[])
    for index, (name, country, first_month, per_month, vat_rate, environment, address, vat_number, acy) in enumerate(PLANS):
        rng = random.Random(f"bc:{seed}:{index}")
        year = today.year if today.month >= first_month else today.year - 1
        current = dt.date(year, first_month, 1)
        starts = [_add_months(current, -24), _add_months(current, -12), current]
        years = [(s, _add_months(s, 12) - dt.timedelta(days=1)) for s in starts]
        created = dt.datetime.combine(starts[0] - dt.timedelta(days=20), dt.time(9), dt.UTC)
        accounts = [Account(_guid(rng), number, label, category, role, created)
                    for number, label, category, role in CHARTS[country]]
        periods = []
        for y, (start, _end) in enumerate(years):
            for offset in range(12):
                periods.append(Period(_guid(rng), _add_months(start, offset), offset == 0, y == 0, y == 0, created))
        company = Company(id=_guid(rng), name=name, country=country, environment=environment, first_month=first_month,
                          vat_number=vat_number, address=address, acy=acy, years=years, accounts=accounts,
                          periods=periods, created=created)
        poster = _Poster(company, rng, now)
        poster.post(starts[0], "OPN", "_x0020_", [("bank", Decimal("22500.00"), Decimal(0)),
                                                 ("equipment", Decimal("8400.00"), Decimal(0)),
                                                 ("capital", Decimal(0), Decimal("18600.00")),
                                                 ("loan", Decimal(0), Decimal("12300.00"))], "Openingsbalans")
        count = main_documents if (index == 0 and main_documents) else per_month
        month = starts[0]
        while month <= today:
            poster.month(month, today, count, vat_rate)
            if month == _add_months(years[0][0], 11):
                poster.close_year(*years[0])
            month = _add_months(month, 1)
        # History a first sync meets: a corrected description, a deleted document, a reversed one.
        ordered = sorted(company.entries.values(), key=lambda e: e.number)
        live = [e for e in ordered if e.posting_date >= years[1][0] and e.document.startswith("VF")]
        edited = live[len(live) // 3]
        edited.description = (edited.description + " (gecorrigeerd)")[:100]
        edited.modified = min(edited.modified + dt.timedelta(days=2), now - dt.timedelta(minutes=30))
        victim = live[len(live) // 2].document
        for entry in [e for e in ordered if e.document == victim]:
            del company.entries[entry.id]
        reversed_doc = live[(2 * len(live)) // 3].document
        originals = [e for e in ordered if e.document == reversed_doc]
        poster.post(originals[0].posting_date, "REV", originals[0].document_type,
                    [(e.account.role, e.credit, e.debit) for e in originals], f"Tegenboeking {reversed_doc}",
                    stamp=min(originals[0].modified + dt.timedelta(days=1), now - dt.timedelta(minutes=30)))
        tenant.companies.append(company)
    return tenant

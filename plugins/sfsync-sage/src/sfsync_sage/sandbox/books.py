"""The sandbox's seeded businesses: three sets of books over three fiscal years each.

Sage Business Cloud Accounting is sold in Canada, France, Germany, Ireland, Spain, the UK and the
US, not in Belgium or the Netherlands: a Belgian or Dutch firm meets it in its clients' French and
Irish companies. So the books are a French bakery on calendar years, a French subsidiary of a
Belgian group on July–June years (PCG charts, journal codes VT/AC/BQ as French businesses have
them), and an Irish trading company on April–March years with dollar sales (ledger entries are in
the base currency: Sage's LedgerEntry carries no currency). Each has a closed (locked down) year,
an opening balance journal, an edit and a deletion in its history, and entries up to today.
Everything is drawn from a seeded ``random.Random``: the same seed gives the same books.
"""

from __future__ import annotations

import calendar
import datetime as dt
import random
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

__all__ = ["CHARTS", "Business", "Entry", "LedgerAccount", "seed_businesses"]

CENT = Decimal("0.01")

# (nominal code, name, Sage ledger account type id, role in the seeded bookkeeping)
CHARTS: dict[str, list[tuple[int, str, str, str]]] = {
    "FR": [
        (101000, "Capital social", "EQUITY", "capital"),
        (120000, "Résultat de l'exercice", "EQUITY", "retained"),
        (164000, "Emprunts auprès des établissements de crédit", "LT_LIABILITY", "loan"),
        (218300, "Matériel de bureau et informatique", "FIXED_ASSETS", "equipment"),
        (401000, "Fournisseurs", "CURRENT_LIABILITY", "creditors"),
        (411000, "Clients", "CURRENT_ASSETS", "debtors"),
        (445660, "TVA déductible sur autres biens et services", "CURRENT_ASSETS", "vat_in"),
        (445710, "TVA collectée", "CURRENT_LIABILITY", "vat_out"),
        (512000, "Banque", "BANK", "bank"),
        (601000, "Achats stockés - matières premières", "DIRECT_EXPENSES", "purchases"),
        (613200, "Locations immobilières", "OVERHEADS", "rent"),
        (626000, "Frais postaux et de télécommunications", "OVERHEADS", "telecom"),
        (701000, "Ventes de produits finis", "SALES", "sales"),
        (766000, "Gains de change financiers", "OTHER_INCOME", "fx_gain"),
    ],
    "IE": [
        (30, "Office Equipment and IT", "FIXED_ASSETS", "equipment"),
        (1100, "Trade Debtors", "CURRENT_ASSETS", "debtors"),
        (1200, "Bank Current Account", "BANK", "bank"),
        (2100, "Trade Creditors", "CURRENT_LIABILITY", "creditors"),
        (2200, "VAT on Sales", "CURRENT_LIABILITY", "vat_out"),
        (2201, "VAT on Purchases", "CURRENT_ASSETS", "vat_in"),
        (2300, "Loans", "LT_LIABILITY", "loan"),
        (3000, "Ordinary Shares", "EQUITY", "capital"),
        (3200, "Retained Earnings", "EQUITY", "retained"),
        (4000, "Sales - Goods", "SALES", "sales"),
        (4900, "Exchange Gains", "OTHER_INCOME", "fx_gain"),
        (5000, "Cost of Sales - Goods", "DIRECT_EXPENSES", "purchases"),
        (7100, "Rent", "OVERHEADS", "rent"),
        (7502, "Telephone and Internet", "OVERHEADS", "telecom"),
    ],
}
CUSTOMERS = {
    "FR": ["Carrefour Market Lille", "Hôtel du Beffroi", "Café de la Grand-Place", "Boucherie Vandamme", "Lycée Faidherbe"],
    "IE": ["O'Brien Foods", "Dunnes Stores", "Harbour Bistro Ltd", "Acme Corp (USA)", "Galway Hotels Group"],
}
SUPPLIERS = {
    "FR": ("Moulins Soufflet", "SCI Les Halles", "Orange Business"),
    "IE": ("Musgrave Wholesale", "Sandyford Properties Ltd", "Eir Business"),
}
PROFIT_AND_LOSS_TYPES = frozenset({"SALES", "OTHER_INCOME", "DIRECT_EXPENSES", "OVERHEADS", "DEPRECIATION"})

# (business name, country, first month of the fiscal year, entries a month, VAT rate, address)
PLANS = [
    ("Boulangerie Martin SAS", "FR", 1, 10, Decimal("0.055"),
     ("12 rue des Halles", "Lille", "59000"), "FR40123456824"),
    ("Lambert Distribution SARL", "FR", 7, 4, Decimal("0.20"),
     ("4 avenue de Flandre", "Roubaix", "59100"), "FR61987654321"),
    ("Peeters Trading Ltd", "IE", 4, 3, Decimal("0.23"),
     ("Unit 7, Sandyford Business Park", "Dublin 18", "D18 K7W4"), "IE6388047V"),
]


@dataclass
class LedgerAccount:
    id: str
    nominal_code: int
    name: str
    type_id: str
    role: str

    @property
    def profit_and_loss(self) -> bool:
        return self.type_id in PROFIT_AND_LOSS_TYPES


@dataclass
class Entry:
    """One ledger entry (one side of one account in one transaction)."""

    id: str
    transaction_id: str
    transaction_label: str
    date: dt.date
    account: LedgerAccount
    debit: Decimal
    credit: Decimal
    description: str
    journal_code: str | None
    contact: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    deleted: bool = False


@dataclass
class Business:
    id: str
    name: str
    country: str
    first_month: int
    vat_number: str
    address: tuple[str, str, str]
    years: list[tuple[dt.date, dt.date]]
    lockdown: dt.date
    accounts: list[LedgerAccount]
    entries: dict[str, Entry] = field(default_factory=dict)
    opening: list[tuple[LedgerAccount, Decimal]] = field(default_factory=list)
    created_at: dt.datetime = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    revision: int = 0
    """Bumped by every change to the entries (the sandbox caches their order by it)."""

    @property
    def accounts_start(self) -> dt.date:
        return self.years[0][0]

    @property
    def year_end(self) -> dt.date:
        return self.years[-1][1]

    @property
    def telephone(self) -> str:
        return "+33 3 20 00 00 00" if self.country == "FR" else "+353 1 000 0000"

    @property
    def currency(self) -> str:
        return "EUR"

    def role(self, role: str) -> LedgerAccount:
        return next(a for a in self.accounts if a.role == role)

    def live_entries(self) -> list[Entry]:
        return [e for e in self.entries.values() if not e.deleted]


def _year_start(today: dt.date, first_month: int) -> dt.date:
    year = today.year if today.month >= first_month else today.year - 1
    return dt.date(year, first_month, 1)


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _stamp(day: dt.date, rng: random.Random) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(8 + rng.randrange(10), rng.randrange(60), rng.randrange(60)), dt.UTC)


class _Booker:
    def __init__(self, business: Business, rng: random.Random, now: dt.datetime) -> None:
        self.business, self.rng, self.now = business, rng, now
        self.counter = 0

    def book(
        self, day: dt.date, kind: str, legs: list[tuple[str, Decimal, Decimal]], text: str,
        contact: str | None, stamp: dt.datetime | None = None,
    ) -> list[str]:
        self.counter += 1
        prefix = {"sale": "SI", "purchase": "PI", "receipt": "SR", "payment": "PP", "journal": "JNL"}[kind]
        journal = None
        if self.business.country == "FR":
            journal = {"sale": "VT", "purchase": "AC", "receipt": "BQ", "payment": "BQ", "journal": "OD"}[kind]
        transaction = uuid.UUID(int=self.rng.getrandbits(128)).hex
        created = stamp or min(_stamp(day, self.rng), self.now - dt.timedelta(hours=1))
        ids = []
        for role, debit, credit in legs:
            entry = Entry(
                id=uuid.UUID(int=self.rng.getrandbits(128)).hex,
                transaction_id=transaction,
                transaction_label=f"{prefix}-{self.counter}",
                date=day,
                account=self.business.role(role),
                debit=debit.quantize(CENT),
                credit=credit.quantize(CENT),
                description=text,
                journal_code=journal,
                contact=contact,
                created_at=created,
                updated_at=created,
            )
            self.business.entries[entry.id] = entry
            ids.append(entry.id)
        return ids

    def month(self, start: dt.date, last_day: dt.date, count: int, vat_rate: Decimal) -> None:
        rng, business = self.rng, self.business
        days = calendar.monthrange(start.year, start.month)[1]
        for _ in range(count):
            day = min(start + dt.timedelta(days=rng.randrange(days)), last_day)
            net = Decimal(rng.randrange(8_000, 250_000)) / 100
            vat = (net * vat_rate).quantize(CENT)
            customer = rng.choice(CUSTOMERS[business.country])
            usd = business.country == "IE" and rng.random() < 0.3
            text = f"{'Facture' if business.country == 'FR' else 'Invoice'} {customer}" + (f" (USD {net * Decimal('1.08'):.2f} at 1.0800)" if usd else "")
            self.book(day, "sale", [("debtors", net + vat, Decimal(0)), ("sales", Decimal(0), net),
                                    ("vat_out", Decimal(0), vat)], text, customer)
            if rng.random() < 0.7:
                self.book(day, "receipt", [("bank", net + vat, Decimal(0)), ("debtors", Decimal(0), net + vat)],
                          f"{'Paiement' if business.country == 'FR' else 'Receipt from'} {customer}", customer)
        for (role, low, high), supplier in zip(
            (("purchases", 50_000, 400_000), ("rent", 120_000, 120_001), ("telecom", 4_000, 9_000)),
            SUPPLIERS[business.country], strict=True,
        ):
            day = min(start + dt.timedelta(days=rng.randrange(min(days, 20))), last_day)
            net = Decimal(rng.randrange(low, high)) / 100
            vat = (net * (Decimal("0.20") if business.country == "FR" else vat_rate)).quantize(CENT)
            word = "Facture" if business.country == "FR" else "Invoice"
            self.book(day, "purchase", [(role, net, Decimal(0)), ("vat_in", vat, Decimal(0)),
                                        ("creditors", Decimal(0), net + vat)], f"{word} {supplier}", supplier)
            self.book(min(day + dt.timedelta(days=5), last_day), "payment",
                      [("creditors", net + vat, Decimal(0)), ("bank", Decimal(0), net + vat)],
                      f"{'Règlement' if business.country == 'FR' else 'Payment to'} {supplier}", supplier)


def seed_businesses(today: dt.date, now: dt.datetime, seed: int, main_entries: int | None = None) -> list[Business]:
    """The three seeded businesses, with books up to ``today``."""
    businesses = []
    for index, (name, country, first_month, per_month, vat_rate, address, vat_number) in enumerate(PLANS):
        rng = random.Random(f"{seed}:{index}")
        current = _year_start(today, first_month)
        starts = [_add_months(current, -24), _add_months(current, -12), current]
        years = [(s, _add_months(s, 12) - dt.timedelta(days=1)) for s in starts]
        accounts = [
            LedgerAccount(uuid.UUID(int=rng.getrandbits(128)).hex, code, label, type_id, role)
            for code, label, type_id, role in CHARTS[country]
        ]
        business = Business(
            id=uuid.UUID(int=rng.getrandbits(128)).hex, name=name, country=country,
            first_month=first_month, vat_number=vat_number, address=address, years=years,
            lockdown=years[0][1], accounts=accounts,
        )
        booker = _Booker(business, rng, now)
        business.opening = [
            (business.role("bank"), Decimal("18500.00")), (business.role("equipment"), Decimal("6200.00")),
            (business.role("capital"), Decimal("-10000.00")), (business.role("loan"), Decimal("-14700.00")),
        ]
        count = main_entries if (index == 0 and main_entries) else per_month
        month = years[0][0]
        while month <= today:
            booker.month(month, today, count, vat_rate)
            month = _add_months(month, 1)
        # History a first sync meets: an edited line and a deleted (voided) transaction.
        ordered = sorted(business.entries.values(), key=lambda e: (e.date, e.id))
        edited = ordered[len(ordered) // 3]
        edited.description += " (corrigé)"
        edited.updated_at = max(edited.updated_at, min(edited.created_at + dt.timedelta(days=3), now - dt.timedelta(minutes=30)))
        voided = ordered[len(ordered) // 2].transaction_id
        for entry in business.entries.values():
            if entry.transaction_id == voided:
                entry.deleted = True
                entry.updated_at = max(entry.updated_at, min(entry.created_at + dt.timedelta(days=1), now - dt.timedelta(minutes=30)))
        businesses.append(business)
    return businesses
